#!/usr/bin/python3
"""World test: the system's pkttyagent answers pkcheck end to end (real polkitd, PAM, users).

Usage (inside ward-world): test_pkttyagent.py SCENARIO
  auth-ok         bob's shell asks for org.ward.test.auth-admin; alice authenticates: granted
  wrong-password  alice with a wrong password: denied
  carol           the identity choice matters: carol with carol's password is granted,
                  carol with alice's password is denied
  detail          polkitd interpolates $(ward.target) from pkcheck --detail into the message
"""

import re
import sys

import wardworld as ww

PKCHECK = "pkcheck --action-id %s --process $$ --allow-user-interaction"


def choose(agent, name):
    """Answer pkttyagent's identity list with NAME's number."""
    agent.expect(r"Choose identity to authenticate as \(1-(\d+)\): ")
    listing = agent.before
    numbers = dict((m.group(2), m.group(1))
                   for m in re.finditer(r"(\d+)\.\s+[^\r\n]*?\(?\b(alice|carol)\b\)?", listing))
    assert set(numbers) == {"alice", "carol"}, "identities offered: %r" % listing
    assert agent.match.group(1) == "2", "expected exactly two admins: %r" % listing
    agent.sendline(numbers[name])


def authenticate(shell, agent, action, who, password, message, extra=""):
    """Run pkcheck for ACTION in SHELL, answer the agent as WHO with PASSWORD; return pkcheck's
    status and the agent's transcript."""
    token = ww.shell_start(shell, PKCHECK % action + extra)
    agent.expect_exact("==== AUTHENTICATING FOR %s ====" % action)
    agent.expect_exact(message)
    choose(agent, who)
    agent.expect("Password: ")
    agent.sendline(password)
    agent.expect(r"==== AUTHENTICATION (COMPLETE|FAILED) ====")
    result = agent.match.group(1)
    status = ww.shell_wait(shell, token)
    print("agent said %s, pkcheck exited %d" % (result, status))
    return status, result


def main():
    ww.require_world()
    scenario = sys.argv[1] if len(sys.argv) > 1 else "auth-ok"
    shell = ww.shell_as("bob")
    agent = ww.start_pkttyagent("bob", shell.pid)
    admin_msg = "Authentication is required to run the ward admin test"

    if scenario == "auth-ok":
        status, result = authenticate(shell, agent, "org.ward.test.auth-admin", "alice",
                                      ww.USERS["alice"]["password"], admin_msg)
        assert result == "COMPLETE" and status == 0, (result, status)
    elif scenario == "wrong-password":
        status, result = authenticate(shell, agent, "org.ward.test.auth-admin", "alice",
                                      "not-alices-password", admin_msg)
        assert result == "FAILED", result
        # pkcheck: 1 = not authorized (0 would be granted, 2 = challenge without interaction)
        assert status == 1, status
    elif scenario == "carol":
        status, result = authenticate(shell, agent, "org.ward.test.auth-admin", "carol",
                                      ww.USERS["carol"]["password"], admin_msg)
        assert result == "COMPLETE" and status == 0, (result, status)
        status, result = authenticate(shell, agent, "org.ward.test.auth-admin", "carol",
                                      ww.USERS["alice"]["password"], admin_msg)
        assert result == "FAILED" and status == 1, (result, status)
    elif scenario == "detail":
        status, result = authenticate(shell, agent, "org.ward.test.detail", "alice",
                                      ww.USERS["alice"]["password"],
                                      "Do the thing to frobnicator-42",
                                      extra=" --detail ward.target frobnicator-42")
        assert result == "COMPLETE" and status == 0, (result, status)
    else:
        raise SystemExit("unknown scenario %r" % scenario)

    shell.sendline("exit")
    agent.terminate(force=True)
    print("ok: %s" % scenario)


if __name__ == "__main__":
    main()

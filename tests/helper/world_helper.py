#!/usr/bin/python3
"""World test: the real ward-helper behind `systemd-socket-activate --accept`, with the real
polkitd, PAM (pam_unix against the world's shadow file) and users.

Usage (inside tests/world/ward-world): world_helper.py BUILD_ROOT SCENARIO
  right         bob's agent authenticates alice through ward's socket: pkcheck is granted
  wrong         a wrong password: FAILURE, pkcheck denied
  bogus-cookie  PAM succeeds but the cookie was never issued: polkitd refuses, FAILURE, denied
  replay        carol connects with the cookie polkitd gave bob's agent: refused (polkitd
                matches the cookie to the agent's uid, which the helper takes from the socket
                peer); bob's pkcheck is denied
  killed        the helper is killed mid-conversation: the session completes with failure and
                pkcheck returns, nothing hangs
  nnp           an agent with no_new_privs authenticates through ward-helper; the same agent
                with polkit's setuid helper fails (and without no_new_privs, succeeds)
"""

import os
import re
import select
import signal
import subprocess
import sys
import time

import wardworld as ww

SOCKET = "/run/ward/helper.socket"
ACTION = "org.ward.test.auth-admin"
SETUID_HELPER = "/usr/lib/polkit-1/polkit-agent-helper-1"


# systemd-socket-activate --accept on ward's socket path, as the unit does.
Activator = ww.HelperActivator


def assert_exit_codes(activator, expected):
    """The helper instances' exit statuses, as systemd-socket-activate logged them."""
    def codes():
        return [int(c) for c in re.findall(r"Child \d+ died with code (\d+)", activator.log())]
    # The agent may see SUCCESS/FAILURE before the instance is reaped and logged.
    try:
        ww.wait_for(lambda: len(codes()) >= len(expected), 10)
    except TimeoutError:
        pass
    assert codes() == expected, "helper exit codes %r, expected %r" % (codes(), expected)


def subject():
    """A process of bob's for polkitd to decide about."""
    return ww.popen_as("bob", ["sleep", "300"])


def start_agent(agent_bin, subject_pid, user, password, extra=(), env=None, wrap=()):
    env = dict(env or {})
    env["TEST_AGENT_PASSWORD"] = password
    argv = list(wrap) + [agent_bin, "--process", str(subject_pid), "--user", user] + list(extra)
    # Unbuffered bytes: readline() then reads byte by byte, so select() in expect_line() never
    # waits on a line already sitting in a Python buffer.
    agent = ww.popen_as("bob", argv, env=env, stdout=subprocess.PIPE, bufsize=0)
    line = agent.stdout.readline().decode().strip()
    assert line == "registered", "agent did not register: %r" % line
    return agent


def expect_line(agent, prefix, timeout=20):
    """Read agent lines until one starts with PREFIX (within TIMEOUT s); return it."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([agent.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = agent.stdout.readline()
        if not line:
            break
        line = line.decode("utf-8", "replace").rstrip("\n")
        print("agent: %s" % line)
        seen.append(line)
        if line.startswith(prefix):
            return line
    raise AssertionError("no %r from the agent within %d s; saw %r" % (prefix, timeout, seen))


def pkcheck(subject_pid):
    return ww.popen_as("bob", ["pkcheck", "--action-id", ACTION, "--process", str(subject_pid),
                               "--allow-user-interaction"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc, timeout=30):
    out, _ = proc.communicate(timeout=timeout)
    if out and out.strip():
        print("pkcheck: %s" % out.strip())
    return proc.returncode


def authenticate(agent_bin, user, password, extra=(), env=None, wrap=()):
    """One full round: returns (pkcheck status, agent's completed line, agent status)."""
    subj = subject()
    try:
        agent = start_agent(agent_bin, subj.pid, user, password, extra, env, wrap)
        check = pkcheck(subj.pid)
        done = expect_line(agent, "completed ")
        status = finish(check)
        agent_status = agent.wait(timeout=10)
        return status, done, agent_status
    finally:
        subj.kill()
        subj.wait()


def main():
    ww.require_world()
    build, scenario = sys.argv[1], sys.argv[2]
    helper = os.path.join(build, "helper", "ward-helper")
    agent_bin = os.path.join(build, "tests", "helper", "test-agent")
    alice = ww.USERS["alice"]["password"]
    activator = Activator(helper)
    try:
        run(scenario, activator, agent_bin, alice)
    finally:
        print("--- ward-helper log ---\n%s" % activator.log())
        activator.stop()


def run(scenario, activator, agent_bin, alice):
    if scenario == "right":
        status, done, agent_status = authenticate(agent_bin, "alice", alice)
        assert done == "completed TRUE helper=ward-socket", done
        assert status == 0 and agent_status == 0, (status, agent_status)
        assert "authenticated alice for uid %d" % ww.USERS["bob"]["uid"] in activator.log()
        assert_exit_codes(activator, [0])

    elif scenario == "wrong":
        status, done, _ = authenticate(agent_bin, "alice", "not-alices-password")
        assert done == "completed FALSE helper=ward-socket", done
        assert status == 1, status
        assert_exit_codes(activator, [2])

    elif scenario == "bogus-cookie":
        status, done, _ = authenticate(agent_bin, "alice", alice, extra=["--bogus-cookie"])
        assert done == "completed FALSE helper=ward-socket", done
        assert status == 1, status
        assert "polkitd refused the response" in activator.log(), "PAM passed, polkitd refused"
        assert_exit_codes(activator, [1])

    elif scenario == "replay":
        shared = os.path.join(ww.world_dir(), "shared")
        os.makedirs(shared, exist_ok=True)
        os.chmod(shared, 0o1777)
        cookie_file = os.path.join(shared, "bobs-cookie")
        subj = subject()
        try:
            agent = start_agent(agent_bin, subj.pid, "alice", alice,
                                extra=["--hold", "--cookie-file", cookie_file])
            check = pkcheck(subj.pid)
            expect_line(agent, "holding")
            # carol knows her own password and is an identity polkitd offered for this request:
            # PAM succeeds, but the response carries carol's uid, not the agent's.
            res = ww.run_as_sync("carol", [agent_bin, "--session-only", "--user", "carol",
                                           "--cookie-file", cookie_file],
                                 env={"TEST_AGENT_PASSWORD": ww.USERS["carol"]["password"]})
            print("carol: exit %d\n%s%s" % (res.returncode, res.stdout, res.stderr))
            assert "completed FALSE helper=ward-socket" in res.stdout, res.stdout
            assert res.returncode == 1
            assert "polkitd refused the response" in activator.log()
            assert_exit_codes(activator, [1])
            # bob's agent now returns without authenticating: polkitd must not grant.
            agent.send_signal(signal.SIGUSR1)
            status = finish(check)
            agent.wait(timeout=10)
            assert status == 1, "replayed cookie must not authorize bob: pkcheck %d" % status
        finally:
            subj.kill()
            subj.wait()

    elif scenario == "killed":
        subj = subject()
        try:
            agent = start_agent(agent_bin, subj.pid, "alice", alice, extra=["--stall"])
            check = pkcheck(subj.pid)
            expect_line(agent, "request ")
            pids = ww.wait_for(activator.helpers, 5, message="no ward-helper instance")
            assert len(pids) == 1, pids
            t0 = time.monotonic()
            os.kill(pids[0], signal.SIGKILL)
            done = expect_line(agent, "completed ", timeout=10)
            assert done == "completed FALSE helper=ward-socket", done
            status = finish(check, timeout=20)
            elapsed = time.monotonic() - t0
            print("completed %.2f s after the kill" % elapsed)
            assert status == 1, status
            assert agent.wait(timeout=10) == 1
        finally:
            subj.kill()
            subj.wait()

    elif scenario == "nnp":
        nnp = ["setpriv", "--no-new-privs", "--"]
        status, done, _ = authenticate(agent_bin, "alice", alice, wrap=nnp)
        assert done == "completed TRUE helper=ward-socket", done
        assert status == 0, status
        if not os.path.exists(SETUID_HELPER) or not os.stat(SETUID_HELPER).st_mode & 0o4000:
            print("note: %s is not setuid here; contrast skipped" % SETUID_HELPER)
            return
        spawn = {"WARD_HELPER": "spawn:" + SETUID_HELPER}
        # The contrast: polkit's setuid helper works for a normal agent ...
        status, done, _ = authenticate(agent_bin, "alice", alice, env=spawn)
        assert done == "completed TRUE helper=polkit-setuid", done
        assert status == 0, status
        # ... and cannot work under no_new_privs (the setuid bit is ignored).
        status, done, _ = authenticate(agent_bin, "alice", alice, env=spawn, wrap=nnp)
        assert done == "completed FALSE helper=polkit-setuid", done
        assert status == 1, status

    else:
        raise SystemExit("unknown scenario %r" % scenario)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""run0, systemctl, systemd-run and pkexec against ward-tty on the real stack (suite 'booted').

Usage (through ward-booted): test_booted.py CASE AGENT; test_booted.py --list prints the cases. AGENT is ``ward`` (ward-tty paired
with run0 by tools/pair-run0, as ward-booted installs it) or ``pkttyagent`` (polkit 126's own
agent: the pairing undone). Every case drives a real logind session of bob on a terminal
(``systemd-run --pty -p PAMName=login``) in a freshly booted Debian 13 system, and checks what
a user must be able to rely on. The verdict is written to
``$WARD_BOOTED_ARTIFACTS/results/AGENT-CASE.json`` (tests/booted/results makes the table).

ward's failures fail the test. pkttyagent's are findings: its test fails only when the case
could not be run at all (the system, run0 or the pairing broke), never for its verdict.
"""

import json
import os
import re
import sys
import time
import traceback

import pexpect

import booted as bw
import wardworld as ww
from wardtest import check, log

ALICE = ww.USERS["alice"]["password"]
CAROL = ww.USERS["carol"]["password"]
#: What the user has typed at the prompt when something interrupts it: never to be seen again.
PARTIAL = "alice-se"

#: Processes of a request that must be gone once it has ended: bob's clients and agents (real
#: uid), and the helpers of anyone.
REQUEST_CLIENTS = r"^(/usr/bin/)?(run0|pkttyagent|systemctl|systemd-run|pkexec|setpriv)( |$)"
HELPERS = r"polkit-agent-helper-1|/ward-helper( |$)"


class Case:
    """One run of a scenario: the session's shell, the agent under test, notes for the table."""

    def __init__(self, agent):
        self.agent = agent
        self.notes = []
        self.not_applicable = None
        self.sh = bw.login_shell("bob")
        self.mark = self.sh.logfile_read.mark()

    def note(self, text):
        self.notes.append(text)
        log(text)

    def since_start(self):
        return self.sh.logfile_read.since(self.mark)

    # -- the prompt, whichever agent shows it --

    def choose_identity(self, index=1, timeout=30):
        """Answer the identity question (both agents ask when alice and carol may answer)."""
        self.sh.expect([r"Authenticate as which user\? \[1\]: ",
                        r"Choose identity to authenticate as \(1-\d\): "], timeout=timeout)
        self.sh.sendline(str(index))

    def password_prompt(self, timeout=30):
        self.sh.expect_exact("Password: ", timeout=timeout)

    def start(self, command, identity=1):
        """Start COMMAND in the shell and wait for the password prompt."""
        self.token = ww.shell_start(self.sh, command)
        self.choose_identity(identity)
        self.password_prompt()

    def wait(self, timeout=60):
        return ww.shell_wait(self.sh, self.token, timeout=timeout)

    def wait_ended(self, timeout=60):
        """Like wait, but the command may also have been killed by a signal from the terminal
        (bash then drops the rest of the line, the status marker with it): None then."""
        index = self.sh.expect([r"%s=(\d+)" % self.token, re.escape(bw.PROMPT)], timeout=timeout)
        if index == 1:
            return None
        status = int(self.sh.match.group(1))
        self.sh.expect_exact(bw.PROMPT)
        return status

    # -- what must hold after every case --

    def terminal_sane(self):
        """The shell has the terminal back: echo, canonical mode and signals on, the shell's
        process group in the foreground, and nothing typed before is waiting to be read."""
        sh = self.sh
        # First a line typed now: it must reach the shell as typed, with nothing in front of
        # it (what was typed at the prompt, left in the terminal's input queue).
        ww.shell_run(sh, "echo MARK:[$((6*7))]")
        check("MARK:[42]" in sh.before and "command not found" not in sh.before,
              "what was typed at the prompt reached the shell: %r" % sh.before)
        # ps in a command substitution stays in the shell's process group (a job would own
        # the terminal itself while it runs).
        check(ww.shell_run(sh, 'stty -a; echo "FG:[$(ps -o pgid=,tpgid= -p $$)]"') == 0, "stty")
        modes = sh.before
        for flag in ("echo", "icanon", "isig"):
            check(re.search(r"(?<![-\w])%s(?![\w])" % flag, modes),
                  "terminal mode %s is off afterwards: %r" % (flag, modes))
        pgid, tpgid = re.search(r"FG:\[\s*(\d+)\s+(\d+)\s*\]", modes).groups()
        check(pgid == tpgid, "the shell is not in the foreground (pgid %s, tpgid %s)"
              % (pgid, tpgid))

    def nothing_leaked(self, secret=PARTIAL):
        """SECRET never appeared on the terminal (not echoed, not run by the shell, not read by
        the elevated program) and is not in the journal."""
        shown = self.since_start()
        check(secret not in shown, "%r reached the terminal or the shell: ...%r" % (
            secret, shown[max(0, shown.find(secret) - 200):shown.find(secret) + 200]))
        # Quoted in two halves: the command line that looks must not contain SECRET itself.
        half = len(secret) // 2
        check(ww.shell_run(self.sh, "history | grep -c -- '%s''%s'" % (secret[:half],
                                                                        secret[half:])) == 1,
              "%r is in the shell's history" % secret)
        check(secret not in bw.journal(), "%r is in the journal" % secret)

    def nothing_left(self):
        bw.wait_gone(REQUEST_CLIENTS, real_user="bob", timeout=15)
        bw.wait_gone(HELPERS, timeout=15)


CASES = {}


def case(function):
    CASES[function.__name__.replace("_", "-")] = function
    return function


# ---------------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------------

def authenticated(c, command="run0 id", expect="uid=0(root)"):
    c.start(command)
    c.sh.sendline(ALICE)
    c.sh.expect_exact(expect)
    check(c.wait() == 0, "%s failed: %r" % (command, c.sh.before))


@case
def right_password(c):
    """run0 id, alice's password: runs as root."""
    authenticated(c)
    c.terminal_sane()
    c.nothing_leaked(ALICE)
    c.nothing_left()


@case
def polkitd_activated(c):
    """polkitd is not running when run0 starts its agent (it is started by D-Bus activation on
    a real system): the agent must start it, register, and prompt."""
    bw.run(["systemctl", "stop", "polkit.service"])
    check(bw.output(["systemctl", "is-active", "polkit.service"], check_status=False).strip()
          != "active", "polkit.service still active")
    authenticated(c)
    c.terminal_sane()
    c.nothing_left()


@case
def wrong_then_right(c):
    """A typo, then the right password, in the same request; ward-helper says it once in the
    journal (syslog only: its stderr is the journal too)."""
    cursor = bw.journal_cursor()
    c.start("run0 id")
    c.sh.sendline("not-the-password")
    index = c.sh.expect_exact(["Password: ", "Access denied", "FAILED"], timeout=30)
    if index != 0:
        c.wait()
        check(False, "no second attempt after a wrong password: the request failed")
    c.sh.sendline(ALICE)
    c.sh.expect_exact("uid=0(root)")
    check(c.wait() == 0, "run0 failed: %r" % c.sh.before)
    c.terminal_sane()
    c.nothing_leaked(ALICE)
    c.nothing_left()
    if c.agent == "ward":
        said = re.findall(r"ward-helper\[\d+\]: authentication of alice for uid \d+ failed",
                          bw.journal(cursor))
        check(len(said) == 1, "the helper's failure is %d times in the journal, not once"
              % len(said))


@case
def three_wrong(c):
    """Wrong passwords until the agent gives up: denied, nothing runs, terminal sane."""
    c.start("run0 id")
    attempts = 0
    while True:
        c.sh.sendline("wrong-%d" % attempts)
        attempts += 1
        index = c.sh.expect([r"Password: ", r"WARD_RC_\d+=\d+"], timeout=30)
        if index == 1:
            break
        check(attempts < 3, "a fourth password prompt after three wrong answers")
    status = int(c.sh.after.split("=")[1])
    c.sh.expect_exact(bw.PROMPT)
    c.note("%d wrong attempt(s) before the request failed" % attempts)
    check(status != 0, "run0 succeeded with wrong passwords")
    check("uid=0(root)" not in c.since_start(), "the command ran")
    c.terminal_sane()
    c.nothing_left()


@case
def choose_carol(c):
    """Two administrators may answer: choosing the second one (carol) authenticates her."""
    cursor = bw.journal_cursor()
    c.start("run0 id", identity=2)
    c.sh.sendline(CAROL)
    c.sh.expect_exact("uid=0(root)")
    check(c.wait() == 0, "run0 failed")
    journal = bw.journal(cursor)
    check(re.search(r"carol", journal) and not re.search(r"Operator of .* alice", journal),
          "polkitd's log does not show carol authenticating")
    c.terminal_sane()
    c.nothing_leaked(CAROL)
    c.nothing_left()


@case
def reads_terminal(c):
    """The elevated program reads the terminal after the prompt: it gets what the user types
    then, and the prompt and the program do not fight over the terminal."""
    # printf: the command line itself (echoed, and in the terminal's title) has no "got:[".
    c.start("run0 sh -c 'read -r line; printf \"go%s:[%s]\\n\" t \"$line\"'")
    c.sh.sendline(ALICE)
    time.sleep(1.0)
    c.sh.sendline("typed after")
    c.sh.expect(r"got:\[(.*?)\]")
    got = c.sh.match.group(1)
    check(got == "typed after", "the program read %r" % got)
    check(c.wait() == 0, "run0 failed")
    c.terminal_sane()
    c.nothing_leaked(ALICE)
    c.nothing_left()


# ---------------------------------------------------------------------------------------------
# Other clients
# ---------------------------------------------------------------------------------------------

@case
def systemctl_restart(c):
    """systemctl restart of a unit bob may not manage: his terminal agent asks."""
    def started():
        return bw.output(["systemctl", "show", "-P", "ExecMainStartTimestampMonotonic",
                          "ward-booted-test.service"]).strip()
    bw.run(["systemctl", "start", "ward-booted-test.service"])
    before = started()
    authenticated(c, "systemctl restart ward-booted-test.service; echo restarted=$?",
                  "restarted=0")
    check(started() != before, "the unit was not restarted")
    c.terminal_sane()
    c.nothing_left()


@case
def systemd_run(c):
    """systemd-run --wait: a transient service as root after the prompt."""
    authenticated(c, "systemd-run --wait --quiet -p User=root /bin/sh -c 'id -u > /run/ward-sr'"
                     "; echo ran=$?", "ran=0")
    check(bw.output(["cat", "/run/ward-sr"]).strip() == "0", "the unit did not run as root")
    c.terminal_sane()
    c.nothing_left()


@case
def pkexec(c):
    """pkexec does not start pkttyagent: it asks polkitd for the agent registered for its
    caller (the shell), and only without one asks on the terminal itself. A user keeps a
    terminal agent for the shell with `pkttyagent --process $$ &`: it answers pkexec."""
    check(ww.shell_run(c.sh, "pkttyagent --process $$ & sleep 1; jobs -r") == 0, "agent")
    check("pkttyagent" in c.sh.before, "the background agent is not running: %r" % c.sh.before)
    authenticated(c, "pkexec id")
    check("org.freedesktop.policykit.exec" in c.since_start(), "not pkexec's action")
    check(ww.shell_run(c.sh, "kill %1; wait %1") == 143, "the agent did not end by SIGTERM")
    c.terminal_sane()
    c.nothing_leaked(ALICE)
    c.nothing_left()


@case
def no_new_privs(c):
    """run0 from a process with no_new_privs: the agent inherits it, so polkit's setuid helper
    cannot gain root; a socket-activated helper still can."""
    cursor = bw.journal_cursor()
    authenticated(c, "setpriv --no-new-privs run0 id")
    journal = bw.journal(cursor)
    if c.agent == "ward":
        check(re.search(r"Started ward-helper@\S+\.service", journal),
              "no ward-helper instance in the journal")
    c.terminal_sane()
    c.nothing_left()


# ---------------------------------------------------------------------------------------------
# Exit paths: something interrupts the prompt while a partial password is typed.
# ---------------------------------------------------------------------------------------------

def interrupted(c, interrupt, expect_status=None):
    """Start run0 id, type PARTIAL at the prompt, INTERRUPT(c); then run0 must have ended
    without running anything, the terminal be sane, nothing leaked and nothing left."""
    c.start("run0 id")
    c.sh.send(PARTIAL)
    time.sleep(0.3)
    interrupt(c)
    status = c.wait_ended(timeout=40)
    c.note("run0 ended by a signal" if status is None else "run0 exit status %d" % status)
    check(status != 0, "run0 succeeded")
    check("uid=0(root)" not in c.since_start(), "the command ran")
    c.terminal_sane()
    c.nothing_leaked()
    c.nothing_left()


def signal_process(name, sig):
    pids = bw.pids(r"^(/usr/bin/)?%s( |$)" % name, user="bob")
    check(pids, "no %s process to signal" % name)
    bw.run(["kill", "-" + sig] + [str(p) for p in pids])


@case
def ctrl_c(c):
    """Ctrl-C at the prompt, a partial password typed: the request ends, the terminal is sane, no typed byte reaches the shell."""
    interrupted(c, lambda c: c.sh.send("\x03"))


@case
def sigterm_agent(c):
    """SIGTERM to the agent at the prompt (a partial password typed): as Ctrl-C."""
    interrupted(c, lambda c: signal_process("pkttyagent", "TERM"))


@case
def sighup_agent(c):
    """SIGHUP to the agent at the prompt (a partial password typed): as Ctrl-C."""
    interrupted(c, lambda c: signal_process("pkttyagent", "HUP"))


@case
def sigterm_run0(c):
    """SIGTERM to run0 at the prompt (run0 then stops its agent): as Ctrl-C."""
    interrupted(c, lambda c: signal_process("run0", "TERM"))


@case
def sighup_run0(c):
    """SIGHUP to run0 at the prompt: as Ctrl-C."""
    interrupted(c, lambda c: signal_process("run0", "HUP"))


@case
def run0_killed(c):
    """run0 killed (SIGKILL) at the prompt: polkitd cancels the request, the agent ends with
    it; as Ctrl-C."""
    interrupted(c, lambda c: signal_process("run0", "KILL"))


@case
def ctrl_z_fg(c):
    """Ctrl-Z at the prompt stops the request with the terminal restored and what was typed
    kept for the prompt; `fg` brings the prompt back, and the rest of the password typed then
    authenticates. The elevated program reads the terminal: no byte of the password reaches
    it, nor the shell while the request is stopped."""
    c.token = ww.shell_start(
        c.sh, "run0 sh -c 'read -t 3 -r line; printf \"program %s:[%s]\\n\" read \"$line\"'")
    c.choose_identity()
    c.password_prompt()
    c.sh.send(PARTIAL)
    time.sleep(0.3)
    c.sh.send("\x1a")
    c.sh.expect("Stopped")
    c.sh.expect_exact(bw.PROMPT)
    c.terminal_sane()
    c.sh.sendline("fg")
    c.password_prompt()
    c.sh.sendline(ALICE[len(PARTIAL):])
    c.sh.expect(r"program read:\[(.*?)\]", timeout=30)
    got = c.sh.match.group(1)
    check(got == "", "the elevated program read %r" % got)
    c.sh.expect_exact(bw.PROMPT)
    c.terminal_sane()
    c.nothing_leaked()
    c.nothing_leaked(ALICE)
    c.nothing_left()


@case
def hangup(c):
    """The terminal goes away (pty hangup) at the prompt: the session's processes end, nothing
    of the request is left, the partial password is nowhere."""
    c.start("run0 id")
    c.sh.send(PARTIAL)
    time.sleep(0.3)
    shown = c.since_start()
    c.sh.close(force=True)
    check(PARTIAL not in shown, "the partial password was echoed")
    c.nothing_left()
    bw.wait_gone(r"^/bin/bash --norc", real_user="bob", timeout=15)
    check(PARTIAL not in bw.journal(), "the partial password is in the journal")


# ---------------------------------------------------------------------------------------------
# The helper as the real systemd runs it (ward only: pkttyagent uses polkit's setuid helper)
# ---------------------------------------------------------------------------------------------

@case
def helper_unit(c):
    """ward-helper@.service under systemd 257: exposure of an instance at most 2.0, every
    instance gone after its conversation, no secret in the journal."""
    if c.agent != "ward":
        c.not_applicable = "polkit's agent uses its setuid helper"
        return
    cursor = bw.journal_cursor()
    authenticated(c)
    journal = bw.journal(cursor)
    instances = re.findall(r"Started (ward-helper@\S+\.service)", journal)
    check(instances, "no ward-helper instance started")
    security = bw.output(["systemd-analyze", "security", "--no-pager", instances[0]],
                         check_status=False)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", security)
    check(match, "no exposure level: %r" % security[-500:])
    exposure = float(match.group(1))
    c.note("systemd-analyze security %s: %.1f" % (instances[0], exposure))
    check(exposure <= 2.0, "exposure %.1f > 2.0" % exposure)
    ww.wait_for(lambda: not bw.output(["systemctl", "list-units", "--no-legend", "--plain",
                                       "ward-helper@*"], check_status=False).strip(), 10,
                message="ward-helper instances still loaded")
    check(bw.output(["systemctl", "is-active", "ward-helper.socket"]).strip() == "active",
          "ward-helper.socket not active")
    c.nothing_leaked(ALICE)


def why(error):
    """One line for the results table: an assertion's text, or what the terminal never showed."""
    if isinstance(error, AssertionError):
        return str(error).splitlines()[0]
    waited = re.findall(r"^\s*\d+: (?:re\.compile\()?(['\"].*?['\"])\)?$", str(error), re.M)
    # The patterns as a person reads them: without regular expressions' escapes.
    what = " or ".join(re.sub(r"\\+([^\w\s])", r"\1", w.strip("'\"")) for w in waited)
    what = what or "more output"
    if isinstance(error, pexpect.EOF):
        return "the terminal closed while waiting for %s" % what
    return "waited in vain for %s" % what


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(CASES))
        return 0
    bw.require_booted()
    name, agent = sys.argv[1], sys.argv[2]
    check(name in CASES and agent in ("ward", "pkttyagent"), "usage: CASE ward|pkttyagent")
    bw.use_agent(agent)
    log("case %s, agent %s" % (name, agent))
    c = Case(agent)
    verdict = {"case": name, "agent": agent, "passed": True, "notes": c.notes}
    try:
        CASES[name](c)
    except (AssertionError, pexpect.TIMEOUT, pexpect.EOF) as e:
        verdict["passed"] = False
        verdict["why"] = why(e)
        traceback.print_exc()
        print("---- terminal ----\n" + c.sh.logfile_read.text[-3000:], flush=True)
    if c.not_applicable:
        verdict["not_applicable"] = c.not_applicable
    results = os.path.join(bw.ARTIFACTS, "results")
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "%s-%s.json" % (agent, name)), "w") as f:
        json.dump(verdict, f)
    print("---- terminal ----\n" + c.sh.logfile_read.text[-3000:], flush=True) \
        if verdict["passed"] else None
    if verdict["passed"]:
        log("ok")
        return 0
    if agent == "pkttyagent":
        log("finding (pkttyagent): %s" % verdict["why"])
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())

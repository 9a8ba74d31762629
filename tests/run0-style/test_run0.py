#!/usr/bin/python3
"""ward-tty as systemd's clients start it (suite 'tty'), in the polkit world.

Usage (inside ward-world): test_run0.py CASE. Starts ward-run0-backend (org.freedesktop.systemd1
stand-in) as root, bind-mounts the built ward-tty over /usr/bin/pkttyagent (in the world's
private mount namespace only) and drives bob's interactive bash in a pty.
"""

import os
import re
import subprocess

import wardworld as ww
from wardtest import Transcript, check, run_case

BUILD = os.environ.get("WARD_BUILD_ROOT", "")
AGENT = os.path.join(BUILD, "agent-tty", "ward-tty")
BACKEND = os.path.join(BUILD, "tests", "run0-style", "ward-run0-backend")
DEMO = os.path.join(BUILD, "tests", "run0-style", "ward-run0-demo")
ALICE = ww.USERS["alice"]["password"]


def backend_log():
    with open(os.path.join(ww.world_dir(), "run0-backend.log"), errors="replace") as f:
        return f.read()


def setup(in_session=True):
    ww.start_run0_backend(BACKEND)
    subprocess.run(["mount", "--bind", AGENT, "/usr/bin/pkttyagent"], check=True)
    sh = ww.shell_as("bob", in_session=in_session)
    sh.logfile_read = Transcript()
    return sh


def authenticate(sh, password=ALICE):
    sh.expect_exact("Authenticate as which user? [1]: ")
    sh.sendline("")
    sh.expect_exact("Password: ")
    mark = sh.logfile_read.mark()
    sh.sendline(password)
    return mark


def terminal_sane(sh):
    check(ww.shell_run(sh, "stty -a") == 0, "stty")
    modes = sh.before
    check(re.search(r"(?<![-\w])echo(?![\w])", modes) and re.search(r"(?<![-\w])icanon", modes),
          "echo and icanon on: %r" % modes)
    check(os.tcgetpgrp(sh.child_fd) == sh.pid, "the shell has the foreground")


def no_agent_left():
    out = subprocess.run(["pgrep", "-f", "pkttyagent|ward-tty"], stdout=subprocess.PIPE,
                         text=True).stdout.split()
    check(not out, "agents left running: %r" % out)


def demo(in_session):
    sh = setup(in_session)
    token = ww.shell_start(sh, "%s id" % DEMO)
    sh.expect_exact("=== Authentication required ===")
    sh.expect(r"Authentication is required to run 'id' as root \(run-u\d+\.service\)\.")
    sh.expect_exact("Action:       org.freedesktop.systemd1.manage-units")
    sh.expect(r"Requested by: \S*ward-run0-demo id")
    mark = authenticate(sh)
    sh.expect_exact("=== Authentication succeeded ===")
    sh.expect_exact("uid=0(root)")
    check(ww.shell_wait(sh, token) == 0, "exit status 0")
    check(ALICE not in sh.logfile_read.since(mark), "password echoed")
    terminal_sane(sh)
    no_agent_left()


def case_demo():
    demo(True)


def case_demo_no_session():
    """Outside a logind session polkitd never asks a --fallback agent; ward-tty registers
    without fallback there, so the prompt still comes."""
    demo(False)


def case_demo_wrong():
    sh = setup()
    token = ww.shell_start(sh, "%s id" % DEMO)
    sh.expect_exact("Authenticate as which user? [1]: ")
    sh.sendline("")
    for attempt in range(3):
        sh.expect_exact("Password: ", timeout=30)
        sh.sendline("wrong-%d" % attempt)
    sh.expect_exact("=== Authentication failed ===", timeout=30)
    check(ww.shell_wait(sh, token) == 1, "denied")
    check("Access denied" in sh.before, "the client reports the denial: %r" % sh.before)
    check("uid=0(root)" not in sh.logfile_read.text, "ran anyway")
    check("denied run-u" in backend_log(), "backend denied")
    terminal_sane(sh)
    no_agent_left()


def case_demo_ctrl_z():
    """The agent shares the client's process group, as systemd spawns it: Ctrl-Z at the
    prompt stops the job with the terminal restored; `fg` brings the prompt back, echo off."""
    sh = setup()
    ww.shell_start(sh, "%s id" % DEMO)
    sh.expect_exact("Authenticate as which user? [1]: ")
    sh.sendline("")
    sh.expect_exact("Password: ")
    sh.send("alice-")
    sh.send("\x1a")
    sh.expect("Stopped")
    sh.expect_exact("WARD$ ")
    check(ww.shell_run(sh, "stty -a") == 0, "stty")
    modes = sh.before
    check(re.search(r"(?<![-\w])echo(?![\w])", modes) and re.search(r"(?<![-\w])icanon", modes),
          "terminal restored while stopped: %r" % modes)
    sh.sendline("fg")
    sh.expect_exact("Password: ")
    mark = sh.logfile_read.mark()
    sh.send("secret\r")
    sh.expect_exact("=== Authentication succeeded ===")
    sh.expect_exact("uid=0(root)")
    # bash ran the rest of the command list (the status marker) when the job stopped.
    sh.expect(r"finished: exit status 0")
    sh.expect_exact("WARD$ ")
    check("secret" not in sh.logfile_read.since(mark), "password echoed after fg")
    terminal_sane(sh)


def case_demo_timeout():
    """Nobody answers: the client's call times out after 25 s and it stops the agent (SIGTERM,
    SIGCONT) mid-prompt; the half-typed password never reaches the shell."""
    sh = setup()
    token = ww.shell_start(sh, "%s id" % DEMO)
    sh.expect_exact("Authenticate as which user? [1]: ")
    sh.sendline("")
    sh.expect_exact("Password: ")
    mark = sh.logfile_read.mark()
    sh.send("alice-sec")
    status = ww.shell_wait(sh, token, timeout=60)
    check(status == 1, "timed out: %d" % status)
    check("failed to start" in sh.before, "client error: %r" % sh.before)
    sh.sendline("echo READ:[X]")
    sh.expect_exact("READ:[X]")
    sh.expect_exact("WARD$ ")
    check("alice-sec" not in sh.logfile_read.since(mark),
          "partial password reached the shell: %r" % sh.logfile_read.since(mark))
    terminal_sane(sh)
    no_agent_left()


def systemctl(command, unit):
    sh = setup()
    token = ww.shell_start(sh, command)
    sh.expect_exact("=== Authentication required ===")
    sh.expect_exact("Authentication is required to start '%s'." % unit)
    sh.expect(r"Requested by: %s" % re.escape(command))
    authenticate(sh)
    sh.expect_exact("=== Authentication succeeded ===")
    check(ww.shell_wait(sh, token) == 0, "%s: exit status 0" % command)
    check("started %s" % unit in backend_log(), "backend started the unit")
    terminal_sane(sh)
    no_agent_left()


def case_systemctl():
    systemctl("systemctl start ward-demo.service", "ward-demo.service")


def case_systemctl_no_block():
    systemctl("systemctl --no-block start ward-demo.service", "ward-demo.service")


def case_systemd_run():
    sh = setup()
    token = ww.shell_start(sh, "systemd-run id")
    sh.expect_exact("=== Authentication required ===")
    sh.expect(r"Authentication is required to run '/usr/bin/id' as root \((run-\S+\.service)\)")
    unit = sh.match.group(1)
    sh.expect_exact("Requested by: systemd-run id")
    authenticate(sh)
    sh.expect_exact("=== Authentication succeeded ===")
    sh.expect_exact("Running as unit: " + unit)
    check(ww.shell_wait(sh, token) == 0, "exit status 0")
    ww.wait_for(lambda: "exited %s code=1 status=0" % unit in backend_log(), 10,
                message="the transient unit did not run as root successfully")
    terminal_sane(sh)
    no_agent_left()


def case_run0():
    if not os.path.exists("/usr/bin/run0"):
        ww.skip("/usr/bin/run0 does not exist (systemd %s; run0 appeared in 256)"
                % subprocess.run(["systemctl", "--version"], stdout=subprocess.PIPE,
                                 text=True).stdout.split()[1])
    sh = setup()
    token = ww.shell_start(sh, "run0 id")
    authenticate(sh)
    sh.expect_exact("uid=0(root)")
    check(ww.shell_wait(sh, token) == 0, "run0 exit status")


CASES = {
    "demo": case_demo,
    "demo-no-session": case_demo_no_session,
    "demo-wrong": case_demo_wrong,
    "demo-ctrl-z": case_demo_ctrl_z,
    "demo-timeout": case_demo_timeout,
    "systemctl": case_systemctl,
    "systemctl-no-block": case_systemctl_no_block,
    "systemd-run": case_systemd_run,
    "run0": case_run0,
}


def main():
    run_case(CASES, needs=(AGENT, BACKEND, DEMO))


if __name__ == "__main__":
    main()

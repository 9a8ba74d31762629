"""Helpers for tests that run beside the booted Debian 13 world (tests/booted/ward-booted).

A booted test is started as ``ward-booted -- /usr/bin/python3 test_x.py CASE``: the test runs
on the host, as root, and reaches the container through ``nsenter`` into its init
(``$WARD_BOOTED_PID1``). Users inside, as in the private polkit world: ``alice`` and ``carol``
administrators, ``bob`` a plain user (``wardworld.USERS`` has their uids and passwords).
"""

import os
import re
import subprocess
import time

import pexpect

import wardworld as ww
from wardtest import Transcript, check

#: Where the booted tests write what a person should look at afterwards (kept after the run).
ARTIFACTS = os.environ.get("WARD_BOOTED_ARTIFACTS", "")

PROMPT = "WARD$ "


def require_booted():
    """Skip (exit 77) unless started by ward-booted."""
    if os.environ.get("WARD_BOOTED") != "1" or not os.environ.get("WARD_BOOTED_PID1"):
        ww.skip("not inside a booted world (run through tests/booted/ward-booted)")


def pid1():
    return int(os.environ["WARD_BOOTED_PID1"])


def fs_path(path):
    """PATH inside the container, as a host path (the container's root is visible to tests)."""
    return os.path.join(os.environ["WARD_BOOTED_FS"], path.lstrip("/"))


def inside(argv):
    """ARGV as a host command line that runs it inside the container (all namespaces)."""
    return ["nsenter", "-t", str(pid1()), "-a"] + list(argv)


def run(argv, check_status=True, timeout=60, **kwargs):
    """Run ARGV inside the container as root; returns the CompletedProcess (text output)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.STDOUT)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    result = subprocess.run(inside(argv), text=True, timeout=timeout, **kwargs)
    if check_status:
        check(result.returncode == 0, "%s: exit %d: %s" % (" ".join(argv), result.returncode,
                                                          result.stdout))
    return result


def output(argv, **kwargs):
    return run(argv, **kwargs).stdout


def login_shell(user="bob", env=None, dimensions=(24, 200)):
    """An interactive bash of USER in a real logind session on a terminal, the way a login
    gives one (``systemd-run --pty -p PAMName=login``): pam_systemd makes the session, logind
    tracks it, the user's manager runs. Prompt ``WARD$ `` (wardworld.shell_run works on it).
    Everything the terminal shows is kept in ``sh.logfile_read`` (a Transcript)."""
    environment = {"TERM": "xterm", "PS1": PROMPT, "HISTFILE": "/dev/null", "LANG": "C.UTF-8"}
    environment.update(env or {})
    argv = ["systemd-run", "--pty", "--quiet", "--uid=" + user, "-p", "PAMName=login",
            "-p", "WorkingDirectory=~"]
    for name, value in environment.items():
        argv += ["-E", "%s=%s" % (name, value)]
    argv += ["/bin/bash", "--norc", "--noprofile", "-i"]
    command = inside(argv)
    sh = pexpect.spawn(command[0], command[1:], encoding="utf-8", codec_errors="replace",
                       timeout=30, dimensions=dimensions, env={"TERM": "xterm", "PATH": ww.PATH})
    sh.logfile_read = Transcript()
    sh.expect_exact(PROMPT)
    return sh


def session_of(pid):
    """The logind session of container process PID (as the container sees it), or None."""
    text = output(["cat", "/proc/%d/cgroup" % pid], check_status=False)
    match = re.search(r"/session-([^/.]+)\.scope", text)
    return match.group(1) if match else None


def pids(pattern, user=None, real_user=None):
    """Container pids (as the container numbers them) whose command line matches PATTERN, of
    processes whose effective (USER) or real (REAL_USER) user is the given one."""
    argv = ["pgrep", "-f", pattern]
    if user:
        argv[1:1] = ["-u", user]
    if real_user:
        argv[1:1] = ["-U", real_user]
    return [int(p) for p in output(argv, check_status=False).split()]


def wait_gone(pattern, timeout=10.0, **users):
    """Wait until no container process matches PATTERN (see pids); fails with what is left."""
    deadline = time.monotonic() + timeout
    while True:
        left = pids(pattern, **users)
        if not left:
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    check(False, "processes matching %r still running: %s" % (
        pattern, output(["ps", "-o", "pid,user,args", "-p", ",".join(map(str, left))],
                        check_status=False)))


def journal(since_cursor=None, unit=None):
    """The container's journal as text (optionally after SINCE_CURSOR, for UNIT)."""
    argv = ["journalctl", "--no-pager", "-o", "short-monotonic"]
    if since_cursor:
        argv += ["--after-cursor", since_cursor]
    if unit:
        argv += ["-u", unit]
    return output(argv, check_status=False)


def journal_cursor():
    text = output(["journalctl", "-n", "0", "--show-cursor", "--no-pager"], check_status=False)
    match = re.search(r"-- cursor: (\S+)", text)
    return match.group(1) if match else None


def use_agent(agent):
    """Make AGENT ('ward' or 'pkttyagent') the system's /usr/bin/pkttyagent, the one run0 and
    systemctl start: ward-tty through tools/pair-run0 (as ward-booted installed it), polkit's
    own by undoing the pairing."""
    action = {"ward": "install", "pkttyagent": "remove"}[agent]
    run(["/usr/src/ward/tools/pair-run0", action])
    link = fs_path("/usr/bin/pkttyagent")
    target = os.readlink(link) if os.path.islink(link) else ""
    check(("ward-tty" in target) == (agent == "ward"),
          "/usr/bin/pkttyagent is %r after pair-run0 %s" % (target, action))

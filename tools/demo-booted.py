#!/usr/bin/python3
"""The part of `tools/demo --booted` that runs beside the booted Debian 13 world (as root, on
the host): bob logs in on this terminal (a real logind session) and runs the real run0 of
systemd 257, which starts ward-tty as /usr/bin/pkttyagent; polkitd 126 asks it, ward-helper
(socket-activated by that systemd) checks the password. Without a terminal on stdin the demo
answers the prompts itself and prints what the terminal showed."""

import os
import subprocess
import sys

import pexpect

import booted as bw
import wardworld as ww

command = sys.argv[1:] or ["id"]
print("demo: a Debian 13 system is up (systemd %s as PID 1, polkit %s, real run0), ward installed"
      " and paired with run0." % (
          bw.output(["systemctl", "--version"]).split()[1],
          bw.output(["dpkg-query", "-W", "-f", "${Version}", "polkitd"]).strip()))
print("demo: bob (a plain user) logs in and runs:  run0 " + " ".join(command))

if os.isatty(0):
    print("demo: administrators are alice (password: alice-secret) and carol (carol-secret);")
    print("demo: answer within 25 s (run0's D-Bus timeout). The system powers off afterwards.\n",
          flush=True)
    script = "run0 %s; echo \"demo: run0 exited with status $?\"" % " ".join(
        "'%s'" % a.replace("'", "'\\''") for a in command)
    sys.exit(subprocess.call(bw.inside([
        "systemd-run", "--pty", "--quiet", "--uid=bob", "-p", "PAMName=login",
        "-p", "WorkingDirectory=~", "-E", "TERM=" + os.environ.get("TERM", "xterm"),
        "/bin/bash", "-c", script])))

print("demo: no terminal on stdin, so the demo answers the prompts itself (alice, alice-secret).",
      flush=True)
sh = bw.login_shell("bob")
sh.logfile_read = sys.stdout
token = ww.shell_start(sh, "run0 " + " ".join(command))
sh.expect_exact("Authenticate as which user? [1]: ")
sh.sendline("")
sh.expect_exact("Password: ")
sh.sendline(ww.USERS["alice"]["password"])
status = ww.shell_wait(sh, token)
sh.close(force=True)
print("\ndemo: run0 exited with status %d" % status)
sys.exit(status)

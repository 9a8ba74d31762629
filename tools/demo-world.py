#!/usr/bin/python3
"""The part of tools/demo that runs inside the polkit world (as root): starts ward-helper behind
socket activation and the run0-style backend, then runs `ward-run0-demo id` as bob on this
terminal (or, without a terminal, in a pseudo-terminal answered automatically)."""

import os
import subprocess
import sys

import pexpect

import wardworld as ww

build = sys.argv[1]
command = sys.argv[2:] or ["id"]
agent = os.path.join(build, "agent-tty", "ward-tty")
helper = os.path.join(build, "helper", "ward-helper")
backend = os.path.join(build, "tests", "run0-style", "ward-run0-backend")
demo = os.path.join(build, "tests", "run0-style", "ward-run0-demo")
world = ww.world_dir()

# ward-helper.socket, as systemd would run it (Accept=yes, SocketMode=0666).
ww.HelperActivator(helper)

# The org.freedesktop.systemd1 stand-in that checks manage-units with polkitd.
ww.start_run0_backend(backend)

# bob finds the client on PATH and the client finds ward-tty through WARD_RUN0_AGENT (where run0
# would exec /usr/bin/pkttyagent), so the prompt shows the command line a user would type.
argv = ["ward-run0-demo"] + command
bob_env = {"PATH": os.path.dirname(demo) + ":/usr/local/bin:/usr/bin:/bin",
           "WARD_RUN0_AGENT": agent}
print("demo: a private polkit world is up (polkitd, ward-helper.socket, a systemd-like backend).")
print("demo: as bob (a plain user):  ward-run0-demo " + " ".join(command))

if os.isatty(0):
    print("demo: administrators are alice (password: alice-secret) and carol (carol-secret);")
    print("demo: answer within 25 s, the client's D-Bus timeout (as with run0).\n", flush=True)
    env = ww.user_env("bob", dict(bob_env, TERM=os.environ.get("TERM", "xterm")))
    rc = subprocess.call(ww.user_argv("bob", argv), env=env, cwd=ww.user_env("bob")["HOME"])
    sys.exit(rc)

print("demo: no terminal on stdin, so the demo answers the prompts itself (alice, alice-secret).",
      flush=True)
child = ww.run_as("bob", argv, env=bob_env, timeout=60, encoding="utf-8", codec_errors="replace")
child.logfile_read = sys.stdout
child.expect_exact("Authenticate as which user? [1]: ")
child.sendline("")
child.expect_exact("Password: ")
child.sendline(ww.USERS["alice"]["password"])
child.expect(pexpect.EOF)
child.close()
print("\ndemo: ward-run0-demo exited with status %s" % child.exitstatus)
sys.exit(child.exitstatus or 0)

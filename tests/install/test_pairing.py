#!/usr/bin/python3
"""Pairing with run0 as a packager does it (suite 'install'), in the polkit world.

Usage (inside ward-world): test_pairing.py MESON.

The build is installed into a DESTDIR laid over its prefix (wardinstall.py); /usr/bin and
/var/lib/dpkg get writable overlays inside the world. tools/pair-run0 then diverts polkit's
/usr/bin/pkttyagent with dpkg-divert --rename and links the INSTALLED ward-tty in its place
(twice: idempotent). Through that link, as bob in an interactive shell:
  - the real `systemctl start` (systemd 252 spawns /usr/bin/pkttyagent for itself) against
    tests/run0-style/ward-run0-backend, the org.freedesktop.systemd1 stand-in;
  - the run0-like demo client (tests/run0-style/ward-run0-demo), which runs a command as root
    through the same backend.
The agent that answers is checked to be the installed binary. Last, `pair-run0 remove` (twice)
gives back polkit's pkttyagent byte for byte and no diversion is left.
"""

import hashlib
import os
import subprocess
import sys

import wardworld as ww
from wardtest import Transcript, check, log
from wardinstall import Installed, writable

BUILD = os.environ.get("WARD_BUILD_ROOT", "")
SOURCE = os.environ.get("WARD_SOURCE_ROOT", "")
PAIR = os.path.join(SOURCE, "tools", "pair-run0")
BACKEND = os.path.join(BUILD, "tests", "run0-style", "ward-run0-backend")
DEMO = os.path.join(BUILD, "tests", "run0-style", "ward-run0-demo")
PKTTYAGENT = "/usr/bin/pkttyagent"
ALICE = ww.USERS["alice"]["password"]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def pair(*args):
    out = subprocess.run([PAIR] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    log("pair-run0 %s -> %d: %s" % (" ".join(args), out.returncode, out.stdout.strip()))
    return out


def diversions():
    return subprocess.run(["dpkg-divert", "--list", PKTTYAGENT], stdout=subprocess.PIPE,
                          text=True).stdout.strip()


def agent_exes():
    """The executables of the running agents spawned as pkttyagent."""
    exes = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                comm = f.read().strip()
            if comm == "pkttyagent":
                exes.append(os.readlink("/proc/%s/exe" % pid))
        except OSError:
            continue
    return exes


def authenticate(sh, inst):
    sh.expect_exact("Authenticate as which user? [1]: ")
    exes = agent_exes()
    log("agents running as pkttyagent: %r" % exes)
    installed = os.path.join(inst.bindir, "ward-tty")
    check(exes == [installed], "the agent is not the installed ward-tty: %r" % exes)
    check(sha256(installed) == sha256(inst.staged(installed)),
          "the agent's binary is not the DESTDIR's")
    sh.sendline("")
    sh.expect_exact("Password: ")
    sh.sendline(ALICE)
    sh.expect_exact("=== Authentication succeeded ===", timeout=30)


def main():
    ww.require_world()
    if len(sys.argv) != 2:
        print("usage: test_pairing.py MESON", file=sys.stderr)
        return 2
    for tool in ("dpkg-divert", "systemctl"):
        if subprocess.run(["sh", "-c", "command -v " + tool], stdout=subprocess.DEVNULL).returncode:
            ww.skip("%s is not installed" % tool)
    for path in (BACKEND, DEMO):
        if not os.access(path, os.X_OK):
            ww.skip("%s is not built" % path)
    if not os.path.isfile(PKTTYAGENT):
        ww.skip("polkit's %s is not installed" % PKTTYAGENT)

    inst = Installed(sys.argv[1])
    ward_tty = os.path.join(inst.bindir, "ward-tty")
    check(os.access(ward_tty, os.X_OK), "%s is not installed" % ward_tty)
    if inst.options.get("pkttyagent_link") and inst.bindir == "/usr/bin":
        # -Dpkttyagent_link=true with prefix /usr: installing already paired (the packager's
        # way without dpkg-divert); the tool is tested on its own in install-pair-run0-root.
        check(os.readlink(PKTTYAGENT) == "ward-tty", "the installed link is not to ward-tty")
        log("paired by the installed pkttyagent link")
        run_clients(inst)
        log("ok")
        return 0

    original = sha256(PKTTYAGENT)
    writable("/usr/bin")
    writable("/var/lib/dpkg")

    # Pair, twice.
    check(pair("status").returncode == 0, "status")
    for attempt in (1, 2):
        out = pair("--ward-tty", ward_tty, "install")
        check(out.returncode == 0, "pair-run0 install #%d failed" % attempt)
        check(os.path.islink(PKTTYAGENT) and os.readlink(PKTTYAGENT) == ward_tty,
              "%s is not a link to %s" % (PKTTYAGENT, ward_tty))
        check(sha256(PKTTYAGENT + ".polkit") == original, "polkit's agent was not kept")
        check("local diversion of %s to %s.polkit" % (PKTTYAGENT, PKTTYAGENT) in diversions(),
              "no diversion recorded: %r" % diversions())
    check(pair("--ward-tty", "/nonexistent/ward-tty", "install").returncode == 1,
          "install with a missing ward-tty must fail")
    check(os.readlink(PKTTYAGENT) == ward_tty, "a failed install changed the link")
    check(subprocess.run(["setpriv", "--reuid=4102", "--regid=4102", "--clear-groups", PAIR,
                          "--ward-tty", ward_tty, "install"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL).returncode == 1,
          "pair-run0 must refuse to run as a plain user")

    run_clients(inst)

    # Unpair, twice: polkit's agent comes back unchanged.
    for attempt in (1, 2):
        out = pair("remove")
        check(out.returncode == 0, "pair-run0 remove #%d failed" % attempt)
        check(not os.path.islink(PKTTYAGENT) and sha256(PKTTYAGENT) == original,
              "polkit's pkttyagent is not back")
        check(not os.path.exists(PKTTYAGENT + ".polkit"), "the diverted copy is left")
        check("diversion" not in diversions(), "a diversion is left: %r" % diversions())
    log("ok")
    return 0


def run_clients(inst):
    """systemctl and the demo client, as bob, answered by the installed ward-tty."""
    # The run0-style backend (org.freedesktop.systemd1) and bob's shell in his session.
    logfile = ww.start_run0_backend(BACKEND)
    sh = ww.shell_as("bob", in_session=True)
    sh.logfile_read = Transcript()

    token = ww.shell_start(sh, "systemctl start ward-demo.service")
    sh.expect_exact("=== Authentication required ===")
    sh.expect_exact("Authentication is required to start 'ward-demo.service'.")
    authenticate(sh, inst)
    check(ww.shell_wait(sh, token) == 0, "systemctl start failed: %r" % sh.before)
    with open(logfile, errors="replace") as f:
        check("started ward-demo.service" in f.read(), "the backend did not start the unit")
    log("systemctl start: ok")

    token = ww.shell_start(sh, "%s id" % DEMO)
    sh.expect_exact("=== Authentication required ===")
    sh.expect_exact("Action:       org.freedesktop.systemd1.manage-units")
    authenticate(sh, inst)
    sh.expect_exact("uid=0(root)")
    check(ww.shell_wait(sh, token) == 0, "the demo client failed: %r" % sh.before)
    check(ALICE not in sh.logfile_read.text, "the password was echoed")
    log("run0-style demo: ok")
    sh.sendline("exit")


if __name__ == "__main__":
    sys.exit(main())

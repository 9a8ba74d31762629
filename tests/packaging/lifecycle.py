"""The packages' life cycle on a booted Debian 13 system (run0, systemd 257, polkit 126).

Runs on the host, inside a booted-world launcher that sets WARD_BOOTED_PID1 or WARD_ROOT_PID1
(the container's init, for nsenter) and WARD_BOOTED_FS or WARD_ROOT_FS (its root file system,
writable from here). Usage:

    lifecycle.py DEBS-V1 DEBS-V2

DEBS-V1 holds ward's .debs, DEBS-V2 the same tree rebuilt with a higher version. The world must
have an administrator ADMIN (default alice, password WARD_LIFECYCLE_PASSWORD or alice-secret) in
group sudo, a plain user bob, ward's run-time dependencies installed (the packages are installed
from files, without a network) and polkitd's own .deb in /root/debs (to reinstall it; without
it, a network to download it).

Steps, each checked (TAP):
  1. record every path (type, mode, owner, size, link target, SHA-256), the diversions, users,
     groups, unit files and packages;
  2. apt install the five packages: ward-helper.socket enabled and active, /usr/bin/pkttyagent
     diverted to ward-tty, `run0 id` as bob answered by ward-tty through ward-helper, the desktop
     agent's user unit installed and not enabled;
  3. install the rebuilt higher version over it: the diversion and the socket intact, run0 still
     answered by ward-tty;
  4. remove ward-pair-run0: /usr/bin/pkttyagent is polkit's again and answers run0; installing
     it while another package, or a local diversion (tools/pair-run0), diverts pkttyagent fails
     with a clear message and changes nothing;
  5. reinstall ward-pair-run0: ward-tty answers again;
  6. reinstall polkitd while the pairing is installed: the diversion holds, polkit's new file
     goes to pkttyagent.polkit, ward-tty still answers;
  7. purge every ward package: the record equals the first one except for the package manager's
     and the journal's own bookkeeping, no diversion, unit, link or user is left, and polkit's
     pkttyagent answers run0.
"""

import os
import re
import shutil
import subprocess
import sys
import time

import pexpect

PID1 = os.environ.get("WARD_BOOTED_PID1") or os.environ["WARD_ROOT_PID1"]
FS = os.environ.get("WARD_BOOTED_FS") or os.environ["WARD_ROOT_FS"]
ADMIN = os.environ.get("WARD_LIFECYCLE_ADMIN", "alice")
PASSWORD = os.environ.get("WARD_LIFECYCLE_PASSWORD", "alice-secret")
PACKAGES = ["ward-helper", "ward-tty", "ward-gtk", "ward-pair-run0", "ward-l10n"]
ENV = ["env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive", "TERM=dumb"]

# Paths whose contents the package manager, the journal and systemd keep changing by
# themselves: a difference there is bookkeeping, not a leftover. Anything named ward is checked
# separately, everywhere.
VOLATILE = [
    r"/var/lib/dpkg/(status|status-old|diversions|diversions-old|available|lock.*|triggers/.*)",
    r"/var/lib/apt/.*", r"/var/cache/apt/.*", r"/var/cache/debconf/.*", r"/var/log/.*",
    r"/var/cache/ldconfig/aux-cache", r"/etc/ld\.so\.cache",
    r"/var/lib/systemd/(random-seed|timers/.*|catalog/.*|coredump.*|linger.*)",
    r"/root/debs/.*", r"/root/ward-debs(/.*)?",
    # Reinstalling polkitd (step 6) runs sgml-base's catalogue trigger, which keeps a backup.
    r"/var/lib/sgml-base/supercatalog\.old",
]
VOLATILE_RE = re.compile("^(" + "|".join(VOLATILE) + ")$")

n = 0
failed = False


def ok(cond, name, detail=None):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name), flush=True)
    if not cond:
        failed = True
    if detail and not cond:
        note(detail)
    return cond


def note(text):
    for line in str(text).rstrip("\n").split("\n"):
        print("# " + line, flush=True)


def run(command, check=False, timeout=300):
    """Runs a shell command as root inside the container; returns (status, output)."""
    p = subprocess.run(["nsenter", "-t", PID1, "-a"] + ENV + ["/bin/sh", "-c", command],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        note("$ " + command)
        note(p.stdout)
    return p.returncode, p.stdout


def out(command):
    return run(command)[1].strip()


RECORD = r"""
find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
  -o -path /var/tmp \) -prune -o -printf '%p\t%y %m %U:%G %l\n' | LC_ALL=C sort
find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
  -o -path /var/tmp \) -prune -o -type f -print0 | xargs -0 sha256sum | sed 's/^\([^ ]*\)  \(.*\)$/\2\tsha256 \1/' | LC_ALL=C sort
dpkg-divert --list | LC_ALL=C sort | sed 's/^/@diversion\t/'
getent passwd | LC_ALL=C sort | sed 's/^/@passwd\t/'
getent group | LC_ALL=C sort | sed 's/^/@group\t/'
systemctl list-unit-files --no-legend --no-pager | LC_ALL=C sort | sed 's/^/@unit\t/'
systemctl --global list-unit-files --no-legend --no-pager | LC_ALL=C sort | sed 's/^/@user-unit\t/'
dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' | LC_ALL=C sort | sed 's/^/@package\t/'
"""


def record():
    status, text = run(RECORD, timeout=600)
    entries = set(l for l in text.split("\n") if "\t" in l)
    return entries


def run0(expect_agent, label):
    """bob runs `run0 id` in a logind session with a terminal; ADMIN's password answers the
    prompt. Returns the agent that answered ('ward-tty' or 'pkttyagent'), checked against
    expect_agent."""
    before = helper_instances()
    child = pexpect.spawn("nsenter", ["-t", PID1, "-a"] + ENV[:3] + [
        "systemd-run", "--pty", "--quiet", "--wait", "--uid=bob", "-p", "PAMName=login",
        "-E", "TERM=xterm", "-E", "LANG=C.UTF-8", "/bin/bash", "-lc",
        'run0 id; echo "RUN0-EXIT=$?"'], encoding="utf-8", timeout=60,
        dimensions=(40, 200))
    transcript = []
    agent = None
    try:
        # With several administrators both agents ask which one first (pkttyagent:
        # "Choose identity to authenticate as (1-2): ", ward-tty: "Authenticate as which
        # user? [1]: "): answer ADMIN's number in the list they print.
        while child.expect([r"Password: ", r"\(1-\d+\): ", r"which user\? \[\d+\]: "]) != 0:
            shown = child.before + child.after
            transcript.append(shown)
            number = re.search(r"(\d+)\.\s+[^\n]*\(%s\)" % re.escape(ADMIN), shown)
            child.sendline(number.group(1) if number else "1")
        transcript.append(child.before + child.after)
        child.sendline(PASSWORD)
        i = child.expect([r"=== Authentication succeeded ===",
                          r"==== AUTHENTICATION COMPLETE ====",
                          r"AUTHENTICATION FAILED|Authentication failed|RUN0-EXIT=\d+"])
        transcript.append(child.before + child.after)
        agent = {0: "ward-tty", 1: "pkttyagent"}.get(i)
        child.expect(r"RUN0-EXIT=(\d+)")
        transcript.append(child.before + child.after)
        exit_status = int(child.match.group(1))
        child.expect(pexpect.EOF)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        transcript.append(str(child.before))
        exit_status = None
        note("run0 did not finish: %s" % type(e).__name__)
    child.close()
    text = "".join(transcript)
    shown = "\n".join(l for l in text.replace("\r", "").split("\n") if l.strip())
    banner_pk = "AUTHENTICATING FOR" in text
    ok(exit_status == 0 and "uid=0(root)" in text,
       "%s: `run0 id` as bob, %s's password: uid=0(root)" % (label, ADMIN), shown)
    ok(agent == expect_agent and (banner_pk == (expect_agent == "pkttyagent")),
       "%s: %s answered run0" % (label, expect_agent), "answered by %s\n%s" % (agent, shown))
    if expect_agent == "ward-tty":
        ok(helper_instances() > before,
           "%s: through ward-helper (a new ward-helper@ instance in the journal)" % label)
    return agent


def helper_instances():
    return len(re.findall(r"Started ward-helper@",
                          out("journalctl -q --no-pager -o cat -u 'ward-helper@*' 2>/dev/null")))


def apt_install(files, label):
    status, text = run("apt-get install -y --allow-downgrades %s" % " ".join(files), timeout=600)
    ok(status == 0, "%s: apt-get install succeeds" % label, text[-3000:])
    return text


def check_paired(label):
    ok(out("dpkg-divert --listpackage /usr/bin/pkttyagent") == "ward-pair-run0"
       and out("dpkg-divert --truename /usr/bin/pkttyagent") == "/usr/bin/pkttyagent.polkit",
       "%s: /usr/bin/pkttyagent diverted by ward-pair-run0 to pkttyagent.polkit" % label,
       out("dpkg-divert --list; ls -l /usr/bin/pkttyagent*"))
    ok(out("readlink -f /usr/bin/pkttyagent") == "/usr/bin/ward-tty"
       and out("/usr/bin/pkttyagent --version").startswith("ward-tty "),
       "%s: /usr/bin/pkttyagent is ward-tty" % label, out("ls -l /usr/bin/pkttyagent*"))
    ok(out("/usr/bin/pkttyagent.polkit --version").startswith("pkttyagent version"),
       "%s: polkit's agent runs as /usr/bin/pkttyagent.polkit" % label)


def check_unpaired(label):
    ok(out("dpkg-divert --listpackage /usr/bin/pkttyagent") == ""
       and out("dpkg-divert --listpackage /usr/share/man/man1/pkttyagent.1.gz") == "",
       "%s: no diversion of pkttyagent or its manual page" % label, out("dpkg-divert --list"))
    ok(out("test -f /usr/bin/pkttyagent && test ! -L /usr/bin/pkttyagent && echo file") == "file"
       and out("dpkg -S /usr/bin/pkttyagent") == "polkitd: /usr/bin/pkttyagent"
       and out("/usr/bin/pkttyagent --version").startswith("pkttyagent version")
       and out("ls /usr/bin/pkttyagent.polkit /usr/share/man/man1/pkttyagent.polkit.1.gz 2>/dev/null") == "",
       "%s: /usr/bin/pkttyagent is polkit's own file" % label,
       out("ls -l /usr/bin/pkttyagent*; dpkg -S /usr/bin/pkttyagent"))


PAIRING_STATE = ("dpkg-divert --list | LC_ALL=C sort; ls -l /usr/bin/pkttyagent* "
                 "/usr/share/man/man1/pkttyagent*; sha256sum /usr/bin/pkttyagent*; "
                 # The package's state, not apt's wish (a refused install leaves want=install).
                 "dpkg-query -W -f '${db:Status-Status}' ward-pair-run0 2>&1")


def refuse(what, by, divert, undivert, message):
    """With DIVERT done, installing ward-pair-run0 fails with MESSAGE and changes nothing."""
    label = "pairing over %s" % what
    status, text = run(divert)
    ok(status == 0, "%s: set up" % label, text)
    state = out(PAIRING_STATE)
    status, text = run("apt-get install -y " + " ".join(
        "/root/ward-debs/v2/%s_*.deb" % p for p in ["ward-pair-run0"]))
    ok(status != 0 and message in text and "Nothing was changed" in text,
       "%s: refused with \"%s\"" % (label, message), text[-3000:])
    after = out(PAIRING_STATE)
    ok(after == state and out("dpkg-divert --listpackage /usr/bin/pkttyagent") == by,
       "%s: nothing changed (diversions, files, ward-pair-run0 not installed)" % label,
       "before:\n%s\nafter:\n%s" % (state, after))
    status, text = run(undivert)
    ok(status == 0, "%s: undone" % label, text)
    check_unpaired(label + " undone")


def check_socket(label):
    ok(out("systemctl is-enabled ward-helper.socket") == "enabled"
       and out("systemctl is-active ward-helper.socket") == "active"
       and out("test -S /run/ward/helper.socket && echo socket") == "socket",
       "%s: ward-helper.socket enabled, active, listening" % label,
       out("systemctl status --no-pager ward-helper.socket"))


def diff_records(before, after):
    removed = before - after
    added = after - before
    def key(e):
        return e.split("\t", 1)[0]
    leftovers = sorted(e for e in added | removed
                       if not (key(e).startswith("/") and VOLATILE_RE.match(key(e))))
    return (["- " + e for e in sorted(removed) if e in leftovers] +
            ["+ " + e for e in sorted(added) if e in leftovers])


def main():
    v1, v2 = sys.argv[1], sys.argv[2]
    note("world: " + out(". /etc/os-release; echo $PRETTY_NAME") + "; " +
         out("systemctl --version | head -n 1") + "; " + out("dpkg-query -W polkitd"))
    # The packages go into the container's file system (no network there).
    for tag, src in (("v1", v1), ("v2", v2)):
        dst = os.path.join(FS, "root/ward-debs", tag)
        os.makedirs(dst, exist_ok=True)
        for f in os.listdir(src):
            if f.endswith(".deb") and "-dbgsym_" not in f:
                shutil.copy(os.path.join(src, f), dst)

    def debs(tag, packages=PACKAGES):
        return ["/root/ward-debs/%s/%s_*.deb" % (tag, p) for p in packages]

    version2 = out("dpkg-deb -f /root/ward-debs/v2/ward-tty_*.deb Version")
    if out("ls /root/debs/polkitd_*.deb 2>/dev/null") == "":
        # polkitd's own .deb, to reinstall it under the pairing (a world with a network).
        run("mkdir -p /root/debs && cd /root/debs && apt-get update -qq && apt-get download polkitd",
            check=True)
    missing = out("ls /root/debs/polkitd_*.deb >/dev/null 2>&1 || echo 'no /root/debs/polkitd_*.deb'; "
                  "getent passwd bob >/dev/null || echo 'no user bob'; "
                  "id -nG %s | grep -qw sudo || echo '%s is not in group sudo'" % (ADMIN, ADMIN))
    if not ok(missing == "", "the world has what the life cycle needs", missing):
        return

    # 1. The system before ward.
    t = time.time()
    before = record()
    note("recorded %d entries in %.1f s" % (len(before), time.time() - t))
    check_unpaired("before")
    run0("pkttyagent", "before")

    # 2. Install.
    apt_install(debs("v1"), "install")
    ok(all(out("dpkg-query -W -f '${db:Status-Abbrev}' " + p).startswith("ii") for p in PACKAGES),
       "install: the five packages are installed", out("dpkg -l 'ward*'"))
    check_socket("install")
    check_paired("install")
    ok(out("test -f /usr/lib/systemd/user/ward-gtk.service && echo unit") == "unit"
       and out("systemctl --global is-enabled ward-gtk.service") == "disabled"
       and out("test -f /etc/xdg/autostart/ward-gtk.desktop && echo file") == "file",
       "install: ward-gtk's user unit is installed (not enabled) and its autostart file too",
       out("systemctl --global is-enabled ward-gtk.service; ls -l /usr/lib/systemd/user/ward*"))
    verify = out("systemd-analyze verify --man=no /usr/lib/systemd/system/ward-helper.socket "
                 "/usr/lib/systemd/system/ward-helper@.service 2>&1")
    ok(verify == "", "install: systemd-analyze verify finds nothing to say about the units",
       verify)
    run0("ward-tty", "install")

    # 3. Upgrade to the rebuilt higher version.
    apt_install(debs("v2"), "upgrade")
    ok(all(out("dpkg-query -W -f '${Version}' " + p) == version2 for p in PACKAGES),
       "upgrade: every package is at %s" % version2, out("dpkg -l 'ward*'"))
    check_socket("upgrade")
    check_paired("upgrade")
    run0("ward-tty", "upgrade")

    # 4. Remove the pairing.
    status, text = run("apt-get remove -y ward-pair-run0")
    ok(status == 0, "remove ward-pair-run0: apt-get remove succeeds", text[-3000:])
    check_unpaired("remove ward-pair-run0")
    check_socket("remove ward-pair-run0")
    run0("pkttyagent", "remove ward-pair-run0")

    # 4b. Installing the pairing while something else diverts pkttyagent: refused, no change.
    refuse("another package's diversion", "other-agent",
           "dpkg-divert --package other-agent --rename --divert /usr/bin/pkttyagent.other "
           "--add /usr/bin/pkttyagent",
           "dpkg-divert --package other-agent --rename --divert /usr/bin/pkttyagent.other "
           "--remove /usr/bin/pkttyagent",
           "/usr/bin/pkttyagent is already diverted by the package other-agent")
    # What `tools/pair-run0 install` does: a local diversion and a link to ward-tty.
    refuse("a local diversion (tools/pair-run0)", "LOCAL",
           "dpkg-divert --local --rename --divert /usr/bin/pkttyagent.polkit "
           "--add /usr/bin/pkttyagent && ln -s /usr/bin/ward-tty /usr/bin/pkttyagent",
           "rm /usr/bin/pkttyagent && dpkg-divert --local --rename "
           "--divert /usr/bin/pkttyagent.polkit --remove /usr/bin/pkttyagent",
           "/usr/bin/pkttyagent is diverted locally")

    # 5. Reinstall it.
    apt_install(debs("v2", ["ward-pair-run0"]), "reinstall ward-pair-run0")
    check_paired("reinstall ward-pair-run0")
    run0("ward-tty", "reinstall ward-pair-run0")

    # 6. polkitd reinstalled under the pairing.
    status, text = run("dpkg -i /root/debs/polkitd_*.deb")
    ok(status == 0, "reinstall polkitd: dpkg -i succeeds", text[-3000:])
    check_paired("reinstall polkitd")
    ok(out("dpkg-divert --listpackage /usr/share/man/man1/pkttyagent.1.gz") == "ward-pair-run0"
       and out("readlink /usr/share/man/man1/pkttyagent.1.gz") == "ward-tty.1.gz",
       "reinstall polkitd: pkttyagent(1) is still ward-tty's page")
    run0("ward-tty", "reinstall polkitd")

    # 7. Purge everything.
    status, text = run("apt-get purge -y " + " ".join(PACKAGES))
    ok(status == 0, "purge: apt-get purge succeeds", text[-3000:])
    after = record()
    diff = diff_records(before, after)
    ok(not diff, "purge: every path, diversion, user, group, unit file and package is as before",
       "\n".join(diff[:200]))
    # Names that start with ward (not "forward" or "backward") that were not there before (the
    # booted world may have the source at /usr/src/ward), outside the bookkeeping.
    named = sorted(e for e in after - before
                   if (e.startswith("@") and re.search(r"\bward", e))
                   or (e.startswith("/") and re.search(r"\bward", e.split("\t", 1)[0])
                       and not VOLATILE_RE.match(e.split("\t", 1)[0])))
    ok(not named, "purge: nothing named ward is left (paths, diversions, units, users, packages)",
       "\n".join(named[:100]))
    ok(out("systemctl is-active ward-helper.socket") in ("inactive", "unknown")
       and out("test -e /run/ward/helper.socket && echo left") == "",
       "purge: ward-helper.socket is stopped and its socket gone",
       out("systemctl status --no-pager ward-helper.socket"))
    check_unpaired("purge")
    run0("pkttyagent", "purge")


try:
    main()
finally:
    print("1..%d" % n)
sys.exit(1 if failed else 0)

#!/usr/bin/python3
"""World test: ward-world's options. Run as
  ward-world --xvfb --bus-policy data/org.ward.test.bus.conf
             --action data/org.ward.test.extra.policy --rules data/org.ward.test.rules
             -- test_options.py
Checks the display (bob can use it, a client without the cookie cannot), the extra bus policy
(bob may own org.ward.test.BobName, not other names), the extra action and rules, and the test
users."""

import os
import pwd
import grp

import wardworld as ww

OWN = """
import sys
from gi.repository import Gio, GLib
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
try:
    r = bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                      "RequestName", GLib.Variant("(su)", (sys.argv[1], 4)), None,
                      Gio.DBusCallFlags.NONE, -1, None)
    print("reply", r.unpack()[0])
except GLib.Error as e:
    print("error", e.message)
    sys.exit(1)
"""


def main():
    ww.require_world()

    # Users, groups and passwords as USERS says.
    for name, info in ww.USERS.items():
        pw = pwd.getpwnam(name)
        assert (pw.pw_uid, pw.pw_gid) == (info["uid"], info["gid"]), pw
        assert pw.pw_dir == os.path.join(ww.world_dir(), "home", name)
        assert os.stat(pw.pw_dir).st_uid == info["uid"]
        assert (name in grp.getgrnam("sudo").gr_mem) == info["admin"], name
    res = ww.run_as_sync("bob", ["id", "-un"])
    assert res.stdout.strip() == "bob", res

    # Display.
    assert os.environ.get("DISPLAY", "").startswith(":"), os.environ.get("DISPLAY")
    res = ww.run_as_sync("bob", ["xdpyinfo"])
    assert res.returncode == 0 and "1280x800 pixels" in res.stdout, res
    res = ww.run_as_sync("bob", ["xdpyinfo"], env={"XAUTHORITY": "/nonexistent"})
    assert res.returncode != 0, "X server accepts clients without the cookie"

    # Extra bus policy.
    res = ww.run_as_sync("bob", ["/usr/bin/python3", "-c", OWN, "org.ward.test.BobName"])
    assert res.returncode == 0 and "reply 1" in res.stdout, res
    res = ww.run_as_sync("bob", ["/usr/bin/python3", "-c", OWN, "org.ward.test.Other"])
    assert res.returncode == 1 and "not allowed to own" in res.stdout, res

    # Extra and built-in test actions.
    res = ww.run_as_sync("bob", ["pkaction", "--action-id", "org.ward.test.extra"])
    assert res.returncode == 0, res
    res = ww.run_as_sync("bob", ["pkaction"])
    for action in ("org.ward.test.auth-admin", "org.ward.test.auth-admin-keep",
                   "org.ward.test.auth-self", "org.ward.test.detail",
                   "org.ward.test.active-yes", "org.ward.test.extra"):
        assert action in res.stdout.split(), action
    res = ww.run_as_sync("bob", ["sh", "-c", "exec pkcheck --action-id org.ward.test.extra "
                                 "--process $$"], in_session=True)
    assert res.returncode == 0, res
    # --rules: bob gets auth-self without authentication, alice still needs it; the host's
    # local polkit configuration is hidden.
    check = "exec pkcheck --action-id org.ward.test.auth-self --process $$"
    assert ww.run_as_sync("bob", ["sh", "-c", check]).returncode == 0
    assert ww.run_as_sync("alice", ["sh", "-c", check]).returncode == 2
    assert os.listdir("/etc/polkit-1/rules.d") == ["org.ward.test.rules"], \
        os.listdir("/etc/polkit-1/rules.d")

    # syslog: where /dev/log leads into the world's /run (Debian 13: journald's socket), the
    # world's sink takes the messages; elsewhere (no /dev/log, or a host's syslog) it is left be.
    dev_log = os.path.realpath("/dev/log")
    if dev_log.startswith("/run/"):
        res = ww.run_as_sync("bob", ["logger", "-t", "ward-options", "syslog-in-the-world"])
        assert res.returncode == 0, res
        ww.wait_for(lambda: "ward-options: syslog-in-the-world" in open(
            os.path.join(ww.world_dir(), "syslog.log"), errors="replace").read(), 5,
            message="logger's message is not in syslog.log")
    else:
        print("note: /dev/log is %s here: no syslog sink" % (
            dev_log if os.path.exists("/dev/log") else "absent"))
    print("ok: options")


if __name__ == "__main__":
    main()

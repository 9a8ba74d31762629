#!/usr/bin/python3
"""CheckAuthorization over D-Bus with details too long for a command line (pkcheck's --detail
is limited to 128 KiB by the kernel's MAX_ARG_STRLEN).

Usage: check_authz.py PID ACTION KEY VALUE-FILE
Exit: 0 authorized, 1 not authorized, 3 dismissed/challenge, 4 D-Bus error (printed).
"""

import os
import sys

from gi.repository import Gio, GLib


def main():
    pid, action, key, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    with open(path, "rb") as f:
        value = f.read().decode("utf-8")
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    start_time = int(stat[stat.rindex(")") + 2:].split()[19])
    uid = os.stat("/proc/%d" % pid).st_uid
    subject = ("unix-process", {"pid": GLib.Variant("u", pid),
                                "start-time": GLib.Variant("t", start_time),
                                "uid": GLib.Variant("i", uid)})
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    try:
        result = bus.call_sync(
            "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
            "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization",
            GLib.Variant("((sa{sv})sa{ss}us)", (subject, action, {key: value}, 1, "")),
            GLib.VariantType("((bba{ss}))"), Gio.DBusCallFlags.NONE, 120 * 1000, None)
    except GLib.Error as e:
        print("error: %s" % e.message[:300], flush=True)
        sys.exit(4)
    authorized, challenge, details = result.unpack()[0]
    print("authorized=%s challenge=%s details=%r" % (authorized, challenge, details), flush=True)
    sys.exit(0 if authorized else 3 if challenge or "polkit.dismissed" in details else 1)


if __name__ == "__main__":
    main()

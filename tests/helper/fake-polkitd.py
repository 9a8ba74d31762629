#!/usr/bin/python3
"""A stand-in for polkitd on a private bus, for ward-helper's tests without root.

Owns org.freedesktop.PolicyKit1 on the bus at $DBUS_SYSTEM_BUS_ADDRESS and records every
AuthenticationAgentResponse2 call as one JSON line in RECORD_FILE: {"uid", "cookie",
"identity_kind", "identity_uid", "caller_uid"}. With --refuse it answers every call with
org.freedesktop.PolicyKit1.Error.Failed, as polkitd does for a cookie it never issued.
Prints "ready" on stdout once the name is owned.
"""

import json
import sys

from gi.repository import Gio, GLib

XML = """
<node>
  <interface name="org.freedesktop.PolicyKit1.Authority">
    <method name="AuthenticationAgentResponse2">
      <arg type="u" name="uid" direction="in"/>
      <arg type="s" name="cookie" direction="in"/>
      <arg type="(sa{sv})" name="identity" direction="in"/>
    </method>
  </interface>
</node>
"""


def main():
    record_file = sys.argv[1]
    refuse = "--refuse" in sys.argv[2:]
    address = GLib.getenv("DBUS_SYSTEM_BUS_ADDRESS")
    bus = Gio.DBusConnection.new_for_address_sync(
        address,
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    loop = GLib.MainLoop()

    def on_call(conn, sender, path, iface, method, params, invocation):
        uid, cookie, (kind, details) = params.unpack()
        caller = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus", "GetConnectionUnixUser",
                                GLib.Variant("(s)", (sender,)), GLib.VariantType("(u)"),
                                Gio.DBusCallFlags.NONE, -1, None).unpack()[0]
        with open(record_file, "a") as f:
            f.write(json.dumps({"uid": uid, "cookie": cookie, "identity_kind": kind,
                                "identity_uid": details.get("uid"),
                                "caller_uid": caller}) + "\n")
        if refuse:
            invocation.return_dbus_error("org.freedesktop.PolicyKit1.Error.Failed",
                                         "No session for cookie")
        else:
            invocation.return_value(None)

    bus.register_object("/org/freedesktop/PolicyKit1/Authority", node.interfaces[0],
                        on_call, None, None)

    def acquired(*args):
        print("ready", flush=True)

    Gio.bus_own_name_on_connection(bus, "org.freedesktop.PolicyKit1",
                                   Gio.BusNameOwnerFlags.NONE, acquired, lambda *a: loop.quit())
    loop.run()


if __name__ == "__main__":
    main()

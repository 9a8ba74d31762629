#!/usr/bin/python3
"""A stand-in graphical agent for tests: registers for the caller's logind session (argv[1])
and answers every BeginAuthentication by printing "SESSION-AGENT-GOT <action>" and
cancelling. Prints "SESSION-AGENT-READY" once registered."""

import sys

from gi.repository import Gio, GLib

XML = """<node><interface name='org.freedesktop.PolicyKit1.AuthenticationAgent'>
<method name='BeginAuthentication'><arg type='s' direction='in'/><arg type='s' direction='in'/>
<arg type='s' direction='in'/><arg type='a{ss}' direction='in'/><arg type='s' direction='in'/>
<arg type='a(sa{sv})' direction='in'/></method>
<method name='CancelAuthentication'><arg type='s' direction='in'/></method>
</interface></node>"""
PATH = "/org/ward/test/SessionAgent"


def on_call(conn, sender, path, iface, method, params, invocation):
    if method == "BeginAuthentication":
        print("SESSION-AGENT-GOT %s" % params.unpack()[0], flush=True)
    invocation.return_dbus_error("org.freedesktop.PolicyKit1.Error.Cancelled", "test agent")


def main():
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    bus.register_object(PATH, node.interfaces[0], on_call, None, None)
    subject = GLib.Variant("(sa{sv})", ("unix-session",
                                       {"session-id": GLib.Variant("s", sys.argv[1])}))
    bus.call_sync("org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                  "org.freedesktop.PolicyKit1.Authority",
                  "RegisterAuthenticationAgentWithOptions",
                  GLib.Variant.new_tuple(subject, GLib.Variant("s", "C.UTF-8"),
                                         GLib.Variant("s", PATH),
                                         GLib.Variant("a{sv}", {})),
                  None, 0, -1, None)
    print("SESSION-AGENT-READY", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()

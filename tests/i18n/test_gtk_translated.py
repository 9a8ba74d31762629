#!/usr/bin/python3
"""The installed ward-gtk's dialog speaks German (suite 'i18n'), in the polkit world under Xvfb.

Usage (inside ward-world --xvfb): test_gtk_translated.py MESON.

The build is installed into a DESTDIR laid over its prefix (tests/install/wardinstall.py). The
INSTALLED ward-gtk runs as bob in his session under LANG=de_DE.UTF-8 and starts its installed
dialog from the path it was built with (no WARD_GTK_DIALOG). A pkcheck for
org.freedesktop.policykit.exec (Debian's polkit ships German messages for it) must show a dialog
whose own texts are the German catalogue's and whose message polkitd localised from the
locale ward-gtk registered; the right password authorizes. The dialog's label texts come from
its test dump (WARD_GTK_DIALOG_DUMP), and a screenshot goes to tests/gtk/artifacts.
"""

import gettext
import os
import sys

import wardworld as w

SOURCE = os.environ.get("WARD_SOURCE_ROOT", "")
sys.path.insert(0, os.path.join(SOURCE, "tests", "install"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "gtk"))
from wardinstall import Installed  # noqa: E402

ACTION = "org.freedesktop.policykit.exec"
ALICE = w.USERS["alice"]["password"]


def german_policy_message():
    import xml.etree.ElementTree as ET
    tree = ET.parse("/usr/share/polkit-1/actions/org.freedesktop.policykit.policy")
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for action in tree.getroot().iter("action"):
        if action.get("id") == ACTION:
            for m in action.iter("message"):
                if m.get(xml_lang) == "de":
                    return m.text.strip()
    return None


def main():
    w.require_world()
    if len(sys.argv) != 2:
        print("usage: test_gtk_translated.py MESON", file=sys.stderr)
        return 2
    if not os.environ.get("DISPLAY"):
        w.skip("no X display (the world must be started with --xvfb)")
    locales = os.popen("locale -a").read().lower().split()
    if "de_de.utf8" not in locales:
        w.skip("locale de_DE.UTF-8 is not installed (tools/install-deps installs it)")
    message = german_policy_message()
    if message is None:
        w.skip("%s has no German message in this polkit's policy file" % ACTION)

    inst = Installed(sys.argv[1])
    agent_path = os.path.join(inst.libexecdir, "ward-gtk")
    dialog_path = os.path.join(inst.libexecdir, "ward-gtk-dialog")
    if not os.path.exists(agent_path):
        w.skip("ward-gtk is not built here (no GTK 4)")
    os.environ["WARD_GTK_AGENT"] = agent_path
    os.environ["WARD_GTK_DIALOG_BIN"] = dialog_path
    import gtkworld as g  # after the variables it reads are set
    g.require()
    de = gettext.translation("ward", inst.localedir, ["de"])

    title = de.gettext("Authentication Required")
    g.check(title != "Authentication Required", "no German title in the catalogue")
    g.TITLE = title  # the window is found by its (German) title

    agent = g.Agent(env={"LANG": "de_DE.UTF-8", "WARD_GTK_DIALOG": None})
    try:
        pk = g.pkcheck(action=ACTION)
        state = g.wait_prompt(agent)
        win = g.wait_window()
        print("dialog state: %r" % state, flush=True)
        print("screenshot: %s" % g.screenshot("dialog-de"), flush=True)
        g.check(state["title"] == title, "window title %r, want %r" % (state["title"], title))
        g.check(state["message"] == message,
                "polkitd's message %r, want the German %r" % (state["message"], message))
        g.check(state["requester-detail"] == de.gettext("Process %u, user %s")
                .replace("%u", str(pk.pid)).replace("%s", "bob"),
                "requester detail %r" % state["requester-detail"])
        g.check(state["action"] == ACTION, "action id %r" % state["action"])
        g.type_text(win, ALICE)
        rc, out = g.finish(pk)
        g.check(rc == 0, "pkcheck authorized after the right password (rc %d, %r)" % (rc, out))
        g.ok("the installed dialog is German and authorizes")
    finally:
        agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

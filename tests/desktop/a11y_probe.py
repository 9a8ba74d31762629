#!/usr/bin/python3
"""An AT-SPI client for ward's dialog: what a screen reader learns from it (suite 'desktop').

Runs as the session's user, in the session's environment (DBUS_SESSION_BUS_ADDRESS, so it finds
the accessibility bus of at-spi2-core; DISPLAY for the keys it sends with xdotool), inside the
booted world or the private polkit world. It is driven over stdin/stdout, one JSON object a
line, so that the accessibility events between two steps are caught:

  {"cmd": "dialog", "timeout": 20}    wait for ward-gtk-dialog's showing window; its tree
  {"cmd": "tree"}                     the tree of that window again
  {"cmd": "focused"}                  the node that has the keyboard focus, or null
  {"cmd": "key", "keys": ["Tab"]}     keys through xdotool, then the focused node
  {"cmd": "type", "text": "..."}      text through xdotool (never echoed back)
  {"cmd": "events", "wait": 2.0}      the events seen since the last call (after WAIT s)
  {"cmd": "gone", "timeout": 10}      wait until no window of the dialog shows
  {"cmd": "password_text"}            what a client can read of the password field: its text
                                      and the text its text-changed events carried (tests
                                      type a throw-away password before asking)

Every answer is {"ok": true, ...} or {"ok": false, "error": "..."}. A node is
{"role", "name", "description", "states", "text", "relations", "actions", "extents",
"children"}; a password text's text is never read.
"""

import json
import os
import select
import subprocess
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, GLib  # noqa: E402

APP_NAME = "ward-gtk-dialog"
#: The events a screen reader speaks from: focus, things shown or added (GTK 4.8 adds a label
#: that appears to the tree), text that changes, and GTK's announcements
#: (gtk_accessible_announce, GTK >= 4.14).
EVENTS = ("object:state-changed:showing", "object:state-changed:focused",
          "object:children-changed:add", "object:text-changed:insert", "object:announcement",
          "window:activate")


def pump(seconds=0.0):
    """Lets Atspi dispatch what arrived (events come on GLib's default main context)."""
    context = GLib.MainContext.default()
    deadline = time.monotonic() + seconds
    while True:
        while context.pending():
            context.iteration(False)
        if time.monotonic() >= deadline:
            return
        time.sleep(0.02)


def safe(call, default=None):
    try:
        return call()
    except GLib.Error:
        return default


def role_of(acc):
    return safe(acc.get_role_name, "?") or "?"


def text_of(acc, secret_ok=False):
    if role_of(acc) == "password text" and not secret_ok:
        return None
    iface = safe(acc.get_text_iface)
    if iface is None:
        return None
    count = safe(lambda: Atspi.Text.get_character_count(acc), 0)
    return safe(lambda: Atspi.Text.get_text(acc, 0, count), None)


def states_of(acc):
    state_set = safe(acc.get_state_set)
    if state_set is None:
        return []
    return sorted(Atspi.StateType(s).value_nick for s in state_set.get_states())


def relations_of(acc):
    out = {}
    for relation in safe(acc.get_relation_set, []) or []:
        kind = Atspi.RelationType(relation.get_relation_type()).value_nick
        out[kind] = [safe(relation.get_target(i).get_name, "")
                     for i in range(relation.get_n_targets())]
    return out


def actions_of(acc):
    iface = safe(acc.get_action_iface)
    if iface is None:
        return []
    count = safe(lambda: Atspi.Action.get_n_actions(acc), 0)
    return [safe(lambda i=i: Atspi.Action.get_action_name(acc, i), "") for i in range(count)]


def extents_of(acc):
    iface = safe(acc.get_component_iface)
    if iface is None:
        return None
    rect = safe(lambda: Atspi.Component.get_extents(acc, Atspi.CoordType.WINDOW))
    return None if rect is None else [rect.x, rect.y, rect.width, rect.height]


def node(acc, depth=0):
    children = []
    if depth < 40:
        for i in range(safe(acc.get_child_count, 0)):
            child = safe(lambda i=i: acc.get_child_at_index(i))
            if child is not None:
                children.append(node(child, depth + 1))
    return {
        "role": role_of(acc),
        "name": safe(acc.get_name, "") or "",
        "description": safe(acc.get_description, "") or "",
        "states": states_of(acc),
        "text": text_of(acc),
        "relations": relations_of(acc),
        "actions": actions_of(acc),
        "extents": extents_of(acc),
        "children": children,
    }


def short(acc):
    return None if acc is None else {"role": role_of(acc), "name": safe(acc.get_name, "") or "",
                                     "states": states_of(acc)}


def dialog_windows():
    desktop = Atspi.get_desktop(0)
    found = []
    for i in range(safe(desktop.get_child_count, 0)):
        app = safe(lambda i=i: desktop.get_child_at_index(i))
        if app is None or safe(app.get_name, "") != APP_NAME:
            continue
        for j in range(safe(app.get_child_count, 0)):
            window = safe(lambda j=j: app.get_child_at_index(j))
            if window is not None and "showing" in states_of(window):
                found.append(window)
    return found


def applications():
    """What the accessibility bus has: each application's name and its windows' roles and
    states (for a failure's message)."""
    desktop = Atspi.get_desktop(0)
    found = []
    for i in range(safe(desktop.get_child_count, 0)):
        app = safe(lambda i=i: desktop.get_child_at_index(i))
        if app is None:
            continue
        windows = []
        for j in range(safe(app.get_child_count, 0)):
            window = safe(lambda j=j: app.get_child_at_index(j))
            if window is not None:
                windows.append((role_of(window), states_of(window)))
        found.append((safe(app.get_name, ""), windows))
    return found


def find_focused(acc, depth=0):
    if "focused" in states_of(acc):
        return acc
    if depth > 40:
        return None
    for i in range(safe(acc.get_child_count, 0)):
        child = safe(lambda i=i: acc.get_child_at_index(i))
        if child is not None:
            hit = find_focused(child, depth + 1)
            if hit is not None:
                return hit
    return None


class Probe:
    def __init__(self):
        self.window = None
        self.events = []
        self.password_inserted = ""
        self.listener = Atspi.EventListener.new(self.on_event)
        for kind in EVENTS:
            self.listener.register(kind)

    def on_event(self, event):
        source = event.source
        entry = {"type": event.type, "detail1": event.detail1,
                 "role": role_of(source) if source else None,
                 "name": (safe(source.get_name, "") or "") if source else None,
                 "description": (safe(source.get_description, "") or "") if source else None,
                 "app": None}
        app = safe(source.get_application) if source else None
        entry["app"] = safe(app.get_name, None) if app else None
        if entry["app"] not in (APP_NAME, None):
            return
        if event.type.startswith("object:announcement"):
            value = event.any_data
            entry["text"] = value if isinstance(value, str) else str(value)
        elif event.type.startswith("object:text-changed"):
            if entry["role"] == "password text":
                self.password_inserted += str(event.any_data or "")
                entry["text"] = None
            else:
                entry["text"] = event.any_data
        elif event.type.startswith("object:children-changed"):
            child = event.any_data if isinstance(event.any_data, Atspi.Accessible) else None
            entry["child"] = short(child)
            entry["text"] = text_of(child) if child is not None else None
        elif source is not None:
            entry["text"] = text_of(source)
        self.events.append(entry)

    def need_window(self):
        if self.window is None:
            raise RuntimeError("no dialog yet (send 'dialog' first)")
        return self.window

    def cmd_dialog(self, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            pump(0.1)
            windows = dialog_windows()
            if windows:
                self.window = windows[0]
                # The first frame's names and states settle with the first focus.
                pump(0.3)
                return {"tree": node(self.window), "windows": len(windows)}
            if time.monotonic() > deadline:
                raise RuntimeError("no showing window of %s on the accessibility bus in %d s; "
                                   "applications there: %r" % (APP_NAME, timeout, applications()))

    def cmd_tree(self):
        pump(0.1)
        window = self.need_window()
        rect = safe(lambda: Atspi.Component.get_extents(window, Atspi.CoordType.SCREEN))
        return {"tree": node(window),
                "screen": None if rect is None else [rect.x, rect.y, rect.width, rect.height]}

    def cmd_focused(self):
        pump(0.1)
        return {"focused": short(find_focused(self.need_window()))}

    def cmd_key(self, keys, settle=0.4):
        self.need_window()
        subprocess.run(["xdotool", "key", "--delay", "60"] + list(keys), check=True, timeout=20)
        pump(settle)
        return self.cmd_focused()

    def cmd_type(self, text, settle=0.2):
        subprocess.run(["xdotool", "type", "--delay", "20", text], check=True, timeout=30)
        pump(settle)
        return {}

    def cmd_events(self, wait=0.0):
        pump(wait)
        seen, self.events = self.events, []
        return {"events": seen}

    def cmd_password_text(self):
        pump(0.2)
        window = self.need_window()
        texts = []

        def collect(acc, depth=0):
            if role_of(acc) == "password text":
                texts.append(text_of(acc, secret_ok=True))
            for i in range(safe(acc.get_child_count, 0) if depth < 40 else 0):
                child = safe(lambda i=i: acc.get_child_at_index(i))
                if child is not None:
                    collect(child, depth + 1)
        collect(window)
        return {"texts": texts, "inserted": self.password_inserted}

    def cmd_gone(self, timeout=10):
        deadline = time.monotonic() + timeout
        while dialog_windows():
            if time.monotonic() > deadline:
                raise RuntimeError("the dialog still shows after %d s" % timeout)
            pump(0.1)
        return {}


def serve():
    probe = Probe()
    print(json.dumps({"ok": True, "ready": True}), flush=True)
    buffered = b""
    while True:
        pump()
        ready, _, _ = select.select([sys.stdin.buffer], [], [], 0.05)
        if not ready:
            continue
        chunk = os.read(sys.stdin.fileno(), 65536)
        if not chunk:
            return 0
        buffered += chunk
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            if not line.strip():
                continue
            try:
                request = json.loads(line)
                handler = getattr(probe, "cmd_" + request.pop("cmd"))
                answer = dict(handler(**request), ok=True)
            except Exception as error:  # noqa: BLE001 (every failure goes back to the test)
                answer = {"ok": False, "error": "%s: %s" % (type(error).__name__, error)}
            print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] != ["serve"]:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    Atspi.init()
    sys.exit(serve())

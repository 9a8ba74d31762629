"""What a screen reader must learn from ward's dialog, checked on the tree a11y_probe.py sends.

Shared by the desktop suite (GTK 4.18, booted Debian 13) and the gtk suite's 'a11y' scenario
(GTK 4.8, this host). Each check raises AssertionError (wardtest.check) with what is wrong.
"""

import json
import os
import re
import select
import subprocess
import time

from wardtest import check

TITLE = "Authentication Required"
#: Roles a person operates: their names are what a screen reader says on focus.
CONTROL_ROLES = {"push button", "button", "toggle button", "combo box", "password text", "text",
                 "entry", "check box", "list item"}
TYPE_NAME = re.compile(r"\bGtk[A-Z]\w*")
MNEMONIC = re.compile(r"(?:^|\s)_[^\s_]")


def walk(node, inside_control=False):
    """(node, inside_control) for NODE and its descendants; INSIDE_CONTROL is true below a
    control (a screen reader presents a control by its own name and state, not its parts)."""
    yield node, inside_control
    below = inside_control or is_control(node)
    for child in node["children"]:
        yield from walk(child, below)


def is_control(node):
    return node["role"] in CONTROL_ROLES or "focusable" in node["states"]


def find(tree, role=None, name=None, pred=None):
    return [n for n, _ in walk(tree)
            if (role is None or n["role"] in ((role,) if isinstance(role, str) else role))
            and (name is None or n["name"] == name) and (pred is None or pred(n))]


def one(tree, what, **kwargs):
    hits = find(tree, **kwargs)
    check(len(hits) == 1, "%s: %d found (%r)" % (what, len(hits), kwargs))
    return hits[0]


def label_texts(tree):
    return {n["text"] for n in find(tree, role="label") if n["text"]}


def check_dialog(tree, message, prompt="Password:", identities=2, dialog_role="dialog",
                 requester=None):
    """The dialog as a screen reader meets it (the issue's list, one check each)."""
    # Found as a dialog whose name says what is asked.
    check(tree["role"] == dialog_role, "the window's role is %r, not %r" % (tree["role"],
                                                                         dialog_role))
    check(tree["name"] == TITLE, "the window's name is %r" % tree["name"])
    check(tree["description"] == message,
          "the window's description (what is asked) is %r, not %r" % (tree["description"],
                                                                      message))
    check("active" in tree["states"] and "showing" in tree["states"],
          "the window is not showing and active: %r" % tree["states"])

    # The password field: a password text named after the PAM prompt, with the focus.
    password = one(tree, "the password field", role="password text")
    check(password["name"] == prompt, "the password field's name is %r, not the PAM prompt %r"
          % (password["name"], prompt))
    check("focused" in password["states"], "the focus does not start in the password field")

    # The reveal icon, inside the field.
    reveal = [n for n, _ in walk(password) if n is not password]
    check(reveal and all(n["name"] in ("Show Text", "Hide Text") for n in reveal),
          "the reveal icon is not named: %r" % [(n["role"], n["name"]) for n in reveal])

    # The identity chooser (several identities) and the Details expander, both buttons.
    if identities > 1:
        chooser = one(tree, "the identity chooser", role="combo box")
        check(chooser["name"] == "Identity:", "the identity chooser is named %r"
              % chooser["name"])
        check(chooser["description"], "the identity chooser does not say who is chosen")
    details = one(tree, "the Details expander", pred=lambda n: "expandable" in n["states"]
                  and is_control(n) and n["role"] != "combo box" and n["name"] != "Identity:")
    check(details["name"] == "Details", "the Details expander is named %r" % details["name"])
    for name in ("Cancel", "Authenticate"):
        one(tree, "the %s button" % name, role=("push button", "button"), name=name)

    # The message and "Requested by" are readable.
    texts = label_texts(tree)
    check(message in texts, "the message is not readable as text: %r" % texts)
    check("Requested by:" in texts, "'Requested by:' is not readable: %r" % texts)
    if requester is not None:
        check(any(t.startswith(requester) for t in texts),
              "the requesting program (%r) is not readable: %r" % (requester, texts))

    # Every name is what a person should hear: no widget type names, no mnemonic markers, no
    # labels glued together (a control is named after one label; a label after its text).
    # GTK's own names: the reveal icon, and the window controls of the title bar GTK draws
    # itself where the compositor does not (weston).
    known = texts | {"Show Text", "Hide Text", "Close", "Minimize", "Maximize"}
    for node, inside in walk(tree):
        where = "%s %r" % (node["role"], node["name"])
        if not inside:
            check(not TYPE_NAME.search(node["name"]), "a type name as a name: " + where)
            check(not MNEMONIC.search(node["name"]), "a mnemonic marker in a name: " + where)
        if is_control(node) and not inside and node["role"] != "list item":
            check(node["name"], "a control without a name: %s %r" % (node["role"],
                                                                    node["states"]))
            check(node["name"] in known, "a control's name is not one label's text: " + where)
        if node["role"] == "label" and node["text"]:
            check(node["name"] in ("", node["text"]),
                  "a label's name is not its text (glued?): %r for %r" % (node["name"],
                                                                          node["text"]))


def check_tab_order(probe, identities=2):
    """Tab goes round the controls in a sensible order and comes back to the password field;
    Shift+Tab goes back. Ends with the focus in the password field."""
    expected = ["Details", "Cancel", "Authenticate"] + (["Identity:"] if identities > 1 else [])
    seen = []
    for _ in range(len(expected) + 1):
        focused = probe.call("key", keys=["Tab"])["focused"]
        check(focused is not None, "Tab left the focus nowhere after %r" % seen)
        seen.append(focused["name"])
    check(seen == expected + ["Password:"], "Tab order %r, expected %r" % (
        seen, expected + ["Password:"]))
    focused = probe.call("key", keys=["shift+Tab"])["focused"]
    check(focused and focused["name"] == expected[-1],
          "Shift+Tab from the password field went to %r" % focused)
    focused = probe.call("key", keys=["Tab"])["focused"]
    check(focused and focused["role"] == "password text", "Tab did not come back to the "
          "password field: %r" % focused)
    return seen


def check_password_contained(probe, typed):
    """TYPED, a throw-away password now in the field, appears nowhere the dialog itself puts
    text for assistive technologies: no name, description or label text in the tree, and no
    event but the field's own. Returns whether GTK exposes the field's own text (its Text
    interface or its text-changed events): GTK 4.8 and 4.18 do (HACKING.md, threat model)."""
    tree = probe.call("tree")["tree"]
    for node, _ in walk(tree):
        for key in ("name", "description", "text"):
            check(typed not in (node.get(key) or ""),
                  "the password is in the %s of %s %r" % (key, node["role"], node["name"]))
    for event in probe.call("events")["events"]:
        if event.get("role") == "password text" and event["type"].startswith("object:text"):
            continue
        for key in ("name", "description", "text"):
            check(typed not in (event.get(key) or ""), "the password is in an event: %r"
                  % event)
    seen = probe.call("password_text")
    check(seen["texts"], "no password field to read")
    return any(typed in (text or "") for text in seen["texts"] + [seen["inserted"]])


def announced(events, text, announcement=True):
    """Whether EVENTS make a screen reader say TEXT: an AT-SPI announcement (GTK >= 4.14; with
    ANNOUNCEMENT false, not required), an alert that appears with it, or the focus coming to
    a field that it describes (what GTK 4.8 offers)."""
    for event in events:
        if event["type"].startswith("object:announcement"):
            if text in (event.get("text") or ""):
                return True
            continue
        if announcement:
            continue
        if (event["type"].startswith("object:state-changed:focused") and event["detail1"] and
                text in (event.get("description") or "")):
            return True
        said = event.get("text") or ""
        if text not in said:
            continue
        role = (event.get("child") or {}).get("role") or event.get("role")
        if role in ("alert", "notification") and (
                event["type"].startswith("object:children-changed:add") or
                (event["type"].startswith("object:state-changed:showing") and event["detail1"])):
            return True
    return False


class Probe:
    """a11y_probe.py, the AT-SPI client, driven one JSON a line. PROC: the probe started as
    the session's user in its environment, with pipes on stdin and stdout (binary)."""

    def __init__(self, proc):
        self.buffered = b""
        self.proc = proc
        first = self._read(60)
        check(first.get("ready"), "the AT-SPI probe did not start: %r" % first)

    def _read(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffered:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise AssertionError("the AT-SPI probe did not answer in %d s" % timeout)
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError("the AT-SPI probe exited (%s)" % self.proc.poll())
            self.buffered += chunk
        line, self.buffered = self.buffered.split(b"\n", 1)
        return json.loads(line)

    def call(self, cmd, timeout=60, **args):
        self.proc.stdin.write((json.dumps(dict(args, cmd=cmd)) + "\n").encode())
        self.proc.stdin.flush()
        answer = self._read(timeout)
        check(answer.get("ok"), "AT-SPI probe %s: %s" % (cmd, answer.get("error")))
        return answer

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

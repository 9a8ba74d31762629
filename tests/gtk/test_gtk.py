#!/usr/bin/python3
"""ward-gtk end to end, in the polkit world with Xvfb, as bob in his session.

Usage (inside ward-world --xvfb): test_gtk.py SCENARIO. Each scenario exits 0 (pass), 1 (fail)
or 77 (skip, with the reason on stderr).
"""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gtkworld as g  # noqa: E402
from gi.repository import GLib  # noqa: E402
import wardworld as w  # noqa: E402
from wardtest import lines_starting  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "desktop"))
import a11y_checks as a11y  # noqa: E402

ALICE = w.USERS["alice"]["password"]
CAROL = w.USERS["carol"]["password"]


def scenario_right_password():
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        state = g.wait_prompt(agent, pk.pid)
        win = g.wait_window()
        path = g.screenshot("dialog")
        g.ok("screenshot of the dialog: %s" % path)
        g.check(state["title"] == g.TITLE, "window title %r" % state["title"])
        g.check(state["prompt"] == "Password:", "PAM prompt as the label: %r" % state["prompt"])
        g.check(state["focus-in-entry"] == "true", "keyboard focus starts in the entry")
        dialogs = g.dialog_pids()
        g.check(len(dialogs) == 1, "one dialog process")
        st = os.stat("/proc/%d/environ" % dialogs[0])
        with open("/proc/%d/status" % dialogs[0]) as f:
            uid_line = [line for line in f if line.startswith("Uid:")][0]
        g.check(uid_line.split()[1] == str(w.USERS["bob"]["uid"]) and st.st_uid == 0,
                "the dialog runs as bob and is not dumpable (its /proc files belong to root)")
        # Start-up speed: by default the dialog uses the cairo renderer and keeps GDK from
        # probing EGL/GLX while it opens the display (Mesa was most of its start-up).
        with open("/proc/%d/maps" % dialogs[0]) as f:
            gl = sorted({line.split()[-1] for line in f
                         if any(lib in line for lib in ("libEGL", "libGLX", "_dri.so"))})
        g.check(not gl, "the dialog loaded OpenGL: %r" % gl)
        g.check(state["action"] == g.ADMIN_ACTION, "action id in the details")
        state = g.wait_state(agent, lambda s: s["vendor"] != "Unknown", timeout=10,
                             what="the vendor lookup")
        g.check(state["vendor"] == "ward tests", "vendor looked up: %r" % state["vendor"])
        g.check(state["vendor-url"] == "https://example.invalid/ward", "vendor URL looked up")
        g.check(state["identity-selected"] == "0" and
                state["identities"].split("\n")[0].endswith("(alice)"),
                "default identity is the first admin (bob is not offered): %r" % state)
        g.check(state["requester"].startswith("pkcheck --action-id " + g.ADMIN_ACTION),
                "requester command line: %r" % state["requester"])
        g.check(state["requester-detail"] == "Process %d, user bob" % pk.pid,
                "requester pid and user: %r" % state["requester-detail"])
        g.check(state["icon"] in ("dialog-password", "dialog-password-symbolic"),
                "icon %r" % state["icon"])
        g.key(win, "alt+d")
        g.wait_state(agent, lambda s: s.get("details-expanded") == "true", what="details shown")
        time.sleep(0.3)
        g.ok("screenshot with details: %s" % g.screenshot("dialog-details"))
        g.key(win, "alt+p")
        g.type_text(win, ALICE)
        rc, out = g.finish(pk)
        g.check(rc == 0, "pkcheck authorized after the right password (rc %d, %r)" % (rc, out))
        g.wait_no_window()
        g.check(agent.proc.poll() is None, "ward-gtk still running")
        g.ok("right password authorizes; dialog closed")
    finally:
        agent.stop()


def scenario_auth_self():
    # auth_self: bob authenticates as himself; one identity, shown without a drop-down.
    agent = g.Agent()
    try:
        pk = g.pkcheck("org.ward.test.auth-self")
        state = g.wait_prompt(agent, pk.pid)
        g.check(state["identities"].endswith("(bob)") and "\n" not in state["identities"],
                "only bob offered: %r" % state["identities"])
        g.check(state["identity-single"] == "true", "a single identity is a plain label")
        dialog = g.dialog_pids()[0]
        fds = {}
        for fd in os.listdir("/proc/%d/fd" % dialog):
            try:
                fds[int(fd)] = os.readlink("/proc/%d/fd/%s" % (dialog, fd))
            except OSError:
                pass
        g.check(fds.get(3, "").startswith("socket:"), "the request socket is fd 3: %r" % fds)
        g.check(not any(".lock" in target for target in fds.values()),
                "the listener's lock is not inherited: %r" % fds)
        g.ok("screenshot: %s" % g.screenshot("dialog-self"))
        g.type_text(g.wait_window(), w.USERS["bob"]["password"])
        rc, out = g.finish(pk)
        g.check(rc == 0, "bob authorized himself (rc %d, %r)" % (rc, out))
        g.ok("auth_self: one identity, the invoking user")
    finally:
        agent.stop()


def scenario_wrong_then_right():
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        g.wait_prompt(agent, pk.pid)
        win = g.wait_window()
        g.type_text(win, "not-the-password")
        state = g.wait_prompt(agent, pk.pid, attempts=1, timeout=30)
        g.check("try again" in state["error"], "inline error after a wrong password: %r" % state)
        g.check(state["entry-chars"] == "0", "entry cleared after a wrong password")
        g.check(state["focus-in-entry"] == "true", "entry refocused after a wrong password")
        g.check(pk.poll() is None, "the request stays open for a retry")
        g.screenshot("dialog-wrong-password")
        g.type_text(win, ALICE)
        rc, out = g.finish(pk)
        g.check(rc == 0, "authorized on the second attempt (rc %d, %r)" % (rc, out))
        g.ok("wrong then right password")
    finally:
        agent.stop()


def scenario_three_wrong():
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        for attempt in range(3):
            g.wait_prompt(agent, pk.pid, attempts=attempt, timeout=30)
            g.type_text(g.wait_window(), "wrong-%d" % attempt)
        rc, out = g.finish(pk, timeout=40)
        g.check(rc != 0, "not authorized after three wrong passwords (rc %d)" % rc)
        g.wait_no_window()
        g.ok("three wrong passwords end the request unauthorized")
    finally:
        agent.stop()


def dismiss(keys):
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        g.wait_prompt(agent, pk.pid)
        win = g.wait_window()
        g.key(win, *keys)
        rc, out = g.finish(pk, timeout=15)
        g.check(rc != 0, "not authorized after dismissing (rc %d, %r)" % (rc, out))
        g.wait_no_window()
        agent.wait_log("completing a request: outcome 1", what="a CANCELLED completion")
        w.wait_for(lambda: not g.dialog_pids(), 10, message="a dialog process is left")
        # The agent carries on with the next request.
        pk2 = g.pkcheck()
        g.wait_prompt(agent, pk2.pid)
        g.type_text(g.wait_window(), ALICE)
        rc, out = g.finish(pk2)
        g.check(rc == 0, "the next request is answered (rc %d, %r)" % (rc, out))
    finally:
        agent.stop()


def scenario_cancel_button():
    # Alt+C: the Cancel button's mnemonic.
    dismiss(["alt+c"])
    g.ok("Cancel button (mnemonic) cancels")


def scenario_escape():
    dismiss(["Escape"])
    g.ok("Escape cancels")


STALLED_HELPER = r"""#!/bin/sh
# A fingerprint reader waiting for a finger that never comes: a PAM text and no prompt.
read cookie
printf 'PAM_TEXT_INFO Place your finger on the reader\n'
exec sleep 600
"""


def dismiss_without_prompt(keys):
    # Issue 16, item 2: while the helper shows a text and no prompt, KEYS cancel within 2 s:
    # polkitd is answered, the dialog and its helper are gone, the next request is served.
    helper = g.bob_file("stalled-helper.sh")
    with open(helper, "w") as f:
        f.write(STALLED_HELPER)
    os.chmod(helper, 0o755)
    agent = g.Agent(env={"WARD_HELPER": "spawn:" + helper})
    try:
        pk = g.pkcheck()
        state = g.wait_state(agent, lambda s: s["info"] != "", what="the reader's text")
        g.check(state["info"] == "Place your finger on the reader", "info %r" % state["info"])
        g.check(state["awaiting-response"] == "false", "no prompt while the reader waits")
        win = g.wait_window()
        g.ok("screenshot: %s" % g.screenshot("dialog-no-prompt"))
        t0 = time.monotonic()
        g.key(win, *keys)
        try:
            rc, out = g.finish(pk, timeout=2)
        except subprocess.TimeoutExpired:
            pk.kill()
            g.check(False, "%r did not end the request within 2 s" % (keys,))
        log = "%r ended the request after %.2f s" % (keys, time.monotonic() - t0)
        g.check(rc != 0, "not authorized (rc %d, %r)" % (rc, out))
        g.wait_no_window()
        agent.wait_log("completing a request: outcome 1", what="a CANCELLED completion")
        w.wait_for(lambda: not g.dialog_pids(), 10, message="a dialog process is left")
        w.wait_for(lambda: subprocess.run(["pgrep", "-f", helper],
                                          stdout=subprocess.DEVNULL).returncode != 0,
                   10, message="the stalled helper is left running")
        g.ok(log)
    finally:
        agent.stop()


def scenario_cancel_no_prompt():
    dismiss_without_prompt(["alt+c"])
    g.ok("Cancel button (mnemonic) cancels while no prompt is shown")


def scenario_escape_no_prompt():
    dismiss_without_prompt(["Escape"])
    g.ok("Escape cancels while no prompt is shown")


def scenario_polkitd_cancel():
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        g.wait_prompt(agent, pk.pid)
        g.wait_window()
        dialogs = g.dialog_pids()
        g.check(len(dialogs) == 1, "one dialog process: %r" % dialogs)
        # The client goes away: polkitd cancels its authentication (CancelAuthentication).
        pk.kill()
        pk.wait()
        g.wait_no_window(timeout=10)
        w.wait_for(lambda: not g.dialog_pids(), 10, message="dialog process still running")
        agent.wait_log("completing a request: outcome 1", what="a CANCELLED completion")
        g.check(agent.proc.poll() is None, "ward-gtk still running")
        g.ok("CancelAuthentication from polkitd closes the dialog")
    finally:
        agent.stop()


def scenario_identity_choice():
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        state = g.wait_prompt(agent, pk.pid)
        names = state["identities"].split("\n")
        g.check(len(names) == 2 and names[1].endswith("(carol)"),
                "alice and carol offered: %r" % names)
        win = g.wait_window()
        # Alt+I focuses the identity drop-down; Space opens it, Down picks carol.
        g.key(win, "alt+i")
        g.key(win, "space")
        time.sleep(0.5)
        g.screenshot("dialog-identity-popup")
        xdotool_keys = ["Down", "Return"]
        for k in xdotool_keys:
            g.xdotool("key", k)
            time.sleep(0.2)
        state = g.wait_state(agent, lambda s: s["identity-selected"] == "1" and
                             s["awaiting-response"] == "true", what="carol selected")
        g.clear_state(agent)
        # Alice's password no longer works: it is carol's turn.
        g.key(win, "alt+p")
        g.type_text(win, ALICE)
        g.wait_prompt(agent, pk.pid, attempts=1, timeout=30)
        g.type_text(win, CAROL)
        rc, out = g.finish(pk)
        g.check(rc == 0, "authorized as carol (rc %d, %r)" % (rc, out))
        g.ok("identity drop-down: carol chosen and authenticated")
    finally:
        agent.stop()


def scenario_two_requests():
    agent = g.Agent()
    try:
        first = g.pkcheck()
        g.wait_prompt(agent, first.pid)
        second = g.pkcheck()
        agent.wait_log("queued behind 1", what="the second request queued")
        g.check(len(g.dialog_pids()) == 1, "one dialog at a time")
        g.check(len(g.find_windows()) == 1, "one window at a time")
        g.type_text(g.wait_window(), ALICE)
        rc, out = g.finish(first)
        g.check(rc == 0, "first request authorized (rc %d, %r)" % (rc, out))
        g.check(second.poll() is None, "second request still waiting for its turn")
        g.wait_prompt(agent, second.pid)
        g.type_text(g.wait_window(), ALICE)
        rc, out = g.finish(second)
        g.check(rc == 0, "second request authorized (rc %d, %r)" % (rc, out))
        g.ok("two requests from two processes answered in order")
    finally:
        agent.stop()


HOSTILE = ('<b>bold</b> &amp; <span foreground="red">red</span> '
           '\x1b[31mESC\x1b[0m \x1b]0;title\x07 \u202eevil\u202c <i>end</i>')
SHOWN = ('Do the thing to <b>bold</b> &amp; <span foreground="red">red</span> '
         'ESC  evil <i>end</i>')


def scenario_hostile_text():
    agent = g.Agent()
    try:
        pk = g.pkcheck("org.ward.test.detail", details=[("ward.target", HOSTILE)])
        state = g.wait_prompt(agent, pk.pid)
        g.wait_window()
        path = g.screenshot("dialog-hostile-message")
        g.ok("screenshot: %s" % path)
        g.check(state["message-use-markup"] == "false", "message label does not parse markup")
        g.check(state["message"] == SHOWN, "message shown literally, escapes removed:\n %r\n"
                " expected %r" % (state["message"], SHOWN))
        g.check("\x1b" not in state["requester"] and "\u202e" not in state["requester"],
                "requester command line sanitised: %r" % state["requester"])
        pk.kill()
        pk.wait()
        g.wait_no_window()
        g.ok("markup and escape sequences shown literally")
    finally:
        agent.stop()


def scenario_forged_header():
    # Issue 16, item 4: pkexec of a program whose path holds "\nAction: ...\nRequested by: ...".
    # polkitd puts the path into the message; its line breaks must not give the message lines
    # that look like the form's "Requested by:" or the details' "Action:".
    program = w.forged_program()
    agent = g.Agent()
    try:
        pk = w.popen_as("bob", ["sh", "-c", 'pkexec "$0"; echo "pkexec: $?"', program],
                        in_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True)
        state = g.wait_prompt(agent)
        g.wait_window()
        g.key(g.wait_window(), "alt+d")
        g.wait_state(agent, lambda s: s.get("details-expanded") == "true", what="details shown")
        path = g.screenshot("dialog-forged-header")
        g.ok("screenshot: %s" % path)
        state = g.read_state(agent.dump)
        shown = [state[key] for key in ("heading", "message", "requester", "requester-detail",
                                         "prompt", "info", "error", "action", "vendor")]
        for prefix in ("Action:", "Requested by:"):
            starting = lines_starting(shown, prefix)
            g.check(not starting, "a shown text has a line starting with %r: %r"
                    % (prefix, starting))
        # pkexec 126 puts a shortened command line (first 38 characters " ... " last 37) into
        # the message when it is longer than 80; 122 the whole path. Both keep the end; the
        # requester line has the whole command line.
        g.check("\u21b5Requested by: /bin/true'" in state["message"],
                "the path's line breaks are shown: %r" % state["message"])
        g.check("x\u21b5Action: org.example.harmless\u21b5Requested by: /bin/true"
                in state["message"] + state["requester"],
                "the whole path's line breaks are shown: %r" % state)
        g.check(state["action"] == "org.freedesktop.policykit.exec", "the real action")
        g.key(g.wait_window(), "Escape")
        out, _ = pk.communicate(timeout=30)
        g.check("pkexec: 0" not in out, "pkexec ran the program: %r" % out)
        g.wait_no_window()
        g.ok("line breaks in the message are shown, never start a line")
    finally:
        agent.stop()


def scenario_polkitd_restart():
    agent = g.Agent()
    try:
        agent.wait_log("registered with polkitd", count=1)
        w.restart_polkitd()
        agent.wait_log("registered with polkitd", count=2, what="re-registration")
        pk = g.pkcheck()
        g.wait_prompt(agent, pk.pid)
        g.type_text(g.wait_window(), ALICE)
        rc, out = g.finish(pk)
        g.check(rc == 0, "request after polkitd restart answered (rc %d, %r)" % (rc, out))
        g.ok("polkitd restarted while idle; a later request is answered")
    finally:
        agent.stop()


def scenario_dark():
    # GNOME's dark-style preference, through GSettings' keyfile backend (no dconf needed).
    config = g.bob_file("config")
    os.makedirs(os.path.join(config, "glib-2.0", "settings"), exist_ok=True)
    with open(os.path.join(config, "glib-2.0", "settings", "keyfile"), "w") as f:
        f.write("[org/gnome/desktop/interface]\ncolor-scheme='prefer-dark'\n")
    subprocess.run(["chown", "-R", "%d:%d" % (w.USERS["bob"]["uid"], w.USERS["bob"]["gid"]),
                    config], check=True)
    agent = g.Agent(env={"GSETTINGS_BACKEND": "keyfile", "XDG_CONFIG_HOME": config})
    try:
        pk = g.pkcheck()
        state = g.wait_prompt(agent, pk.pid)
        g.check(state["prefer-dark"] == "true", "the dialog follows the dark preference")
        g.wait_window()
        g.ok("screenshot: %s" % g.screenshot("dialog-dark"))
        pk.kill()
        pk.wait()
        g.wait_no_window()
    finally:
        agent.stop()
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        state = g.wait_prompt(agent, pk.pid)
        g.check(state["prefer-dark"] == "false", "light without the preference")
        pk.kill()
        pk.wait()
        g.wait_no_window()
    finally:
        agent.stop()
    g.ok("dark preference followed")


FAKE_HELPER = r"""#!/bin/sh
# A helper conversation like a fingerprint reader and a one-time code would have (the test
# checks what the dialog shows; nothing is granted since only polkit's helper can grant).
read cookie
printf 'PAM_TEXT_INFO Swipe your finger \\033[31mnow\n'
sleep 1
printf 'PAM_ERROR_MSG Finger not recognised\n'
printf 'PAM_PROMPT_ECHO_ON One-time code:\n'
read code
printf '%s\n' "$code" > "$0.answer"
echo FAILURE
"""


def scenario_pam_messages():
    helper = g.bob_file("fake-helper.sh")
    with open(helper, "w") as f:
        f.write(FAKE_HELPER)
    os.chmod(helper, 0o755)
    agent = g.Agent(env={"WARD_HELPER": "spawn:" + helper})
    try:
        pk = g.pkcheck()
        state = g.wait_state(agent, lambda s: s["info"] != "", what="PAM info shown")
        g.check(state["info"] == "Swipe your finger now", "info shown, sanitised: %r"
                % state["info"])
        g.check(state["awaiting-response"] == "false", "no prompt while the reader waits")
        state = g.wait_prompt(agent, pk.pid)
        g.check(state["error"] == "Finger not recognised", "PAM error inline: %r" % state["error"])
        g.check(state["prompt"] == "One-time code:", "PAM prompt as label: %r" % state["prompt"])
        g.check(state["echo"] == "true", "an echo-on prompt uses a visible entry")
        g.ok("screenshot: %s" % g.screenshot("dialog-pam-messages"))
        g.type_text(g.wait_window(), "123456")
        w.wait_for(lambda: os.path.exists(helper + ".answer"), 10, message="no answer")
        with open(helper + ".answer") as f:
            g.check(f.read() == "123456\n", "the answer reached the helper")
        # The helper said FAILURE: a new conversation starts (and shows its messages again).
        g.wait_prompt(agent, pk.pid, attempts=1)
        pk.kill()
        pk.wait()
        g.wait_no_window()
        g.ok("PAM info, error and echo-on prompts shown inline")
    finally:
        agent.stop()


# --- the dialog through AT-SPI (GTK 4.8; the desktop suite does the same on 4.18) ----------


class A11ySession:
    """A session bus of bob's with at-spi2-core on it (D-Bus activated), ward-gtk and the
    desktop suite's AT-SPI client (tests/desktop/a11y_probe.py) on it."""

    def __init__(self, agent_env=None):
        self.bus = w.popen_as("bob", ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, text=True)
        address = self.bus.stdout.readline().strip()
        g.check(address.startswith("unix:"), "no session bus: %r" % address)
        env = {"DBUS_SESSION_BUS_ADDRESS": address}
        # GTK 4.8's own AT-SPI code logs a critical (gtk_window_get_focus on a widget without a
        # window) while a client walks the tree: not fatal here, unlike the rest of the suite.
        env["G_DEBUG"] = None
        self.agent = g.Agent(env=dict(env, **(agent_env or {})))
        probe = w.popen_as("bob", ["/usr/bin/python3", os.path.join(
            os.environ["WARD_SOURCE_ROOT"], "tests", "desktop", "a11y_probe.py"), "serve"],
            env=env, in_session=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.probe = a11y.Probe(probe)

    def close(self):
        self.probe.close()
        self.agent.stop()
        w.terminate(self.bus)


def dialog_role():
    """The AT-SPI role of the dialog's window with the GTK ward was built against (meson's
    WARD_GTK_VERSION): ward-auth-window.c makes it a dialog from GTK 4.18 on."""
    minor = int(os.environ.get("WARD_GTK_VERSION", "4.8").split(".")[1])
    return "dialog" if minor >= 18 else "frame"


def scenario_a11y():
    """What a screen reader learns (on GTK 4.8 the window keeps the window role, a "frame";
    from 4.18 on it is a dialog, see ward-auth-window.c), Tab order, a wrong password
    announced, Escape and Enter."""
    a = A11ySession()
    try:
        pk = g.pkcheck()
        g.wait_prompt(a.agent, pk.pid)
        a.probe.call("dialog")
        g.focus(g.wait_window())
        a.probe.call("key", keys=["Escape"])
        rc, out = g.finish(pk)
        g.check(rc != 0, "Escape did not cancel (rc %d, %r)" % (rc, out))
        a.probe.call("gone")
        g.ok("Escape cancels")

        pk = g.pkcheck()
        state = g.wait_prompt(a.agent, pk.pid)
        tree = a.probe.call("dialog")["tree"]
        a11y.check_dialog(tree, state["message"], prompt=state["prompt"], identities=2,
                          dialog_role=dialog_role(), requester="pkcheck --action-id")
        g.ok("the dialog, its fields and buttons are named as a person should hear them")
        g.focus(g.wait_window())
        order = a11y.check_tab_order(a.probe)
        g.ok("Tab order from the password field: %s" % " -> ".join(order))
        a.probe.call("events")
        a.probe.call("type", text="wrong-password")
        exposed = a11y.check_password_contained(a.probe, "wrong-password")
        g.ok("the typed password is in no name, description, label or announcement; GTK "
           "exposes the field's own text to AT-SPI clients: %s" % ("yes" if exposed else "no"))
        a.probe.call("key", keys=["Return"])
        state = g.wait_prompt(a.agent, pk.pid, attempts=1, timeout=30)
        events = a.probe.call("events", wait=1.0)["events"]
        g.check(a11y.announced(events, state["error"], announcement=False),
                "the wrong password's message was not announced: %r" % events)
        g.ok("a wrong password's message is said with the field it describes")
        a.probe.call("type", text=ALICE)
        a.probe.call("key", keys=["Return"])
        rc, out = g.finish(pk)
        g.check(rc == 0, "Enter did not submit (rc %d, %r)" % (rc, out))
        g.ok("answered with the keyboard alone")
    finally:
        a.close()


def scenario_a11y_pam():
    """PAM's info and error messages are announced on GTK 4.8 too."""
    helper = g.bob_file("fake-helper.sh")
    with open(helper, "w") as f:
        f.write(FAKE_HELPER)
    os.chmod(helper, 0o755)
    a = A11ySession({"WARD_HELPER": "spawn:" + helper})
    try:
        pk = g.pkcheck()
        g.wait_state(a.agent, lambda s: s["info"] != "", what="PAM info shown")
        a.probe.call("dialog")
        g.wait_prompt(a.agent, pk.pid)
        events = a.probe.call("events", wait=1.0)["events"]
        for text in ("Swipe your finger now", "Finger not recognised"):
            g.check(a11y.announced(events, text, announcement=False),
                    "%r was not announced: %r" % (text, events))
        pk.kill()
        pk.wait()
        a.probe.call("gone")
        g.ok("PAM info and error said with the field they describe")
    finally:
        a.close()


def scenario_large_text():
    """Text scaled 2x and GTK's HighContrast theme on GTK 4.8, as a desktop's XSETTINGS manager
    sets them (xsettingsd): nothing ellipsized, the window on the screen (screenshot). The
    desktop suite does the same on GTK 4.18."""
    if shutil.which("xsettingsd") is None:
        w.skip("xsettingsd is not installed (tools/install-deps)")
    conf = g.bob_file("xsettingsd.conf")
    with open(conf, "w") as f:
        f.write('Xft/DPI 196608\nNet/ThemeName "HighContrast"\n')
    xsettings = subprocess.Popen(["xsettingsd", "-c", conf], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    g.check(xsettings.poll() is None, "xsettingsd did not start")
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        state = g.wait_prompt(agent, pk.pid)
        g.check(state["theme"] == "HighContrast" and state["xft-dpi"] == "196608",
                "the settings did not take: %r %r" % (state["theme"], state["xft-dpi"]))
        win = g.wait_window()
        g.key(win, "alt+d")
        state = g.wait_state(agent, lambda s: s.get("details-expanded") == "true",
                             what="details shown")
        time.sleep(0.5)
        state = g.read_state(agent.dump)
        g.ok("screenshot: %s" % g.screenshot("dialog-large-text-high-contrast"))
        g.check(not state["ellipsized"], "text cut short: %r" % state["ellipsized"])
        width, height = map(int, state["size"].split("x"))
        screen_w, screen_h = map(int, state["monitor-size"].split("x"))
        g.check(width <= screen_w and height <= screen_h,
                "the window (%s) does not fit the screen (%s)" % (state["size"],
                                                                  state["monitor-size"]))
        g.type_text(win, ALICE)
        rc, out = g.finish(pk)
        g.check(rc == 0, "authorized (rc %d, %r)" % (rc, out))
        g.ok("2x text, HighContrast: window %s on a %s screen, nothing cut short" % (
            state["size"], state["monitor-size"]))
    finally:
        agent.stop()
        w.terminate(xsettings)


def bus_name_of(pid):
    from gi.repository import Gio
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    names = bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "ListNames", None, GLib.VariantType("(as)"), 0, -1, None).unpack()[0]
    for name in names:
        if not name.startswith(":"):
            continue
        try:
            owner = bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                  "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                  GLib.Variant("(s)", (name,)), GLib.VariantType("(u)"),
                                  0, -1, None).unpack()[0]
        except GLib.Error:
            continue
        if owner == pid:
            return name
    raise AssertionError("ward-gtk has no bus name")


def scenario_spoofed():
    # Run with a bus policy letting bob call the agent interface: ward-gtk itself must refuse.
    agent = g.Agent()
    try:
        name = bus_name_of(agent.pid)
        path = "/org/freedesktop/PolicyKit1/AuthenticationAgent"
        iface = "org.freedesktop.PolicyKit1.AuthenticationAgent"
        begin = w.run_as_sync("bob", [
            "gdbus", "call", "--system", "--dest", name, "--object-path", path, "--method",
            iface + ".BeginAuthentication", g.ADMIN_ACTION, "Give bob root", "",
            "@a{ss} {}", "fake-cookie", "[('unix-user', {'uid': <uint32 4101>})]"])
        g.check(begin.returncode != 0 and
                "org.freedesktop.PolicyKit1.Error.NotAuthorized" in begin.stderr,
                "spoofed BeginAuthentication refused by ward-gtk: %r" % begin.stderr)
        cancel = w.run_as_sync("bob", [
            "gdbus", "call", "--system", "--dest", name, "--object-path", path, "--method",
            iface + ".CancelAuthentication", "fake-cookie"])
        g.check("org.freedesktop.PolicyKit1.Error.NotAuthorized" in cancel.stderr,
                "spoofed CancelAuthentication refused: %r" % cancel.stderr)
        g.check(not g.dialog_pids() and not g.find_windows(), "no dialog for a spoofed request")
        pk = g.pkcheck()
        g.wait_prompt(agent, pk.pid)
        g.type_text(g.wait_window(), ALICE)
        rc, out = g.finish(pk)
        g.check(rc == 0, "polkitd's own request still answered (rc %d, %r)" % (rc, out))
        g.ok("only polkitd's name owner is served")
    finally:
        agent.stop()


def count_in_memory(pid, needle):
    """Counts NEEDLE in every readable mapping of PID, through /proc/PID/mem. Used for
    sanitizer builds, whose terabytes of shadow mappings gcore cannot dump: those (and any
    mapping over 1 GiB) are skipped."""
    count = 0
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if not fields[1].startswith("r") or end - start > (1 << 30):
                continue
            if len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]"):
                continue
            try:
                mem.seek(start)
                count += mem.read(end - start).count(needle)
            except (OSError, ValueError, OverflowError):
                continue
    return count


def count_in_core(pid, needle):
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            start, end = (int(x, 16) for x in line.split()[0].split("-"))
            if end - start > (1 << 36):  # a sanitizer's shadow memory
                return count_in_memory(pid, needle)
    core_base = os.path.join(w.world_dir(), "core-ward-gtk")
    subprocess.run(["gcore", "-o", core_base, str(pid)], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True, timeout=120)
    core = "%s.%d" % (core_base, pid)
    try:
        with open(core, "rb") as f:
            data = f.read()
    finally:
        os.unlink(core)
    return data.count(needle)


def scenario_resident_process():
    import shutil
    if shutil.which("gcore") is None:
        w.skip("gcore (gdb) is not installed")
    agent = g.Agent()
    try:
        with open("/proc/%d/maps" % agent.pid) as f:
            maps = f.read()
        g.check("libgtk" not in maps, "no GTK library mapped in ward-gtk")
        g.check("libglib-2.0" in maps, "the maps scan sees libraries at all")
        pk = g.pkcheck()
        g.wait_prompt(agent, pk.pid)
        g.type_text(g.wait_window(), ALICE)
        rc, out = g.finish(pk)
        g.check(rc == 0, "authorized (rc %d, %r)" % (rc, out))
        w.wait_for(lambda: not g.dialog_pids(), 10, message="dialog still running")
        with open("/proc/%d/maps" % agent.pid) as f:
            g.check("libgtk" not in f.read(), "still no GTK library after a request")
        g.check(count_in_core(agent.pid, ALICE.encode()) == 0,
                "the password is nowhere in ward-gtk's memory")
        # The scan is not blind: what the listener did handle is found.
        g.check(count_in_core(agent.pid, g.ADMIN_ACTION.encode()) > 0,
                "the core scan finds the action id the listener handled")
        g.ok("resident process: no GTK mapped, no password in memory")
    finally:
        agent.stop()


def scenario_dialog_memory():
    # After a wrong password the dialog keeps no copy of it, not even a tail (GTK's password
    # buffer does not wipe deleted text by itself). Root can read the non-dumpable dialog's
    # memory through /proc/PID/mem.
    wrong = b"Zq9wrongpassXy"
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        g.wait_prompt(agent, pk.pid)
        win = g.wait_window()
        g.type_text(win, wrong.decode())
        g.wait_prompt(agent, pk.pid, attempts=1, timeout=30)
        dialog = g.dialog_pids()[0]
        for part in (wrong, wrong[:8], wrong[8:]):
            found = count_in_memory(dialog, part)
            g.check(found == 0, "%r found %d times in the dialog's memory" % (part, found))
        # The scan is not blind: typed (not yet submitted) text is in the entry's buffer.
        g.type_text(win, "Kv7typedNotSent", enter=False)
        g.wait_state(agent, lambda s: s["entry-chars"] == "15", what="typed text in the entry")
        g.check(count_in_memory(dialog, b"Kv7typedNotSent") >= 1,
                "the memory scan sees the entry's buffer")
        g.key(win, "Escape")
        g.finish(pk)
        g.ok("no copy of a submitted password left in the dialog")
    finally:
        agent.stop()


def scenario_dialog_crash():
    # A dialog that dies: the request fails, the next one proceeds with the real dialog.
    wrapper = g.bob_file("crashing-dialog.sh")
    marker = g.bob_file("crashed-once")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nif [ ! -e %s ]; then touch %s; kill -SEGV $$; fi\nexec %s \"$@\"\n"
                % (marker, marker, os.environ["WARD_GTK_DIALOG_BIN"]))
    os.chmod(wrapper, 0o755)
    agent = g.Agent(dialog=wrapper)
    try:
        pk = g.pkcheck()
        rc, out = g.finish(pk, timeout=20)
        g.check(rc != 0, "request fails when the dialog crashes (rc %d)" % rc)
        agent.wait_log("completing a request: outcome 2", what="a FAILED completion")
        pk2 = g.pkcheck()
        g.wait_prompt(agent, pk2.pid)
        g.type_text(g.wait_window(), ALICE)
        rc, out = g.finish(pk2)
        g.check(rc == 0, "the next request is answered (rc %d, %r)" % (rc, out))
        g.ok("a crashed dialog fails its request only")
    finally:
        agent.stop()


def scenario_instances():
    # No session (alice has none): clear error, exit 1.
    res = w.run_as_sync("alice", [os.environ["WARD_GTK_AGENT"]], in_session=False, timeout=20)
    g.check(res.returncode == 1 and "no desktop session" in res.stderr,
            "without a session: exit 1 and a clear error (%d, %r)" % (res.returncode, res.stderr))
    agent = g.Agent()
    try:
        second = w.run_as_sync("bob", [os.environ["WARD_GTK_AGENT"]], in_session=True, timeout=20)
        g.check(second.returncode == 0 and "already running" in second.stderr,
                "a second instance for the session exits (%d, %r)"
                % (second.returncode, second.stderr))
        g.check(agent.proc.poll() is None, "the first instance keeps running")
    finally:
        agent.stop()
    g.ok("one instance per session; no session -> error")


def scenario_prepared_helper():
    """Issue 15: the dialog connects to ward's helper as its first act, so the helper starts and
    loads PAM while GTK starts. Proof of "first": a dialog that cannot even open its display
    has already connected. Then a normal request: one instance in all, the dialog's, serves it."""
    import re
    helper = os.path.join(os.environ["WARD_BUILD_ROOT"], "helper", "ward-helper")
    bob = w.USERS["bob"]["uid"]
    act = w.HelperActivator([helper])
    try:
        agent = g.Agent(env={"DISPLAY": ":97"})  # no such display
        try:
            rc, out = g.finish(g.pkcheck())
            g.check(rc != 0, "no dialog, no grant (rc %d)" % rc)
            # The activator may take its time to accept, start and reap the instance.
            try:
                w.wait_for(lambda: re.search(r"Child \d+ died", act.log()), 10)
            except TimeoutError:
                pass
            w.wait_for(lambda: not act.helpers(), 10, message="a helper was left running")
            spawned = re.findall(r"Spawned .* as PID (\d+)", act.log())
            # systemd-socket-activate names the peer; the instance finds the dialog gone, or
            # waits for a request that never comes.
            g.check(len(spawned) == 1 and "/UID %d to " % bob in act.log(),
                    "the dialog connected before it failed to open the display:\n" + act.log())
            g.ok("the helper connection comes before GTK starts")
        finally:
            agent.stop()
        agent = g.Agent()
        try:
            pk = g.pkcheck()
            g.wait_prompt(agent, pk.pid)
            dialog = g.dialog_pids()[0]
            g.type_text(g.wait_window(), ALICE)
            rc, out = g.finish(pk)
            g.check(rc == 0, "authorized through ward-helper (rc %d, %r)" % (rc, out))
            spawned = re.findall(r"Spawned .* as PID (\d+)", act.log())
            g.check(len(spawned) == 2, "one instance for the request: %r" % spawned[1:])
            g.check(re.search(r"ward-helper\[%s\]: authenticated alice for uid %d \(pid %d\)"
                              % (spawned[1], bob, dialog), act.log()),
                    "the dialog's prepared instance authenticated:\n" + act.log())
            w.wait_for(lambda: not act.helpers(), 10, message="a helper was left running")
            g.ok("the prepared instance served the dialog")
        finally:
            agent.stop()
    finally:
        act.stop()


def main():
    return g.run_scenario(globals(), __doc__, lambda name: g.require())


if __name__ == "__main__":
    sys.exit(main())

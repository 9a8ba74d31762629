#!/usr/bin/python3
"""bob's desktop on the real stack: ward-gtk and its dialog in a booted Debian 13 (suite 'desktop').

Usage (through tests/booted/ward-booted): test_desktop.py CASE; test_desktop.py --list prints
the cases. Each case boots a fresh system (systemd 257, logind, polkit 126, GTK 4.18), gives bob
a graphical session the way a display manager does (desktop.py, session.sh), and checks what a
user relies on: ward-gtk started by the real machinery, requests from the session's real
clients answered through the dialog, the dialog usable with a screen reader and the keyboard
alone. Screenshots go to $WARD_BOOTED_ARTIFACTS/screenshots (tests/desktop/README.md).
"""

import os
import re
import sys
import time
import traceback

CASES = {}


def case(function):
    CASES[function.__name__.replace("_", "-")] = function
    return function


if __name__ == "__main__" and sys.argv[1:] == ["--list"]:
    pass  # the cases are defined below; the imports they need may be missing here
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import subprocess  # noqa: E402

    import pexpect  # noqa: E402

    import a11y_checks as a11y  # noqa: E402
    import booted as bw  # noqa: E402
    import desktop as d  # noqa: E402
    import wardworld as ww  # noqa: E402
    from wardtest import Transcript, check, log  # noqa: E402

    ALICE = ww.USERS["alice"]["password"]
    TEST_UNIT = "ward-booted-test.service"
    #: What must be gone once a request has ended: the dialog, the helpers, bob's clients.
    LEFTOVERS = (r"ward-gtk-dialog|/ward-helper( |$)|polkit-agent-helper-1|"
                 r"^(/usr/bin/)?(pkexec|run0|pkttyagent|systemctl restart)( |$)")


# ---------------------------------------------------------------------------------------------
# The pieces every case uses
# ---------------------------------------------------------------------------------------------

def desktop(kind="x11", enable=True, autostart=False, current="ward", dump=True):
    """bob's graphical session of KIND with ward-gtk: the user unit enabled (ENABLE) and/or XDG
    autostart through systemd (AUTOSTART); CURRENT is XDG_CURRENT_DESKTOP."""
    d.install_session_targets()
    d.start_user_manager()
    if enable:
        d.user_systemctl("enable", "ward-gtk.service")
    if autostart:
        d.hide_other_agents()
    d.user_systemctl("daemon-reload")
    d.set_dump(dump)
    return d.Session(kind, target=d.AUTOSTART_TARGET if autostart else d.TARGET,
                     desktop=current)


def wait_registered(session, cursor, count=1):
    """ward-gtk registered for SESSION with polkitd (COUNT times since CURSOR)."""
    pattern = r"Registered Authentication Agent for unix-session:%s .*ward-gtk" % session.id
    ww.wait_for(lambda: len(re.findall(pattern, bw.journal(cursor))) >= count, 30,
                message="ward-gtk did not register %d time(s) for session %s:\n%s" % (
                    count, session.id, bw.journal(cursor)[-3000:]))


def unit_active(unit="ward-gtk.service"):
    return d.unit_property(unit, "ActiveState")


def main_pid(unit="ward-gtk.service"):
    return int(d.unit_property(unit, "MainPID") or 0)


def one_agent():
    """Exactly one ward-gtk runs for bob: ward-gtk.service's."""
    pids = d.ward_gtk_pids()
    check(len(pids) == 1, "ward-gtk processes: %r" % pids)
    check(pids == [main_pid()], "the ward-gtk running (%r) is not ward-gtk.service's (%d)"
          % (pids, main_pid()))
    return pids[0]


def answer(session, password=None, attempts=None):
    """Types PASSWORD (alice's) into the dialog once it asks, then Return."""
    d.wait_prompt(attempts=attempts, active=session.kind == "wayland")
    session.type_text(password or ALICE)


def pkexec(session, program="/usr/bin/id"):
    """pkexec PROGRAM started from the desktop: in the session, without a terminal."""
    return session.popen(["pkexec", program] + (["-u"] if program == "/usr/bin/id" else []))


def systemctl_restart(session):
    """systemctl restart of a unit bob may not manage, from the desktop without a terminal."""
    bw.run(["systemctl", "start", TEST_UNIT])
    return session.popen(["systemctl", "restart", TEST_UNIT])


def app_systemctl_restart():
    """The same from an application of bob's user manager (app.slice, not the session's
    scope): polkitd asks the agent of the user's graphical session."""
    bw.run(["systemctl", "start", TEST_UNIT])
    return d.bob_popen(["systemd-run", "--user", "--quiet", "--wait", "--collect",
                        "--unit=ward-test-app", "--", "systemctl", "restart", TEST_UNIT])


def finished(proc, timeout=40):
    try:
        out, _ = proc.communicate(timeout=timeout)
    except Exception:
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError("the client did not end within %d s: %r" % (timeout, out))
    return proc.returncode, out


def nothing_left(timeout=20):
    bw.wait_gone(LEFTOVERS, timeout=timeout)


def dialog_quiet(cursor):
    """GTK said nothing wrong about the dialog: no warning or critical in the journal."""
    lines = [line for line in bw.journal(cursor).splitlines()
             if "ward-gtk-dialog" in line and re.search(
                 r"WARNING|CRITICAL|Trying to measure|-Gtk-|Gdk-", line)]
    check(not lines, "GTK complained about the dialog:\n" + "\n".join(lines[:10]))


def probe_for(session):
    """The AT-SPI client as bob in SESSION, its keys sent to the session's X display (or the
    Xvfb weston runs in)."""
    env = dict(session.display_env(), DISPLAY=session.env["X_FOR_KEYS"])
    proc = subprocess.Popen(session.command(["/usr/bin/python3", d.SRC + "/a11y_probe.py",
                                             "serve"], env),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return a11y.Probe(proc)


def focus_window(session):
    """The X11 session has no window manager: focus the dialog as one would on map."""
    if session.kind == "x11":
        window = bw.output(session.keys_env() + ["xdotool", "search", "--sync", "--onlyvisible",
                                                 "--name", "^%s$" % d.TITLE], timeout=30).split()
        session.xdotool("windowfocus", "--sync", window[0])


# ---------------------------------------------------------------------------------------------
# The session and ward-gtk's user unit
# ---------------------------------------------------------------------------------------------

def unit_lifecycle(kind, client):
    cursor = bw.journal_cursor()
    session = desktop(kind)
    check(session.prop("Type") == kind and session.prop("Class") == "user" and
          session.prop("Active") == "yes" and session.prop("Remote") == "no",
          "bob's session: Type=%s Class=%s Active=%s Remote=%s" % (
              session.prop("Type"), session.prop("Class"), session.prop("Active"),
              session.prop("Remote")))
    check(bw.output(["loginctl", "show-user", "bob", "-p", "Display", "--value"]).strip() ==
          session.id, "session %s is not bob's graphical (display) session" % session.id)
    for unit in ("graphical-session.target", d.TARGET):
        check(unit_active(unit) == "active", "%s is %s" % (unit, unit_active(unit)))
    refused = d.user_systemctl("start", "graphical-session.target", check_status=False)
    check(refused.returncode != 0 and "refuse" in refused.stdout.lower(),
          "graphical-session.target started by hand: %r" % refused.stdout)
    environment = d.user_systemctl("show-environment").stdout
    for key, value in session.display_env().items():
        check("%s=%s\n" % (key, value) in environment,
              "%s=%s is not in the user manager's environment:\n%s" % (key, value, environment))
    log("session %s: %s, active, graphical-session.target reached through %s (a manual start "
        "is refused), environment imported" % (session.id, kind, d.TARGET))

    # Started with the session, by the user manager, once.
    wait_registered(session, cursor)
    first = one_agent()
    check(unit_active() == "active", "ward-gtk.service is %s" % unit_active())
    log("ward-gtk.service started with the session (pid %d) and registered" % first)

    # A request from the desktop, answered through the dialog.
    proc = client(session)
    state = d.wait_prompt(active=kind == "wayland")
    check(state["display-type"] == {"x11": "GdkX11Display", "wayland": "GdkWaylandDisplay"}[kind],
          "the dialog talks to %s" % state["display-type"])
    session.screenshot("%s-dialog" % kind)
    session.key("alt+d")
    d.wait_dump(lambda s: s.get("details-expanded") == "true", what="the details shown")
    session.screenshot("%s-dialog-details" % kind)
    session.type_text(ALICE)
    status, out = finished(proc)
    check(status == 0, "the request failed: %d %r" % (status, out))
    nothing_left()
    log("a request without a terminal answered through the dialog (%s)" % state["message"])

    # Not started twice: starting the unit again, or ward-gtk by hand, leaves the one agent.
    d.user_systemctl("start", "ward-gtk.service")
    second = bw.run(d.as_bob([d.WARD_GTK], session.display_env()), check_status=False)
    check(second.returncode == 0 and "already running" in second.stdout,
          "a second ward-gtk: exit %d %r" % (second.returncode, second.stdout))
    check(one_agent() == first, "ward-gtk was started again")

    # Restarted after a crash.
    crash_cursor = bw.journal_cursor()
    bw.run(["kill", "-SEGV", str(first)])
    ww.wait_for(lambda: main_pid() not in (0, first) and unit_active() == "active", 30,
                message="ward-gtk.service was not restarted after a crash")
    wait_registered(session, crash_cursor)
    check(d.unit_property("ward-gtk.service", "NRestarts") == "1", "NRestarts is %s" %
          d.unit_property("ward-gtk.service", "NRestarts"))
    restarted = one_agent()
    proc = client(session)
    answer(session)
    status, out = finished(proc)
    check(status == 0, "the request after the restart failed: %d %r" % (status, out))
    log("restarted after a crash (pid %d -> %d), serves again" % (first, restarted))

    # Stopped with the session.
    session.stop()
    ww.wait_for(lambda: unit_active() in ("inactive", "failed", "") and not d.ward_gtk_pids(),
                30, message="ward-gtk outlived the session: %s %r" % (unit_active(),
                                                                     d.ward_gtk_pids()))
    check(unit_active() in ("inactive", ""), "ward-gtk.service ended %s" % unit_active())
    check(unit_active("graphical-session.target") in ("inactive", ""),
          "graphical-session.target outlived the session")
    nothing_left()
    dialog_quiet(cursor)
    log("stopped with the session")


@case
def unit_x11(_):
    """X11 session (Xvfb): the user unit enabled; started with the session, pkexec without a
    terminal answered, not started twice, restarted after a crash, stopped with the session."""
    unit_lifecycle("x11", pkexec)


@case
def unit_wayland(_):
    """The same on Wayland (weston), with systemctl restart of a unit without a terminal."""
    unit_lifecycle("wayland", systemctl_restart)


# ---------------------------------------------------------------------------------------------
# XDG autostart through systemd's generator
# ---------------------------------------------------------------------------------------------

AUTOSTART_UNIT = r"app-ward\x2dgtk@autostart.service"


@case
def autostart(_):
    """XDG autostart, the user unit not enabled: the generator's unit starts ward-gtk's user
    unit (one agent, with its restart policy); a request is answered."""
    cursor = bw.journal_cursor()
    session = desktop("x11", enable=False, autostart=True)
    check(d.user_systemctl("is-enabled", "ward-gtk.service", check_status=False).stdout.strip()
          == "disabled", "ward-gtk.service is enabled")
    units = d.user_systemctl("list-units", "--all", "--plain", "--no-legend",
                             "app-*@autostart.service").stdout
    check(AUTOSTART_UNIT in units, "no %s from the generator:\n%s" % (AUTOSTART_UNIT, units))
    wait_registered(session, cursor)
    pid = one_agent()
    log("autostart started ward-gtk.service (pid %d) through %s" % (pid, AUTOSTART_UNIT))
    proc = systemctl_restart(session)
    answer(session)
    status, out = finished(proc)
    check(status == 0, "the request failed: %d %r" % (status, out))
    nothing_left()
    session.stop()
    ww.wait_for(lambda: not d.ward_gtk_pids(), 30, message="ward-gtk outlived the session")
    dialog_quiet(cursor)


@case
def autostart_enabled(_):
    """XDG autostart and the enabled user unit together: one ward-gtk, the unit's."""
    cursor = bw.journal_cursor()
    session = desktop("x11", enable=True, autostart=True)
    wait_registered(session, cursor)
    time.sleep(3)  # both ways have had their time to start something
    pid = one_agent()
    check(d.unit_property("ward-gtk.service", "NRestarts") == "0", "ward-gtk.service restarted")
    check("already running" not in bw.journal(cursor), "a second ward-gtk was started")
    log("one ward-gtk (pid %d) with both autostart and the enabled unit" % pid)
    session.stop()


@case
def autostart_not_in_gnome_kde(_):
    """GNOME and KDE bring their own agents: autostart starts no ward-gtk there."""
    for current in ("GNOME", "KDE"):
        cursor = bw.journal_cursor()
        session = desktop("x11", enable=False, autostart=True, current=current)
        time.sleep(3)
        check(not d.ward_gtk_pids(), "ward-gtk runs in a %s session" % current)
        check(unit_active() == "inactive", "ward-gtk.service is %s in %s" % (unit_active(),
                                                                          current))
        check("Registered Authentication Agent" not in bw.journal(cursor),
              "an agent registered in the %s session" % current)
        log("%s session: no ward-gtk" % current)
        session.stop()


# ---------------------------------------------------------------------------------------------
# The session's real clients
# ---------------------------------------------------------------------------------------------

def terminal(session, env=None):
    """An interactive bash of bob's on a terminal inside the graphical session (a terminal
    emulator's shell): its pty is its controlling terminal, its process in the session."""
    full = dict(session.display_env(), TERM="xterm", PS1=bw.PROMPT, HISTFILE="/dev/null")
    full.update(env or {})
    argv = bw.inside(["sh", "-c", 'echo $$ >"$0" || exit 1; exec "$@"', session.scope_procs()]
                     + d.as_bob(["bash", "--norc", "--noprofile", "-i"], full))
    sh = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", codec_errors="replace", timeout=30,
                       dimensions=(24, 200), env={"TERM": "xterm", "PATH": ww.PATH})
    sh.logfile_read = Transcript()
    sh.expect_exact(bw.PROMPT)
    return sh


@case
def run0_fallback(_):
    """run0 from a terminal in the graphical session: systemd starts ward-tty with --fallback,
    so the desktop agent wins: the dialog asks, the terminal shows no prompt."""
    cursor = bw.journal_cursor()
    session = desktop("x11")
    wait_registered(session, cursor)
    sh = terminal(session)
    token = ww.shell_start(sh, "run0 id")
    state = d.wait_prompt()
    check("run-" in state["message"] or "run0" in state["requester"] or "id" in state["message"],
          "not run0's request: %r" % state["message"])
    session.type_text(ALICE)
    sh.expect_exact("uid=0(root)")
    check(ww.shell_wait(sh, token) == 0, "run0 failed: %r" % sh.before)
    shown = sh.before + (sh.after if isinstance(sh.after, str) else "")
    check("Password:" not in shown, "the terminal prompted too: %r" % shown)
    log("run0 --fallback agent gave way to the desktop's: the dialog answered")
    nothing_left()
    dialog_quiet(cursor)


@case
def run0_prefer_terminal(_):
    """The same with prefer-terminal set (WARD_TTY_PREFER_TERMINAL=1): ward-tty asks on the
    terminal, no dialog opens."""
    cursor = bw.journal_cursor()
    session = desktop("x11")
    wait_registered(session, cursor)
    sh = terminal(session, {"WARD_TTY_PREFER_TERMINAL": "1"})
    token = ww.shell_start(sh, "run0 id")
    sh.expect([r"Authenticate as which user\? \[1\]: "], timeout=30)
    sh.sendline("1")
    sh.expect_exact("Password: ", timeout=30)
    check(not d.dialog_pids(), "a dialog opened too: %r" % d.dialog_pids())
    sh.sendline(ALICE)
    sh.expect_exact("uid=0(root)")
    check(ww.shell_wait(sh, token) == 0, "run0 failed: %r" % sh.before)
    check(not d.dialog_pids() and d.read_dump() is None, "the dialog was opened")
    log("prefer-terminal: ward-tty asked on the terminal, no dialog")
    nothing_left()


@case
def two_requests(_):
    """Two requests at once: one dialog at a time, in order, both answered."""
    cursor = bw.journal_cursor()
    session = desktop("x11")
    wait_registered(session, cursor)
    first = pkexec(session)
    d.wait_prompt()
    # pkexec has no time limit (systemctl's D-Bus call gives up after 25 s, queued or not).
    second = pkexec(session, "/usr/bin/true")
    # The second request reaches ward-gtk at once; it waits for its turn, the client with it.
    time.sleep(3)
    check(second.poll() is None, "the second request ended without a dialog (exit %s)"
          % second.poll())
    check(len(d.dialog_pids()) == 1, "dialogs open: %r" % d.dialog_pids())
    state = d.read_dump()
    check("id -u" in state["message"], "the first dialog is not pkexec's: %r" % state["message"])
    d.clear_dump()
    session.type_text(ALICE)
    status, out = finished(first)
    check(status == 0, "the first request failed: %d %r" % (status, out))
    state = d.wait_prompt()
    check("/usr/bin/true" in state["message"], "the second dialog is not the second request's: "
          "%r" % state["message"])
    session.type_text(ALICE)
    status, out = finished(second)
    check(status == 0, "the second request failed: %d %r" % (status, out))
    log("two requests: queued, both answered in order")
    nothing_left()
    dialog_quiet(cursor)


@case
def lock_cancels(_):
    """The session is locked while the dialog asks: the request is cancelled, the dialog
    closes, nothing hangs, ward-gtk goes on serving."""
    cursor = bw.journal_cursor()
    session = desktop("x11")
    wait_registered(session, cursor)
    agent = one_agent()
    proc = pkexec(session)
    d.wait_prompt()
    session.type_text("alice-se", enter=False)  # a partial password, never submitted
    session.lock()
    status, out = finished(proc, timeout=20)
    check(status != 0, "pkexec succeeded after the lock: %r" % out)
    ww.wait_for(lambda: not d.dialog_pids(), 10, message="the dialog outlived the lock")
    check("the session was locked" in bw.journal(cursor), "ward-gtk did not say why")
    check(one_agent() == agent, "ward-gtk did not survive the lock")
    nothing_left()
    log("lock: request cancelled (pkexec exit %d), dialog closed, ward-gtk serving" % status)
    # It still serves (nothing here unlocks: the next request asks again).
    proc = pkexec(session)
    answer(session)
    check(finished(proc)[0] == 0, "the request after the lock failed")
    dialog_quiet(cursor)


@case
def session_ends(_):
    """The session ends (loginctl terminate-session) while the dialog asks for a request of
    an application (bob's user manager): the request fails at once, nothing hangs, ward-gtk
    and the dialog are gone."""
    cursor = bw.journal_cursor()
    session = desktop("x11")
    wait_registered(session, cursor)
    proc = app_systemctl_restart()
    d.wait_prompt()
    session.terminate()
    status, out = finished(proc, timeout=30)
    check(status != 0, "the request succeeded after the session ended: %r" % out)
    ww.wait_for(lambda: not d.dialog_pids() and not d.ward_gtk_pids(), 30,
                message="left after the session ended: dialog %r, ward-gtk %r" % (
                    d.dialog_pids(), d.ward_gtk_pids()))
    nothing_left()
    log("session ended: the request failed (exit %d), no dialog, no ward-gtk" % status)


# ---------------------------------------------------------------------------------------------
# Accessibility: the dialog as a screen reader and the keyboard alone meet it
# ---------------------------------------------------------------------------------------------

def accessible_request(kind):
    cursor = bw.journal_cursor()
    session = desktop(kind)
    wait_registered(session, cursor)
    probe = probe_for(session)
    try:
        # Escape cancels.
        proc = pkexec(session)
        d.wait_prompt(active=kind == "wayland")
        probe.call("dialog")
        focus_window(session)
        probe.call("key", keys=["Escape"])
        status, out = finished(proc)
        check(status != 0, "Escape did not cancel: %r" % out)
        probe.call("gone")
        log("Escape cancels")

        # The dialog as a screen reader finds it.
        proc = pkexec(session)
        state = d.wait_prompt(active=kind == "wayland")
        tree = probe.call("dialog")["tree"]
        a11y.check_dialog(tree, state["message"], prompt=state["prompt"],
                          identities=len(state["identities"].split("\n")),
                          requester=state["requester"][:20])
        log("the dialog, its fields and buttons are named as a person should hear them")
        focus_window(session)
        order = a11y.check_tab_order(probe)
        log("Tab order from the password field: %s" % " -> ".join(order))

        # A wrong password's message is announced, the focus back in the field.
        probe.call("events")
        probe.call("type", text="wrong-password")
        exposed = a11y.check_password_contained(probe, "wrong-password")
        log("the typed password is in no name, description, label or announcement; GTK "
           "exposes the field's own text to AT-SPI clients: %s" % ("yes" if exposed else "no"))
        probe.call("key", keys=["Return"])
        state = d.wait_prompt(attempts=1, active=kind == "wayland")
        events = probe.call("events", wait=1.0)["events"]
        check(a11y.announced(events, state["error"]),
              "the wrong password's message was not announced: %r" % events)
        focused = probe.call("focused")["focused"]
        check(focused and focused["role"] == "password text",
              "the focus is not back in the password field: %r" % focused)
        log("a wrong password's message is announced (%r)" % state["error"])
        session.screenshot("%s-a11y-wrong-password" % kind)

        # Enter submits: the keyboard alone answered the request.
        probe.call("type", text=ALICE)
        probe.call("key", keys=["Return"])
        status, out = finished(proc)
        check(status == 0, "the request failed: %d %r" % (status, out))
        probe.call("gone")
        log("Enter submits: answered with the keyboard alone")
    finally:
        probe.close()
    nothing_left()
    dialog_quiet(cursor)


@case
def a11y_x11(_):
    """AT-SPI on X11: dialog, names, focus, Tab order, announcement, Enter and Escape."""
    accessible_request("x11")


@case
def a11y_wayland(_):
    """The same on Wayland (weston activates the dialog itself)."""
    accessible_request("wayland")


@case
def large_text_high_contrast(_):
    """Text scaled 2x and GTK's high-contrast theme: nothing cut off, everything inside the
    window, the window on the screen (screenshots)."""
    # The theme in bob's GTK settings; the text scale as an X session's xrdb loads it
    # (Xft.dpi, which GTK's X11 backend reads and which overrides settings.ini there).
    settings = "/home/bob/.config/gtk-4.0"
    bw.run(["install", "-d", "-o", "bob", "-g", "bob", "/home/bob/.config", settings])
    bw.run(["sh", "-c", "printf '[Settings]\\ngtk-theme-name=HighContrast\\n'"
            " >%s/settings.ini && chown bob: %s/settings.ini" % (settings, settings)])
    cursor = bw.journal_cursor()
    session = desktop("x11")
    session.xprop_root("RESOURCE_MANAGER", "Xft.dpi:\t192\n")
    wait_registered(session, cursor)
    probe = probe_for(session)
    try:
        proc = pkexec(session)
        state = d.wait_prompt()
        check(state["theme"] == "HighContrast" and state["xft-dpi"] == "196608",
              "the settings did not take: theme %r, dpi %r" % (state["theme"], state["xft-dpi"]))
        probe.call("dialog")
        focus_window(session)
        session.key("alt+d")
        state = d.wait_dump(lambda s: s.get("details-expanded") == "true", what="details")
        session.screenshot("x11-large-text-high-contrast")
        tree = probe.call("tree")["tree"]
        check(not state["ellipsized"], "text cut short: %r" % state["ellipsized"])
        width, height = tree["extents"][2], tree["extents"][3]
        screen_w, screen_h = map(int, state["monitor-size"].split("x"))
        check(width <= screen_w and height <= screen_h, "the window (%dx%d) does not fit the "
              "screen (%s)" % (width, height, state["monitor-size"]))
        # Every part that shows lies inside the window (GTK allocates no less than a widget's
        # minimum, so what is cut off is what lies outside). GTK 4.18 reports garbage extents
        # (widths in the hundreds of millions) for an empty page inside the identity
        # drop-down's button, which is never drawn: not a part that shows.
        outside = [(n["role"], n["name"], n["extents"]) for n, _ in a11y.walk(tree)
                   if "showing" in n["states"] and n["extents"] and n["extents"][2] > 0 and
                   max(n["extents"][2:]) < 1000000 and
                   (n["extents"][0] < 0 or n["extents"][1] < 0 or
                    n["extents"][0] + n["extents"][2] > width or
                    n["extents"][1] + n["extents"][3] > height)]
        check(not outside, "parts outside the %dx%d window: %r" % (width, height, outside))
        state = dict(state, size="%dx%d" % (width, height))
        log("2x text, HighContrast: window %s on a %s screen, nothing cut off or outside" % (
            state["size"], state["monitor-size"]))
        session.type_text(ALICE)
        check(finished(proc)[0] == 0, "the request failed")
    finally:
        probe.close()
    nothing_left()
    dialog_quiet(cursor)


# ---------------------------------------------------------------------------------------------
# Fingerprint-like PAM conversations (pam_ward_test in front of the helper's stack)
# ---------------------------------------------------------------------------------------------

FINGER = "/run/ward-test-finger"
PLACE = "Place your finger on the fingerprint reader"


def pam_stack(*lines):
    """Puts LINES in front of the helper's PAM service (polkit-1) of this throw-away system,
    with the test module built for it (tests/desktop/pam-ward-test.c)."""
    built = os.path.join(os.environ["WARD_BUILD_ROOT"], "booted", "ward", "build", "tests",
                         "desktop", "pam_ward_test.so")
    check(os.path.exists(built), "the test PAM module was not built in the image: %s" % built)
    module = "/usr/lib/x86_64-linux-gnu/security/pam_ward_test.so"
    with open(built, "rb") as f:
        data = f.read()
    subprocess_input(["sh", "-c", "cat >%s && chmod 0644 %s" % (module, module)], data)
    stack = "\n".join(lines) + "\n"
    # Debian 13's polkitd keeps its stack in /usr/lib/pam.d; /etc/pam.d overrides it.
    original = (d.read_inside("/etc/pam.d/polkit-1") or
                d.read_inside("/usr/lib/pam.d/polkit-1"))
    check(original, "no PAM configuration for polkit-1")
    original = original.decode()
    subprocess_input(["sh", "-c", "cat >/etc/pam.d/polkit-1"], (stack + original).encode())


def subprocess_input(argv, data):
    result = subprocess.run(bw.inside(argv), input=data, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=30)
    check(result.returncode == 0, "%r: %r" % (argv, result.stdout))


@case
def pam_fingerprint(_):
    """A fingerprint-like module: its message is shown and announced, then it succeeds without
    anything typed."""
    pam_stack("auth sufficient pam_ward_test.so [info=%s] timeout-ms=30000 wait-file=%s "
              "result=success" % (PLACE, FINGER))
    cursor = bw.journal_cursor()
    session = desktop("x11")
    wait_registered(session, cursor)
    probe = probe_for(session)
    try:
        # Events from here on: the dialog may announce the message as soon as it is up, before
        # this process gets to run again.
        probe.call("events")
        proc = pkexec(session)
        state = d.wait_dump(lambda s: s.get("info") == PLACE and s.get("mapped") == "true",
                            what="the reader's message")
        check(state["awaiting-response"] == "false", "a prompt while the reader waits")
        probe.call("dialog")
        events = probe.call("events", wait=1.0)["events"]
        check(a11y.announced(events, PLACE), "the reader's message was not announced: %r"
              % events)
        session.screenshot("x11-pam-fingerprint")
        bw.run(["touch", FINGER])
        status, out = finished(proc)
        check(status == 0, "the request failed: %d %r" % (status, out))
        log("fingerprint: message shown and announced, success without typing")
    finally:
        probe.close()
    nothing_left()
    dialog_quiet(cursor)


@case
def pam_error_then_password(_):
    """A reader that fails: its error is shown and announced, then the password prompt."""
    pam_stack("auth optional pam_ward_test.so [info=%s] sleep=500 "
              "[error=Fingerprint not recognised] result=ignore" % PLACE)
    cursor = bw.journal_cursor()
    session = desktop("x11")
    wait_registered(session, cursor)
    probe = probe_for(session)
    try:
        probe.call("events")  # events from here on (as in pam_fingerprint)
        proc = pkexec(session)
        state = d.wait_prompt()
        check(state["error"] == "Fingerprint not recognised", "error %r" % state["error"])
        probe.call("dialog")
        events = probe.call("events", wait=1.0)["events"]
        check(a11y.announced(events, "Fingerprint not recognised"),
              "the reader's error was not announced: %r" % events)
        session.screenshot("x11-pam-error-then-password")
        session.type_text(ALICE)
        status, out = finished(proc)
        check(status == 0, "the request failed: %d %r" % (status, out))
        log("reader error shown and announced, then the password answered")
    finally:
        probe.close()
    nothing_left()
    dialog_quiet(cursor)


@case
def pam_cancel(_):
    """Escape while the reader waits (no prompt shown): the request is cancelled and the
    dialog closes; the helper ends when the module gives up."""
    pam_stack("auth sufficient pam_ward_test.so [info=%s] timeout-ms=5000 wait-file=%s "
              "result=success" % (PLACE, FINGER))
    cursor = bw.journal_cursor()
    session = desktop("x11")
    wait_registered(session, cursor)
    proc = pkexec(session)
    d.wait_dump(lambda s: s.get("info") == PLACE and s.get("mapped") == "true",
                what="the reader's message")
    focus_window(session)
    session.key("Escape")
    status, out = finished(proc, timeout=20)
    check(status != 0, "pkexec succeeded after Escape: %r" % out)
    ww.wait_for(lambda: not d.dialog_pids(), 10, message="the dialog outlived Escape")
    nothing_left(timeout=30)
    log("Escape while the reader waits: cancelled (pkexec exit %d), nothing left" % status)
    dialog_quiet(cursor)


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(CASES))
        return 0
    bw.require_booted()
    check(len(sys.argv) == 2 and sys.argv[1] in CASES, "usage: test_desktop.py CASE")
    log("case %s" % sys.argv[1])
    try:
        CASES[sys.argv[1]](None)
    except (AssertionError, pexpect.TIMEOUT, pexpect.EOF, TimeoutError):
        traceback.print_exc()
        print("---- journal (tail) ----\n" + bw.journal()[-6000:], flush=True)
        return 1
    log("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

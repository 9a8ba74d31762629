#!/usr/bin/python3
"""ward-gtk and its dialog on Wayland: weston in the polkit world, as bob in his session.

Usage: ward-world --weston[=x11] -- test_gtk_wayland.py SCENARIO. Exits 0 (pass), 1 (fail) or
77 (skip, with the reason on stderr).

Two compositors, both weston 10 run by bob with its socket in /run/user/4102:

- ``--weston`` (headless backend, pixman renderer): no X server exists at all. Its backend has
  no seat, so no client, the dialog included, can get a single key, and weston 10 offers no way
  to inject input: its test module (weston-test) is not packaged by Debian, and it implements
  neither zwp_virtual_keyboard_v1 (what wtype, packaged in Debian 12 as 0.4-3, needs; wlroots
  compositors have it) nor text-input-v3 (what GTK 4 uses for input methods). Without a seat
  nothing is "activated" either. Scenarios here check what needs no keyboard: the dialog maps
  and is drawn (screenshot), shows the right texts, talks Wayland only, is closed by polkitd,
  the listener goes on serving, and weston dying under the dialog fails the request cleanly.
- ``--weston=x11``: the same weston with its x11 backend, nested in a private Xvfb that only
  weston talks to. Keys sent to that X display with XTEST arrive at weston's seat and reach the
  dialog as wl_keyboard events; the dialog itself has no DISPLAY and no X connection (checked).
  Scenarios here type: the right password, a wrong one, Escape.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gtkworld as g  # noqa: E402
import wardworld as w  # noqa: E402

ALICE = w.USERS["alice"]["password"]
MESSAGE = "Authentication is required to run the ward admin test"
WAYLAND_DISPLAY_TYPE = "GdkWaylandDisplay"


def require(nested):
    w.require_world()
    if not os.environ.get("WAYLAND_DISPLAY") or not os.environ.get("WARD_WORLD_WAYLAND_SOCKET"):
        w.skip("no Wayland display (the world must be started with --weston)")
    if os.environ.get("DISPLAY"):
        g.check(False, "DISPLAY is set in a Wayland world: %r" % os.environ["DISPLAY"])
    if nested and not os.environ.get("WARD_WORLD_WESTON_X11_DISPLAY"):
        w.skip("this scenario types keys: it needs the world's --weston=x11 (nested weston)")
    tools = ["weston-screenshooter", "ss", "convert"] + (["xdotool"] if nested else [])
    for tool in tools:
        if shutil.which(tool) is None:
            w.skip("%s is not installed (tools/install-deps)" % tool)
    for var in ("WARD_GTK_AGENT", "WARD_GTK_DIALOG_BIN"):
        if not os.path.exists(os.environ.get(var, "")):
            w.skip("%s is not built" % var)


def start_agent():
    # GDK_BACKEND is not passed on (wardworld.user_env lists what is); None makes it explicit.
    return g.Agent(env={"GDK_BACKEND": None})


def wait_shown(agent, pk):
    """Waits until the dialog for PK asks for a password in its mapped window. With a seat
    (nested weston) also until weston made the window the active one (xdg_toplevel's
    "activated" state: the compositor mapped it and gave it the keyboard focus). Headless weston
    has no seat and activates nothing; there the screenshot shows the window is on screen."""
    nested = bool(os.environ.get("WARD_WORLD_WESTON_X11_DISPLAY"))
    g.wait_prompt(agent, pk.pid)
    return g.wait_state(agent, lambda s: s.get("mapped") == "true"
                        and s.get("awaiting-response") == "true"
                        and (s.get("active") == "true" or not nested), timeout=20,
                        what="the dialog mapped (and activated by weston)")


def single_dialog():
    dialogs = g.dialog_pids()
    g.check(len(dialogs) == 1, "one dialog process: %r" % dialogs)
    return dialogs[0]


def unix_sockets_of(pid):
    """The inodes of the unix sockets process PID holds."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(m.group(1))
    return inodes


def servers_of(pid):
    """The listening socket paths the unix sockets of process PID are connected to: for each
    connection, sock_diag (ss) lists the server's end under the listening socket's path, with
    the client's inode as its peer."""
    mine = unix_sockets_of(pid)
    out = subprocess.run(["ss", "-x", "-a", "-n"], stdout=subprocess.PIPE, text=True, check=True,
                         timeout=30).stdout
    servers = []
    for line in out.splitlines()[1:]:
        fields = line.split()
        # Netid State Recv-Q Send-Q Local-Address Local-Port Peer-Address Peer-Port
        if len(fields) < 8:
            continue
        local, peer_inode = fields[4], fields[7]
        if peer_inode in mine and local != "*":
            servers.append(local)
    return servers


def check_wayland_only(pid, state):
    """The dialog (PID) uses GDK's Wayland backend, is connected to weston's socket and to no
    X server, and has no DISPLAY in its environment."""
    g.check(state["display-type"] == WAYLAND_DISPLAY_TYPE,
            "GDK display of the dialog: %r" % state["display-type"])
    with open("/proc/%d/environ" % pid, "rb") as f:
        environ = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
    g.check(b"DISPLAY" not in environ and b"GDK_BACKEND" not in environ,
            "no DISPLAY or GDK_BACKEND in the dialog's environment")
    g.check(environ.get(b"WAYLAND_DISPLAY") == os.environ["WAYLAND_DISPLAY"].encode(),
            "WAYLAND_DISPLAY in the dialog's environment: %r" % environ.get(b"WAYLAND_DISPLAY"))
    servers = servers_of(pid)
    g.check(os.environ["WARD_WORLD_WAYLAND_SOCKET"] in servers,
            "the dialog is connected to weston's socket: %r" % servers)
    g.check(not any("X11-unix" in s for s in servers),
            "the dialog has no X connection: %r" % servers)
    g.ok("the dialog talks Wayland only (%s; connected to %s)" % (state["display-type"],
                                                                   ", ".join(servers)))


def check_compositor():
    """weston runs as bob, as a session's compositor does, with its socket in bob's private
    XDG_RUNTIME_DIR."""
    bob = w.USERS["bob"]["uid"]
    runtime = os.path.dirname(os.environ["WARD_WORLD_WAYLAND_SOCKET"])
    st = os.stat(runtime)
    g.check(st.st_uid == bob and (st.st_mode & 0o777) == 0o700,
            "XDG_RUNTIME_DIR %s is bob's, mode 0700: uid %d, mode %o"
            % (runtime, st.st_uid, st.st_mode & 0o777))
    with open(os.path.join(w.world_dir(), "weston.pid")) as f:
        pid = int(f.read())
    with open("/proc/%d/status" % pid) as f:
        uids = [line.split()[1:] for line in f if line.startswith("Uid:")][0]
    g.check(uids == [str(bob)] * 4, "weston runs as bob: %r" % uids)
    g.ok("weston runs as bob, socket %s" % os.environ["WARD_WORLD_WAYLAND_SOCKET"])


def check_texts(state, pk):
    g.check(state["title"] == g.TITLE, "window title %r" % state["title"])
    g.check(state["heading"] == g.TITLE, "heading %r" % state["heading"])
    g.check(state["message"] == MESSAGE, "message %r" % state["message"])
    g.check(state["message-use-markup"] == "false", "message label does not parse markup")
    g.check(state["requester"].startswith("pkcheck --action-id " + g.ADMIN_ACTION),
            "requester command line: %r" % state["requester"])
    g.check(state["requester-detail"] == "Process %d, user bob" % pk.pid,
            "requester pid and user: %r" % state["requester-detail"])
    names = state["identities"].split("\n")
    g.check(names == ["ward test user alice (alice)", "ward test user carol (carol)"],
            "identities offered: %r" % names)
    g.check(state["identity-selected"] == "0", "alice selected by default")
    g.check(state["prompt"] == "Password:", "PAM prompt as the label: %r" % state["prompt"])
    g.check(state["focus-in-entry"] == "true", "keyboard focus starts in the entry")
    g.check(state["action"] == g.ADMIN_ACTION, "action id in the details")
    g.ok("the dialog's texts: message, requester, identities, prompt")


def screenshot(name, attempts=20):
    """Takes a screenshot of weston's output with weston-screenshooter (weston runs with
    --debug, which offers its screenshooter to every client), run as bob, and saves it as
    artifacts/NAME.png. Retries until the light dialog covers a fair part of the grey desktop
    (it may map before its first frame is drawn)."""
    home = os.path.join(w.world_dir(), "home", "bob")
    path = os.path.join(g.artifacts_dir(), name + ".png")
    bright = 0.0
    for _ in range(attempts):
        for old in os.listdir(home):
            if old.startswith("wayland-screenshot"):
                os.unlink(os.path.join(home, old))
        res = w.run_as_sync("bob", ["weston-screenshooter"], timeout=30)
        g.check(res.returncode == 0, "weston-screenshooter: %r" % res.stderr)
        shots = [f for f in os.listdir(home) if f.startswith("wayland-screenshot")]
        g.check(len(shots) == 1, "one screenshot written: %r" % shots)
        shutil.move(os.path.join(home, shots[0]), path)
        # The share of near-white pixels: the desktop is grey, the dialog's background light.
        out = subprocess.run(["convert", path, "-colorspace", "Gray", "-threshold", "92%",
                              "-format", "%[fx:mean]", "info:"], stdout=subprocess.PIPE,
                             text=True, timeout=30).stdout
        try:
            bright = float(out)
        except ValueError:
            bright = 0.0
        if bright > 0.04:
            break
        time.sleep(0.3)
    g.check(bright > 0.04, "the dialog is visible in the screenshot (%.3f light)" % bright)
    return path


def cancel_by_polkitd(agent, pk, count):
    """The client goes away; polkitd sends CancelAuthentication; the dialog must close and the
    request end CANCELLED."""
    pk.kill()
    pk.wait()
    w.wait_for(lambda: not g.dialog_pids(), 10, message="the dialog process is still running")
    agent.wait_log("completing a request: outcome 1", count=count,
                   what="a CANCELLED completion")
    g.check(agent.proc.poll() is None, "ward-gtk still running")


# --- headless weston: no keyboard ---------------------------------------------------------


def scenario_dialog():
    check_compositor()
    agent = start_agent()
    try:
        pk = g.pkcheck()
        state = wait_shown(agent, pk)
        dialog = single_dialog()
        check_wayland_only(dialog, state)
        check_texts(state, pk)
        state = g.wait_state(agent, lambda s: s["vendor"] != "Unknown", timeout=10,
                             what="the vendor lookup")
        g.check(state["vendor"] == "ward tests", "vendor looked up: %r" % state["vendor"])
        path = screenshot("wayland-dialog")
        g.ok("screenshot of the dialog on weston: %s" % path)
        cancel_by_polkitd(agent, pk, 1)
        g.ok("the dialog maps on Wayland with the right texts")
    finally:
        agent.stop()


def scenario_polkitd_cancel():
    agent = start_agent()
    try:
        pk = g.pkcheck()
        wait_shown(agent, pk)
        single_dialog()
        cancel_by_polkitd(agent, pk, 1)
        g.ok("CancelAuthentication from polkitd closes the dialog on Wayland")
        # The listener serves the next request: a new dialog, again on Wayland.
        g.clear_state(agent)
        pk2 = g.pkcheck()
        state = wait_shown(agent, pk2)
        check_wayland_only(single_dialog(), state)
        check_texts(state, pk2)
        cancel_by_polkitd(agent, pk2, 2)
        g.ok("the listener serves a second request on Wayland")
    finally:
        agent.stop()


def scenario_display_gone():
    # The compositor dies under an open dialog (invariant 14, as hardening-gtk-display-gone
    # does with Xvfb): the dialog ends, polkitd gets an answer, ward-gtk survives and says why;
    # a request made while there is no compositor fails at once.
    agent = start_agent()
    try:
        pk = g.pkcheck()
        wait_shown(agent, pk)
        single_dialog()
        with open(os.path.join(w.world_dir(), "weston.pid")) as f:
            weston = int(f.read())
        os.kill(weston, signal.SIGKILL)
        w.wait_for(lambda: not g.dialog_pids(), 15, message="the dialog survives its compositor")
        rc, out = g.finish(pk, timeout=20)
        g.check(rc != 0, "not authorized (rc %d, %r)" % (rc, out))
        g.check(agent.proc.poll() is None, "ward-gtk survives the compositor")
        agent.wait_log("The authentication dialog exited unexpectedly",
                       what="the request failed with a log line")
        pk = g.pkcheck()
        rc, out = g.finish(pk, timeout=30)
        g.check(rc != 0, "not authorized without a compositor (rc %d)" % rc)
        agent.wait_log("cannot open the display", what="the dialog saying why")
        g.check(agent.proc.poll() is None, "ward-gtk still running")
        g.ok("weston killed under the dialog: request failed, ward-gtk survives")
    finally:
        agent.stop()


# --- weston nested in Xvfb: a real seat, keys through XTEST ---------------------------------


def xdotool(*args):
    env = dict(os.environ)
    env["DISPLAY"] = os.environ["WARD_WORLD_WESTON_X11_DISPLAY"]
    env["XAUTHORITY"] = os.environ["WARD_WORLD_WESTON_X11_XAUTHORITY"]
    res = subprocess.run(["xdotool"] + [str(a) for a in args], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=30)
    g.check(res.returncode == 0, "xdotool %r: %r" % (args, res.stderr))
    return res.stdout


def type_text(text, enter=True):
    """Types TEXT into weston's X window: XTEST, Xvfb, weston's x11 backend, weston's seat,
    then wl_keyboard events to the active surface (the dialog)."""
    xdotool("type", "--delay", "15", text)
    if enter:
        xdotool("key", "Return")


def scenario_right_password():
    agent = start_agent()
    try:
        pk = g.pkcheck()
        state = wait_shown(agent, pk)
        check_wayland_only(single_dialog(), state)
        check_texts(state, pk)
        g.ok("screenshot: %s" % screenshot("wayland-nested-dialog"))
        type_text("not-the-password")
        state = g.wait_prompt(agent, pk.pid, attempts=1, timeout=30)
        g.check("try again" in state["error"], "inline error after a wrong password: %r" % state)
        g.check(state["focus-in-entry"] == "true" and state["active"] == "true",
                "the entry has the focus again after a wrong password: %r" % state)
        g.check(pk.poll() is None, "the request stays open for a retry")
        type_text(ALICE)
        rc, out = g.finish(pk)
        g.check(rc == 0, "pkcheck authorized after the right password (rc %d, %r)" % (rc, out))
        w.wait_for(lambda: not g.dialog_pids(), 10, message="the dialog process is still running")
        agent.wait_log("completing a request: outcome 0", what="a DONE completion")
        g.ok("typed on Wayland: wrong password refused, right password authorized")
    finally:
        agent.stop()


def scenario_escape():
    agent = start_agent()
    try:
        pk = g.pkcheck()
        state = wait_shown(agent, pk)
        check_wayland_only(single_dialog(), state)
        xdotool("key", "Escape")
        rc, out = g.finish(pk, timeout=15)
        g.check(rc != 0, "not authorized after Escape (rc %d, %r)" % (rc, out))
        w.wait_for(lambda: not g.dialog_pids(), 10, message="the dialog process is still running")
        agent.wait_log("completing a request: outcome 1", what="a CANCELLED completion")
        g.ok("Escape cancels on Wayland")
        pk2 = g.pkcheck()
        wait_shown(agent, pk2)
        type_text(ALICE)
        rc, out = g.finish(pk2)
        g.check(rc == 0, "the next request is answered (rc %d, %r)" % (rc, out))
        g.ok("the listener serves the next request")
    finally:
        agent.stop()


NESTED = {"right_password", "escape"}


def main():
    return g.run_scenario(globals(), __doc__, lambda name: require(name in NESTED))


if __name__ == "__main__":
    sys.exit(main())

"""bob's graphical session in the booted Debian 13 world, for the desktop suite.

Runs on the host beside ``tests/booted/ward-booted`` (see booted.py). A ``Session`` is made the
way a display manager and a session manager make one: ``systemd-run -p PAMName=login`` with
``XDG_SESSION_TYPE`` (pam_systemd registers a logind session of that type), then
``session.sh`` as its leader starts the display server, imports the environment into bob's user
manager and starts a session target that binds ``graphical-session.target``.
"""

import os
import re
import subprocess
import time

import booted as bw
import wardworld as ww
from wardtest import check, log

BOB = ww.USERS["bob"]
UID = BOB["uid"]
RUNTIME = "/run/user/%d" % UID
SRC = "/usr/src/ward/tests/desktop"
WARD_GTK = "/usr/libexec/ward-gtk"
DIALOG = "/usr/libexec/ward-gtk-dialog"
TITLE = "Authentication Required"
#: The test hook of the dialog (HACKING.md, "Settings for tests"): what its labels show.
DUMP = RUNTIME + "/ward-dialog-state.txt"
TARGET = "ward-test-session.target"
AUTOSTART_TARGET = "ward-test-autostart-session.target"
PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"


def read_inside(path):
    """The bytes of file PATH as the container sees it (its /run/user and /tmp are mounts of
    its own, which the host's view of its root does not show), or None."""
    result = subprocess.run(bw.inside(["cat", path]), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, timeout=30)
    return result.stdout if result.returncode == 0 else None


def bob_env(extra=None):
    """A login-like environment of bob's, with his runtime folder and session bus."""
    env = {"HOME": "/home/bob", "USER": "bob", "LOGNAME": "bob", "SHELL": "/bin/bash",
           "PATH": PATH, "LANG": "C.UTF-8", "XDG_RUNTIME_DIR": RUNTIME,
           "DBUS_SESSION_BUS_ADDRESS": "unix:path=%s/bus" % RUNTIME}
    env.update(extra or {})
    return env


def as_bob(argv, env=None):
    """ARGV as a command line that runs it inside the container as bob (no PAM, no session)."""
    return ["setpriv", "--reuid=%d" % UID, "--regid=%d" % BOB["gid"], "--init-groups", "--",
            "env", "-i"] + ["%s=%s" % kv for kv in bob_env(env).items()] + list(argv)


def bob_run(argv, env=None, check_status=True, timeout=60):
    return bw.run(as_bob(argv, env), check_status=check_status, timeout=timeout)


def bob_popen(argv, env=None, **kwargs):
    """ARGV started as bob (no session, no terminal); text output in .stdout."""
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.STDOUT)
    return subprocess.Popen(bw.inside(as_bob(argv, env)), text=True, **kwargs)


def user_systemctl(*args, check_status=True, timeout=60):
    """systemctl --user ARGS as bob, talking to his user manager."""
    return bob_run(["systemctl", "--user"] + list(args), check_status=check_status,
                   timeout=timeout)


def unit_property(unit, prop):
    return user_systemctl("show", "-P", prop, unit, check_status=False).stdout.strip()


def start_user_manager():
    """bob's user manager, before any session (to enable a unit as bob would have earlier)."""
    bw.run(["systemctl", "start", "user@%d.service" % UID])


def install_session_targets():
    """The suite's session targets, where an administrator's units go (the system is thrown
    away after the test)."""
    for name in (TARGET, AUTOSTART_TARGET):
        bw.run(["install", "-m", "0644", "%s/%s" % (SRC, name), "/etc/systemd/user/" + name])


def hide_other_agents():
    """Debian 13's peers (installed for the benchmark) have XDG autostart entries too; bob
    hides them as a user does, so that ward-gtk is the only agent autostart could start."""
    folder = "/home/bob/.config/autostart"
    bw.run(["install", "-d", "-o", "bob", "-g", "bob", "/home/bob/.config", folder])
    for name in ("lxpolkit.desktop", "polkit-mate-authentication-agent-1.desktop"):
        bw.run(["sh", "-c", "printf '[Desktop Entry]\\nHidden=true\\n' >%s/%s && chown bob: %s/%s"
                % (folder, name, folder, name)])


def set_dump(enabled=True):
    """Sets the dialog's test dump in bob's user manager (ward-gtk passes it on)."""
    if enabled:
        user_systemctl("set-environment", "WARD_GTK_DIALOG_DUMP=" + DUMP)
    else:
        user_systemctl("unset-environment", "WARD_GTK_DIALOG_DUMP")


def ward_gtk_pids():
    return bw.pids(r"^%s( |$)" % WARD_GTK, user="bob")


def dialog_pids():
    return bw.pids(r"^%s( |$)" % DIALOG, user="bob")


def read_dump():
    """The dialog's state (WARD_GTK_DIALOG_DUMP), as a dict; None before the first."""
    data = read_inside(DUMP)
    if not data:
        return None
    text = data.decode("utf-8", "replace")
    from gi.repository import GLib
    return GLib.Variant.parse(GLib.VariantType.new("a{ss}"), text, None, None).unpack()


def clear_dump():
    bw.run(["rm", "-f", DUMP])


def wait_dump(predicate, timeout=30, what="the dialog's state"):
    last = [None]

    def ok():
        state = read_dump()
        last[0] = state
        return state if state is not None and predicate(state) else None
    try:
        return ww.wait_for(ok, timeout, interval=0.1)
    except TimeoutError:
        raise AssertionError("waiting for %s; last state: %r" % (what, last[0]))


def wait_prompt(attempts=None, timeout=30, active=False):
    """Waits until the dialog's window is mapped and asking (after ATTEMPTS failures); with
    ACTIVE also until the compositor made it the active window (weston does; the X11 session
    has no window manager, so there the tests focus the window as one would)."""
    return wait_dump(lambda s: s.get("awaiting-response") == "true" and
                     s.get("mapped") == "true" and (s.get("active") == "true" or not active) and
                     (attempts is None or s.get("attempts") == str(attempts)),
                     timeout, "a password prompt%s" % (" in an active window" if active else ""))


def journal_has(pattern, cursor, timeout=20):
    ww.wait_for(lambda: re.search(pattern, bw.journal(cursor)), timeout,
                message="%r not in the journal" % pattern)


class Session:
    """bob's graphical session of KIND (x11 or wayland), made as a display manager makes one.

    DESKTOP is XDG_CURRENT_DESKTOP (and XDG_SESSION_DESKTOP); TARGET the session target."""

    count = 0

    def __init__(self, kind, target=TARGET, desktop="ward", start=True):
        self.kind, self.target, self.desktop = kind, target, desktop
        Session.count += 1
        self.unit = "ward-test-session-%d" % Session.count
        self.id = None
        self.env = {}
        if start:
            self.start()

    def start(self):
        envfile = RUNTIME + "/ward-test-session.env"
        bw.run(["rm", "-f", envfile])
        bw.run(["systemd-run", "--quiet", "--unit=" + self.unit, "--uid=bob",
                "-p", "PAMName=login", "-p", "WorkingDirectory=~",
                "-E", "XDG_SESSION_TYPE=" + self.kind, "-E", "XDG_SESSION_CLASS=user",
                "-E", "XDG_SESSION_DESKTOP=" + self.desktop,
                "-E", "XDG_CURRENT_DESKTOP=" + self.desktop, "-E", "LANG=C.UTF-8",
                "/bin/sh", SRC + "/session.sh", self.kind, self.target])

        def ready():
            if bw.output(["systemctl", "is-active", self.unit], check_status=False).strip() \
                    not in ("active", "activating"):
                raise AssertionError("the session ended while starting: %s" % bw.output(
                    ["journalctl", "--no-pager", "-n", "40", "-u", self.unit],
                    check_status=False))
            return read_inside(envfile)
        try:
            ww.wait_for(ready, 60)
        except TimeoutError:
            raise AssertionError("the %s session did not reach %s:\n%s" % (
                self.kind, self.target, bw.journal()[-4000:]))
        text = read_inside(envfile).decode()
        self.env = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        self.id = self.env["XDG_SESSION_ID"]
        check(self.id, "no XDG_SESSION_ID in the session")
        log("%s session %s of bob (%s), %s reached" % (self.kind, self.id, self.desktop,
                                                       self.target))
        return self

    def prop(self, name):
        return bw.output(["loginctl", "show-session", self.id, "-p", name, "--value"],
                         check_status=False).strip()

    def display_env(self):
        """The display part of the session's environment, as its programs have it."""
        env = {"XDG_SESSION_TYPE": self.kind, "XDG_CURRENT_DESKTOP": self.desktop,
               "XDG_SESSION_ID": self.id}
        if self.env.get("DISPLAY"):
            env["DISPLAY"] = self.env["DISPLAY"]
        if self.env.get("WAYLAND_DISPLAY"):
            env["WAYLAND_DISPLAY"] = self.env["WAYLAND_DISPLAY"]
        return env

    def scope_procs(self):
        return "/sys/fs/cgroup/user.slice/user-%d.slice/session-%s.scope/cgroup.procs" % (
            UID, self.id)

    def command(self, argv, env=None):
        """ARGV as a host command line that runs it as bob inside this session (its logind
        scope, its environment) and without a terminal (setsid, no controlling tty), as a
        program started from the desktop's menu is."""
        full = self.display_env()
        full.update(env or {})
        # Root's shell joins the scope and becomes bob's; bob's starts ARGV and waits for it:
        # pkexec and polkit want the parent of their process inside the container (nsenter,
        # the parent of what it starts, is not).
        return bw.inside(["sh", "-c", 'echo $$ >"$0" || exit 1; exec "$@"', self.scope_procs()]
                         + as_bob(["sh", "-c", 'setsid -w "$@"; exit $?', "sh"] + list(argv),
                                  full))

    def popen(self, argv, env=None, **kwargs):
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.STDOUT)
        return subprocess.Popen(self.command(argv, env), text=True, **kwargs)

    def keys_env(self):
        """Where keys are typed: the session's X display, or the Xvfb weston runs in."""
        return ["env", "DISPLAY=" + self.env["X_FOR_KEYS"]]

    def xdotool(self, *args):
        return bw.run(self.keys_env() + ["xdotool"] + [str(a) for a in args], timeout=30)

    def type_text(self, text, enter=True):
        if self.kind == "x11":
            window = bw.output(self.keys_env() + ["xdotool", "search", "--sync", "--onlyvisible",
                                                  "--name", "^%s$" % TITLE],
                               timeout=30).split()[0]
            self.xdotool("windowfocus", "--sync", window)
        self.xdotool("type", "--delay", "20", text)
        if enter:
            self.xdotool("key", "Return")

    def xprop_root(self, name, value):
        """Sets a string property on the X display's root window (what xrdb does for
        RESOURCE_MANAGER)."""
        bw.run(self.keys_env() + ["xprop", "-root", "-format", name, "8s", "-set", name, value])

    def key(self, *keys):
        self.xdotool("key", "--delay", "60", *keys)

    def screenshot(self, name):
        """The whole screen (for Wayland: weston's output) as ARTIFACTS/screenshots/NAME.png."""
        folder = os.path.join(bw.ARTIFACTS, "screenshots")
        os.makedirs(folder, exist_ok=True)
        inside_path = "/tmp/%s.png" % name
        # GTK may map the window a frame before it draws it: give it that frame.
        time.sleep(0.5)
        bw.run(self.keys_env() + ["import", "-window", "root", inside_path], timeout=60)
        path = os.path.join(folder, name + ".png")
        data = read_inside(inside_path)
        check(data, "no screenshot at %s" % inside_path)
        with open(path, "wb") as dst:
            dst.write(data)
        bw.run(["rm", "-f", inside_path])
        log("screenshot: %s" % path)
        return path

    def lock(self):
        bw.run(["loginctl", "lock-session", self.id])

    def stop(self):
        """Logs out: the session's leader gets SIGTERM and stops the session target."""
        bw.run(["systemctl", "stop", self.unit], check_status=False)
        ww.wait_for(self.ended, 30, message="session %s still there" % self.id)

    def ended(self):
        """The session is gone, or closing (only processes that ignore the logout left)."""
        result = bw.run(["loginctl", "show-session", self.id, "-p", "State", "--value"],
                        check_status=False, stderr=subprocess.DEVNULL)
        return result.returncode != 0 or result.stdout.strip() == "closing"

    def terminate(self):
        bw.run(["loginctl", "terminate-session", self.id])

"""Helpers for ward-gtk's tests: start the listener as bob in his session, make polkit requests
with pkcheck, find and drive the dialog under Xvfb with xdotool, read the dialog's test dump.

Runs inside ward's polkit world (tests/world/ward-world --xvfb); see tests/world/wardworld.py.
The programs under test come from WARD_GTK_AGENT and WARD_GTK_DIALOG_BIN (set by meson).
"""

import os
import re
import shutil
import subprocess
import sys
import time

import wardworld as w
from gi.repository import GLib

TITLE = "Authentication Required"
ADMIN_ACTION = "org.ward.test.auth-admin"


def require():
    """Skip unless inside the world, with a display and the tools the tests drive it with."""
    w.require_world()
    if not os.environ.get("DISPLAY"):
        w.skip("no X display (the world must be started with --xvfb)")
    for tool in ("xdotool", "import"):
        if shutil.which(tool) is None:
            w.skip("%s is not installed" % tool)
    for var in ("WARD_GTK_AGENT", "WARD_GTK_DIALOG_BIN"):
        if not os.path.exists(os.environ.get(var, "")):
            w.skip("%s is not built" % var)


def artifacts_dir():
    path = os.path.join(os.environ.get("WARD_BUILD_ROOT", "/tmp"), "tests", "gtk", "artifacts")
    os.makedirs(path, exist_ok=True)
    return path


def bob_file(name):
    """A path in bob's home, where bob's processes may write."""
    return os.path.join(w.world_dir(), "home", "bob", name)


class Agent:
    """ward-gtk running as bob inside his session, logging to a file."""

    def __init__(self, env=None, user="bob", in_session=True, wait=True, dialog=None):
        self.dump = bob_file("dialog-state.txt")
        self.log_path = os.path.join(w.world_dir(), "ward-gtk-%d.log" % time.monotonic_ns())
        self._log = open(self.log_path, "w")
        full_env = {
            "WARD_GTK_DIALOG": dialog or os.environ["WARD_GTK_DIALOG_BIN"],
            "WARD_GTK_DIALOG_DUMP": self.dump,
        }
        full_env.update(env or {})
        self.proc = w.popen_as(user, [os.environ["WARD_GTK_AGENT"], "--verbose"],
                               in_session=in_session, env=full_env,
                               stdout=self._log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_log("authentication agent for session", what="ward-gtk to register")

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, text, count=1, timeout=15, what=None):
        def seen():
            if self.proc.poll() is not None and self.log().count(text) < count:
                raise RuntimeError("ward-gtk exited (%s); log:\n%s" % (self.proc.returncode,
                                                                       self.log()))
            return self.log().count(text) >= count
        try:
            w.wait_for(seen, timeout)
        except TimeoutError:
            raise TimeoutError("waiting for %s; ward-gtk log:\n%s" % (what or repr(text),
                                                                     self.log()))

    def stop(self):
        if self.proc.poll() is None:
            w.terminate(self.proc)
        self._log.close()
        # For the test log: what ward-gtk said.
        for line in self.log().splitlines():
            print("# ward-gtk: %s" % line, flush=True)


def pkcheck(action=ADMIN_ACTION, details=(), user="bob"):
    """Start ``pkcheck --allow-user-interaction`` for ACTION as USER in bob's session (the
    process checks itself). Returns the Popen (text output in .stdout)."""
    argv = ["pkcheck", "--action-id", action, "--allow-user-interaction", "--process"]
    extra = []
    for key, value in details:
        extra += ["--detail", key, value]
    # exec keeps the pid: the subject is pkcheck itself.
    script = 'exec "$@" "$$"' + "".join(" %s" % shlex_quote(a) for a in extra)
    return w.popen_as(user, ["sh", "-c", script, "sh"] + argv, in_session=True,
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def shlex_quote(text):
    import shlex
    return shlex.quote(text)


def finish(proc, timeout=30):
    """Wait for a pkcheck; returns (returncode, output)."""
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def read_state(path):
    """The dialog's label texts (WARD_GTK_DIALOG_DUMP), as a dict; None before the first."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    if not text:
        return None
    return GLib.Variant.parse(GLib.VariantType.new("a{ss}"), text, None, None).unpack()


def wait_state(agent, predicate, timeout=20, what="the dialog state"):
    last = [None]

    def ok():
        state = read_state(agent.dump)
        last[0] = state
        return state if state is not None and predicate(state) else None
    try:
        return w.wait_for(ok, timeout, interval=0.05)
    except TimeoutError:
        raise TimeoutError("waiting for %s; last state: %r\nward-gtk log:\n%s"
                           % (what, last[0], agent.log()))


def wait_prompt(agent, requester_pid=None, attempts=None, timeout=20):
    """Wait until a dialog asks for the password (optionally for REQUESTER_PID's request, or
    after ATTEMPTS failed attempts); returns the state."""
    def ready(s):
        if s.get("awaiting-response") != "true":
            return False
        if requester_pid is not None and ("Process %d," % requester_pid) not in \
                s.get("requester-detail", "") + ",":
            return False
        if attempts is not None and s.get("attempts") != str(attempts):
            return False
        return True
    return wait_state(agent, ready, timeout, "a password prompt")


def clear_state(agent):
    try:
        os.unlink(agent.dump)
    except FileNotFoundError:
        pass


def xdotool(*args, timeout=20):
    return subprocess.run(["xdotool"] + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)


def find_windows():
    out = xdotool("search", "--onlyvisible", "--name", "^%s$" % TITLE)
    return out.stdout.split()


def wait_window(timeout=20):
    return w.wait_for(lambda: (find_windows() or [None])[0], timeout,
                      message="no visible dialog window")


def wait_no_window(timeout=10):
    w.wait_for(lambda: not find_windows(), timeout, message="the dialog is still shown")


def focus(window):
    xdotool("windowfocus", "--sync", window)


def type_text(window, text, enter=True):
    focus(window)
    xdotool("type", "--delay", "15", text)
    if enter:
        xdotool("key", "Return")


def key(window, *keys):
    focus(window)
    xdotool("key", *keys)


def screenshot(name):
    """Saves the whole screen as artifacts/NAME.png and returns the path."""
    path = os.path.join(artifacts_dir(), name + ".png")
    # The window can be mapped before GTK paints its first frame: without a window manager it
    # sits at the top-left corner, so wait until that corner is no longer black.
    for _ in range(20):
        time.sleep(0.3)
        subprocess.run(["import", "-window", "root", path], check=True, timeout=30)
        mean = subprocess.run(["convert", path, "-crop", "200x200+0+0", "-format", "%[fx:mean]",
                               "info:"], stdout=subprocess.PIPE, text=True, timeout=30).stdout
        try:
            if float(mean) > 0.05:
                break
        except ValueError:
            break
    return path


def dialog_pids():
    """Pids of running ward-gtk-dialog processes."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2] == "Z":
            continue
        if argv0.endswith(b"ward-gtk-dialog"):
            pids.append(int(entry))
    return pids


def check(condition, message):
    if not condition:
        print("FAIL: %s" % message, file=sys.stderr, flush=True)
        sys.exit(1)


def ok(message):
    print("ok - %s" % message, flush=True)


PKCHECK_DISMISSED = re.compile(r"dismissed|Not authorized", re.I)


def run_scenario(namespace, doc, prepare):
    """A test script's main(): run namespace's scenario_NAME for argv[1] (dashes allowed) after
    PREPARE(name) (which skips when the world lacks something). Returns the exit status."""
    if len(sys.argv) != 2:
        print(doc, file=sys.stderr)
        return 2
    name = sys.argv[1].replace("-", "_")
    func = namespace.get("scenario_" + name)
    if func is None:
        print("unknown scenario %s" % sys.argv[1], file=sys.stderr)
        return 2
    prepare(name)
    func()
    return 0

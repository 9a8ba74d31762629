"""Helpers for tests that run inside ward's polkit world (tests/world/ward-world).

A world test is started as ``ward-world [--xvfb] -- /usr/bin/python3 test_x.py``; the launcher
puts this folder on PYTHONPATH, so the test does ``import wardworld``. Everything here assumes
it runs as root inside the world (``WARD_WORLD=1``); :func:`require_world` checks that.

Users (see :data:`USERS`): ``alice`` and ``carol`` are administrators (group ``sudo``), ``bob``
is a plain user and owns the simulated logind session ``$WARD_WORLD_SESSION``.
"""

import os
import pwd
import signal
import subprocess
import sys
import time

import pexpect

#: The world's test users: name -> dict(uid, gid, password, admin).
USERS = {
    "alice": {"uid": 4101, "gid": 4101, "password": "alice-secret", "admin": True},
    "bob": {"uid": 4102, "gid": 4102, "password": "bob-secret", "admin": False},
    "carol": {"uid": 4103, "gid": 4103, "password": "carol-secret", "admin": True},
}

#: The user whose simulated logind session the world describes.
SESSION_USER = "bob"

POLKITD = "/usr/lib/polkit-1/polkitd"
POLKITD_ARGS = [POLKITD, "--no-debug"]
POLKIT_NAME = "org.freedesktop.PolicyKit1"

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# polkitd processes this module started (restart_polkitd), reaped by stop_polkitd.
_own_polkitd = {}


def skip(reason):
    """Report that the test cannot run here: print REASON to stderr and exit 77 (meson: SKIP)."""
    print("SKIP: %s" % reason, file=sys.stderr, flush=True)
    sys.exit(77)


def in_world():
    """Return True when running as root inside a ward world: WARD_WORLD=1 and PID 1 of this
    PID namespace is ward-world's inner init (a stray WARD_WORLD=1 on the host is not enough)."""
    if os.environ.get("WARD_WORLD") != "1" or os.geteuid() != 0:
        return False
    try:
        with open("/proc/1/cmdline", "rb") as f:
            return b"\0--ward-world-inner\0" in f.read()
    except OSError:
        return False


def require_world():
    """Skip (exit 77) unless running as root inside a ward world; call at the top of a test."""
    if not in_world():
        skip("not inside ward-world (run the test through tests/world/ward-world)")


def world_dir():
    """Return the world's private folder (WARD_WORLD_DIR): logs, pid files, home folders."""
    return os.environ["WARD_WORLD_DIR"]


def session_id():
    """Return the id of bob's simulated logind session (unique per world run)."""
    return os.environ["WARD_WORLD_SESSION"]


def session_cgroup_paths():
    """Return the session's cgroup folders (one per hierarchy; empty when unavailable).

    A process whose pid is written into each folder's ``cgroup.procs`` belongs to bob's
    session for sd-login and therefore for polkitd.
    """
    value = os.environ.get("WARD_WORLD_CGROUPS", "")
    return [p for p in value.split(":") if p]


def join_session(pid=None):
    """Move process PID (default: the caller) into bob's session cgroups.

    Skips the test (exit 77) when the world has no session cgroups (e.g. a read-only cgroup
    tree in a container).
    """
    paths = session_cgroup_paths()
    if not paths:
        skip("the world has no session cgroups here")
    pid = os.getpid() if pid is None else pid
    for path in paths:
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write("%d\n" % pid)


def set_gecos(user, gecos):
    """Replace USER's GECOS field (bytes) in the world's private /etc/passwd, in place (it is a
    bind-mounted copy: the file itself must be rewritten, not replaced)."""
    with open("/etc/passwd", "rb") as f:
        lines = f.read().split(b"\n")
    prefix = user.encode() + b":"
    for n, line in enumerate(lines):
        if line.startswith(prefix):
            fields = line.split(b":")
            fields[4] = gecos
            lines[n] = b":".join(fields)
    with open("/etc/passwd", "r+b") as f:
        f.write(b"\n".join(lines))
        f.truncate()


FORGED_HEADERS = "\nAction: org.example.harmless\nRequested by: /bin/true"


def forged_program():
    """An executable (exit 0) in bob's home whose path ends in FORGED_HEADERS: pkexec puts its
    program's path into the message, so its line breaks reach the agents (issue 16, item 4).
    Returns the path."""
    folder = os.path.join(world_dir(), "home", "bob", "forged")
    path = os.path.join(folder, "x" + FORGED_HEADERS)  # "/bin/true" makes folders of the rest
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    subprocess.run(["chmod", "-R", "a+rX", folder], check=True)
    os.chmod(path, 0o755)
    return path


def user_env(user, env=None):
    """Return the environment a process of USER gets: a clean login-like set plus ENV.

    HOME, USER, LOGNAME, SHELL, PATH, LANG=C.UTF-8, TERM=xterm-256color, XDG_RUNTIME_DIR and,
    when the world has a display, DISPLAY and XAUTHORITY (--xvfb) or WAYLAND_DISPLAY (--weston).
    Entries of ENV override; a value of None removes the variable.
    """
    info = USERS[user]
    result = {
        "HOME": os.path.join(world_dir(), "home", user),
        "USER": user,
        "LOGNAME": user,
        "SHELL": "/bin/bash",
        "PATH": PATH,
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
        "XDG_RUNTIME_DIR": "/run/user/%d" % info["uid"],
        "NO_AT_BRIDGE": "1",
    }
    for key in ("DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "G_DEBUG", "ASAN_OPTIONS",
                "UBSAN_OPTIONS", "WARD_SOURCE_ROOT", "WARD_BUILD_ROOT", "WARD_WORLD",
                "WARD_WORLD_DIR", "WARD_WORLD_SESSION"):
        if key in os.environ:
            result[key] = os.environ[key]
    for key, value in (env or {}).items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def user_argv(user, argv):
    """Return ARGV wrapped to run as USER: setpriv with the user's uid, gid and groups.

    setpriv (unlike su) keeps the session and the controlling terminal.
    """
    info = USERS[user]
    return ["setpriv", "--reuid=%d" % info["uid"], "--regid=%d" % info["gid"],
            "--init-groups", "--"] + list(argv)


def _preexec(in_session, chained=None):
    """Return a preexec_fn that joins the session cgroups (if IN_SESSION), then runs CHAINED."""
    paths = session_cgroup_paths() if in_session else []

    def run():
        for path in paths:
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write("%d\n" % os.getpid())
        if chained is not None:
            chained()

    return run


class _Spawn(pexpect.spawn):
    """pexpect.spawn that can pass extra file descriptors to the child (pass_fds)."""

    def __init__(self, *args, pass_fds=(), **kwargs):
        self._ward_pass_fds = tuple(pass_fds)
        super().__init__(*args, **kwargs)

    def _spawnpty(self, args, **kwargs):
        if self._ward_pass_fds:
            kwargs["pass_fds"] = self._ward_pass_fds
        return super()._spawnpty(args, **kwargs)


def _wait_exec_as(pid, user, timeout=10.0):
    """Wait until process PID (started through setpriv) runs as USER and has exec'd its program,
    or has ended. Callers hand the pid to polkit (subjects, registrations), which reads the
    uid from /proc: before the switch it would see root."""
    if user == "root":
        return
    uid = USERS[user]["uid"] if user in USERS else pwd.getpwnam(user).pw_uid
    setpriv = os.path.realpath("/usr/bin/setpriv")

    def switched():
        try:
            with open("/proc/%d/status" % pid) as f:
                status = f.read()
            exe = os.readlink("/proc/%d/exe" % pid)
        except OSError:
            return True  # ended (or a zombie without exe): nothing left to wait for
        for line in status.splitlines():
            if line.startswith("State:") and line.split()[1] in ("Z", "X"):
                return True
            if line.startswith("Uid:") and int(line.split()[1]) != uid:
                return False
        return exe != setpriv

    wait_for(switched, timeout, interval=0.005,
             message="process %d did not switch to user %s" % (pid, user))


def run_as(user, argv, in_session=False, env=None, cwd=None, pass_fds=(), preexec_fn=None,
           **pexpect_kwargs):
    """Start ARGV as USER in a new pseudo-terminal and return the pexpect.spawn.

    The child runs ``setpriv --reuid --regid --init-groups`` (no setsid beyond the pty's own
    session, so the pty is its controlling terminal) with :func:`user_env` (ENV merged in).
    With IN_SESSION the child is put into bob's session cgroups before exec (skips the test
    when the world has none). PASS_FDS are inherited by the child with the same numbers.
    Other keyword arguments go to pexpect.spawn (timeout defaults to 30 s, encoding to
    UTF-8, dimensions to 24x80). ``child.pid`` is the pid of ARGV[0] (setpriv execs it);
    it returns once that process runs as USER, so the pid can be handed to polkit at once.
    """
    if user not in USERS and user != "root":
        raise KeyError("unknown world user %r" % user)
    if in_session and not session_cgroup_paths():
        skip("the world has no session cgroups here")
    pexpect_kwargs.setdefault("timeout", 30)
    pexpect_kwargs.setdefault("encoding", "utf-8")
    pexpect_kwargs.setdefault("codec_errors", "replace")
    pexpect_kwargs.setdefault("dimensions", (24, 80))
    if user == "root":
        full_argv = list(argv)
        child_env = dict(os.environ)
        child_env.update({k: v for k, v in (env or {}).items() if v is not None})
    else:
        full_argv = user_argv(user, argv)
        child_env = user_env(user, env)
    child = _Spawn(full_argv[0], full_argv[1:], env=child_env,
                   cwd=cwd or (child_env.get("HOME") if user != "root" else None),
                   preexec_fn=_preexec(in_session, preexec_fn), pass_fds=pass_fds,
                   **pexpect_kwargs)
    _wait_exec_as(child.pid, user)
    return child


def popen_as(user, argv, in_session=False, env=None, **popen_kwargs):
    """Start ARGV as USER without a terminal and return the subprocess.Popen.

    Same user switch, environment and IN_SESSION handling as :func:`run_as`; other keyword
    arguments go to subprocess.Popen (e.g. stdout=subprocess.PIPE, pass_fds=...).
    """
    if in_session and not session_cgroup_paths():
        skip("the world has no session cgroups here")
    popen_kwargs.setdefault("cwd", os.path.join(world_dir(), "home", user))
    chained = popen_kwargs.pop("preexec_fn", None)
    proc = subprocess.Popen(user_argv(user, argv), env=user_env(user, env),
                            preexec_fn=_preexec(in_session, chained), **popen_kwargs)
    _wait_exec_as(proc.pid, user)
    return proc


def run_as_sync(user, argv, in_session=False, env=None, timeout=60, **run_kwargs):
    """Run ARGV as USER without a terminal, wait (at most TIMEOUT s) and return the
    subprocess.CompletedProcess (text output captured unless told otherwise)."""
    run_kwargs.setdefault("stdout", subprocess.PIPE)
    run_kwargs.setdefault("stderr", subprocess.PIPE)
    run_kwargs.setdefault("text", True)
    with popen_as(user, argv, in_session=in_session, env=env, **run_kwargs) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def wait_for(predicate, timeout=10.0, interval=0.02, message=None):
    """Call PREDICATE until it returns a true value and return that value.

    Raises TimeoutError (with MESSAGE, if given) after TIMEOUT seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(message or "condition not met within %.1f s" % timeout)
        time.sleep(interval)


def name_has_owner(name):
    """Return True when NAME has an owner on the world's system bus."""
    out = subprocess.run(["busctl", "--system", "call", "org.freedesktop.DBus",
                          "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
                          "s", name], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, check=False)
    return out.returncode == 0 and out.stdout.strip() == "b true"


def _alive(pid):
    """True when PID exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def polkitd_pid():
    """Return the pid of the world's polkitd, or None when it is not running."""
    try:
        with open(os.path.join(world_dir(), "polkitd.pid")) as f:
            pid = int(f.read().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def stop_polkitd(timeout=10.0):
    """Stop the world's polkitd (SIGTERM, then SIGKILL) and wait until its bus name is gone."""
    pid = polkitd_pid()
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        try:
            wait_for(lambda: not _alive(pid), timeout / 2)
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: not _alive(pid), timeout / 2, message="polkitd does not die")
        proc = _own_polkitd.pop(pid, None)
        if proc is not None:
            proc.wait()
    wait_for(lambda: not name_has_owner(POLKIT_NAME), timeout,
             message="org.freedesktop.PolicyKit1 still owned after polkitd stopped")


def start_polkitd(timeout=20.0):
    """Start polkitd as the world does (log appended to polkitd.log, pid to polkitd.pid)
    and wait until it owns org.freedesktop.PolicyKit1. Returns its pid."""
    log = open(os.path.join(world_dir(), "polkitd.log"), "ab")
    # The same clean environment ward-world gives it (no G_DEBUG=fatal-warnings etc.).
    proc = subprocess.Popen(POLKITD_ARGS, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            start_new_session=True,
                            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})
    log.close()
    _own_polkitd[proc.pid] = proc
    with open(os.path.join(world_dir(), "polkitd.pid"), "w") as f:
        f.write("%d\n" % proc.pid)

    def ready():
        if proc.poll() is not None:
            raise RuntimeError("polkitd exited with %s; see %s/polkitd.log"
                               % (proc.returncode, world_dir()))
        return name_has_owner(POLKIT_NAME)

    wait_for(ready, timeout, message="polkitd did not own its name within %.0f s" % timeout)
    return proc.pid


def restart_polkitd(timeout=20.0):
    """Stop polkitd (if running), start it again with the same arguments and wait until it
    owns its bus name. Returns the new pid. Agents registered before must re-register."""
    stop_polkitd(timeout)
    return start_polkitd(timeout)


def polkitd_log():
    """Return what polkitd has logged in this world so far (text)."""
    try:
        with open(os.path.join(world_dir(), "polkitd.log"), errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def notify_pipe():
    """Return (read_fd, write_fd) of a pipe for ``--notify-fd``-style readiness.

    Pass write_fd to the child (``pass_fds=(write_fd,)``) and close it in the test with
    os.close(); then :func:`wait_notified` waits until the child closed its copy.
    """
    r, w = os.pipe()
    os.set_inheritable(w, True)
    return r, w


def wait_notified(read_fd, timeout=10.0):
    """Wait until every writer of the pipe READ_FD closed it (or wrote); close READ_FD.

    Raises TimeoutError after TIMEOUT seconds.
    """
    import select
    try:
        ready, _, _ = select.select([read_fd], [], [], timeout)
        if not ready:
            raise TimeoutError("no notification within %.1f s" % timeout)
    finally:
        os.close(read_fd)


def start_pkttyagent(user, subject_pid, timeout=10.0, **kwargs):
    """Start the system's ``pkttyagent --process SUBJECT_PID`` as USER in a new pty and wait
    until it has registered with polkitd. Returns the pexpect.spawn."""
    r, w = notify_pipe()
    try:
        agent = run_as(user, ["pkttyagent", "--process", str(subject_pid), "--notify-fd",
                              str(w)], pass_fds=(w,), **kwargs)
    finally:
        os.close(w)
    try:
        wait_notified(r, timeout)
    except TimeoutError:
        agent.terminate(force=True)
        raise
    return agent


def shell_as(user, in_session=False, **kwargs):
    """Start an interactive ``bash --norc --noprofile`` as USER in a pty with the prompt
    ``WARD$ `` and return the spawn once the first prompt is shown. ``child.pid`` is the
    shell's pid (a polkit unix-process subject)."""
    sh = run_as(user, ["bash", "--norc", "--noprofile", "-i"], in_session=in_session,
                env={"PS1": "WARD$ ", "PROMPT_COMMAND": None, "HISTFILE": "/dev/null"},
                **kwargs)
    sh.expect_exact("WARD$ ")
    return sh


def shell_start(shell, command):
    """Send COMMAND to SHELL (from :func:`shell_as`) without waiting for it; returns a token
    for :func:`shell_wait`. Use it when the command needs interaction (e.g. an agent's prompt
    in another pty) before it ends."""
    marker = "WARD_RC_%d" % (time.monotonic_ns() % 100000000)
    shell.sendline("%s; echo %s=$?" % (command, marker))
    return marker


def shell_wait(shell, marker, timeout=60):
    """Wait for the command started by :func:`shell_start` (token MARKER) and return its exit
    status (int). What it printed is in ``shell.before``."""
    shell.expect(r"%s=(\d+)" % marker, timeout=timeout)
    status = int(shell.match.group(1))
    output = shell.before
    shell.expect_exact("WARD$ ")
    shell.before = output
    return status


def shell_run(shell, command, timeout=60):
    """Run COMMAND in SHELL (from :func:`shell_as`) and return its exit status (int).

    What COMMAND printed (after the echoed command line) is in ``shell.before``.
    """
    return shell_wait(shell, shell_start(shell, command), timeout)


#: Where ward-helper.socket listens (ward's default; see meson_options.txt).
def terminate(proc, timeout=10):
    """Stop a Popen PROC: SIGTERM, then SIGKILL if it is still there after TIMEOUT seconds."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_run0_backend(backend):
    """Start BACKEND (tests/run0-style/ward-run0-backend, the org.freedesktop.systemd1 stand-in)
    as root, logging to run0-backend.log in the world folder, and wait for its bus name; also
    make the folder systemctl's password agent watches, which the world's /run/systemd lacks.
    Returns the log's path."""
    logfile = os.path.join(world_dir(), "run0-backend.log")
    subprocess.Popen([backend, "--log", logfile], stdin=subprocess.DEVNULL,
                     start_new_session=True)
    wait_for(lambda: name_has_owner("org.freedesktop.systemd1"), 10,
             message="ward-run0-backend did not start")
    os.makedirs("/run/systemd/ask-password", exist_ok=True)
    return logfile


WARD_HELPER_SOCKET = "/run/ward/helper.socket"


class HelperActivator:
    """ward-helper behind ``systemd-socket-activate --accept`` on WARD_HELPER_SOCKET, as
    ward-helper.socket runs it (Accept=yes, SocketMode=0666).

    ARGV is the helper's command line (a path, or a list such as a valgrind wrapper plus the
    path). Its instances log to ``$WARD_WORLD_DIR/ward-helper.log``. With MAX_CONNECTIONS the
    activator is tests/world/socket-activate-limited.py instead, which applies a socket unit's
    MaxConnections= (systemd 252 and later) and, with MAX_PER_SOURCE, MaxConnectionsPerSource=
    as systemd >= 256 does for AF_UNIX peers.
    """

    def __init__(self, argv, max_connections=None, max_per_source=0):
        argv = [argv] if isinstance(argv, str) else list(argv)
        os.makedirs(os.path.dirname(WARD_HELPER_SOCKET), exist_ok=True)
        os.chmod(os.path.dirname(WARD_HELPER_SOCKET), 0o755)
        self.log_path = os.path.join(world_dir(), "ward-helper.log")
        if max_connections is None:
            activator = ["systemd-socket-activate", "--accept", "-l", WARD_HELPER_SOCKET]
        else:
            activator = ["/usr/bin/python3",
                         os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      "socket-activate-limited.py"),
                         "--listen", WARD_HELPER_SOCKET,
                         "--max-connections", str(max_connections),
                         "--max-per-source", str(max_per_source), "--"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(activator + argv,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        wait_for(lambda: os.path.exists(WARD_HELPER_SOCKET), 10, message="no helper socket")
        # What SocketMode=0666 does (systemd-socket-activate makes it 0644).
        os.chmod(WARD_HELPER_SOCKET, 0o666)

    def helpers(self):
        """Pids of running ward-helper instances (children of the activator)."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry) as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == self.proc.pid and fields[0] != "Z":
                pids.append(int(entry))
        return pids

    def log(self):
        """What the helper instances (and the activator) logged so far."""
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        """Stop listening (SIGTERM, SIGKILL after 10 s) and remove the socket."""
        terminate(self.proc)
        try:
            os.unlink(WARD_HELPER_SOCKET)
        except FileNotFoundError:
            pass

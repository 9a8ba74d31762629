#!/usr/bin/python3
"""ward-helper's PAM conversation without root: pam_wrapper + pam_matrix/pam_chatty, a socketpair
for the agent, and a fake polkitd (fake-polkitd.py) on a private dbus-daemon.

The helper honours its test knobs (short timeouts, DBUS_SYSTEM_BUS_ADDRESS) only when it has no
privilege, so when this test runs as root it starts the helper as nobody with setpriv. The peer
(this script) is then root: the fake polkitd must get uid 0, not the helper's own uid.

Usage: test_helper_pam.py HELPER   (TAP output)
"""

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HELPER = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.environ.get("WARD_BUILD_ROOT", "."), "helper", "ward-helper")
SERVICE = os.environ.get("WARD_PAM_SERVICE", "polkit-1")
HERE = os.path.dirname(os.path.abspath(__file__))
PW_LIB = "/usr/lib/x86_64-linux-gnu/libpam_wrapper.so"
PW_MODULES = "/usr/lib/x86_64-linux-gnu/pam_wrapper"
USER = "nobody"          # the user being authenticated: must exist in passwd
PASSWORD = "matrix-secret"
NOBODY = pwd.getpwnam("nobody")
AS_ROOT = os.geteuid() == 0
MAX_LINE = 4096

results = []


def skip_all(reason):
    print("1..0 # SKIP %s" % reason, flush=True)
    print("SKIP: %s" % reason, file=sys.stderr)
    sys.exit(77)


class World:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ward-helper-pam.")
        os.chmod(self.dir, 0o755)
        self.passdb = os.path.join(self.dir, "passdb")
        with open(self.passdb, "w") as f:
            f.write("%s:%s:%s\n" % (USER, PASSWORD, SERVICE))
        os.chmod(self.passdb, 0o644)
        self.services = os.path.join(self.dir, "pam.d")
        os.mkdir(self.services)
        os.chmod(self.services, 0o755)
        self.records = os.path.join(self.dir, "records")
        conf = os.path.join(self.dir, "bus.conf")
        with open(conf, "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
""" % self.dir)
        self.bus = subprocess.Popen(["dbus-daemon", "--config-file=" + conf, "--nofork",
                                     "--print-address"], stdout=subprocess.PIPE, text=True)
        self.address = self.bus.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon did not start")
        self.polkitd = None

    def start_polkitd(self, refuse=False):
        self.stop_polkitd()
        if os.path.exists(self.records):
            os.unlink(self.records)
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        argv = ["/usr/bin/python3", os.path.join(HERE, "fake-polkitd.py"), self.records]
        if refuse:
            argv.append("--refuse")
        self.polkitd = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
        if self.polkitd.stdout.readline().strip() != "ready":
            raise RuntimeError("fake polkitd did not start")

    def stop_polkitd(self):
        if self.polkitd is not None:
            self.polkitd.terminate()
            self.polkitd.wait()
            self.polkitd = None

    def calls(self):
        # The helper waits for polkitd's reply, so the record is complete when it exits.
        if not os.path.exists(self.records):
            return []
        with open(self.records) as f:
            return [json.loads(line) for line in f]

    def stack(self, name, lines):
        with open(os.path.join(self.services, SERVICE), "w") as f:
            f.write(lines.replace("@M@", PW_MODULES).replace("@DB@", self.passdb))

    def close(self):
        self.stop_polkitd()
        self.bus.terminate()
        self.bus.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


MATRIX = """auth required @M@/pam_matrix.so passdb=@DB@
account required @M@/pam_matrix.so passdb=@DB@
"""


def helper_env(world, extra=None):
    env = {
        "PATH": "/usr/bin:/bin",
        "LD_PRELOAD": PW_LIB,
        "PAM_WRAPPER": "1",
        "PAM_WRAPPER_SERVICE_DIR": world.services,
        "PAM_WRAPPER_DISABLE_DEEPBIND": "1",
        "UID_WRAPPER_DISABLE_DEEPBIND": "1",  # what pam_wrapper 1.1.4 (Debian 12) reads
        "DBUS_SYSTEM_BUS_ADDRESS": world.address,
        "LANG": "C.UTF-8",
        "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0",
        "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", ""),
        "WARD_HELPER_READ_TIMEOUT_MS": "10000",
    }
    env.update(extra or {})
    return env


def helper_argv(argv=None):
    argv = argv or [HELPER]
    if AS_ROOT:
        return ["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid,
                "--clear-groups", "--"] + argv
    return argv


class Run:
    """One helper instance with this script as its agent, over a socketpair on its stdin."""

    def __init__(self, world, extra_env=None, sock=None, argv=None, pass_fds=()):
        if sock is None:
            self.agent, theirs = socket.socketpair()
        else:
            self.agent, theirs = None, sock
        self.proc = subprocess.Popen(helper_argv(argv), stdin=theirs, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=helper_env(world, extra_env),
                                     pass_fds=pass_fds)
        theirs.close()
        if self.agent is not None:
            self.agent.settimeout(15)
        self.buf = b""

    def send(self, data):
        self.agent.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.agent.recv(65536)
            if not chunk:
                rest, self.buf = self.buf, b""
                return rest.decode("utf-8", "replace") if rest else None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def lines(self):
        out = []
        while True:
            try:
                line = self.line()
            except (ConnectionResetError, socket.timeout):
                break
            if line is None:
                break
            out.append(line)
        return out

    def finish(self, timeout=15):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            self.stderr = err.decode("utf-8", "replace")
            raise AssertionError("the helper hung; stderr: " + self.stderr)
        self.stderr = err.decode("utf-8", "replace")
        if out:
            raise AssertionError("the helper wrote to stdout: %r" % out)
        if self.agent is not None:
            self.agent.close()
        return self.proc.returncode


def check(cond, what, run=None):
    if not cond:
        raise AssertionError(what + ("\nhelper stderr:\n" + run.stderr if run is not None and
                                     getattr(run, "stderr", None) else ""))


def case(fn):
    results.append(fn)
    return fn


def start(world, user=USER, cookie="cookie-1", **kw):
    run = Run(world, **kw)
    run.send(("%s\n%s\n" % (user, cookie)).encode())
    return run


@case
def right_password(world):
    world.stack("", MATRIX)
    world.start_polkitd()
    run = start(world)
    check(run.line() == "PAM_PROMPT_ECHO_OFF Password: ", "prompt")
    run.send(PASSWORD.encode() + b"\n")
    check(run.lines() == ["SUCCESS"], "SUCCESS")
    check(run.finish() == 0, "exit 0", run)
    calls = world.calls()
    check(len(calls) == 1, "one response to polkitd: %r" % calls)
    call = calls[0]
    check(call["uid"] == os.getuid(), "the response names the PEER's uid: %r" % call)
    check(call["cookie"] == "cookie-1", "cookie: %r" % call)
    check(call["identity_kind"] == "unix-user" and call["identity_uid"] == NOBODY.pw_uid,
          "identity: %r" % call)
    if AS_ROOT:
        check(call["caller_uid"] == NOBODY.pw_uid and call["uid"] == 0,
              "helper ran as nobody, peer was root: %r" % call)


@case
def wrong_password(world):
    world.stack("", MATRIX)
    world.start_polkitd()
    run = start(world)
    check(run.line().startswith("PAM_PROMPT_ECHO_OFF "), "prompt")
    run.send(b"not-the-password\n")
    check(run.lines() == ["FAILURE"], "FAILURE")
    check(run.finish() == 2, "exit 2", run)
    check(world.calls() == [], "no response to polkitd")


@case
def info_and_error_messages(world):
    world.stack("", "auth required @M@/pam_chatty.so num_lines=2 info error\n" + MATRIX)
    world.start_polkitd()
    run = start(world)
    seen = []
    while True:
        line = run.line()
        check(line is not None, "conversation ended early: %r" % seen)
        seen.append(line)
        if line.startswith("PAM_PROMPT_ECHO_OFF "):
            break
    kinds = [l.split(" ", 1)[0] for l in seen]
    check("PAM_TEXT_INFO" in kinds and "PAM_ERROR_MSG" in kinds, "info and error: %r" % seen)
    run.send(PASSWORD.encode() + b"\n")
    check(run.lines() == ["SUCCESS"], "SUCCESS")
    check(run.finish() == 0, "exit 0", run)


@case
def several_prompts(world):
    # pam_matrix with "echo" asks with PAM_PROMPT_ECHO_ON; a second pam_matrix (use_first_pass
    # is not set) asks again.
    other = world.passdb + "2"
    with open(other, "w") as f:
        f.write("%s:second-secret:%s\n" % (USER, SERVICE))
    os.chmod(other, 0o644)
    world.stack("", "auth required @M@/pam_matrix.so passdb=@DB@ echo\n"
                    "auth required @M@/pam_matrix.so passdb=" + other + "\n"
                    "account required @M@/pam_matrix.so passdb=@DB@\n")
    world.start_polkitd()
    run = start(world)
    first = run.line()
    check(first is not None and first.startswith("PAM_PROMPT_ECHO_ON "), "echo-on prompt: %r" % first)
    run.send(PASSWORD.encode() + b"\n")
    second = run.line()
    if second is not None and second.startswith("PAM_PROMPT_ECHO_OFF "):
        run.send(b"second-secret\n")
        check(run.lines() == ["SUCCESS"], "SUCCESS after two prompts")
        check(run.finish() == 0, "exit 0", run)
    else:
        # pam_matrix reused the first token: then the second module must reject it.
        check(second == "FAILURE", "second prompt or FAILURE: %r" % second)
        check(run.finish() == 2, "exit 2", run)


@case
def polkitd_refuses(world):
    world.stack("", MATRIX)
    world.start_polkitd(refuse=True)
    run = start(world, cookie="never-issued")
    check(run.line().startswith("PAM_PROMPT_ECHO_OFF "), "prompt")
    run.send(PASSWORD.encode() + b"\n")
    check(run.lines() == ["FAILURE"], "FAILURE")
    check(run.finish() == 1, "exit 1", run)
    check(len(world.calls()) == 1, "polkitd was asked")


def refused_request(world, payload, shut=False, extra_env=None, expect_failure_line=True):
    world.stack("", MATRIX)
    world.start_polkitd()
    run = Run(world, extra_env=extra_env)
    t0 = time.monotonic()
    try:
        run.send(payload)
        if shut:
            run.agent.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass
    lines = run.lines()
    rc = run.finish()
    check(rc == 1, "exit 1, got %d" % rc, run)
    check(not any(l.startswith("PAM_PROMPT") for l in lines), "no prompt: %r" % lines)
    if expect_failure_line:
        check(lines == ["FAILURE"], "FAILURE: %r" % lines, run)
    check(world.calls() == [], "no response to polkitd")
    check("CRITICAL" not in run.stderr, "no GLib CRITICAL: %s" % run.stderr)
    return time.monotonic() - t0


def refused_at_once(world, payload):
    """PAYLOAD (the user name and cookie lines) is refused before PAM runs: FAILURE with no
    prompt, no call to polkitd, no CRITICAL, and without waiting for anything (the read timeout
    here is 10 s)."""
    elapsed = refused_request(world, payload)
    check(elapsed < 5, "refused after %.1f s, not at once" % elapsed)


@case
def cookie_invalid_utf8(world):
    # Issue 16, item 5: before, PAM asked for a password, then GLib logged a CRITICAL and polkitd
    # was sent "[Invalid UTF-8]".
    refused_at_once(world, USER.encode() + b"\nc\xff\n")


@case
def cookie_bad_characters(world):
    for cookie in (b"cookie;id", b"cookie\x1b[2J", b"cookie x", b"c\xc3\xa4", b"../cookie"):
        refused_at_once(world, USER.encode() + b"\n" + cookie + b"\n")


@case
def cookie_too_long(world):
    # Longer than any cookie polkitd issues, far shorter than a line.
    refused_at_once(world, USER.encode() + b"\n" + b"c" * 257 + b"\n")


@case
def user_name_invalid(world):
    for name in (b"nob\xffdy", b"nobody\x1b[2J", b"nob\x7fody", b"nobody\xc2\x9b", b"u" * 256):
        refused_at_once(world, name + b"\ncookie-1\n")


def silent_end(run, within, what):
    """RUN's helper closes the connection without writing anything (not even FAILURE) within
    WITHIN seconds, and exits 1."""
    t0 = time.monotonic()
    lines = run.lines()
    rc = run.finish(timeout=within + 10)
    elapsed = time.monotonic() - t0
    check(lines == [], "%s: closed without a word, got %r" % (what, lines), run)
    check(rc == 1, "%s: exit 1, got %d" % (what, rc), run)
    check(elapsed < within, "%s: closed after %.1f s (limit %.1f s)" % (what, elapsed, within),
          run)
    return elapsed


@case
def idle_connection_dropped(world):
    # Issue 16, item 1: a connection that sends nothing is dropped after the request timeout
    # (10 s; 800 ms here), without FAILURE (an agent would count that as a failed attempt), not
    # after the 60 s read timeout.
    world.stack("", MATRIX)
    world.start_polkitd()
    run = Run(world, extra_env={"WARD_HELPER_REQUEST_TIMEOUT_MS": "800"})
    elapsed = silent_end(run, 4, "an idle connection")
    check(elapsed > 0.6, "dropped after %.2f s, before the request timeout" % elapsed)
    check("in time" in run.stderr, "logged as idle: %s" % run.stderr)
    check(world.calls() == [], "no response to polkitd")


@case
def trickled_request_dropped(world):
    # Part of a user name, then nothing: still a request that did not arrive in time.
    world.stack("", MATRIX)
    world.start_polkitd()
    run = Run(world, extra_env={"WARD_HELPER_REQUEST_TIMEOUT_MS": "800"})
    run.send(USER.encode())
    silent_end(run, 4, "a trickled request")
    run = Run(world, extra_env={"WARD_HELPER_REQUEST_TIMEOUT_MS": "800"})
    run.send(USER.encode() + b"\ncook")
    silent_end(run, 4, "a request without its cookie line")


def slots_dir(world):
    path = os.path.join(world.dir, "slots")
    if not os.path.isdir(path):
        os.mkdir(path, 0o700)
        if AS_ROOT:
            os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
    return path


@case
def per_uid_bound(world):
    # Issue 16, item 1: one uid holds at most 8 instances; the 9th connection is closed at
    # once without a word (as systemd's MaxConnections= does), so its agent moves on to the
    # next helper; once one of the 8 ends, the uid may connect again.
    world.stack("", MATRIX)
    world.start_polkitd()
    env = {"WARD_HELPER_RUNTIME_DIR": slots_dir(world), "WARD_HELPER_REQUEST_TIMEOUT_MS": "20000"}
    # The 8 that only wait run without pam_wrapper: it names its folder /tmp/pam.X with one
    # letter, and concurrent instances collide.
    idle_env = dict(env, LD_PRELOAD="")
    held = []
    try:
        for _ in range(8):
            held.append(Run(world, extra_env=idle_env))
        # Each of the 8 has its slot once it waits for the request: give them time to start.
        time.sleep(1.0)
        for i, run in enumerate(held):
            if run.proc.poll() is not None:
                run.finish()
            check(run.proc.poll() is None, "instance %d of 8 ended early" % (i + 1), run)
        ninth = Run(world, extra_env=idle_env)
        silent_end(ninth, 5, "the 9th connection of one uid")
        check("already holds 8" in ninth.stderr, "logged: %s" % ninth.stderr)
        # One of the 8 ends (its agent leaves): its slot is free again.
        first = held.pop(0)
        first.agent.close()
        first.agent = None
        check(first.finish() == 1, "the instance whose agent left exits 1", first)
        run = start(world, extra_env=env)
        check(run.line() == "PAM_PROMPT_ECHO_OFF Password: ", "a prompt for the next one", run)
        run.send(PASSWORD.encode() + b"\n")
        check(run.lines() == ["SUCCESS"], "SUCCESS", run)
        check(run.finish() == 0, "exit 0", run)
    finally:
        for run in held:
            if run.agent is not None:
                run.agent.close()
                run.agent = None
            try:
                run.finish()
            except AssertionError:
                pass


@case
def slots_unusable(world):
    # The per-uid bound protects availability; when its folder cannot be used the helper logs
    # it and serves anyway rather than refuse everyone.
    world.stack("", MATRIX)
    world.start_polkitd()
    run = start(world, extra_env={"WARD_HELPER_RUNTIME_DIR": "/nonexistent/ward-helper"})
    check(run.line() == "PAM_PROMPT_ECHO_OFF Password: ", "prompt", run)
    run.send(PASSWORD.encode() + b"\n")
    check(run.lines() == ["SUCCESS"], "SUCCESS", run)
    check(run.finish() == 0, "exit 0", run)
    check("without the per-uid bound" in run.stderr, "logged: %s" % run.stderr)


def maps(pid):
    try:
        with open("/proc/%d/maps" % pid) as f:
            return f.read()
    except OSError:
        return ""


@case
def pam_prepared_before_request(world):
    # Issue 15: the helper loads the PAM stack (here pam_wrapper's pam_matrix.so) before the
    # user name arrives, so that a connection made ahead of the request finds it ready; the
    # request that comes later is served as usual.
    if not AS_ROOT:
        return "SKIP needs root to read the non-dumpable helper's /proc/PID/maps"
    world.stack("", MATRIX)
    world.start_polkitd()
    run = Run(world)
    deadline = time.monotonic() + 10
    while "pam_matrix.so" not in maps(run.proc.pid) and time.monotonic() < deadline:
        check(run.proc.poll() is None, "the helper ended while waiting for the request", run)
        time.sleep(0.02)
    check("pam_matrix.so" in maps(run.proc.pid), "the PAM stack is loaded before the request")
    time.sleep(0.5)
    run.send(("%s\ncookie-1\n" % USER).encode())
    check(run.line() == "PAM_PROMPT_ECHO_OFF Password: ", "prompt", run)
    run.send(PASSWORD.encode() + b"\n")
    check(run.lines() == ["SUCCESS"], "SUCCESS", run)
    check(run.finish() == 0, "exit 0", run)
    calls = world.calls()
    check(len(calls) == 1 and calls[0]["identity_uid"] == NOBODY.pw_uid,
          "the user named after PAM was prepared is the one authenticated: %r" % calls)


@case
def nul_in_user_name(world):
    refused_request(world, b"nob\0dy\ncookie\n")


@case
def oversized_user_name(world):
    refused_request(world, b"a" * 5000 + b"\ncookie\n")


@case
def oversized_cookie(world):
    refused_request(world, USER.encode() + b"\n" + b"c" * MAX_LINE + b"\n")


@case
def truncated_cookie(world):
    refused_request(world, USER.encode() + b"\ncookie-without-newline", shut=True,
                    expect_failure_line=False)


@case
def empty_user_name(world):
    refused_request(world, b"\ncookie\n")


@case
def unknown_user(world):
    refused_request(world, b"no-such-user-ward\ncookie\n")


@case
def nothing_at_all(world):
    refused_request(world, b"", shut=True, expect_failure_line=False)


@case
def reply_with_nul(world):
    world.stack("", MATRIX)
    world.start_polkitd()
    run = start(world)
    check(run.line().startswith("PAM_PROMPT_ECHO_OFF "), "prompt")
    run.send(PASSWORD.encode() + b"\0x\n")
    check(run.lines() == ["FAILURE"], "FAILURE")
    check(run.finish() == 1, "exit 1 (not a wrong password: a protocol error)", run)
    check(world.calls() == [], "no response to polkitd")


@case
def reply_oversized(world):
    world.stack("", MATRIX)
    world.start_polkitd()
    run = start(world)
    check(run.line().startswith("PAM_PROMPT_ECHO_OFF "), "prompt")
    try:
        run.send(b"x" * MAX_LINE + b"\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    run.lines()
    check(run.finish() == 1, "exit 1", run)


@case
def reply_longest_allowed(world):
    # 4095 bytes + '\n' is exactly WARD_WIRE_MAX_LINE: read in full, then simply wrong.
    world.stack("", MATRIX)
    world.start_polkitd()
    run = start(world)
    check(run.line().startswith("PAM_PROMPT_ECHO_OFF "), "prompt")
    run.send(b"x" * (MAX_LINE - 1) + b"\n")
    check(run.lines() == ["FAILURE"], "FAILURE")
    check(run.finish() == 2, "exit 2", run)


@case
def client_disconnects(world):
    world.stack("", MATRIX)
    world.start_polkitd()
    run = start(world)
    check(run.line().startswith("PAM_PROMPT_ECHO_OFF "), "prompt")
    t0 = time.monotonic()
    run.agent.close()
    run.agent = None
    check(run.finish(timeout=5) == 1, "exit 1", run)
    check(time.monotonic() - t0 < 3, "no hang")
    check(world.calls() == [], "no response to polkitd")


@case
def stalled_client(world):
    world.stack("", MATRIX)
    world.start_polkitd()
    run = start(world, extra_env={"WARD_HELPER_READ_TIMEOUT_MS": "500"})
    t0 = time.monotonic()
    check(run.line().startswith("PAM_PROMPT_ECHO_OFF "), "prompt")
    check(run.lines() == ["FAILURE"], "FAILURE after the timeout")
    check(run.finish(timeout=10) == 1, "exit 1", run)
    elapsed = time.monotonic() - t0
    check(0.4 < elapsed < 5, "timed out after %.2f s" % elapsed)


@case
def overall_deadline(world):
    # A client trickling one byte every 200 ms never trips the per-read timeout.
    world.stack("", MATRIX)
    world.start_polkitd()
    run = Run(world, extra_env={"WARD_HELPER_READ_TIMEOUT_MS": "1000",
                                "WARD_HELPER_DEADLINE_MS": "1500"})
    t0 = time.monotonic()
    try:
        for _ in range(40):
            run.send(b"n")
            time.sleep(0.2)
            if run.proc.poll() is not None:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    check(run.finish(timeout=10) == 1, "exit 1", run)
    elapsed = time.monotonic() - t0
    check(elapsed < 4, "ended by the deadline after %.2f s" % elapsed)


@case
def too_many_messages(world):
    # pam_chatty sends one message per conversation call and at most 16 lines per module.
    world.stack("", "auth optional @M@/pam_chatty.so num_lines=16 info\n" * 17 + MATRIX)
    world.start_polkitd()
    run = start(world)
    lines = run.lines()
    check(run.finish() == 1, "exit 1", run)
    check(lines[-1] == "FAILURE", "FAILURE: %r" % lines[-3:])
    check(len(lines) <= 257, "at most 256 messages forwarded, got %d" % (len(lines) - 1))


@case
def listen_fds(world):
    # What systemd (Accept=yes) and systemd-socket-activate --accept give: the connection as fd 3.
    world.stack("", MATRIX)
    world.start_polkitd()
    agent, theirs = socket.socketpair()
    os.dup2(theirs.fileno(), 3, inheritable=True)
    theirs.close()
    argv = ["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0"', HELPER]
    with open(os.devnull, "rb") as null:
        run = Run(world, sock=null, argv=argv, pass_fds=(3,))
    os.close(3)
    run.agent = agent
    agent.settimeout(15)
    run.send(("%s\ncookie-3\n" % USER).encode())
    check(run.line().startswith("PAM_PROMPT_ECHO_OFF "), "prompt")
    run.send(PASSWORD.encode() + b"\n")
    check(run.lines() == ["SUCCESS"], "SUCCESS")
    check(run.finish() == 0, "exit 0", run)
    check(world.calls()[0]["cookie"] == "cookie-3", "cookie")


@case
def listen_pid_mismatch(world):
    world.stack("", MATRIX)
    world.start_polkitd()
    agent, theirs = socket.socketpair()
    os.dup2(theirs.fileno(), 3, inheritable=True)
    theirs.close()
    argv = ["/bin/sh", "-c", 'LISTEN_PID=1 LISTEN_FDS=1 exec "$0"', HELPER]
    with open(os.devnull, "rb") as null:
        run = Run(world, sock=null, argv=argv, pass_fds=(3,))
    os.close(3)
    agent.close()
    check(run.finish() == 1, "exit 1: fds meant for another process", run)


@case
def peer_gone(world):
    # The peer connects, writes its request and exits before the helper starts.
    world.stack("", MATRIX)
    world.start_polkitd()
    path = os.path.join(world.dir, "listen")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(1)
    code = ("import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]);"
            "s.sendall(b'%s\\ncookie\\n')" % USER)
    subprocess.run(["/usr/bin/python3", "-c", code, path], check=True)
    conn, _ = lsock.accept()
    lsock.close()
    run = Run(world, sock=conn)
    check(run.finish() == 1, "exit 1", run)
    check("gone away" in run.stderr, "logged as gone: %s" % run.stderr)
    check(world.calls() == [], "no response to polkitd")


@case
def peer_setuid_like(world):
    # polkit#686: a peer whose effective uid (SO_PEERCRED) is not its real uid is refused.
    if not AS_ROOT:
        return "SKIP needs root to make a peer with ruid != euid"
    world.stack("", MATRIX)
    world.start_polkitd()
    path = os.path.join(world.dir, "listen2")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(1)
    code = ("import os,socket,sys; os.setresuid(%d, 0, 0); s=socket.socket(socket.AF_UNIX);"
            "s.connect(sys.argv[1]); s.sendall(b'%s\\ncookie\\n'); sys.stdin.read()"
            % (NOBODY.pw_uid, USER))
    peer = subprocess.Popen(["/usr/bin/python3", "-c", code, path], stdin=subprocess.PIPE)
    conn, _ = lsock.accept()
    lsock.close()
    try:
        run = Run(world, sock=conn)
        rc = run.finish()
    finally:
        peer.stdin.close()
        peer.wait()
    check(rc == 1, "exit 1", run)
    check("real and effective" in run.stderr, "logged: %s" % run.stderr)
    check(world.calls() == [], "no response to polkitd")


def main():
    if not os.path.exists(PW_LIB):
        skip_all("libpam_wrapper is not installed (libpam-wrapper)")
    if shutil.which("dbus-daemon") is None:
        skip_all("dbus-daemon is not installed")
    if AS_ROOT and shutil.which("setpriv") is None:
        skip_all("setpriv is needed to run the helper unprivileged as root")
    if AS_ROOT:
        # nobody must reach the helper binary and the pam_wrapper files.
        probe = subprocess.run(["setpriv", "--reuid=%d" % NOBODY.pw_uid,
                                "--regid=%d" % NOBODY.pw_gid, "--clear-groups", "--",
                                HELPER, "--version"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        if probe.returncode != 0:
            skip_all("nobody cannot run %s: %s" % (HELPER, probe.stdout))
    world = World()
    failed = 0
    print("1..%d" % len(results), flush=True)
    try:
        for i, fn in enumerate(results, 1):
            try:
                note = fn(world)
                if isinstance(note, str) and note.startswith("SKIP"):
                    print("ok %d - %s # %s" % (i, fn.__name__, note), flush=True)
                else:
                    print("ok %d - %s" % (i, fn.__name__), flush=True)
            except Exception as e:  # noqa: BLE001 - report and go on
                failed += 1
                print("not ok %d - %s" % (i, fn.__name__), flush=True)
                for line in ("%s: %s" % (type(e).__name__, e)).splitlines():
                    print("# " + line, flush=True)
    finally:
        world.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""ward-tty in the polkit world, through a pseudo-terminal (suite 'tty').

Usage (inside ward-world): test_tty.py CASE; see CASES at the end. Real polkitd, real PAM, the
real setuid helper (or a relaying fake one for PAM texts polkit's stack never sends).
"""

import io
import os
import re
import signal
import subprocess
import time

import wardworld as ww
from wardtest import (Transcript, check, check_sane, lines_starting, log, run_case,
                      term_state)

BUILD = os.environ.get("WARD_BUILD_ROOT", "")
SOURCE = os.environ.get("WARD_SOURCE_ROOT", "")
AGENT = os.path.join(BUILD, "agent-tty", "ward-tty")
FAKE_HELPER = os.path.join(SOURCE, "tests", "tty", "relay-helper.py")
SESSION_AGENT = os.path.join(SOURCE, "tests", "tty", "session-agent.py")
ADMIN = "org.ward.test.auth-admin"
ADMIN_MSG = "Authentication is required to run the ward admin test"
ALICE = ww.USERS["alice"]["password"]
CAROL = ww.USERS["carol"]["password"]


# ---- helpers ----

def subject():
    """A long-lived process of bob's to be the polkit subject."""
    return ww.popen_as("bob", ["sleep", "600"])


def start_agent(subject_pid, env=None, extra=(), encoding="utf-8"):
    r, w = ww.notify_pipe()
    try:
        agent = ww.run_as("bob", [AGENT, "--process", str(subject_pid), "--notify-fd", str(w)]
                          + list(extra), pass_fds=(w,), env=env, encoding=encoding)
    finally:
        os.close(w)
    agent.logfile_read = Transcript() if encoding else io.BytesIO()
    ww.wait_notified(r, 15)
    return agent


def pkcheck(subject_pid, action=ADMIN, details=()):
    argv = ["pkcheck", "--action-id", action, "--process", str(subject_pid),
            "--allow-user-interaction"]
    for key, value in details:
        argv += ["--detail", key, value]
    return ww.popen_as("bob", argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=30):
    out, err = proc.communicate(timeout=timeout)
    log("pkcheck exited %d: %s %s" % (proc.returncode, out.strip(), err.strip()))
    return proc.returncode


def choose_default(agent):
    agent.expect_exact("Authenticate as which user? [1]: ")
    agent.sendline("")


def alive(pid):
    return ww._alive(pid)


def shell_with_background_agent():
    """bash -i as bob, ward-tty started as a background job registered for the shell.
    Returns (shell, transcript, agent pid)."""
    sh = ww.shell_as("bob")
    transcript = Transcript()
    sh.logfile_read = transcript
    fifo = os.path.join(ww.world_dir(), "notify-%d" % time.monotonic_ns())
    os.mkfifo(fifo)
    os.chmod(fifo, 0o666)
    check(ww.shell_run(sh, "%s --notify-fd 3 3>%s & cat %s; echo AGENTPID=$!"
                       % (AGENT, fifo, fifo)) == 0, "agent started")
    pid = int(re.search(r"AGENTPID=(\d+)", sh.before).group(1))
    log("background agent pid %d" % pid)
    return sh, transcript, pid


# ---- cases ----

def case_right():
    sub = subject()
    agent = start_agent(sub.pid)
    fd = agent.child_fd
    before = term_state(fd)
    check(os.tcgetpgrp(fd) == agent.pid, "agent is the foreground group")
    proc = pkcheck(sub.pid)
    agent.expect_exact("=== Authentication required ===")
    agent.expect_exact(ADMIN_MSG)
    agent.expect_exact("Action:       " + ADMIN)
    agent.expect(r"Requested by: sleep 600")
    agent.expect(r"\(pid %d, user bob; as reported by the process\)" % sub.pid)
    agent.expect_exact("1. ward test user alice (alice) (default)")
    agent.expect_exact("2. ward test user carol (carol)")
    choose_default(agent)
    agent.expect_exact("Authenticating as: ward test user alice (alice)")
    agent.expect_exact("Password: ")
    mark = agent.logfile_read.mark()
    agent.sendline(ALICE)
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "pkcheck authorized")
    check(ALICE not in agent.logfile_read.since(mark), "password echoed")
    check("\x1b[1m" in agent.logfile_read.getvalue(), "colour on a capable terminal")
    check_sane(fd, before, "after success")
    check(os.tcgetpgrp(fd) == agent.pid, "foreground group kept")
    check(alive(agent.pid), "agent keeps running")


def case_wrong_then_right():
    sub = subject()
    agent = start_agent(sub.pid)
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Password: ")
    agent.sendline("not-the-password")
    agent.expect_exact("Sorry, that did not work. Please try again.")
    agent.expect_exact("Password: ")
    agent.sendline(ALICE)
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "authorized on the second attempt")


def case_three_wrong():
    sub = subject()
    agent = start_agent(sub.pid)
    before = term_state(agent.child_fd)
    proc = pkcheck(sub.pid)
    choose_default(agent)
    for attempt in range(3):
        agent.expect_exact("Password: ", timeout=30)
        agent.sendline("wrong-%d" % attempt)
    agent.expect_exact("=== Authentication failed ===", timeout=30)
    check(agent.logfile_read.getvalue().count("Please try again") == 2, "two retries")
    check(finish(proc) != 0, "denied after three attempts")
    check_sane(agent.child_fd, before, "after failure")


def case_choice():
    sub = subject()
    agent = start_agent(sub.pid)
    proc = pkcheck(sub.pid)
    agent.expect_exact("Authenticate as which user? [1]: ")
    agent.sendline("carol")
    agent.expect_exact("Please type a number from 1 to 2.")
    agent.expect_exact("Authenticate as which user? [1]: ")
    agent.sendline("3")
    agent.expect_exact("Please type a number from 1 to 2.")
    agent.expect_exact("Authenticate as which user? [1]: ")
    agent.sendline("2")
    agent.expect_exact("Authenticating as: ward test user carol (carol)")
    agent.expect_exact("Password: ")
    agent.sendline(CAROL)
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "carol authorized")


def case_echo_on():
    """A PAM stack asking a visible one-time code and showing info text (relay-helper.py in
    front of polkit's helper): the code is echoed, the password is not, both reach PAM."""
    sub = subject()
    agent = start_agent(sub.pid, env={"WARD_HELPER": "spawn:" + FAKE_HELPER, "NO_COLOR": "1"},
                        encoding=None)
    proc = pkcheck(sub.pid)
    agent.expect_exact(b"Authenticate as which user? [1]: ")
    agent.sendline(b"")
    agent.expect_exact(b"Touch the reader")
    agent.expect_exact(b"One-time code: ")
    agent.send(b"4242")
    agent.expect_exact(b"4242")  # echoed as typed
    agent.send(b"x\x7f42\r")     # backspace edits the visible line
    agent.expect_exact(b"Code accepted")
    agent.expect_exact(b"Password: ")
    mark = len(agent.logfile_read.getvalue())
    agent.sendline(ALICE.encode())
    agent.expect_exact(b"=== Authentication succeeded ===")
    check(finish(proc) == 0, "authorized")
    out = agent.logfile_read.getvalue()
    check(ALICE.encode() not in out[mark:], "password echoed")
    check(b"\x1b" not in out, "an escape sequence from PAM text reached the terminal")
    check("\ufffd".encode() in out, "invalid UTF-8 from PAM shown as U+FFFD")


def case_cancel_polkitd():
    sub = subject()
    agent = start_agent(sub.pid)
    before = term_state(agent.child_fd)
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Password: ")
    agent.send("alice-sec")
    time.sleep(0.3)
    proc.terminate()  # the caller goes away: polkitd sends CancelAuthentication
    proc.wait()
    agent.expect_exact("cancelled by the system")
    check_sane(agent.child_fd, before, "after CancelAuthentication")
    # The agent stays usable.
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Password: ")
    agent.sendline(ALICE)
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "second request authorized")


def case_ctrl_c():
    sub = subject()
    agent = start_agent(sub.pid)
    before = term_state(agent.child_fd)
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Password: ")
    agent.send("alice-sec")
    agent.send("\x03")
    agent.expect_exact("=== Authentication cancelled ===")
    check(finish(proc) != 0, "cancelled request not authorized")
    check_sane(agent.child_fd, before, "after Ctrl-C")
    check(alive(agent.pid), "Ctrl-C cancels the request, not the agent")
    # Ctrl-D on an empty identity answer cancels too.
    proc = pkcheck(sub.pid)
    agent.expect_exact("Authenticate as which user? [1]: ")
    agent.send("\x04")
    agent.expect_exact("=== Authentication cancelled ===")
    check(finish(proc) != 0, "cancelled request not authorized")


def case_ctrl_z():
    """ward-tty as a foreground job of bash: Ctrl-Z at the prompt stops it with the terminal
    restored; `fg` brings the prompt back with echo still off."""
    sub = subject()
    sh = ww.shell_as("bob")
    transcript = Transcript()
    sh.logfile_read = transcript
    sh.sendline("%s --process %d" % (AGENT, sub.pid))
    time.sleep(1.5)  # registration; the shell is busy, so no notify fd here
    proc = pkcheck(sub.pid)
    choose_default(sh)
    sh.expect_exact("Password: ")
    sh.send("alice-")
    sh.send("\x1a")
    sh.expect("Stopped")
    sh.expect_exact("WARD$ ")
    check(ww.shell_run(sh, "stty -a") == 0, "stty")
    modes = sh.before
    check(re.search(r"(?<![-\w])echo(?![\w])", modes) and re.search(r"(?<![-\w])icanon", modes),
          "echo and icanon restored while stopped: %r" % modes)
    sh.sendline("fg")
    sh.expect_exact("Password: ")
    mark = transcript.mark()
    sh.send("secret\r")
    sh.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "authorized after fg")
    check("secret" not in transcript.since(mark), "password echoed after fg")
    # The agent is still the foreground job: end it with Ctrl-C (ISIG is on again).
    sh.send("\x03")
    sh.expect_exact("WARD$ ")


def relay_helpers():
    """Pids of running relay-helper.py processes (the spawned fake helper)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    if b"relay-helper.py" in f.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def cancel_within(agent, proc, what):
    """Ctrl-C now: "Authentication cancelled" within 2 s (the promise), pkcheck answered."""
    t0 = time.monotonic()
    agent.send("\x03")
    agent.expect_exact("=== Authentication cancelled ===", timeout=2)
    log("%s: cancelled after %.2f s" % (what, time.monotonic() - t0))
    check(finish(proc, timeout=10) != 0, "%s: not authorized" % what)


def case_ctrl_c_no_prompt():
    """Issue 16, item 2: Ctrl-C cancels while no prompt is shown. A helper that says "Place your
    finger on the reader" and then stalls: Ctrl-C ends the request within 2 s, the helper is
    stopped, polkitd is answered, the terminal is sane, and keys typed meanwhile never reach a
    prompt."""
    sub = subject()
    agent = start_agent(sub.pid, env={"WARD_HELPER": "spawn:" + FAKE_HELPER,
                                      "WARD_TEST_HELPER_MODE": "info-stall"})
    before = term_state(agent.child_fd)
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Place your finger on the reader")
    check(relay_helpers(), "the stalled helper runs")
    agent.send("typed-ahead")
    time.sleep(0.5)
    cancel_within(agent, proc, "stalled helper")
    check("typed-ahead" not in agent.logfile_read.getvalue(), "keys typed without a prompt shown")
    check_sane(agent.child_fd, before, "after Ctrl-C without a prompt")
    ww.wait_for(lambda: not relay_helpers(), 5, message="the stalled helper still runs")
    check(alive(agent.pid), "Ctrl-C cancels the request, not the agent")


def case_ctrl_c_pam_delay():
    """Issue 16, item 2: Ctrl-C during PAM's delay after a wrong password (pam_unix waits 2 s
    before it fails, with no prompt shown) cancels within 2 s, with no "try again" first."""
    sub = subject()
    agent = start_agent(sub.pid)
    before = term_state(agent.child_fd)
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Password: ")
    mark = agent.logfile_read.mark()
    agent.send("wrong-password\r")
    time.sleep(0.3)  # the helper is in pam_unix's delay now
    cancel_within(agent, proc, "PAM's delay")
    check("try again" not in agent.logfile_read.since(mark), "the attempt ended before the Ctrl-C")
    check_sane(agent.child_fd, before, "after Ctrl-C in PAM's delay")
    # The agent carries on.
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Password: ")
    agent.sendline(ALICE)
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "the next request is authorized")


def case_ctrl_z_no_prompt():
    """Issue 16, item 2: Ctrl-Z suspends while no prompt is shown (the helper stalls after
    "Place your finger on the reader"): the terminal is restored while stopped; after `fg`,
    Ctrl-C still cancels within 2 s."""
    sub = subject()
    sh = ww.shell_as("bob")
    transcript = Transcript()
    sh.logfile_read = transcript
    sh.sendline("WARD_HELPER=spawn:%s WARD_TEST_HELPER_MODE=info-stall %s --process %d"
                % (FAKE_HELPER, AGENT, sub.pid))
    time.sleep(1.5)  # registration; the shell is busy, so no notify fd here
    proc = pkcheck(sub.pid)
    choose_default(sh)
    sh.expect_exact("Place your finger on the reader")
    time.sleep(0.3)
    sh.send("\x1a")
    sh.expect("Stopped", timeout=2)
    sh.expect_exact("WARD$ ")
    check(ww.shell_run(sh, "stty -a") == 0, "stty")
    modes = sh.before
    check(re.search(r"(?<![-\w])echo(?![\w])", modes) and re.search(r"(?<![-\w])icanon", modes)
          and re.search(r"(?<![-\w])isig", modes),
          "echo, icanon and isig restored while stopped: %r" % modes)
    sh.sendline("fg")
    time.sleep(0.5)
    cancel_within(sh, proc, "after fg")
    sh.send("\x03")  # ISIG is on again: this ends ward-tty itself
    sh.expect_exact("WARD$ ")
    check(ww.shell_run(sh, "echo READ:[Z]") == 0, "shell works")


def signal_mid_prompt(signum):
    sh, transcript, pid = shell_with_background_agent()
    token = ww.shell_start(sh, "pkcheck --action-id %s --process $$ --allow-user-interaction"
                           % ADMIN)
    choose_default(sh)
    sh.expect_exact("Password: ")
    mark = transcript.mark()
    sh.send("alice-sec")
    time.sleep(0.5)
    os.kill(pid, signum)
    if signum == signal.SIGTERM:
        try:
            os.kill(pid, signal.SIGCONT)  # as systemd does
        except ProcessLookupError:
            pass  # already gone
    ww.wait_for(lambda: not alive(pid), 3, message="ward-tty did not end promptly")
    status = ww.shell_wait(sh, token)
    check(status != 0, "not authorized")
    sh.sendline("echo READ:[X]")
    sh.expect_exact("READ:[X]")
    sh.expect_exact("WARD$ ")
    check(ww.shell_run(sh, "stty -a") == 0, "stty")
    modes = sh.before
    check(re.search(r"(?<![-\w])echo(?![\w])", modes) and re.search(r"(?<![-\w])icanon", modes),
          "echo and icanon restored: %r" % modes)
    check("alice-sec" not in transcript.since(mark),
          "the partial password reached the shell: %r" % transcript.since(mark))
    check(os.tcgetpgrp(sh.child_fd) == sh.pid, "the shell has the foreground again")


def case_sigterm():
    signal_mid_prompt(signal.SIGTERM)


def case_sighup():
    signal_mid_prompt(signal.SIGHUP)


def case_background():
    """`ward-tty &` in an interactive shell: it takes the foreground for the prompt and gives
    it back; nothing typed goes to the shell."""
    sh, transcript, pid = shell_with_background_agent()
    token = ww.shell_start(sh, "pkcheck --action-id %s --process $$ --allow-user-interaction"
                           % ADMIN)
    choose_default(sh)
    sh.expect_exact("Password: ")
    mark = transcript.mark()
    sh.sendline(ALICE)
    sh.expect_exact("=== Authentication succeeded ===")
    check(ww.shell_wait(sh, token) == 0, "authorized")
    check(ALICE not in transcript.since(mark), "password echoed or read by the shell")
    check(alive(pid), "agent alive, not stopped by SIGTTIN/SIGTTOU")
    with open("/proc/%d/stat" % pid) as f:
        state = f.read().rsplit(")", 1)[1].split()[0]
    check(state != "T", "agent stopped")
    check(ww.shell_run(sh, "echo READ:[Y]") == 0, "shell works")
    check(os.tcgetpgrp(sh.child_fd) == sh.pid, "the shell has the foreground again")


def case_background_idle_shell():
    """`ward-tty &` while the shell itself waits at its prompt (the request comes from
    elsewhere): taking the terminal would make bash read the password or exit on EIO, so
    ward-tty asks for `fg`; then it prompts, and Ctrl-C afterwards gives the shell back."""
    sh, transcript, pid = shell_with_background_agent()
    proc = pkcheck(sh.pid)
    sh.expect_exact('type "fg" to answer it')
    time.sleep(0.5)
    check(os.tcgetpgrp(sh.child_fd) == sh.pid, "the shell keeps the terminal")
    sh.sendline("fg")
    choose_default(sh)
    sh.expect_exact("Password: ")
    mark = transcript.mark()
    sh.sendline(ALICE)
    sh.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "authorized")
    sh.send("\x03")  # the agent is the foreground job now; ISIG is back on
    sh.expect_exact("WARD$ ")
    check(ww.shell_run(sh, "echo READ:[Z]") == 0, "shell works")
    check(ALICE not in transcript.since(mark), "password echoed or read by the shell")
    check(sh.isalive(), "shell alive")
    check(os.tcgetpgrp(sh.child_fd) == sh.pid, "the shell has the foreground again")


def case_no_tty():
    proc = ww.popen_as("bob", ["setsid", "--wait", AGENT, "--process", "1"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=30)
    log("exit %d, stderr %r" % (proc.returncode, err))
    check(proc.returncode == 127, "exit status 127")
    lines = err.strip().splitlines()
    check(len(lines) == 1 and "terminal" in lines[0], "one clear line: %r" % err)


def case_hostile():
    sub = subject()
    agent = start_agent(sub.pid, env={"NO_COLOR": "1"}, encoding=None)
    evil = ("\x1b]0;PWNED\x07\x1b[2J\x1b[31mred\u009b31m\u202eevil\u2066x\u2069\x1bP+q\x1b\\"
            "\x08\x7fend")
    proc = pkcheck(sub.pid, "org.ward.test.detail", details=[("ward.target", evil)])
    agent.expect_exact(b"=== Authentication required ===")
    agent.expect_exact(b"Authenticate as which user? [1]: ")
    out = agent.logfile_read.getvalue()
    header = out[out.index(b"=== Authentication required ==="):]
    log("header: %r" % header)
    check(b"Do the thing to" in header, "message shown")
    check(b"evil" in header and b"end" in header, "text around the controls shown")
    for bad in (b"\x1b", b"\x07", b"\x08", b"\x7f", "\u009b".encode(), "\u202e".encode(),
                "\u2066".encode()):
        check(bad not in header, "%r reached the terminal" % bad)
    agent.send(b"\x03")
    agent.expect_exact(b"=== Authentication cancelled ===")
    finish(proc)
    check(b"\x1b" not in agent.logfile_read.getvalue(), "no escape at all with NO_COLOR")


def case_forged_header():
    """Issue 16, item 4: pkexec of a program whose path holds "\nAction: ...\nRequested by: ...":
    polkitd puts the path into the message, and its line breaks must not start lines that look
    like ward-tty's own. Exactly one line starts with each header; the breaks are visible."""
    program = ww.forged_program()
    # pkexec asks for its parent: a shell of bob's that waits for the go.
    sub = ww.popen_as("bob", ["sh", "-c", 'read go; pkexec "$0"; echo "pkexec: $?"', program],
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                      text=True)
    agent = start_agent(sub.pid, env={"NO_COLOR": "1"})
    sub.stdin.write("go\n")
    sub.stdin.flush()
    agent.expect_exact("=== Authentication required ===")
    agent.expect_exact("Authenticate as which user? [1]: ")
    text = agent.logfile_read.getvalue()
    header = text[text.index("=== Authentication required ==="):]
    log("header: %r" % header)
    for prefix in ("Action:", "Requested by:"):
        starting = lines_starting([header], prefix)
        check(len(starting) == 1, "%d lines start with %r: %r" % (len(starting), prefix, starting))
    # pkexec 126 shortens a command line longer than 80 characters in the message (first 38,
    # " ... ", last 37); 122 puts the whole path. The message keeps the end either way, and the
    # "Requested by:" line shows the whole command line.
    check("\u21b5Requested by: /bin/true' as the super user" in header,
          "the path's line breaks are shown in the message")
    check("x\u21b5Action: org.example.harmless\u21b5Requested by: /bin/true" in header,
          "the whole path's line breaks are shown")
    check("Action:       org.freedesktop.policykit.exec" in header, "the real action")
    agent.send("\x03")
    agent.expect_exact("=== Authentication cancelled ===")
    out, _ = sub.communicate(timeout=30)
    log("pkexec: %r" % out)
    check("pkexec: 0" not in out, "pkexec ran the program")


# Untrusted text whose UTF-8 holds bytes 0x80-0x9f: "Û2JÛH" is C3 9B "2J" C3 9B "H", which an
# 8-bit terminal reads as CSI 2J (clear) and CSI H (home); "É" is C3 89 (HTS); plus characters
# Latin-1 lacks, fullwidth letters a transliteration would turn into "pkexec", and a typographic
# quote it would turn into an ASCII one.
EIGHT_BIT = "\u00db2J\u00dbH caf\u00e9 \u00c9t\u00e9 \u20ac \uff50\uff4b\uff45\uff58\uff45\uff43 it\u2019s \u3042"


def installed_locale(name):
    """NAME (e.g. de_DE.ISO-8859-1) if `locale -a` lists it, else skip the test."""
    wanted = name.lower().replace("-", "")
    out = subprocess.run(["locale", "-a"], stdout=subprocess.PIPE, text=True).stdout
    if wanted not in {line.strip().lower().replace("-", "") for line in out.splitlines()}:
        ww.skip("locale %s is not installed (tools/install-deps generates it)" % name)
    return name


def check_no_c1(out):
    c1 = [b for b in out if 0x80 <= b <= 0x9f]
    check(not c1, "bytes in 0x80-0x9f reached the terminal: %r" % bytes(c1))


def check_eight_bit(locale, shown_expected):
    """Issue 16, item 3: ward-tty in LOCALE (not UTF-8) shows EIGHT_BIT with no byte in
    0x80-0x9f and every character either in the locale's charset or escaped (SHOWN_EXPECTED,
    bytes); then authenticates as usual."""
    # A log line too: ward-tty's log writer quotes this file's name (and GLib's quotes).
    conf = os.path.join(ww.world_dir(), "tty\u00db2J.conf")
    with open(conf, "w") as f:
        f.write("[tty\n")
    os.chmod(conf, 0o644)
    sub = subject()
    agent = start_agent(sub.pid, env={"LC_ALL": locale, "NO_COLOR": "1",
                                      "WARD_TTY_CONFIG": conf}, extra=["--fallback"],
                        encoding=None)
    agent.expect_exact(b"ward-tty: Ignoring ")
    before = term_state(agent.child_fd)
    proc = pkcheck(sub.pid, "org.ward.test.detail", details=[("ward.target", EIGHT_BIT)])
    agent.expect_exact(b"Do the thing to ")
    agent.expect_exact(b"[1]: ")
    out = agent.logfile_read.getvalue()
    log("shown: %r" % out)
    check_no_c1(out)
    check(shown_expected in out, "the message is readable: %r not in the output"
          % shown_expected)
    check(b"pkexec" not in out and b"it's" not in out, "a character was transliterated")
    agent.sendline(b"")
    agent.expect_exact(b"Password: ")
    agent.sendline(ALICE.encode())
    agent.expect_exact(b"=== Authentication succeeded ===")
    check(finish(proc) == 0, "authorized")
    check_no_c1(agent.logfile_read.getvalue())
    check_sane(agent.child_fd, before, "after the request")
    return out


def case_charset_c():
    out = check_eight_bit("C", b"Do the thing to \\u00db2J\\u00dbH caf\\u00e9 \\u00c9t\\u00e9 "
                               b"\\u20ac \\uff50\\uff4b\\uff45\\uff58\\uff45\\uff43 it\\u2019s \\u3042")
    check(all(b < 0x80 for b in out), "non-ASCII bytes under LANG=C: %r" % out)
    check(b"tty\\u00db2J.conf" in out, "the log line's file name is escaped: %r" % out)


def case_charset_latin1():
    locale = installed_locale("de_DE.ISO-8859-1")
    out = check_eight_bit(locale, b"Do the thing to \xdb2J\xdbH caf\xe9 \xc9t\xe9 \\u20ac "
                                  b"\\uff50\\uff4b\\uff45\\uff58\\uff45\\uff43 it\\u2019s \\u3042")
    check(b"tty\xdb2J.conf" in out, "the log line's file name in Latin-1: %r" % out)


def find_agent_name(pid):
    from gi.repository import Gio, GLib
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    names = bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "ListNames", None,
                          GLib.VariantType("(as)"), 0, -1, None).unpack()[0]
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
    raise AssertionError("ward-tty has no bus name")


def case_spoofed():
    """bob may send to the agent interface (extra bus policy): ward-tty itself refuses."""
    sub = subject()
    agent = start_agent(sub.pid)
    name = find_agent_name(agent.pid)
    path = "/org/freedesktop/PolicyKit1/AuthenticationAgent"
    iface = "org.freedesktop.PolicyKit1.AuthenticationAgent"
    begin = ww.run_as_sync("bob", [
        "gdbus", "call", "--system", "--dest", name, "--object-path", path, "--method",
        iface + ".BeginAuthentication", ADMIN, "Give bob root", "", "@a{ss} {}", "fake-cookie",
        "[('unix-user', {'uid': <uint32 4101>})]"])
    log("BeginAuthentication: %d %r %r" % (begin.returncode, begin.stdout, begin.stderr))
    check(begin.returncode != 0, "spoofed BeginAuthentication accepted")
    check("org.freedesktop.PolicyKit1.Error.NotAuthorized" in begin.stderr,
          "refused by ward-tty itself (not by the bus policy): %r" % begin.stderr)
    cancel = ww.run_as_sync("bob", [
        "gdbus", "call", "--system", "--dest", name, "--object-path", path, "--method",
        iface + ".CancelAuthentication", "fake-cookie"])
    check("org.freedesktop.PolicyKit1.Error.NotAuthorized" in cancel.stderr,
          "spoofed CancelAuthentication refused: %r" % cancel.stderr)
    agent.expect("refused BeginAuthentication from :")
    agent.expect("refused CancelAuthentication from :")
    check("Give bob root" not in agent.logfile_read.getvalue(), "spoofed request shown")
    # polkitd's own requests still work.
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Password: ")
    agent.sendline(ALICE)
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "authorized")


def case_polkitd_restart():
    sub = subject()
    agent = start_agent(sub.pid)
    try:
        ww.restart_polkitd()
    except TimeoutError:
        # Diagnostics for a rare stop/start hang seen under load.
        print(subprocess.run(["ps", "-eo", "pid,ppid,stat,lstart,args"],
                             stdout=subprocess.PIPE, text=True).stdout)
        print(ww.polkitd_log()[-3000:])
        raise
    time.sleep(1.0)  # the agent registers again asynchronously
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Password: ")
    agent.sendline(ALICE)
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "authorized through the re-registered agent")


def case_queue():
    """Two requests at once: the second waits for the first, then gets its own prompt.
    (TERM=dumb: no colour either.)"""
    sub = subject()
    agent = start_agent(sub.pid, env={"TERM": "dumb"})
    first = pkcheck(sub.pid)
    choose_default(agent)
    second = pkcheck(sub.pid, "org.ward.test.auth-self")
    agent.expect_exact("Password: ")
    agent.sendline(ALICE)
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(first) == 0, "first authorized")
    agent.expect_exact("Authentication is required to run the ward self test")
    agent.expect_exact("Authenticating as: ward test user bob (bob)")
    agent.expect_exact("Password: ")
    agent.sendline(ww.USERS["bob"]["password"])
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(second) == 0, "second authorized")
    check("\x1b" not in agent.logfile_read.getvalue(), "colour with TERM=dumb")


def case_bus_name():
    """--system-bus-name NAME: ward-tty serves the process owning NAME (polkitd itself only
    registers agents for processes and sessions)."""
    owner = ww.popen_as("bob", ["gdbus", "monitor", "--system", "--dest",
                                "org.freedesktop.DBus"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    name = ww.wait_for(lambda: find_name_or_none(owner.pid), 10)
    r, w = ww.notify_pipe()
    agent = ww.run_as("bob", [AGENT, "--system-bus-name", name, "--notify-fd", str(w)],
                      pass_fds=(w,))
    os.close(w)
    agent.logfile_read = Transcript()
    ww.wait_notified(r, 15)
    proc = ww.popen_as("bob", ["pkcheck", "--action-id", ADMIN, "--system-bus-name", name,
                               "--allow-user-interaction"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    choose_default(agent)
    agent.expect_exact("Password: ")
    agent.sendline(ALICE)
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "authorized")


def find_name_or_none(pid):
    try:
        return find_agent_name(pid)
    except AssertionError:
        return None


def case_options():
    """Exit codes and messages as pkttyagent's."""
    def run(args):
        return ww.run_as_sync("bob", [AGENT] + args)
    r = run(["--version"])
    check(r.returncode == 0 and r.stdout.startswith("ward-tty "), "--version: %r" % r.stdout)
    r = run(["--help"])
    check(r.returncode == 0 and "--notify-fd" in r.stdout, "--help")
    for args in (["--process", "abc"], ["--process", "1,2,3,4"], ["--process", "1", "-s", "x"],
                 ["extra"], ["--bogus"], ["--notify-fd", "99"]):
        r = run(args)
        check(r.returncode == 126, "%r: exit %d %r" % (args, r.returncode, r.stderr))
        check(len(r.stderr.strip().splitlines()) == 1, "%r: one line: %r" % (args, r.stderr))
    # A registration polkitd refuses (another user's process) is 126 as well.
    sub = subject()
    agent = ww.run_as("carol", [AGENT, "--process", str(sub.pid)])
    agent.expect(r"Cannot register")
    agent.expect(ww.pexpect.EOF)
    agent.close()
    check(agent.exitstatus == 126, "refused registration: %r" % agent.exitstatus)
    # Log lines reach the terminal as plain, sanitised text: GLib's writer would colour them,
    # and this one quotes a file name with an OSC sequence in it.
    conf = os.path.join(ww.world_dir(), "tty\x1b]0;owned\x07.conf")
    with open(conf, "w") as f:
        f.write("[tty\nnot a key file\n")
    os.chmod(conf, 0o644)
    agent = start_agent(sub.pid, env={"WARD_TTY_CONFIG": conf}, extra=["--fallback"])
    agent.expect_exact("ward-tty: Ignoring", timeout=10)
    agent.expect_exact("\n", timeout=10)
    shown = agent.logfile_read.getvalue()
    log("log line: %r" % shown.strip())
    check("\x1b" not in shown and "\x07" not in shown, "escape sequence on the terminal: %r" % shown)
    check("tty.conf: Key file contains" in shown, "the sanitised file name is shown: %r" % shown)
    agent.kill(signal.SIGTERM)
    agent.expect(ww.pexpect.EOF)
    # No polkitd on the bus: 127.
    ww.stop_polkitd()
    agent = ww.run_as("bob", [AGENT, "--process", str(sub.pid)])
    agent.expect(r"Cannot register")
    agent.expect(ww.pexpect.EOF)
    agent.close()
    check(agent.exitstatus == 127, "polkitd gone: %r" % agent.exitstatus)


def case_prefer_terminal():
    """With --fallback, an agent registered for the session (a graphical one) wins; with
    WARD_TTY_PREFER_TERMINAL=1 or prefer-terminal=true in tty.conf, ward-tty registers without
    fallback and the terminal wins (systemd#40886)."""
    session = ww.session_id()
    if not session:
        ww.skip("the world has no logind session")
    gui = ww.run_as("bob", ["/usr/bin/python3", SESSION_AGENT, session], in_session=True)
    gui.expect_exact("SESSION-AGENT-READY")
    conf = os.path.join(ww.world_dir(), "tty.conf")
    with open(conf, "w") as f:
        f.write("[tty]\nprefer-terminal=true\n")
    os.chmod(conf, 0o644)
    cases = (({}, "gui"), ({"WARD_TTY_PREFER_TERMINAL": "1"}, "tty"),
             ({"WARD_TTY_CONFIG": conf}, "tty"),
             ({"WARD_TTY_CONFIG": conf, "WARD_TTY_PREFER_TERMINAL": "0"}, "gui"))
    for env, winner in cases:
        sub = ww.popen_as("bob", ["sleep", "600"], in_session=True)
        agent = start_agent(sub.pid, env=env, extra=["--fallback"])
        proc = pkcheck(sub.pid)
        if winner == "gui":
            gui.expect_exact("SESSION-AGENT-GOT " + ADMIN)
        else:
            agent.expect_exact("Authenticate as which user? [1]: ")
            agent.send("\x03")
            agent.expect_exact("=== Authentication cancelled ===")
        finish(proc)
        log("%r: %s won" % (env, winner))
        agent.terminate(force=True)
        agent.close()
        sub.kill()
        sub.wait()


def case_helper_death():
    """The helper dies while the user types: the attempt fails, the next attempt starts, and
    after three the request fails; the terminal is restored and nothing typed leaks."""
    sub = subject()
    agent = start_agent(sub.pid, env={"WARD_HELPER": "spawn:" + FAKE_HELPER,
                                      "WARD_TEST_HELPER_MODE": "die"})
    before = term_state(agent.child_fd)
    proc = pkcheck(sub.pid)
    choose_default(agent)
    for attempt in range(3):
        agent.expect_exact("Password: ")
        agent.send("typed-%d" % attempt)
    agent.expect_exact("=== Authentication failed ===", timeout=30)
    check(finish(proc) != 0, "not authorized")
    check_sane(agent.child_fd, before, "after helper death")
    check("typed-" not in agent.logfile_read.getvalue(), "typed text shown")
    check(alive(agent.pid), "agent survives a dead helper")


def case_line_editing():
    """Backspace removes one UTF-8 character, Ctrl-U the line, Ctrl-W a word, escape
    sequences (arrow keys) are ignored: PAM gets exactly the edited password."""
    sub = subject()
    agent = start_agent(sub.pid)
    for keys in ("xx\x15alice-secreä\x7ft", "foo bar\x17\x17alice-secret",
                 "alice-\x1b[D\x1bOAsecret"):
        proc = pkcheck(sub.pid)
        choose_default(agent)
        agent.expect_exact("Password: ")
        agent.send(keys + "\r")
        agent.expect_exact("=== Authentication succeeded ===")
        check(finish(proc) == 0, "edited password %r accepted" % keys)


def core_count(pid, needles):
    """Dump PID's memory with gcore (root may, although ward-tty is not dumpable) and count
    each needle in it."""
    core = os.path.join(ww.world_dir(), "ward-tty.core")
    subprocess.run(["gcore", "-o", core, str(pid)], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True, timeout=60)
    path = "%s.%d" % (core, pid)
    with open(path, "rb") as f:
        data = f.read()
    os.unlink(path)
    return {needle: data.count(needle.encode()) for needle in needles}


def case_core_scan():
    """No copy of a typed password stays in ward-tty's memory: after a success, after a
    wrong attempt and after a request cancelled mid-typing."""
    import shutil
    if shutil.which("gcore") is None:
        ww.skip("gcore (gdb) is not installed")
    with open(AGENT, "rb") as f:
        if b"AddressSanitizer" in f.read():
            ww.skip("sanitizer build: its shadow memory makes a core dump huge and slow")
    sub = subject()
    agent = start_agent(sub.pid)
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Password: ")
    agent.sendline("Wrong-Guess-7731")
    agent.expect_exact("Please try again.")
    agent.expect_exact("Password: ")
    agent.sendline(ALICE)
    agent.expect_exact("=== Authentication succeeded ===")
    check(finish(proc) == 0, "authorized")
    proc = pkcheck(sub.pid)
    choose_default(agent)
    agent.expect_exact("Password: ")
    agent.send("Half-Typed-5521")
    time.sleep(0.3)
    agent.send("\x03")
    agent.expect_exact("=== Authentication cancelled ===")
    finish(proc)
    time.sleep(0.5)
    counts = core_count(agent.pid, [ALICE, "Wrong-Guess-7731", "Half-Typed-5521"])
    log("occurrences in ward-tty's memory: %r" % counts)
    check(not any(counts.values()), "password bytes left in memory: %r" % counts)


CASES = {
    "right": case_right,
    "wrong-then-right": case_wrong_then_right,
    "three-wrong": case_three_wrong,
    "choice": case_choice,
    "echo-on": case_echo_on,
    "cancel-polkitd": case_cancel_polkitd,
    "ctrl-c": case_ctrl_c,
    "ctrl-z": case_ctrl_z,
    "sigterm": case_sigterm,
    "sighup": case_sighup,
    "background": case_background,
    "background-idle-shell": case_background_idle_shell,
    "no-tty": case_no_tty,
    "hostile": case_hostile,
    "spoofed": case_spoofed,
    "polkitd-restart": case_polkitd_restart,
    "queue": case_queue,
    "options": case_options,
    "prefer-terminal": case_prefer_terminal,
    "helper-death": case_helper_death,
    "bus-name": case_bus_name,
    "core-scan": case_core_scan,
    "line-editing": case_line_editing,
    "forged-header": case_forged_header,
    "charset-c": case_charset_c,
    "charset-latin1": case_charset_latin1,
    "ctrl-c-no-prompt": case_ctrl_c_no_prompt,
    "ctrl-c-pam-delay": case_ctrl_c_pam_delay,
    "ctrl-z-no-prompt": case_ctrl_z_no_prompt,
}


def main():
    run_case(CASES, needs=(AGENT,))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""hardening-gtk-valgrind: ward-gtk (the resident listener) and every ward-gtk-dialog it starts
run under valgrind memcheck for a multi-request session in the polkit world (--xvfb): right
password, wrong then right, three wrong, Escape, the Cancel button, CancelAuthentication from
polkitd (pkcheck killed), a request queued behind another, and a SIGTERM with one request open
and one queued. Fails on any memcheck error (invalid read/write/free, uninitialised values,
a definite leak), on an fd left open at exit that ward opened, and on a suppression that matched
a stack with a ward frame in it.

Usage (inside ward-world --xvfb): test_hardening_gtk_valgrind.py. In the ASan/UBSan build it
exits 77 (valgrind cannot run sanitizer builds; that build runs every gtk test under ASan).
Suppressions: GLib's own glib.supp and tests/hardening/gtk.supp (commented, third-party only;
its entries are checked to be narrow). The valgrind logs are kept in
BUILD/tests/hardening/valgrind-gtk. WARD_GTK_VALGRIND_AUDIT=1 runs without gtk.supp (the test
then fails) so that the kept logs show, with --gen-suppressions, every stack gtk.supp hides.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("WARD_SOURCE_ROOT", ""), "tests", "gtk"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gtkworld as g  # noqa: E402
import wardworld as w  # noqa: E402
from wardtest import check, log, sanitized_build  # noqa: E402

ALICE = w.USERS["alice"]["password"]
SOURCE = os.environ.get("WARD_SOURCE_ROOT", "")
BUILD = os.environ.get("WARD_BUILD_ROOT", "")
GLIB_SUPP = "/usr/share/glib-2.0/valgrind/glib.supp"
WARD_SUPP = os.path.join(SOURCE, "tests", "hardening", "gtk.supp")
# valgrind 3.22 and later (Debian 13) make each fd open at exit an error; 3.19 (Debian 12) only
# lists them and does not know the suppression kind.
FDS_SUPP = os.path.join(SOURCE, "tests", "hardening", "gtk-fds.supp")
# Under valgrind a dialog takes seconds to map and to answer each key.
SLOW = 180

VALGRIND = ["valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite,indirect",
            "--track-fds=yes", "--num-callers=40", "--show-error-list=yes",
            "--gen-suppressions=all", "--child-silent-after-fork=yes"]


def ward_sources():
    names = set()
    for sub in ("agent-gtk", "common"):
        try:
            names.update(n for n in os.listdir(os.path.join(SOURCE, sub)) if n.endswith(".c"))
        except OSError:
            pass
    return names


# A frame in ward's own code: in one of its source files, or in its binaries (no debug info).
WARD_FRAME = re.compile(r"\((?:(?:%s):\d+|in [^)]*/(?:ward-gtk|ward-gtk-dialog))\)" % "|".join(
    re.escape(n) for n in sorted(ward_sources())) or "ward-[a-z-]+\.c")


def write_script(path, argv):
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(shlex.quote(a) for a in argv))
    os.chmod(path, 0o755)


def outcomes(agent, kind):
    return agent.log().count("completing a request: outcome %d" % kind)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def dialogs(agent):
    """Pids of the dialogs ward-gtk started (under valgrind /proc/PID/cmdline is valgrind's)."""
    return [int(p) for p in re.findall(r"dialog (\d+) opened for", agent.log())]


def running_dialogs(agent):
    return [pid for pid in dialogs(agent) if alive(pid)]


def wait_dialogs_gone(agent, timeout=SLOW):
    w.wait_for(lambda: not running_dialogs(agent), timeout, interval=0.2,
               message="a dialog under valgrind is still running")


def request_right(agent, what):
    pk = g.pkcheck()
    g.wait_prompt(agent, pk.pid, timeout=SLOW)
    g.type_text(g.wait_window(SLOW), ALICE)
    rc, out = g.finish(pk, timeout=SLOW)
    log("%s: pkcheck %d" % (what, rc))
    check(rc == 0, "%s: authorized (rc %d, %r)" % (what, rc, out))
    wait_dialogs_gone(agent)


def request_wrong_then_right(agent):
    pk = g.pkcheck()
    g.wait_prompt(agent, pk.pid, timeout=SLOW)
    win = g.wait_window(SLOW)
    g.type_text(win, "not-the-password")
    g.wait_prompt(agent, pk.pid, attempts=1, timeout=SLOW)
    g.type_text(win, ALICE)
    rc, out = g.finish(pk, timeout=SLOW)
    log("wrong then right: pkcheck %d" % rc)
    check(rc == 0, "wrong then right: authorized (rc %d, %r)" % (rc, out))
    wait_dialogs_gone(agent)


def request_three_wrong(agent):
    pk = g.pkcheck()
    for attempt in range(3):
        g.wait_prompt(agent, pk.pid, attempts=attempt, timeout=SLOW)
        g.type_text(g.wait_window(SLOW), "wrong-%d" % attempt)
    rc, out = g.finish(pk, timeout=SLOW)
    log("three wrong: pkcheck %d" % rc)
    check(rc != 0, "three wrong: not authorized")
    wait_dialogs_gone(agent)


def request_dismissed(agent, keys, what):
    cancelled = outcomes(agent, 1)
    pk = g.pkcheck()
    g.wait_prompt(agent, pk.pid, timeout=SLOW)
    g.key(g.wait_window(SLOW), *keys)
    rc, out = g.finish(pk, timeout=SLOW)
    log("%s: pkcheck %d" % (what, rc))
    check(rc != 0, "%s: not authorized" % what)
    agent.wait_log("completing a request: outcome 1", count=cancelled + 1, timeout=SLOW,
                   what="%s: a CANCELLED completion" % what)
    wait_dialogs_gone(agent)


def request_polkitd_cancel(agent):
    cancelled = outcomes(agent, 1)
    pk = g.pkcheck()
    g.wait_prompt(agent, pk.pid, timeout=SLOW)
    g.wait_window(SLOW)
    pk.kill()
    pk.wait()
    agent.wait_log("completing a request: outcome 1", count=cancelled + 1, timeout=SLOW,
                   what="CancelAuthentication: a CANCELLED completion")
    wait_dialogs_gone(agent)
    log("CancelAuthentication from polkitd: dialog closed")


def request_queued(agent):
    first = g.pkcheck()
    g.wait_prompt(agent, first.pid, timeout=SLOW)
    second = g.pkcheck()
    agent.wait_log("queued behind 1", timeout=SLOW, what="the second request queued")
    check(len(running_dialogs(agent)) == 1, "one dialog at a time")
    g.type_text(g.wait_window(SLOW), ALICE)
    rc, out = g.finish(first, timeout=SLOW)
    check(rc == 0, "first of two: authorized (rc %d, %r)" % (rc, out))
    g.wait_prompt(agent, second.pid, timeout=SLOW)
    g.type_text(g.wait_window(SLOW), ALICE)
    rc2, out = g.finish(second, timeout=SLOW)
    log("two requests, the second queued: pkcheck %d, %d" % (rc, rc2))
    check(rc2 == 0, "second of two: authorized (rc %d, %r)" % (rc2, out))
    wait_dialogs_gone(agent)


# ---- reading valgrind's logs ----

def summary(text):
    """The figures of one valgrind log: None when it has no final summary (killed)."""
    m = re.search(r"ERROR SUMMARY: ([\d,]+) errors from [\d,]+ contexts \(suppressed: ([\d,]+)",
                  text)
    if m is None:
        return None
    num = lambda s: int(s.replace(",", ""))

    def lost(kind):
        k = re.search(r"%s: ([\d,]+) bytes in ([\d,]+) blocks" % kind, text)
        return (num(k.group(1)), num(k.group(2))) if k else (0, 0)
    used = [(int(n), name, where) for n, name, where in
            re.findall(r"used_suppression:\s+(\d+) (.+?) (\S+:\d+)", text)]
    return {
        "errors": num(m.group(1)),
        "suppressed": num(m.group(2)),
        "definitely": lost("definitely lost"),
        "indirectly": lost("indirectly lost"),
        "possibly": lost("possibly lost"),
        "reachable": lost("still reachable"),
        "used": used,
    }


def open_fds(text):
    """(description, opening stack) of each fd open at exit that was not inherited."""
    fds = []
    blocks = re.split(r"\n(?===\d+== Open )", text)
    for block in blocks[1:]:
        lines = [re.sub(r"^==\d+== ?", "", ln) for ln in block.splitlines()]
        stack = []
        for ln in lines[1:]:
            if not ln.strip():
                break
            stack.append(ln.strip())
        if any("inherited from parent" in s for s in stack):
            continue
        fds.append((lines[0], stack))
    return fds


ALLOCATOR = re.compile(r": (malloc|calloc|realloc|strdup|strndup|g_malloc0?|g_realloc|g_malloc_n|"
                       r"g_malloc0_n|g_realloc_n|g_try_malloc|g_strdup|g_strndup|g_memdup2|"
                       r"g_slice_alloc0?) ")


def indirect_records(text):
    """(header, frames) of each 'indirectly lost' loss record."""
    records = []
    for m in re.finditer(r"^==\d+== (.* are indirectly lost in loss record .*)\n((?:==\d+==    "
                         r"(?:at|by) .*\n)+)", text, re.M):
        records.append((m.group(1), [re.sub(r"^==\d+==\s+", "", ln)
                                     for ln in m.group(2).splitlines()]))
    return records


def allocating_frame(stack):
    """The first frame that is not an allocator: the code that asked for the memory."""
    for frame in stack:
        if not ALLOCATOR.search(frame):
            return frame
    return ""


def opener(stack):
    """The innermost frame above libc's syscall wrappers: the code that opened the fd."""
    for frame in stack:
        if "syscall-template.S" in frame or "/libc.so" in frame:
            continue
        return frame
    return ""


def suppression_entries(path):
    """{name: frame lines} of a suppression file."""
    entries = {}
    with open(path) as f:
        for block in re.findall(r"^\{\s*\n(.*?)^\}", f.read(), re.M | re.S):
            lines = [ln.strip() for ln in block.splitlines()
                     if ln.strip() and not ln.strip().startswith("#")]
            if lines:
                entries[lines[0]] = lines[1:]
    return entries


def valgrind_version():
    out = subprocess.run(["valgrind", "--version"], stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r"(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def audit_ward_supp(path=WARD_SUPP):
    """A ward suppression file's entries are narrow: frames in named third-party libraries
    only, no "..." that could reach down to ward's code, nothing naming ward."""
    entries = suppression_entries(path)
    check(entries, "no entries in %s" % path)
    for name, lines in entries.items():
        frames = [ln for ln in lines if ln.startswith(("fun:", "obj:", "..."))]
        check(frames, "%s: no frames" % name)
        check("..." not in frames, "%s: a '...' wildcard frame" % name)
        for frame in frames:
            check(not re.search(r"ward|main$|^fun:\*", frame),
                  "%s: frame %r may match ward's code" % (name, frame))
            check(frame.startswith("obj:*/lib") or frame.startswith("fun:"),
                  "%s: frame %r is not in a named library" % (name, frame))
    log("%s: %d entries, all narrow: %s" % (os.path.basename(path), len(entries),
                                            ", ".join(entries)))
    return entries


def check_log(name, text, vg_summary, supp_files):
    """Prints the figures of one process; returns a list of problems."""
    problems = []
    s = vg_summary
    used = ", ".join("%s x%d" % (n, c) for c, n, _ in s["used"]) or "none"
    log("FIGURES valgrind %s: errors %d (suppressed %d); definitely lost %d B in %d blocks, "
        "indirectly %d B, possibly %d B, still reachable %d B; suppressions used: %s"
        % (name, s["errors"], s["suppressed"], s["definitely"][0], s["definitely"][1],
           s["indirectly"][0], s["possibly"][0], s["reachable"][0], used))
    if s["errors"] != 0:
        problems.append("%s: %d memcheck errors" % (name, s["errors"]))
    if s["definitely"][0] != 0:
        problems.append("%s: %d bytes definitely lost" % (name, s["definitely"][0]))
    # Indirect leaks are no error by themselves; they hang off a definitely lost block. Those
    # here must all hang off the suppressed fontconfig patterns: memory fontconfig allocated.
    stray = [(h, st) for h, st in indirect_records(text)
             if "/libfontconfig.so" not in allocating_frame(st)]
    if stray:
        problems.append("%s: %d indirectly lost records not allocated by fontconfig:\n%s"
                        % (name, len(stray), "\n".join("  %s\n    %s" % (h, "\n    ".join(
                            st[:12])) for h, st in stray[:10])))
    for count, supp_name, where in s["used"]:
        path = where.rsplit(":", 1)[0]
        if path not in supp_files:
            problems.append("%s: suppression %r from an unexpected file %s"
                            % (name, supp_name, where))
    for desc, stack in open_fds(text):
        # Attributed to the code that made the syscall: GLib's own (main context wakeups,
        # the bus connection, dconf's worker) and libX11's display socket are not ward's.
        by = re.sub(r"^(at|by) 0x[0-9A-F]+: ", "", opener(stack))
        ours = bool(WARD_FRAME.search(by))
        log("  %s: fd open at exit: %s, opened by %s%s" % (name, desc, by,
                                                           " (WARD)" if ours else ""))
        if ours:
            problems.append("%s: fd opened by ward code still open at exit: %s\n    %s"
                            % (name, desc, "\n    ".join(stack)))
    return problems


def case_valgrind():
    if sanitized_build():
        w.skip("sanitizer build: valgrind cannot run ASan/UBSan binaries; this test runs in the "
               "gcc build (here the gtk and hardening-gtk tests run under ASan/UBSan)")
    if shutil.which("valgrind") is None:
        w.skip("valgrind is not installed")
    vg_dir = os.path.join(w.world_dir(), "valgrind-gtk")
    os.makedirs(vg_dir, exist_ok=True)
    os.chmod(vg_dir, 0o1777)
    supp_files = [p for p in (GLIB_SUPP, WARD_SUPP) if os.path.exists(p)]
    check(WARD_SUPP in supp_files, "the suppression file %s is missing" % WARD_SUPP)
    audit_ward_supp()
    if valgrind_version() >= (3, 22):
        supp_files.append(FDS_SUPP)
        audit_ward_supp(FDS_SUPP)
    if os.environ.get("WARD_GTK_VALGRIND_AUDIT") == "1":
        # Audit run: without ward's suppressions, so the logs show (with --gen-suppressions)
        # every stack gtk.supp would hide. It fails; read the kept logs.
        supp_files.remove(WARD_SUPP)
    base = VALGRIND + ["--suppressions=" + p for p in supp_files]
    listener_log = os.path.join(vg_dir, "listener.%p.log")
    dialog_log = os.path.join(vg_dir, "dialog.%p.log")
    dialog_wrapper = g.bob_file("valgrind-dialog.sh")
    listener_wrapper = g.bob_file("valgrind-listener.sh")
    write_script(dialog_wrapper, base + ["--log-file=" + dialog_log,
                                         os.environ["WARD_GTK_DIALOG_BIN"]])
    write_script(listener_wrapper, base + ["--log-file=" + listener_log,
                                           os.environ["WARD_GTK_AGENT"]])
    env = {
        # llvmpipe under valgrind is far too slow; cairo is GTK's software renderer.
        "GSK_RENDERER": "cairo",
        # GLib 2.74's slice allocator hides use-after-free and leaks from memcheck.
        "G_SLICE": "always-malloc",
        "G_DEBUG": "fatal-warnings,gc-friendly",
        # GTK still loads Mesa (EGL) to probe for GL at display open, unless told not to; the
        # dialog does that itself with the cairo renderer (GDK_DEBUG=gl-disable before GTK 4.16,
        # GDK_DISABLE=gl from 4.16 on, which warns about the old name).
    }
    real_agent = os.environ["WARD_GTK_AGENT"]
    os.environ["WARD_GTK_AGENT"] = listener_wrapper
    try:
        agent = g.Agent(env=env, dialog=dialog_wrapper, wait=False)
    finally:
        os.environ["WARD_GTK_AGENT"] = real_agent
    t0 = time.monotonic()
    stopped = False
    try:
        agent.wait_log("authentication agent for session", timeout=SLOW,
                       what="ward-gtk under valgrind to register")
        log("ward-gtk registered under valgrind after %.1f s" % (time.monotonic() - t0))
        request_right(agent, "right password")
        request_wrong_then_right(agent)
        request_three_wrong(agent)
        request_dismissed(agent, ["Escape"], "Escape")
        request_dismissed(agent, ["alt+c"], "Cancel button")
        request_polkitd_cancel(agent)
        request_queued(agent)
        # SIGTERM with one request open and one queued: both end cancelled.
        open_pk = g.pkcheck()
        g.wait_prompt(agent, open_pk.pid, timeout=SLOW)
        queued_pk = g.pkcheck()
        agent.wait_log("queued behind 1", count=2, timeout=SLOW, what="a request queued")
        log("session of requests done after %.1f s; SIGTERM to ward-gtk"
            % (time.monotonic() - t0))
        agent.proc.send_signal(signal.SIGTERM)
        try:
            agent.proc.wait(SLOW)
        except subprocess.TimeoutExpired:
            raise AssertionError("ward-gtk under valgrind did not exit after SIGTERM")
        stopped = True
        listener_status = agent.proc.returncode
        rcs = [g.finish(p, timeout=60)[0] for p in (open_pk, queued_pk)]
        log("ward-gtk exited %d; the open and the queued request: pkcheck %r"
            % (listener_status, rcs))
        check(all(rc != 0 for rc in rcs), "requests open at SIGTERM not authorized")
        wait_dialogs_gone(agent)
    finally:
        if not stopped and agent.proc.poll() is None:
            agent.proc.send_signal(signal.SIGTERM)
            try:
                agent.proc.wait(SLOW)
            except subprocess.TimeoutExpired:
                pass
        agent.stop()
        keep = os.path.join(BUILD, "tests", "hardening", "valgrind-gtk")
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(vg_dir, keep)
        log("valgrind logs kept in %s" % keep)

    opened = dialogs(agent)
    log("dialogs started: %d" % len(opened))
    problems = []
    if listener_status != 0:
        problems.append("ward-gtk exit status %d (99: valgrind errors)" % listener_status)
    # Every dialog exits by itself with status 0 (99 would be valgrind's error exit code), the
    # one open at SIGTERM too: ward-gtk waits for it before it exits.
    for bad in ("did not exit; killing it", "the dialog was killed", "the dialog exited with"):
        if bad in agent.log():
            problems.append("ward-gtk logged %r" % bad)
    logs = sorted(f for f in os.listdir(vg_dir) if f.endswith(".log"))
    listener_logs = [f for f in logs if f.startswith("listener.")]
    check(len(listener_logs) == 1, "one listener log: %r" % logs)
    text = open(os.path.join(vg_dir, listener_logs[0]), errors="replace").read()
    s = summary(text)
    check(s is not None, "the listener's valgrind log has no summary:\n" + text[-4000:])
    problems += check_log("ward-gtk", text, s, supp_files)
    if problems:
        log("--- %s (tail) ---\n%s" % (listener_logs[0], text[-8000:]))
    checked = 0
    totals = {"errors": 0, "definitely": 0, "indirectly": 0, "possibly": 0}
    used_total = {}
    for pid in opened:
        name = "dialog.%d.log" % pid
        path = os.path.join(vg_dir, name)
        check(os.path.exists(path), "no valgrind log for dialog %d: %r" % (pid, logs))
        text = open(path, errors="replace").read()
        s = summary(text)
        check(s is not None, "dialog %d: no valgrind summary (killed?):\n%s" % (pid, text[-3000:]))
        checked += 1
        found = check_log("ward-gtk-dialog[%d]" % pid, text, s, supp_files)
        for k in totals:
            totals[k] += s[k] if k == "errors" else s[k][0]
        for c, n, _ in s["used"]:
            used_total[n] = used_total.get(n, 0) + c
        if found:
            log("--- %s (tail) ---\n%s" % (name, text[-8000:]))
        problems += found
    log("FIGURES valgrind ward-gtk-dialog: %d of %d dialogs checked; errors %d; definitely lost "
        "%d B, indirectly %d B, possibly %d B; suppressions used: %s"
        % (checked, len(opened), totals["errors"], totals["definitely"], totals["indirectly"],
           totals["possibly"], ", ".join("%s x%d" % kv for kv in sorted(used_total.items()))
           or "none"))
    check(len(opened) == 9 and checked == 9, "%d dialogs started, %d checked" % (len(opened),
                                                                              checked))
    check(not problems, "valgrind found problems:\n" + "\n".join(problems))


def main():
    g.require()
    log("case gtk-valgrind")
    case_valgrind()
    log("ok")


if __name__ == "__main__":
    main()

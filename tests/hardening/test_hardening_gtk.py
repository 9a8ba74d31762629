#!/usr/bin/python3
"""Hardening tests for ward-gtk (suite 'hardening'): the system bus or the display going away
under the dialog, 50 concurrent requests, a hostile GECOS in the identity list, a helper dying
at the prompt.

Usage (inside ward-world --xvfb): test_hardening_gtk.py CASE. Drives the dialog with the gtk
team's helpers (tests/gtk/gtkworld.py, imported, not copied).
"""

import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("WARD_SOURCE_ROOT", ""), "tests", "gtk"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gtkworld as g  # noqa: E402
import wardworld as w  # noqa: E402
from wardtest import (check, fd_count, log, pids_named, rss_kib, run_case,  # noqa: E402
                      sanitized_build)

ALICE = w.USERS["alice"]["password"]
BAD = ["\x1b", "\x07", "\x08", "\x7f", "\u009b", "\u202e", "\u2066", "\u2069"]


def answer_one(agent, password=ALICE, timeout=60):
    g.wait_prompt(agent, timeout=timeout)
    g.type_text(g.wait_window(timeout), password)


def case_display_gone():
    """The X server dies under an open dialog: the dialog ends, polkitd gets an answer (pkcheck
    returns, not authorized), ward-gtk survives and logs it; a request made while there is no
    display fails cleanly too, without a hang."""
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        g.wait_prompt(agent, pk.pid)
        dialogs = g.dialog_pids()
        check(len(dialogs) == 1, "one dialog")
        xservers = pids_named("Xvfb")
        check(xservers, "no Xvfb in the world")
        t0 = time.monotonic()
        for pid in xservers:
            os.kill(pid, signal.SIGKILL)
        w.wait_for(lambda: not g.dialog_pids(), 15, message="the dialog survives its display")
        rc, out = g.finish(pk, timeout=20)
        log("display gone: dialog ended, pkcheck %d after %.2f s: %r"
            % (rc, time.monotonic() - t0, out.strip()))
        check(rc != 0, "not authorized")
        check(agent.proc.poll() is None, "ward-gtk survives the display")
        agent.wait_log("The authentication dialog exited unexpectedly",
                       what="the request failed with a log line")
        # No display at all now: the next request fails, it does not hang.
        t0 = time.monotonic()
        pk = g.pkcheck()
        rc, out = g.finish(pk, timeout=30)
        log("without a display: pkcheck %d after %.2f s" % (rc, time.monotonic() - t0))
        check(rc != 0, "not authorized without a display")
        agent.wait_log("cannot open the display", what="the dialog saying why")
        check(agent.proc.poll() is None, "ward-gtk still running")
    finally:
        agent.stop()


def case_load_concurrent():
    """50 pkcheck processes at once in bob's session: ward-gtk shows one dialog at a time and
    answers every request; no failures, no fd growth, bounded RSS growth of the listener."""
    n = int(os.environ.get("WARD_HARDENING_GTK_LOAD", "50"))
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        answer_one(agent)
        check(g.finish(pk)[0] == 0, "warm-up authorized")
        w.wait_for(lambda: not g.dialog_pids(), 15)
        time.sleep(0.5)
        fds0, rss0 = fd_count(agent.pid), rss_kib(agent.pid)
        t0 = time.monotonic()
        procs = [g.pkcheck() for _ in range(n)]
        pending = {p.pid for p in procs}
        while pending:
            # The dump of the dialog now prompting names its requester: answer each one once.
            def fresh(state):
                m = re.match(r"Process (\d+),", state.get("requester-detail", ""))
                return (state.get("awaiting-response") == "true" and m is not None
                        and int(m.group(1)) in pending)
            state = g.wait_state(agent, fresh, 60, "the next dialog")
            pending.discard(int(re.match(r"Process (\d+),", state["requester-detail"]).group(1)))
            g.type_text(g.wait_window(), ALICE)
        results = [g.finish(p, 60)[0] for p in procs]
        elapsed = time.monotonic() - t0
        w.wait_for(lambda: not g.dialog_pids(), 15)
        time.sleep(0.5)
        fds1, rss1 = fd_count(agent.pid), rss_kib(agent.pid)
        log("FIGURES gtk load-concurrent: %d requests in %.1f s; listener fds %d -> %d; "
            "RSS %d -> %d KiB (%+d)" % (n, elapsed, fds0, fds1, rss0, rss1, rss1 - rss0))
        check(results.count(0) == n, "all authorized: %r" % results)
        check(fds1 <= fds0, "fd growth %d -> %d" % (fds0, fds1))
        if sanitized_build():
            log("RSS growth not asserted: ASan quarantines freed memory")
        else:
            check(rss1 - rss0 < 2048, "RSS grew by %d KiB" % (rss1 - rss0))
    finally:
        agent.stop()


def case_hostile_gecos():
    """carol's GECOS carries escapes, bidi, markup and invalid UTF-8: the dialog's identity list
    shows it as plain, clean text."""
    evil = b"\x1b]0;PWN\x07Carol\x1b[2J <b>x</b>\xe2\x80\xae\xff\x9b31m\x08\x7f"
    w.set_gecos("carol", evil + b",room 1")
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        state = g.wait_prompt(agent, pk.pid)
        identities = state["identities"]
        log("identities: %r" % identities)
        carol = [i for i in identities.split("\n") if "(carol)" in i]
        check(carol, "carol listed")
        check("Carol" in carol[0] and "<b>x</b>" in carol[0], "GECOS shown as plain text")
        check("PWN" not in carol[0] and "room 1" not in carol[0], "OSC payload / other fields")
        for bad in BAD + ["\ufffd\ufffd\ufffd\ufffd\ufffd"]:
            check(bad not in carol[0], "%r in the identity list" % bad)
        g.type_text(g.wait_window(), ALICE)
        check(g.finish(pk)[0] == 0, "authorized")
    finally:
        agent.stop()


def case_helper_dies():
    """A helper on ward's socket dies at each password prompt (fake_ward_helper.py, mode
    'prompt'): the dialog fails the request without hanging, ward-gtk survives, and once the
    socket is gone the fallback helper serves the next request."""
    fake_log = os.path.join(w.world_dir(), "fake-gtk.log")
    fake = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "fake_ward_helper.py"), "/run/ward/helper.socket", fake_log,
        "prompt"], stdin=subprocess.DEVNULL)
    w.wait_for(lambda: os.path.exists(fake_log), 10)
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        t0 = time.monotonic()
        try:
            rc, out = g.finish(pk, timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError("the request hangs; ward-gtk log:\n" + agent.log())
        with open(fake_log) as f:
            deaths = f.read().count("dies at the prompt")
        log("helper died %d times; pkcheck %d after %.2f s" % (deaths, rc, time.monotonic() - t0))
        check(deaths >= 1, "the fake helper was used")
        check(rc != 0, "not authorized")
        check(agent.proc.poll() is None, "ward-gtk survives")
    finally:
        fake.kill()
        fake.wait()
        try:
            os.unlink("/run/ward/helper.socket")
        except FileNotFoundError:
            pass
    try:
        w.wait_for(lambda: not g.dialog_pids(), 15, message="a dialog is left over")
        pk = g.pkcheck()
        answer_one(agent)
        check(g.finish(pk)[0] == 0, "the next request works through the fallback helper")
    finally:
        agent.stop()


def case_bus_gone():
    """The system bus dies while a dialog is open: the dialog closes, ward-gtk says once that it
    lost the bus and exits non-zero (not by GLib's exit-on-close SIGTERM, which it would treat as
    a stop request and end with 0), so that its user unit's Restart=on-failure brings it back."""
    agent = g.Agent()
    try:
        pk = g.pkcheck()
        g.wait_prompt(agent, pk.pid)
        check(len(g.dialog_pids()) == 1, "one dialog")
        buses = pids_named("dbus-daemon")
        check(buses, "no dbus-daemon in the world")
        t0 = time.monotonic()
        for pid in buses:
            os.kill(pid, signal.SIGKILL)
        try:
            status = agent.proc.wait(15)
        except subprocess.TimeoutExpired:
            raise AssertionError("ward-gtk stays up without a bus; log:\n" + agent.log())
        log("ward-gtk exited with status %d after %.2f s" % (status, time.monotonic() - t0))
        check(status > 0, "ward-gtk exited with status %d, expected a failure status" % status)
        said = agent.log().count("ward-gtk: lost the connection to the system bus")
        check(said == 1, "said %d times that the bus is lost; log:\n%s" % (said, agent.log()))
        w.wait_for(lambda: not g.dialog_pids(), 15, message="the dialog survives ward-gtk")
        rc, out = g.finish(pk, timeout=20)
        log("pkcheck %d: %r" % (rc, out.strip()))
        check(rc != 0, "not authorized")
    finally:
        agent.stop()


CASES = {
    "bus-gone": case_bus_gone,
    "display-gone": case_display_gone,
    "load-concurrent": case_load_concurrent,
    "hostile-gecos": case_hostile_gecos,
    "helper-dies": case_helper_dies,
}


def main():
    run_case(CASES, require=g.require, label="case gtk-%s")


if __name__ == "__main__":
    main()

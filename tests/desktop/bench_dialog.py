#!/usr/bin/python3
"""Time to the dialog: ward-gtk against Debian 13's graphical agents, in one booted system.

Usage (through ward-booted): bench_dialog.py [--runs N] [--output FILE]
A benchmark, not a test: it measures and reports, and fails only when a measurement could not
be made. bob's X11 session (desktop.py) runs one agent at a time: ward-gtk as its user unit
starts it, mate-polkit and lxpolkit as a session starts them (Debian 13 no longer ships
polkit-gnome, the peer of tests/bench). Per run, from starting
`pkcheck --allow-user-interaction` in the session until the agent's dialog window is mapped
(X MapNotify, tests/bench/bench-mapwatch built in the image), then alice's password is typed and
pkcheck must succeed. The agents alternate in blocks of 5 runs (a fresh start and one warm-up
request per block). Writes a Markdown table to FILE (default
$WARD_BOOTED_ARTIFACTS/bench-dialog.md) and prints it.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import booted as bw  # noqa: E402
import desktop as d  # noqa: E402
import wardworld as ww  # noqa: E402
from wardtest import check, log  # noqa: E402

ALICE = ww.USERS["alice"]["password"]
ACTION = "org.freedesktop.policykit.exec"
PEERS = {"mate-polkit": "/usr/libexec/polkit-mate-authentication-agent-1",
         "lxpolkit": "/usr/bin/lxpolkit"}
BLOCK = 5


class MapWatch:
    """bench-mapwatch on the session's display: (kind, window, monotonic seconds) events."""

    def __init__(self, session):
        built = os.path.join(os.environ["WARD_BUILD_ROOT"], "booted", "ward", "build", "tests",
                             "bench", "bench-mapwatch")
        check(os.path.exists(built), "bench-mapwatch was not built in the image: %s" % built)
        with open(built, "rb") as f:
            data = f.read()
        subprocess.run(bw.inside(["sh", "-c", "cat >/run/bench-mapwatch && chmod 0755 "
                                  "/run/bench-mapwatch"]), input=data, check=True, timeout=30)
        self.proc = subprocess.Popen(bw.inside(session.keys_env() + ["/run/bench-mapwatch"]),
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.events, self.cond = [], threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        check(self.wait(lambda e: e[0] == "ready", 0, 20), "bench-mapwatch did not start")

    def _read(self):
        for line in self.proc.stdout:
            parts = line.split()
            event = (parts[0], parts[1] if len(parts) > 2 else None, int(parts[-1]) / 1e9)
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.events)

    def wait(self, predicate, since, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event in self.events[since:]:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def close(self):
        self.proc.kill()
        self.proc.wait()


def request(session, watch):
    """One request; returns the seconds from starting pkcheck to the dialog's window mapped."""
    mark = watch.mark()
    start = time.monotonic()
    proc = session.popen(["sh", "-c", 'exec pkcheck --action-id %s --allow-user-interaction '
                          '--process $$' % ACTION])
    event = watch.wait(lambda e: e[0] == "map", mark, 30)
    check(event is not None, "no dialog window within 30 s")
    mapped = event[2] - start
    window = event[1]
    # A person cannot type before the dialog is drawn: not part of any timing.
    time.sleep(0.3)
    session.xdotool("windowfocus", "--sync", window)
    session.xdotool("type", "--delay", "10", ALICE)
    session.xdotool("key", "Return")
    out, _ = proc.communicate(timeout=40)
    check(proc.returncode == 0, "pkcheck failed: %r" % out)
    watch.wait(lambda e: e[0] == "unmap" and e[1] == window, mark, 10)
    return mapped


def start_agent(name, session, cursor):
    if name == "ward-gtk":
        d.user_systemctl("start", "ward-gtk.service")
        agent = None
    else:
        agent = session.popen([PEERS[name]])
    ww.wait_for(lambda: "Registered Authentication Agent for unix-session:%s" % session.id
                in bw.journal(cursor), 30, message="%s did not register" % name)
    return agent


def stop_agent(name, agent):
    if agent is None:
        d.user_systemctl("stop", "ward-gtk.service")
    else:
        # The Popen is nsenter's: signal the agent inside, by its pid.
        for pid in bw.pids(r"^%s( |$)" % PEERS[name], user="bob"):
            bw.run(["kill", "-TERM", str(pid)], check_status=False)
        try:
            agent.wait(10)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
    ww.wait_for(lambda: not bw.pids(r"ward-gtk|polkit-mate|lxpolkit", user="bob"), 15,
                message="%s did not stop" % name)


def measure(runs):
    # One administrator: no identity to choose, the same dialog for every agent.
    bw.run(["gpasswd", "-d", "carol", "sudo"])
    d.install_session_targets()
    d.start_user_manager()
    d.set_dump(False)
    session = d.Session("x11")
    watch = MapWatch(session)
    agents = ["ward-gtk"] + list(PEERS)
    samples = {name: [] for name in agents}
    try:
        for block in range((runs + BLOCK - 1) // BLOCK):
            order = agents[block % len(agents):] + agents[:block % len(agents)]
            for name in order:
                cursor = bw.journal_cursor()
                agent = start_agent(name, session, cursor)
                try:
                    request(session, watch)  # warm-up
                    for _ in range(min(BLOCK, runs - block * BLOCK)):
                        samples[name].append(request(session, watch))
                finally:
                    stop_agent(name, agent)
                log("%s: %d runs" % (name, len(samples[name])))
    finally:
        watch.close()
    return samples


def table(samples, runs):
    ward = statistics.median(samples["ward-gtk"])
    lines = ["## Time to the dialog on the real stack (booted Debian 13, GTK 4.18, X11)", "",
             "%d runs per agent, alternating in blocks of %d, %s. From starting pkcheck in "
             "bob's session to the dialog's window mapped." % (
                 runs, BLOCK, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())), "",
             "| agent | median | min–max | ward-gtk / agent |", "|---|---|---|---|"]
    for name, values in samples.items():
        median = statistics.median(values)
        lines.append("| %s | %.1f ms | %.1f–%.1f ms | %s |" % (
            name, median * 1000, min(values) * 1000, max(values) * 1000,
            "—" if name == "ward-gtk" else "%.2f×" % (ward / median)))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=int(os.environ.get("WARD_BENCH_RUNS", 10)))
    parser.add_argument("--output", default=os.path.join(bw.ARTIFACTS, "bench-dialog.md"))
    args = parser.parse_args()
    bw.require_booted()
    samples = measure(args.runs)
    text = table(samples, args.runs)
    with open(args.output, "w") as f:
        f.write(text)
    log(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

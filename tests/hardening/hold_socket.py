#!/usr/bin/python3
"""A local user trying to keep ward's helper socket full (issue 16, item 1), for the hardening
suite. Runs as that user (not root).

Usage: hold_socket.py SOCKET N SECONDS REPORT

Keeps N connections open to SOCKET without ever sending a byte; a connection the other side
closes is opened again after RECONNECT seconds, as a patient attacker would. After SECONDS it
writes REPORT (JSON): connections made, the most connections held at once (open for longer than
HELD seconds: they got a helper instance, which refused ones do not), and the longest time the
other side let an idle connection live before closing it.
"""

import json
import os
import select
import socket
import sys
import time

RECONNECT = 0.2
HELD = 2.5


def main():
    path, n, seconds, report = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    opened = {}  # socket -> time it was opened
    waiting = []  # times at which to reconnect
    made = refused = 0
    max_held = 0
    longest_closed = 0.0
    end = time.monotonic() + seconds

    def connect():
        nonlocal made, refused
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except (BlockingIOError, ConnectionRefusedError, FileNotFoundError):
            refused += 1
            s.close()
            waiting.append(time.monotonic() + RECONNECT)
            return
        made += 1
        opened[s] = time.monotonic()

    for _ in range(n):
        connect()
    while time.monotonic() < end:
        now = time.monotonic()
        for t in [t for t in waiting if t <= now]:
            waiting.remove(t)
            connect()
        ready, _, _ = select.select(list(opened), [], [], 0.05)
        now = time.monotonic()
        for s in ready:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                continue  # a helper that speaks first: not ward's; keep reading
            life = now - opened.pop(s)
            s.close()
            if life > HELD:
                longest_closed = max(longest_closed, life)
            waiting.append(now + RECONNECT)
        max_held = max(max_held, sum(1 for t in opened.values() if now - t > HELD))
    result = {"connections": made, "connect_refused": refused, "max_held": max_held,
              "longest_idle_life": round(longest_closed, 2),
              "open_at_end": len(opened)}
    with open(report + ".tmp", "w") as f:
        json.dump(result, f)
    os.rename(report + ".tmp", report)
    for s in opened:
        s.close()


if __name__ == "__main__":
    main()

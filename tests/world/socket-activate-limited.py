#!/usr/bin/python3
"""systemd's Accept=yes socket activation with its connection limits, for the polkit world.

Usage: socket-activate-limited.py --listen PATH --max-connections N [--max-per-source N]
                                  -- PROGRAM [ARG...]

`systemd-socket-activate --accept` starts one PROGRAM per connection but has no limits. This does
what a socket unit does with MaxConnections= and MaxConnectionsPerSource= (systemd's
src/core/socket.c, read for v252 and v256): each connection is accepted; when N instances are
running, or (with --max-per-source, as systemd >= 256 does for AF_UNIX peers, keyed by the
SO_PEERCRED uid) that uid already has N of them, the connection is closed at once ("Too many
incoming connections (N), dropping connection."). systemd 252 ignores MaxConnectionsPerSource=
for AF_UNIX sockets: leave --max-per-source out to be systemd 252.

Instances get the connection as fd 3 with LISTEN_FDS=1 and LISTEN_PID, and inherit stdout and
stderr. Started and reaped instances are logged as systemd-socket-activate does ("Spawned PROGRAM
as PID N.", "Child PID died with code N"), so tests read both logs alike. SIGTERM ends the activator (instances are left running, as
systemd leaves them when the socket stops).
"""

import argparse
import os
import select
import signal
import socket
import struct
import sys


def log(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--max-connections", type=int, required=True)
    ap.add_argument("--max-per-source", type=int, default=0)
    ap.add_argument("argv", nargs="+")
    args = ap.parse_args()

    try:
        os.unlink(args.listen)
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(args.listen)
    server.listen(socket.SOMAXCONN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log("Listening on %s (MaxConnections=%d, MaxConnectionsPerSource=%d)"
        % (args.listen, args.max_connections, args.max_per_source))

    running = {}  # pid -> peer uid
    while True:
        # Reap first: systemd counts a connection until its service instance is gone.
        while running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            running.pop(pid, None)
            if os.WIFEXITED(status):
                log("Child %d died with code %d" % (pid, os.WEXITSTATUS(status)))
            else:
                log("Child %d died with signal %d" % (pid, os.WTERMSIG(status)))
        ready, _, _ = select.select([server], [], [], 0.05)
        if not ready:
            continue
        conn, _ = server.accept()
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", creds)
        if len(running) >= args.max_connections:
            log("Too many incoming connections (%d), dropping connection." % len(running))
            conn.close()
            continue
        same = sum(1 for u in running.values() if u == uid)
        if args.max_per_source and same >= args.max_per_source:
            log("Too many incoming connections (%d) from source uid %d, dropping connection."
                % (same + 1, uid))
            conn.close()
            continue
        pid = os.fork()
        if pid == 0:
            try:
                server.close()
                os.dup2(conn.fileno(), 3, inheritable=True)
                os.environ["LISTEN_FDS"] = "1"
                os.environ["LISTEN_PID"] = str(os.getpid())
                os.execv(args.argv[0], args.argv)
            finally:
                os._exit(127)
        log("Spawned %s as PID %d." % (args.argv[0], pid))
        running[pid] = uid
        conn.close()


if __name__ == "__main__":
    main()

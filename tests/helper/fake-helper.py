#!/usr/bin/python3
"""A scripted stand-in for an authentication helper, for ward-session's tests.

Spawned mode (WARD_HELPER=spawn:THIS): argv[1] is the user name, the cookie and the replies
come on stdin, lines go to stdout, as polkit-agent-helper-1 does. Socket mode: started with
--listen-fd N, it accepts one connection on the listening socket N and reads the user name line
first (mode accept-close closes it at once instead; first-closed and first-closed-after-request
close the first connection, at once or after the request, and serve the second as "ok"). The script comes from $FAKE_HELPER_MODE; what the helper saw is written as JSON to
$FAKE_HELPER_RECORD as a GKeyFile (group "helper": argv, user, cookie, replies as lists,
pid), rewritten after every step.
"""

import os
import socket
import sys
import time


class Conn:
    def __init__(self, rfile, wfile):
        self.r, self.w = rfile, wfile

    def line(self):
        data = self.r.readline()
        if not data.endswith(b"\n"):
            return None
        return data[:-1].decode("utf-8", "surrogateescape")

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.w.write(data)
        self.w.flush()


def main():
    mode = os.environ.get("FAKE_HELPER_MODE", "ok")
    record = {"argv": sys.argv, "pid": os.getpid(), "replies": []}
    record_file = os.environ.get("FAKE_HELPER_RECORD")

    def save():
        if record_file:
            def esc(v):
                v = "<EOF>" if v is None else str(v)
                return v.replace("\\", "\\\\").replace(";", "\\;").replace("\n", "\\n")
            with open(record_file + ".tmp", "w") as f:
                f.write("[helper]\n")
                for key, value in record.items():
                    if isinstance(value, list):
                        f.write("%s=%s\n" % (key, "".join(esc(v) + ";" for v in value)))
                    else:
                        f.write("%s=%s\n" % (key, esc(value)))
            os.rename(record_file + ".tmp", record_file)

    if len(sys.argv) == 3 and sys.argv[1] == "--listen-fd":
        lsock = socket.socket(fileno=int(sys.argv[2]))
        conn, _ = lsock.accept()
        if mode in ("first-closed", "first-closed-after-request"):
            # A connection made ahead of the request that the helper dropped (idle, killed):
            # at once, or just as the request came; the next connection is served normally.
            if mode == "first-closed-after-request":
                first = conn.makefile("rb")
                record["first_user"] = first.readline().rstrip(b"\n").decode()
                first.readline()
                first.close()
            conn.close()
            record["first"] = "closed"
            save()
            mode = "ok"
            conn, _ = lsock.accept()
        lsock.close()
        if mode == "accept-close":
            # What systemd does beyond MaxConnections= and ward-helper beyond its per-uid bound.
            record["accepted"] = "closed"
            save()
            conn.close()
            return
        c = Conn(conn.makefile("rb"), conn.makefile("wb"))
        record["user"] = c.line()
    else:
        c = Conn(sys.stdin.buffer, sys.stdout.buffer)
        record["user"] = sys.argv[1] if len(sys.argv) > 1 else None
    record["cookie"] = c.line()
    save()

    def reply():
        r = c.line()
        record["replies"].append(r)
        save()
        return r

    if mode == "ok":
        c.send("PAM_TEXT_INFO Hello\\nworld \\342\\234\\223\n")
        c.send("PAM_PROMPT_ECHO_OFF Password: \n")
        r = reply()
        c.send("SUCCESS\n" if r == "right" and record["cookie"] == "cookie-x" else "FAILURE\n")
    elif mode == "multi":
        c.send("PAM_TEXT_INFO first info\n")
        c.send("PAM_ERROR_MSG an error\n")
        c.send("PAM_PROMPT_ECHO_ON Name: \n")
        r1 = reply()
        c.send("PAM_PROMPT_ECHO_OFF Password: \n")
        r2 = reply()
        c.send("SUCCESS\n" if (r1, r2) == ("me", "right") else "FAILURE\n")
    elif mode == "split":
        for b in b"PAM_PROMPT_ECHO_OFF Pass\\tword: \n":
            c.send(bytes([b]))
            time.sleep(0.005)
        r = reply()
        c.send("SUCC")
        time.sleep(0.05)
        c.send("ESS\n" if r == "right" else "URE\n")
    elif mode == "garbage":
        c.send("HELLO world\n")
    elif mode == "huge":
        c.send("PAM_TEXT_INFO " + "A" * 5000 + "\n")
    elif mode == "nul":
        c.send(b"PAM_TEXT_INFO a\0b\n")
    elif mode == "bad-escape":
        c.send("PAM_TEXT_INFO \\q\n")
    elif mode == "truncated":
        c.send("PAM_TEXT_INFO abc")
    elif mode == "die":
        c.send("PAM_PROMPT_ECHO_OFF Password: \n")
        reply()
        os._exit(3)
    elif mode == "hang":
        c.send("PAM_PROMPT_ECHO_OFF Password: \n")
        r = c.line()
        record["after_hang"] = r
        save()
        if r is None:
            return
        time.sleep(60)
    elif mode == "success-then-more":
        c.send("SUCCESS\nPAM_TEXT_INFO late\n")
    elif mode == "exit-now":
        pass


if __name__ == "__main__":
    main()

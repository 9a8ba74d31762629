#!/usr/bin/python3
"""A misbehaving helper on ward's helper socket, for the hardening suite (runs as root).

Usage: fake_ward_helper.py SOCKET LOG MODE
Each connection is served by a forked child that speaks ward's socket protocol (user name line,
cookie line, then polkit's helper lines) and, depending on MODE:

  accept        closes the connection at once (before the user line)
  user          dies after reading the user name line
  cookie        dies after reading the cookie line
  prompt        dies right after writing the password prompt
  password      dies after reading the password
  half-success  writes "SUCC" (no newline) after the password and dies
  reported      tells polkitd the user authenticated (AuthenticationAgentResponse2, as the real
                helper does), then dies before writing SUCCESS; only on the first connection,
                later ones die at the prompt
  raw           sends a PAM text with raw (unescaped) ESC and BEL bytes, which polkit's helper
                never writes, then waits for the agent to hang up
  hostile       sends PAM texts and a prompt full of escape sequences, bidi controls, markup and
                invalid UTF-8 (escaped on the wire, as polkit's helper escapes them), reads the
                reply, then FAILURE

Every step is appended to LOG ("conn N: step"), so the test can tell where each death happened.
"""

import os
import signal
import socket
import struct
import subprocess
import sys

HOSTILE = [
    ("PAM_TEXT_INFO", "\x1b]0;PWNED-TITLE\x07info\x1b[2J\x1b[31mred"),
    ("PAM_ERROR_MSG", "err\u202eor\u2066x\u2069 <b>bold</b> &amp; \x1bP+q\x1b\\ \x9b31m"),
    ("PAM_TEXT_INFO", "bytes \xff\xfe\x80 and \x08\x7f\x07 end"),
    ("PAM_PROMPT_ECHO_OFF", "Pass\x1b[8mword\x1b]52;c;cHduZWQ=\x07: "),
]


def escape(text):
    """g_strescape(text, NULL) over the text's bytes (Latin-1 code points stand for raw bytes
    where the text is a str of them)."""
    data = text.encode("utf-8") if any(ord(c) > 0xff for c in text) else text.encode("latin-1")
    out = []
    named = {0x08: "\\b", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x0b: "\\v",
             0x5c: "\\\\", 0x22: "\\\""}
    for b in data:
        if b in named:
            out.append(named[b])
        elif b < 0x20 or b >= 0x7f:
            out.append("\\%03o" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def read_line(conn):
    data = bytearray()
    while True:
        b = conn.recv(1)
        if not b:
            return None
        if b == b"\n":
            return bytes(data)
        data += b


def report(cookie, agent_uid, user):
    import pwd
    uid = pwd.getpwnam(user).pw_uid
    return subprocess.run(
        ["gdbus", "call", "--system", "--dest", "org.freedesktop.PolicyKit1",
         "--object-path", "/org/freedesktop/PolicyKit1/Authority", "--method",
         "org.freedesktop.PolicyKit1.Authority.AuthenticationAgentResponse2",
         str(agent_uid), cookie, "('unix-user', {'uid': <uint32 %d>})" % uid],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout.strip()


def serve(conn, number, mode, log):
    def step(what):
        with open(log, "a") as f:
            f.write("conn %d: %s\n" % (number, what))

    def die(what):
        step("dies " + what)
        os._exit(0)

    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, peer_uid, _ = struct.unpack("3i", creds)
    step("accepted uid %d" % peer_uid)
    if mode == "accept":
        die("before the user line")
    user = read_line(conn)
    step("user %r" % user)
    if mode == "user" or user is None:
        die("after the user line")
    cookie = read_line(conn)
    step("cookie read")
    if mode == "cookie" or cookie is None:
        die("after the cookie")
    if mode == "raw":
        conn.sendall(b"PAM_TEXT_INFO raw\x1b]0;PWNED\x07text\n")
        step("sent a raw line")
        conn.settimeout(20)
        try:
            left = conn.recv(1) == b""
        except OSError:
            left = False
        step("agent hung up" if left else "agent stayed")
        os._exit(0)
    if mode == "hostile":
        for kind, text in HOSTILE:
            conn.sendall(("%s %s\n" % (kind, escape(text))).encode("ascii"))
        reply = read_line(conn)
        step("reply of %d bytes" % (len(reply) if reply is not None else -1))
        conn.sendall(b"FAILURE\n")
        step("sent FAILURE")
        os._exit(0)
    conn.sendall(b"PAM_PROMPT_ECHO_OFF Password: \n")
    step("prompted")
    if mode == "prompt" or (mode == "reported" and number > 1):
        die("at the prompt")
    reply = read_line(conn)
    step("password read (%d bytes)" % (len(reply) if reply is not None else -1))
    if mode == "password":
        die("after the password")
    if mode == "half-success":
        conn.sendall(b"SUCC")
        die("in the middle of SUCCESS")
    if mode == "reported":
        step("polkitd: %s" % report(cookie.decode(), peer_uid, user.decode()))
        die("before SUCCESS")
    raise SystemExit("unknown mode %r" % mode)


def main():
    path, log, mode = sys.argv[1:4]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o666)
    server.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    with open(log, "a") as f:
        f.write("listening %s\n" % mode)
    number = 0
    while True:
        conn, _ = server.accept()
        number += 1
        if os.fork() == 0:
            server.close()
            try:
                serve(conn, number, mode, log)
            finally:
                os._exit(0)
        conn.close()


if __name__ == "__main__":
    main()

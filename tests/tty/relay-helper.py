#!/usr/bin/python3
"""A PAM conversation polkit's stack never has, for ward-tty's tests (WARD_HELPER=spawn:THIS).

Spawned like polkit-agent-helper-1 (argv[1] = user, cookie on stdin). It first plays a
second factor: an info text carrying an escape sequence and invalid UTF-8, a visible
(ECHO_ON) prompt for a one-time code that must be 424242. Then it relays the rest of the
conversation to the real setuid helper, which authenticates through PAM and tells polkitd.

With WARD_TEST_HELPER_MODE=die it shows a password prompt and dies 1.5 s later instead; with
WARD_TEST_HELPER_MODE=info-stall it says "Place your finger on the reader" (as pam_fprintd does)
and then waits without a prompt, as a stalled helper or a finger that never comes.
"""

import os
import subprocess
import sys
import time

HELPER = "/usr/lib/polkit-1/polkit-agent-helper-1"


def read_line(fd):
    data = bytearray()
    while True:
        byte = os.read(fd, 1)
        if not byte:
            sys.exit(1)
        if byte == b"\n":
            return bytes(data)
        data += byte


def write(text):
    os.write(1, text.encode() + b"\n")


def main():
    user = sys.argv[1]
    cookie = read_line(0)
    if os.environ.get("WARD_TEST_HELPER_MODE") == "info-stall":
        write("PAM_TEXT_INFO Place your finger on the reader")
        time.sleep(600)
        os._exit(1)
    if os.environ.get("WARD_TEST_HELPER_MODE") == "die":
        # A helper that crashes while the user is typing.
        write("PAM_PROMPT_ECHO_OFF Password: ")
        time.sleep(1.5)
        os._exit(1)
    write("PAM_TEXT_INFO Touch the reader\\033[31m now \\377\\033]0;x\\007")
    write("PAM_PROMPT_ECHO_ON One-time code: ")
    if read_line(0) != b"424242":
        write("PAM_ERROR_MSG Wrong code")
        write("FAILURE")
        return
    write("PAM_TEXT_INFO Code accepted")
    helper = subprocess.Popen([HELPER, user], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    helper.stdin.write(cookie + b"\n")
    helper.stdin.flush()
    for line in helper.stdout:
        os.write(1, line)
        if line.startswith(b"PAM_PROMPT_"):
            helper.stdin.write(read_line(0) + b"\n")
            helper.stdin.flush()
        elif line in (b"SUCCESS\n", b"FAILURE\n"):
            break
    helper.wait()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""World test: ward's own session lookup (common/ward-login.c) agrees with libsystemd's.

tests/unit/login-compare asks both sd_pid_get_session() and ward_login_pid_get_session() about
every process, and sd_uid_get_display() and ward_login_uid_get_display() about every user in
/run/systemd/users (here: bob, whose DISPLAY is the world's session). A process of bob's is put
into the session first, so the comparison covers a real hit and not only "no session".
"""

import subprocess
import sys

import wardworld as ww


def main():
    ww.require_world()
    compare = sys.argv[1]
    sid = ww.session_id()
    inside = ww.popen_as("bob", ["sleep", "60"], in_session=True)
    outside = ww.popen_as("bob", ["sleep", "60"])
    try:
        res = subprocess.run([compare, "--expect-session", sid], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True, timeout=60)
        print(res.stdout, end="")
        assert res.returncode == 0, "ward-login disagrees with libsystemd (exit %d)" % (
            res.returncode)
        assert " 0 users compared" not in res.stdout, "bob's /run/systemd/users file was not read"
    finally:
        for proc in (inside, outside):
            proc.kill()
            proc.wait()
    print("ok: ward-login and libsystemd agree, session %s found" % sid)


if __name__ == "__main__":
    main()

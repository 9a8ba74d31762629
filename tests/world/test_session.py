#!/usr/bin/python3
"""World test: the simulated logind session of bob is real to polkitd.

org.ward.test.active-yes is allow_active=yes, allow_any=auth_admin: a process in bob's session
cgroup is granted without any agent; the same check outside the session needs a challenge.
"""

import wardworld as ww

CHECK = "exec pkcheck --action-id %s --process $$"


def pkcheck(action, in_session):
    res = ww.run_as_sync("bob", ["sh", "-c", CHECK % action], in_session=in_session, timeout=30)
    print("%s in_session=%s: exit %d %s%s" % (action, in_session, res.returncode,
                                               res.stdout.strip(), res.stderr.strip()))
    return res.returncode


def cgroup_of(pid):
    with open("/proc/%d/cgroup" % pid) as f:
        return f.read()


def main():
    ww.require_world()
    sid = ww.session_id()
    assert ww.session_cgroup_paths(), "no session cgroups"

    # The world's init has a cgroup of its own (as init.scope on a booted system), whatever
    # cgroup the launcher was started in: libsystemd reads every path relative to PID 1's.
    assert "/ward-world-%s\n" % sid in cgroup_of(1), cgroup_of(1)

    # The in_session child really is in the session scope; a plain one is not.
    proc = ww.popen_as("bob", ["sleep", "30"], in_session=True)
    try:
        assert "session-%s.scope" % sid in cgroup_of(proc.pid), cgroup_of(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    proc = ww.popen_as("bob", ["sleep", "30"])
    try:
        assert "session-%s.scope" % sid not in cgroup_of(proc.pid), cgroup_of(proc.pid)
    finally:
        proc.kill()
        proc.wait()

    # pkcheck: 0 authorized, 1 not authorized, 2 challenge needed (no interaction allowed).
    assert pkcheck("org.ward.test.active-yes", in_session=True) == 0
    assert pkcheck("org.ward.test.active-yes", in_session=False) == 2
    # An active session does not make bob an administrator.
    assert pkcheck("org.ward.test.auth-admin", in_session=True) == 2

    # A pty process in the session (what agents and shells use) is granted as well.
    shell = ww.shell_as("bob", in_session=True)
    assert ww.shell_run(shell, CHECK.replace("exec ", "") % "org.ward.test.active-yes") == 0
    shell.sendline("exit")

    # polkitd restarts keep the world usable: the session is still seen afterwards.
    old = ww.polkitd_pid()
    new = ww.restart_polkitd()
    assert old != new and ww.polkitd_pid() == new, (old, new)
    assert pkcheck("org.ward.test.active-yes", in_session=True) == 0
    ww.stop_polkitd()
    assert ww.polkitd_pid() is None
    assert not ww.name_has_owner(ww.POLKIT_NAME)
    # No bus activation in the world: a check with polkitd stopped fails instead of starting it.
    assert pkcheck("org.ward.test.active-yes", in_session=True) not in (0, 2)
    assert not ww.name_has_owner(ww.POLKIT_NAME)
    ww.start_polkitd()
    assert pkcheck("org.ward.test.active-yes", in_session=True) == 0
    print("ok: session")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""ward-tty with a helper prepared before the request (issue 15; suites 'tty' and 'helper').

Usage (inside ward-world): test_prepared.py CASE; see CASES at the end.

ward-tty started as systemd starts it (--notify-fd) connects to ward-helper.socket right after
it has registered, so that the helper instance verifies it and loads PAM while polkitd decides.
The real ward-helper runs behind the activator, as ward-helper.socket does; the real polkitd,
PAM and setuid helper serve everything else.
"""

import os
import re
import signal
import time

import wardworld as ww
from wardtest import Transcript, check, check_sane, log, run_case, term_state

BUILD = os.environ.get("WARD_BUILD_ROOT", "")
AGENT = os.path.join(BUILD, "agent-tty", "ward-tty")
HELPER = os.path.join(BUILD, "helper", "ward-helper")
ADMIN = "org.ward.test.auth-admin"
ALICE = ww.USERS["alice"]["password"]
CAROL = ww.USERS["carol"]["password"]
BOB = ww.USERS["bob"]["uid"]
NOTICE = "busy or not running"
# ward-helper drops a connection that sent no request within this (helper rule H8).
REQUEST_TIMEOUT = 10.0


def subject():
    return ww.popen_as("bob", ["sleep", "600"])


def start_agent(subject_pid, notify=True):
    """ward-tty as bob for SUBJECT_PID, in its own pty; with NOTIFY as systemd starts it."""
    if not notify:
        agent = ww.run_as("bob", [AGENT, "--process", str(subject_pid)])
        agent.logfile_read = Transcript()
        return agent
    r, w = ww.notify_pipe()
    try:
        agent = ww.run_as("bob", [AGENT, "--process", str(subject_pid), "--notify-fd", str(w)],
                          pass_fds=(w,))
    finally:
        os.close(w)
    agent.logfile_read = Transcript()
    ww.wait_notified(r, 30)
    return agent


def pkcheck(subject_pid):
    return ww.popen_as("bob", ["pkcheck", "--action-id", ADMIN, "--process", str(subject_pid),
                               "--allow-user-interaction"])


def finish(proc, timeout=30):
    proc.wait(timeout)
    log("pkcheck exited %d" % proc.returncode)
    return proc.returncode


def maps(pid):
    try:
        with open("/proc/%d/maps" % pid) as f:
            return f.read()
    except OSError:
        return ""


def spawned(act):
    """Pids of every helper instance the activator started so far."""
    return [int(p) for p in re.findall(r"Spawned .* as PID (\d+)", act.log())]


def served(act, user, pid):
    """Whether instance PID authenticated USER for bob."""
    return re.search(r"ward-helper\[%d\]: authenticated %s for uid %d " % (pid, user, BOB),
                     act.log()) is not None


def prepared_instance(act, agent):
    """The instance the agent connected to right after registering, once it has loaded PAM."""
    pids = ww.wait_for(act.helpers, 10, message="no helper instance before the request")
    check(len(pids) == 1, "one prepared instance, got %r" % pids)
    pid = pids[0]
    ww.wait_for(lambda: "pam_unix.so" in maps(pid), 10,
                message="the prepared instance did not load PAM")
    log("prepared instance %d (agent %d), PAM loaded before the request" % (pid, agent.pid))
    return pid


def authenticate(agent, sub, choice="", password=ALICE):
    proc = pkcheck(sub.pid)
    agent.expect_exact("Authenticate as which user? [1]: ", timeout=30)
    agent.sendline(choice)
    mark = agent.logfile_read.mark()
    agent.expect_exact("Password: ", timeout=30)
    before_prompt = agent.logfile_read.since(mark)
    agent.sendline(password)
    return proc, before_prompt


def unnoticed(text, what):
    check(NOTICE not in text and "Please try again" not in text and "failed" not in text,
          "%s: the user noticed: %r" % (what, text))


# ---- cases ----

def case_right():
    """The prepared instance serves the request: it was there, with PAM loaded, before the
    request; no other instance was started."""
    act = ww.HelperActivator([HELPER])
    try:
        sub = subject()
        agent = start_agent(sub.pid)
        before = term_state(agent.child_fd)
        pid = prepared_instance(act, agent)
        proc, shown = authenticate(agent, sub)
        agent.expect_exact("=== Authentication succeeded ===", timeout=30)
        check(finish(proc) == 0, "authorized")
        unnoticed(shown, "prepared path")
        ww.wait_for(lambda: served(act, "alice", pid), 10, message="served by another instance")
        check(spawned(act) == [pid], "one instance in all: %r" % spawned(act))
        check_sane(agent.child_fd, before, "after the prepared path")
    finally:
        act.stop()


def case_wrong():
    """A wrong password through the prepared instance, then the right one: the next attempt's
    instance is started as soon as the first fails, and serves it."""
    act = ww.HelperActivator([HELPER])
    try:
        sub = subject()
        agent = start_agent(sub.pid)
        pid = prepared_instance(act, agent)
        proc, _ = authenticate(agent, sub, password="not-the-password")
        agent.expect_exact("Please try again.", timeout=30)
        agent.expect_exact("Password: ", timeout=30)
        agent.sendline(ALICE)
        agent.expect_exact("=== Authentication succeeded ===", timeout=30)
        check(finish(proc) == 0, "authorized on the second attempt")
        pids = spawned(act)
        log("instances: %r" % pids)
        check(len(pids) == 2 and pids[0] == pid, "the prepared instance, then one more: %r"
              % pids)
        ww.wait_for(lambda: served(act, "alice", pids[1]), 10,
                    message="the second attempt was not served by the second instance")
        check(re.search(r"ward-helper\[%d\]: authentication of alice .* failed" % pid,
                        act.log()), "the prepared instance saw the wrong password")
    finally:
        act.stop()


def case_choice():
    """The prepared instance serves whichever identity is chosen (it knows no user yet)."""
    act = ww.HelperActivator([HELPER])
    try:
        sub = subject()
        agent = start_agent(sub.pid)
        pid = prepared_instance(act, agent)
        proc, shown = authenticate(agent, sub, choice="2", password=CAROL)
        agent.expect_exact("=== Authentication succeeded ===", timeout=30)
        check(finish(proc) == 0, "authorized as carol")
        unnoticed(shown, "identity chooser")
        ww.wait_for(lambda: served(act, "carol", pid), 10, message="carol not served by it")
        check(spawned(act) == [pid], "one instance in all: %r" % spawned(act))
    finally:
        act.stop()


def case_timeout():
    """No request within the helper's request timeout: the prepared instance closes and exits;
    the request that comes later gets a fresh instance, and the user notices nothing."""
    act = ww.HelperActivator([HELPER])
    try:
        sub = subject()
        agent = start_agent(sub.pid)
        pid = prepared_instance(act, agent)
        ww.wait_for(lambda: not ww._alive(pid), REQUEST_TIMEOUT + 5,
                    message="the idle prepared instance is still there")
        check(agent.isalive(), "ward-tty survives its prepared helper's end")
        proc, shown = authenticate(agent, sub)
        agent.expect_exact("=== Authentication succeeded ===", timeout=30)
        check(finish(proc) == 0, "authorized")
        unnoticed(shown, "after the prepared instance timed out")
        pids = spawned(act)
        check(len(pids) == 2 and served(act, "alice", pids[1]), "a fresh instance: %r" % pids)
    finally:
        act.stop()


def case_killed():
    """The prepared instance is killed before the request: a fresh instance serves it, the user
    notices nothing."""
    act = ww.HelperActivator([HELPER])
    try:
        sub = subject()
        agent = start_agent(sub.pid)
        pid = prepared_instance(act, agent)
        os.kill(pid, signal.SIGKILL)
        ww.wait_for(lambda: not ww._alive(pid), 5)
        proc, shown = authenticate(agent, sub)
        agent.expect_exact("=== Authentication succeeded ===", timeout=30)
        check(finish(proc) == 0, "authorized")
        unnoticed(shown, "after the prepared instance was killed")
        pids = spawned(act)
        check(len(pids) == 2 and served(act, "alice", pids[1]), "a fresh instance: %r" % pids)
    finally:
        act.stop()


def case_agent_exits():
    """An agent that exits without a request (run0 stops it when nothing needed a password)
    leaves no helper running."""
    act = ww.HelperActivator([HELPER])
    try:
        sub = subject()
        agent = start_agent(sub.pid)
        pid = prepared_instance(act, agent)
        t0 = time.monotonic()
        agent.kill(signal.SIGTERM)
        ww.wait_for(lambda: not act.helpers(), 5, message="a helper was left running")
        log("the prepared instance %d ended %.2f s after the agent's SIGTERM"
            % (pid, time.monotonic() - t0))
        check(re.search(r"Child %d died with code 1" % pid, act.log()) or not ww._alive(pid),
              "it exited")
    finally:
        act.stop()


def case_long_lived():
    """An agent not started for one request (no --notify-fd) keeps no helper idle: the instance
    starts with the request."""
    act = ww.HelperActivator([HELPER])
    try:
        sub = subject()
        agent = start_agent(sub.pid, notify=False)
        time.sleep(3.0)  # registered by now; a prepared connection would be there
        check(act.helpers() == [], "an idle helper for a long-lived agent: %r" % act.helpers())
        proc, _ = authenticate(agent, sub)
        agent.expect_exact("=== Authentication succeeded ===", timeout=30)
        check(finish(proc) == 0, "authorized")
        check(len(spawned(act)) == 1, "one instance, for the request: %r" % spawned(act))
    finally:
        act.stop()


def case_fifty():
    """50 agents started at once, as 50 run0 commands would start them: behind the unit's
    MaxConnections=64, bob never has more than 8 instances (the helper's per-uid bound), the
    others' prepared connections are closed at once; a request through an agent whose
    connection was refused is still served (by a fresh connection or polkit's helper); once the
    agents exit no helper is left, none stuck."""
    n = 50
    act = ww.HelperActivator([HELPER], max_connections=64)
    subs, agents = [], []
    try:
        subs = [subject() for _ in range(n)]
        pipes = []
        for sub in subs:
            r, w = ww.notify_pipe()
            try:
                agents.append(ww.run_as("bob", [AGENT, "--process", str(sub.pid),
                                                "--notify-fd", str(w)], pass_fds=(w,)))
            finally:
                os.close(w)
            pipes.append(r)
        for r in pipes:
            ww.wait_notified(r, 60)
        log("%d agents registered" % n)
        time.sleep(3.0)
        live = act.helpers()
        refused = act.log().count("already holds 8 helper instances")
        log("FIGURES 50 agents: %d instances running after 3 s, %d connections closed by the "
            "per-uid bound, %d instances started" % (len(live), refused, len(spawned(act))))
        check(len(spawned(act)) == n, "each agent connected ahead of its request")
        check(len(live) <= 8, "bob has %d instances" % len(live))
        check(all(a.isalive() for a in agents), "every agent is running")
        agent = agents[-1]
        agent.logfile_read = Transcript()
        proc, shown = authenticate(agent, subs[-1])
        agent.expect_exact("=== Authentication succeeded ===", timeout=30)
        check(finish(proc) == 0, "a request among 50 agents is authorized")
        check("Please try again" not in shown, "no attempt spent: %r" % shown)
        for a in agents:
            a.kill(signal.SIGTERM)
        ww.wait_for(lambda: not act.helpers(), 15, message="helpers left after the agents")
    finally:
        for a in agents:
            if a.isalive():
                a.kill(signal.SIGKILL)
        for sub in subs:
            sub.kill()
        act.stop()


CASES = {
    "right": case_right,
    "wrong": case_wrong,
    "choice": case_choice,
    "timeout": case_timeout,
    "killed": case_killed,
    "agent-exits": case_agent_exits,
    "long-lived": case_long_lived,
    "fifty": case_fifty,
}


def main():
    run_case(CASES, needs=(AGENT, HELPER))


if __name__ == "__main__":
    main()

#!/bin/bash
# Booted-world test: a booted world leaves nothing on the host, however it ends: COMMAND exits
# (its status comes back), the launcher gets SIGTERM (the container is powered off), or the
# launcher's whole process group is SIGKILLed, as a test runner does on a timeout (its
# watchdog cleans up). Checked from the outside: no process of the run (nspawn, the
# container's init), no cgroup in any hierarchy, no mount of its overlay in any process, no
# run folder.
# Usage: test_cleanup.sh PATH/TO/ward-booted
set -u
WB=${1:?usage: test_cleanup.sh WARD_BOOTED}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
OUT=$(mktemp -d /tmp/ward-booted-cleanup.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Inside: record the run's facts, prove the system is up, then run the rest.
# shellcheck disable=SC2016 # expanded by the inner shell
RECORD='
tag=$1; shift
echo "$WARD_ROOT_DIR" >"$OUT/$tag.dir"
echo "$WARD_BOOTED_PID1 $(ps -o ppid= -p "$WARD_BOOTED_PID1")" >"$OUT/$tag.pids"
nsenter -t "$WARD_BOOTED_PID1" -a systemctl is-system-running >"$OUT/$tag.state"
touch "$OUT/$tag.ready"
exec "$@"
'

# Everything a run TAG could leave behind is gone (bounded wait for the asynchronous parts).
check_gone() {
  local tag=$1 dir pid name h left
  dir=$(cat "$OUT/$tag.dir") || fail "$tag: nothing recorded"
  [ "$(cat "$OUT/$tag.state")" = running ] || fail "$tag: system was $(cat "$OUT/$tag.state")"
  name=ward-root.${dir##*.}
  for _ in $(seq 150); do
    left=""
    [ -e "$dir" ] && left="$left folder $dir;"
    for pid in $(cat "$OUT/$tag.pids"); do
      [ -e "/proc/$pid" ] && left="$left process $pid ($(cat "/proc/$pid/comm" 2>/dev/null));"
    done
    for h in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
      [ -d "$h/$name" ] && left="$left cgroup $h/$name;"
    done
    grep -l -F "$dir" /proc/[0-9]*/mountinfo >/dev/null 2>&1 && left="$left a mount of $dir;"
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  fail "$tag: left behind:$left"
}

export OUT
# 1. COMMAND exits: its status comes back, nothing is left.
"$WB" --no-ward -- bash -c "$RECORD" - exit bash -c 'exit 3' </dev/null
status=$?
[ $status = 3 ] || fail "exit: status $status, expected 3"
check_gone exit

# 2. SIGTERM to the launcher: the container is powered off, status 143.
"$WB" --no-ward -- bash -c "$RECORD" - term sleep 600 </dev/null &
launcher=$!
for _ in $(seq 600); do [ -e "$OUT/term.ready" ] && break; sleep 0.1; done
[ -e "$OUT/term.ready" ] || fail "term: the world did not come up"
kill -TERM $launcher
wait $launcher
status=$?
[ $status = 143 ] || fail "term: status $status, expected 143"
check_gone term

# 3. The launcher's process group SIGKILLed (a test runner's timeout): the watchdog cleans up.
setsid "$WB" --no-ward -- bash -c "$RECORD" - kill sleep 600 </dev/null &
leader=$!
for _ in $(seq 600); do [ -e "$OUT/kill.ready" ] && break; sleep 0.1; done
[ -e "$OUT/kill.ready" ] || fail "kill: the world did not come up"
kill -KILL -- -"$leader"
wait $leader 2>/dev/null
check_gone kill
echo "ok: nothing left after an exit, a SIGTERM and a SIGKILL of the process group"

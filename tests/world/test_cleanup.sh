#!/bin/bash
# World test: ward-world leaves nothing behind. Runs worlds (one after another, concurrently,
# and one killed with SIGTERM) and checks from the outside that no process of their PID
# namespaces survives (not even a setsid'd daemon), that the session cgroup folders and the
# world folder are gone, and that COMMAND's exit status comes back.
# Usage: test_cleanup.sh PATH/TO/ward-world
set -u
WW=${1:?usage: test_cleanup.sh WARD_WORLD}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }

OUT=$(mktemp -d /tmp/ward-cleanup.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Inside the world: record what to look for afterwards, prove the world was complete, leave a
# daemon behind on purpose. $1: a tag for the files.
# shellcheck disable=SC2089,SC2090 # a script for bash -c, not a word list
INNER='
set -e
tag=$1
readlink /proc/self/ns/pid >"$OUT/$tag.ns"
awk "{ sub(/.*\\) /, \"\"); print \$20 }" /proc/1/stat >"$OUT/$tag.init"
echo "$WARD_WORLD_SESSION" >"$OUT/$tag.sid"
echo "$WARD_WORLD_DIR" >"$OUT/$tag.dir"
echo "$WARD_WORLD_CGROUPS" | tr : "\n" >"$OUT/$tag.cg"
pgrep -x polkitd >/dev/null || exit 91
pgrep -x dbus-daemon >/dev/null || exit 92
[ -s "$OUT/$tag.cg" ] || exit 93
while read -r d; do [ -d "$d" ] || exit 94; done <"$OUT/$tag.cg"
setsid sleep 600 </dev/null >/dev/null 2>&1 &
touch "$OUT/$tag.ready"
shift
exec "$@"
'

# Start time of PID in clock ticks since boot (field 22 of /proc/PID/stat; comm may hold spaces).
starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  set -- $stat
  echo "${20}"
}

# Prints the pids of processes still in world TAG's pid namespace. A namespace inode is reused
# once a namespace is gone, so a concurrent newer world may carry the same one: that one has an
# init (pid 1 inside) with another start time, and its processes are not ours.
world_processes() {
  local ns init p found="" other=0
  ns=$(cat "$OUT/$1.ns")
  init=$(cat "$OUT/$1.init")
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
    found="$found ${p#/proc/}"
    if awk '$1 == "NSpid:" { exit !($NF == 1) }' "$p/status" 2>/dev/null &&
        [ "$(starttime "${p#/proc/}")" != "$init" ]; then
      other=1
    fi
  done
  [ $other = 1 ] || echo $found
}

# Checks that nothing of world TAG is left.
check_gone() {
  local tag=$1 ns sid dir d p
  ns=$(cat "$OUT/$tag.ns") || fail "$tag: world did not record its namespace"
  sid=$(cat "$OUT/$tag.sid")
  dir=$(cat "$OUT/$tag.dir")
  [ -n "$ns" ] && [ -n "$sid" ] && [ -n "$dir" ] || fail "$tag: empty records"
  for p in $(world_processes "$tag"); do
    fail "$tag: process $p ($(tr '\0' ' ' <"/proc/$p/cmdline")) of the world survived"
  done
  while read -r d; do
    [ -e "$d" ] && fail "$tag: cgroup $d left behind"
  done <"$OUT/$tag.cg"
  for d in /sys/fs/cgroup/*/user.slice/user-*.slice/session-"$sid".scope \
           /sys/fs/cgroup/user.slice/user-*.slice/session-"$sid".scope \
           /sys/fs/cgroup/*/ward-world-"$sid" /sys/fs/cgroup/ward-world-"$sid"; do
    [ -e "$d" ] && fail "$tag: cgroup $d of world $sid is left"
  done
  [ -e "$dir" ] && fail "$tag: world folder $dir left behind"
  echo "ok: $tag left nothing behind (session $sid, $ns)"
}

# shellcheck disable=SC2090
export OUT INNER

# 1, 2: twice in a row, each must clean up after itself; the status comes back.
for tag in first second; do
  "$WW" -- bash -c "$INNER" inner "$tag" sh -c 'exit 7'
  status=$?
  [ $status = 7 ] || fail "$tag: ward-world exited $status, COMMAND exited 7"
  check_gone "$tag"
done

# 3: two worlds at the same time do not collide (distinct sessions, both complete).
"$WW" -- bash -c "$INNER" inner conc1 sleep 1 &
p1=$!
"$WW" -- bash -c "$INNER" inner conc2 sleep 1 &
p2=$!
wait $p1 || fail "concurrent world 1 exited $?"
wait $p2 || fail "concurrent world 2 exited $?"
[ "$(cat "$OUT/conc1.sid")" != "$(cat "$OUT/conc2.sid")" ] || fail "concurrent: same session id"
[ "$(cat "$OUT/conc1.ns")" != "$(cat "$OUT/conc2.ns")" ] || fail "concurrent: same namespace"
check_gone conc1
check_gone conc2

# 4: SIGTERM to the launcher alone ends the world and still cleans up.
"$WW" -- bash -c "$INNER" inner killed sleep 600 &
pid=$!
for _ in $(seq 200); do [ -e "$OUT/killed.ready" ] && break; sleep 0.05; done
[ -e "$OUT/killed.ready" ] || fail "killed: world did not come up"
kill -TERM $pid
wait $pid
status=$?
[ $status = 143 ] || fail "killed: ward-world exited $status after SIGTERM, expected 143"
check_gone killed

# 5: SIGKILL to the launcher alone still ends the world at once; what only the launcher could
# remove (cgroup folders, world folder) is collected by the next launcher.
"$WW" -- bash -c "$INNER" inner sigkilled sleep 600 &
pid=$!
for _ in $(seq 200); do [ -e "$OUT/sigkilled.ready" ] && break; sleep 0.05; done
[ -e "$OUT/sigkilled.ready" ] || fail "sigkilled: world did not come up"
kill -KILL $pid
{ wait $pid; } 2>/dev/null
for _ in $(seq 100); do
  alive=0
  [ -n "$(world_processes sigkilled)" ] && alive=1
  [ $alive = 0 ] && break
  sleep 0.05
done
[ $alive = 0 ] || fail "sigkilled: the world survived its launcher's SIGKILL"
"$WW" -- true || fail "world after a SIGKILLed one failed"
check_gone sigkilled

# 6: a failing world setup is reported as 125, not as the command's result.
"$WW" --action /nonexistent/x.policy -- true 2>/dev/null
status=$?
[ $status = 125 ] || fail "bad --action: exited $status, expected 125"
echo "ok: all"

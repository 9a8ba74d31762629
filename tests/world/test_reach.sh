#!/bin/bash
# World test: the test users reach ward's trees even when the clone lies in a folder they cannot
# enter (root's home is 0700). A build tree (WARD_BUILD_ROOT) below a 0700 folder, in a clone
# that is a mount of its own (a clone on another disk), holds a program that bob must run:
# outside the world he cannot, inside he can; the host's folder keeps its mode and contents,
# and inside the world its other files are hidden.
# Usage: test_reach.sh PATH/TO/ward-world
set -u
WW=${1:?usage: test_reach.sh WARD_WORLD}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

top=$(mktemp -d /tmp/ward-reach.XXXXXX) || fail "mktemp"
chmod 0700 "$top"
echo private >"$top/beside"
prog=$top/clone/_build/bin/prog
# The clone is a mount of its own below the 0700 folder (as a clone on another disk), over an
# empty folder: the way in must carry that mount along.
disk=$(mktemp -d /tmp/ward-reach-disk.XXXXXX) || fail "mktemp"
trap 'umount "$top/clone" 2>/dev/null; rm -rf "$top" "$disk"' EXIT
chmod 0755 "$disk"
install -d -m 0755 "$top/clone" "$disk/_build" "$disk/_build/bin"
install -m 0755 /bin/true "$disk/_build/bin/prog"
mount --bind "$disk" "$top/clone" || fail "cannot bind $disk over $top/clone"

# As uid 4102 without root's capabilities: setpriv execs with them still raised, so the program
# is started by a shell that already runs as 4102.
# shellcheck disable=SC2016 # $0 is the inner shell's
setpriv --reuid=4102 --regid=4102 --clear-groups -- /bin/sh -c 'exec "$0"' "$prog" 2>/dev/null &&
  fail "control: uid 4102 ran $prog outside the world"

# shellcheck disable=SC2016 # a script for bash -c
WARD_BUILD_ROOT=$top/clone/_build "$WW" -- /bin/bash -c '
  setpriv --reuid=4102 --regid=4102 --clear-groups -- /bin/sh -c "exec \"\$0\"" "$1" ||
    { echo "bob cannot run $1 in the world" >&2; exit 1; }
  [ -e "$2/beside" ] && { echo "$2/beside is visible in the world" >&2; exit 2; }
  exit 0' bash "$prog" "$top"
status=$?
[ $status = 0 ] || fail "in the world: exit $status"

[ "$(stat -c %a "$top")" = 700 ] || fail "the host folder's mode changed: $(stat -c %a "$top")"
[ "$(cat "$top/beside")" = private ] || fail "the host folder's file changed"
grep " $top" /proc/self/mounts | grep -qv " $top/clone " &&
  fail "a mount of the world is left on the host"
echo "ok: reach"

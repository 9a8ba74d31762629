#!/bin/bash
# World test: the test users reach ward's trees even when the clone lies in a folder they cannot
# enter (root's home is 0700). A build tree (WARD_BUILD_ROOT) below a 0700 folder holds a program
# that bob must run: outside the world he cannot, inside he can; the host's folder keeps its
# mode and contents, and inside the world its other files are hidden.
# Usage: test_reach.sh PATH/TO/ward-world
set -u
WW=${1:?usage: test_reach.sh WARD_WORLD}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

top=$(mktemp -d /tmp/ward-reach.XXXXXX) || fail "mktemp"
trap 'rm -rf "$top"' EXIT
chmod 0700 "$top"
install -d -m 0755 "$top/clone" "$top/clone/_build" "$top/clone/_build/bin"
install -m 0755 /bin/true "$top/clone/_build/bin/prog"
echo private >"$top/beside"
prog=$top/clone/_build/bin/prog

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
grep -q " $top" /proc/self/mounts && fail "a mount of the world is left on the host"
echo "ok: reach"

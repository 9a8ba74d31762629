#!/bin/bash
# World test: ward-world exits 77 (skip) where a world cannot be built: as a non-root user and
# as root without CAP_SYS_ADMIN (unshare refused). A control run as full root must run COMMAND
# and exit 0, and the refused runs must not run COMMAND, so a broken launcher cannot pass this.
# Usage: test_skip.sh PATH/TO/ward-world
set -u
WW=${1:?usage: test_skip.sh WARD_WORLD}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to drop privileges" >&2; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: no setpriv" >&2; exit 77; }

# A copy everyone can read and execute (the source tree may not be readable by nobody).
T=$(mktemp -d /tmp/ward-skip.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
install -m 0755 "$WW" "$T/ward-world"
install -d -m 0777 "$T/out"
fail() { echo "FAIL: $*" >&2; exit 1; }

# Control: as root the same command runs and succeeds.
"$T/ward-world" -- touch "$T/out/root-ran"
status=$?
[ $status = 0 ] && [ -e "$T/out/root-ran" ] ||
  fail "as root: exit $status (COMMAND ran: $(ls "$T/out"))"

nobody_uid=$(id -u nobody) || fail "no user nobody"
setpriv --reuid="$nobody_uid" --regid="$(id -g nobody)" --clear-groups \
  "$T/ward-world" -- touch "$T/out/nobody-ran" 2>"$T/nobody.err"
status=$?
cat "$T/nobody.err" >&2
[ $status = 77 ] || fail "as nobody: exit $status, expected 77"
grep -q "must run as root" "$T/nobody.err" || fail "as nobody: no reason on stderr"
[ -e "$T/out/nobody-ran" ] && fail "as nobody: COMMAND ran"

setpriv --inh-caps=-all --bounding-set=-all \
  "$T/ward-world" -- touch "$T/out/nocap-ran" 2>"$T/nocap.err"
status=$?
cat "$T/nocap.err" >&2
[ $status = 77 ] || fail "root without capabilities: exit $status, expected 77"
grep -q "unshare is not permitted" "$T/nocap.err" || fail "without capabilities: no reason"
[ -e "$T/out/nocap-ran" ] && fail "without capabilities: COMMAND ran"
# A world test started outside a world skips instead of touching the host
# (even with a stray WARD_WORLD=1 in the environment)
WARD_WORLD=1 PYTHONPATH="$(dirname "$WW")" /usr/bin/python3 "$(dirname "$WW")/test_session.py" \
  2>"$T/outside.err"
status=$?
cat "$T/outside.err" >&2
[ $status = 77 ] || fail "world test outside a world: exit $status, expected 77"
echo "ok: skips"

#!/bin/sh
# Checks ward-helper's units (the build-tree copies, whose ExecStart= is the built helper):
# `systemd-analyze verify`, and `systemd-analyze security --offline=true` with the exposure
# score printed (systemd >= 250). Usage: test-units.sh SOCKET_UNIT SERVICE_UNIT
set -u
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: no systemd-analyze" >&2; exit 77; }
[ $# -eq 2 ] || { echo "usage: $0 SOCKET_UNIT SERVICE_UNIT" >&2; exit 2; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp "$1" "$tmp/ward-helper.socket" && cp "$2" "$tmp/ward-helper@.service" || exit 1
cd "$tmp" || exit 1

rc=0
# verify prints warnings on stderr and still exits 0 for some of them: any output fails.
out=$(systemd-analyze verify --man=no ward-helper.socket ward-helper@check.service 2>&1)
status=$?
printf '%s\n' "$out"
if [ $status -ne 0 ] || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify" >&2
  rc=1
else
  echo "ok: systemd-analyze verify"
fi

if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
  out=$(systemd-analyze security --offline=true --threshold=30 ward-helper@.service 2>&1)
  status=$?
  score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  echo "systemd-analyze security --offline=true: exposure $score (polkit's own helper unit: 3.3)"
  # Fail when the sandbox gets weaker than polkit's (3.3 on systemd 252).
  if [ $status -ne 0 ] || [ -z "$score" ] || \
     ! awk -v s="$score" 'BEGIN { exit !(s <= 3.3) }'; then
    printf '%s\n' "$out" >&2
    echo "FAIL: exposure $score is worse than polkit's 3.3" >&2
    rc=1
  fi
else
  echo "note: this systemd-analyze has no security --offline; exposure not measured"
fi
exit $rc

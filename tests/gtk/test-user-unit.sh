#!/bin/sh
# Checks the ward-gtk systemd user unit with `systemd-analyze verify --user`, offline: the unit's
# ExecStart is pointed at the built ward-gtk (the installed path does not exist yet). Any
# complaint fails the test, since systemd-analyze only warns about unparsable settings.
# Usage: test-user-unit.sh UNIT BUILT_WARD_GTK
set -u
unit=$1 built=$2
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed" >&2; exit 77; }

dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
mkdir -m 0700 "$dir/runtime"
grep -q '^ExecStart=' "$unit" || { echo "FAIL: no ExecStart in $unit" >&2; exit 1; }
sed "s|^ExecStart=[^ ]*|ExecStart=$built|" "$unit" >"$dir/ward-gtk.service"

out=$(XDG_RUNTIME_DIR="$dir/runtime" HOME="$dir" systemd-analyze verify --man=no --user \
  "$dir/ward-gtk.service" 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'Failed to initialize manager'; then
  echo "SKIP: systemd-analyze cannot run offline here: $out" >&2
  exit 77
fi
if [ $rc -ne 0 ] || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify (rc $rc):" >&2
  printf '%s\n' "$out" >&2
  exit 1
fi
for key in 'PartOf=graphical-session.target' 'After=graphical-session.target' \
           'Restart=on-failure' 'WantedBy=graphical-session.target'; do
  grep -qx "$key" "$unit" || { echo "FAIL: $unit lacks $key" >&2; exit 1; }
done
echo "ok - ward-gtk.service verifies"

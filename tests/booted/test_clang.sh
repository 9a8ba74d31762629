#!/bin/bash
# Booted-world test: ward builds warning-free with Debian 13's clang (-Dwerror=true: clang 19,
# GLib 2.84, GTK 4.18, polkit 126) and its unit and fuzz suites pass there. The gcc 14 build is
# ward-booted's own (booted-build). Runs in a throw-away container of the image (not booted).
# Usage: test_clang.sh PATH/TO/ward-booted
set -u
WB=${1:?usage: test_clang.sh WARD_BOOTED}
src=$(readlink -f "$(dirname "$0")/../..")
img=$("$WB" image) || exit $?
exec "$src/tools/ward-root" run "$img" --bind-ro "$src:/usr/src/ward" -- /bin/sh -c '
set -e
clang --version | head -n 1
CC=clang meson setup /var/tmp/ward-clang /usr/src/ward -Dwerror=true >/var/tmp/setup.log ||
  { cat /var/tmp/setup.log; exit 1; }
ninja -C /var/tmp/ward-clang
meson test -C /var/tmp/ward-clang --suite unit --suite fuzz --print-errorlogs --num-processes 2
' </dev/null

#!/bin/sh
# Two builds of the same tree on RELEASE give bit-identical .debs: the suite's build (source in
# /build, umask 022, the clock as it is, TZ unset) and a second one with the source elsewhere
# (deeper path), umask 002, the clock 400 days ahead (faketime) and another time zone. Where a
# package differs, diffoscope (in a root of its own) shows how.
# Usage: test_reproducible.sh RELEASE. TAP output.
set -u
release=$1
. "$(dirname "$0")/lib.sh"
require_containers

a=$(debs "$release") || { echo "Bail out! the $release build failed"; exit 1; }
b=$a-again
start=$(date +%s)
"$build_deb" --worktree --werror --release "$release" --out "$b" --path /srv/elsewhere/deeper/src \
  --umask 002 --faketime +400d --setenv TZ=Pacific/Kiritimati >&2
ok $? "the second build (other path, umask 002, clock +400 days, TZ=Pacific/Kiritimati) succeeded"
note "second build: $(($(date +%s) - start)) s"

differing=""
for f in "$a"/*.deb; do
  name=$(basename "$f")
  if [ ! -f "$b/$name" ]; then
    differing="$differing $name"
    note "$name: missing from the second build"
    continue
  fi
  sa=$(sha256sum <"$f" | cut -d' ' -f1)
  sb=$(sha256sum <"$b/$name" | cut -d' ' -f1)
  note "$sa $name"
  [ "$sa" = "$sb" ] || { differing="$differing $name"; note "$sb $name (second build)"; }
done
[ "$(cd "$a" && ls -- *.deb)" = "$(cd "$b" && ls -- *.deb)" ]
ok $? "both builds made the same packages"
[ -z "$differing" ]
ok $? "every .deb is bit-identical in both builds"

if [ -n "$differing" ]; then
  root=$(tool_root "$release" diffoscope diffoscope-minimal) &&
    for name in $differing; do
      [ -f "$b/$name" ] || continue
      note "$("$ward_root" run "$root" --bind-ro "$a:/a" --bind-ro "$b:/b" -- \
        diffoscope --no-progress --text - "/a/$name" "/b/$name" 2>&1 | head -n 200)"
    done
fi

done_testing

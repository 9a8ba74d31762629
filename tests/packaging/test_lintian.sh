#!/bin/sh
# lintian, the release's own (run in a root of RELEASE), on the source and every binary package
# built on RELEASE: no error and no warning; every override is justified by a comment above it.
# Usage: test_lintian.sh RELEASE. TAP output; lintian's full report as comments.
set -u
release=$1
. "$(dirname "$0")/lib.sh"
require_containers

dir=$(debs "$release") || { echo "Bail out! the $release build failed"; exit 1; }
root=$(tool_root "$release" lintian lintian) || { echo "Bail out! no $release root with lintian"; exit 1; }
version=$(sed -n '1s/^ward (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")

status=0
report=$("$ward_root" run "$root" --bind-ro "$dir:/debs" -- \
  runuser -u nobody -- env HOME=/tmp lintian --version 2>&1) || status=$?
[ "$status" = 0 ] || { echo "Bail out! lintian does not run: $report"; exit 1; }
note "$report ($release)"
for f in "ward_${version}.dsc" ward-helper ward-tty ward-gtk ward-pair-run0 ward-l10n; do
  grep -q " $f[_.]" "$dir/ward_${version}_amd64.changes" || grep -q " $f\$" "$dir/ward_${version}_amd64.changes"
  ok $? "the .changes lintian reads lists ${f%%_*}"
done
status=0
report=$("$ward_root" run "$root" --bind-ro "$dir:/debs" -- \
  runuser -u nobody -- env HOME=/tmp lintian --fail-on error,warning --tag-display-limit 0 \
  --color never --display-info --display-experimental --pedantic --show-overrides \
  "/debs/ward_${version}_amd64.changes" 2>&1) || status=$?
note "$report"
echo "$report" >"$dir/lintian-$release.txt"
# lintian's status: 1 when lintian itself failed, 2 when a tag of a --fail-on level was shown
# (Debian 12's lintian counts overridden ones too once --show-overrides shows them), else 0. So
# the verdict is read from the report: E: and W: lines are tags not overridden (O: lines are).
[ "$status" != 1 ] && ! echo "$report" | grep -q "^internal error\|^Traceback\|^Use of uninit"
ok $? "lintian ran to the end (status $status)"
! echo "$report" | grep -q "^E:"
ok $? "no error"
! echo "$report" | grep -q "^W:"
ok $? "no warning"

# Each override line has a comment (its reason) right above it.
unjustified=$(
  for f in "$src"/packaging/debian/*.lintian-overrides "$src"/packaging/debian/source/lintian-overrides; do
    [ -f "$f" ] || continue
    awk -v f="${f#"$src"/}" '/^[^#]/ && prev !~ /^#/ { print f ": " $0 } { prev = $0 }' "$f"
  done
)
[ -z "$unjustified" ]
ok $? "every lintian override has its reason in a comment above it"
[ -z "$unjustified" ] || note "$unjustified"

done_testing

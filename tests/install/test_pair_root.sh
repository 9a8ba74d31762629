#!/bin/sh
# tools/pair-run0 on a throw-away root (--root): install and remove are idempotent, polkit's
# pkttyagent comes back byte for byte, a diversion by another package is left alone, a stray
# link of ours without its diversion is handled, and a plain user is refused. TAP output.
# Usage: test_pair_root.sh PAIR-RUN0
set -u

pair=$1
n=0
failed=0
ok() { # ok CONDITION-STATUS NAME
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}

if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP pair-run0 needs root" && exit 77
fi
command -v dpkg-divert >/dev/null 2>&1 || { echo "1..0 # SKIP no dpkg-divert"; exit 77; }

root=$(mktemp -d /tmp/ward-pair-root.XXXXXX)
trap 'rm -rf "$root" "${public:-}"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/usr/bin"
: >"$root/var/lib/dpkg/status"
printf '#!/bin/sh\necho polkit\n' >"$root/usr/bin/pkttyagent"
printf '#!/bin/sh\necho ward\n' >"$root/usr/bin/ward-tty"
chmod 755 "$root/usr/bin/pkttyagent" "$root/usr/bin/ward-tty"
orig=$(sha256sum <"$root/usr/bin/pkttyagent")

"$pair" --root "$root" install >/dev/null; ok $? "install"
[ "$(readlink "$root/usr/bin/pkttyagent")" = /usr/bin/ward-tty ]; ok $? "pkttyagent links to ward-tty"
[ "$(sha256sum <"$root/usr/bin/pkttyagent.polkit")" = "$orig" ]; ok $? "polkit's agent is diverted"
dpkg-divert --root "$root" --list | grep -q "local diversion of /usr/bin/pkttyagent"; ok $? "diversion recorded"
"$pair" --root "$root" install >/dev/null; ok $? "install again"
[ "$(dpkg-divert --root "$root" --list | wc -l)" = 1 ]; ok $? "still one diversion"
"$pair" --root "$root" status | grep -q "ward-tty"; ok $? "status reports the pairing"
# A copy nobody can read: the clone may lie where others cannot enter (root's home is 0700).
public=$(mktemp -d /tmp/ward-pair-tool.XXXXXX)
chmod 0755 "$public"
install -m 0755 "$pair" "$public/pair-run0"
setpriv --reuid=65534 --regid=65534 --clear-groups "$public/pair-run0" --root "$root" remove \
  >/dev/null 2>&1
[ $? = 1 ]; ok $? "a plain user is refused"
rm -rf "$public"

"$pair" --root "$root" remove >/dev/null; ok $? "remove"
[ ! -L "$root/usr/bin/pkttyagent" ] && [ "$(sha256sum <"$root/usr/bin/pkttyagent")" = "$orig" ]
ok $? "polkit's agent is back"
[ -z "$(dpkg-divert --root "$root" --list)" ] && [ ! -e "$root/usr/bin/pkttyagent.polkit" ]
ok $? "no diversion left"
"$pair" --root "$root" remove >/dev/null; ok $? "remove again"

# A link of ours whose diversion was removed by hand: install must not divert the link.
ln -sf /usr/bin/ward-tty "$root/usr/bin/pkttyagent"
"$pair" --root "$root" install >/dev/null; ok $? "install over a stray link"
[ "$(readlink "$root/usr/bin/pkttyagent")" = /usr/bin/ward-tty ] &&
  [ ! -L "$root/usr/bin/pkttyagent.polkit" ]
ok $? "the stray link was not diverted"
"$pair" --root "$root" remove >/dev/null
printf '#!/bin/sh\necho polkit\n' >"$root/usr/bin/pkttyagent"
chmod 755 "$root/usr/bin/pkttyagent"

# Someone else's diversion is left alone.
dpkg-divert --root "$root" --quiet --package other --rename --divert /usr/bin/pkttyagent.other \
  --add /usr/bin/pkttyagent
"$pair" --root "$root" install >/dev/null 2>&1
[ $? = 1 ]; ok $? "install refuses another package's diversion"
[ ! -e "$root/usr/bin/pkttyagent" ] && [ -e "$root/usr/bin/pkttyagent.other" ]
ok $? "the other diversion is untouched"
"$pair" --root "$root" remove >/dev/null 2>&1
[ $? = 1 ]; ok $? "remove refuses another package's diversion"

# Bad usage.
"$pair" bogus >/dev/null 2>&1; [ $? = 2 ]; ok $? "bad usage exits 2"
"$pair" --root "$root" --ward-tty relative/ward-tty install >/dev/null 2>&1; [ $? = 1 ]
ok $? "a relative --ward-tty is refused"

echo "1..$n"
exit $failed

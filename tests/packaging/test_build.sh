#!/bin/sh
# ward's Debian packages build on RELEASE in a clean root (minbase, build-essential and the
# packaging's Build-Depends only; -Dwerror=true), and each package holds what it should:
# contents.txt, the control fields that matter, the helper socket's maintainer scripts.
# Usage: test_build.sh RELEASE. TAP output.
set -u
release=$1
. "$(dirname "$0")/lib.sh"
require_containers

dir=$(debs "$release") || { echo "Bail out! the $release build failed"; exit 1; }
note "built from $(cat "$dir/built-from") in $(cat "$dir/build-seconds") s (this run or an earlier one)"
for f in "$dir"/*.deb; do
  note "$(stat -c %s "$f") bytes  $(basename "$f")"
done

version=$(sed -n '1s/^ward (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")
upstream=${version%-*}
expected_debs="ward-gtk-dbgsym_${version}_amd64.deb ward-gtk_${version}_amd64.deb
ward-helper-dbgsym_${version}_amd64.deb ward-helper_${version}_amd64.deb
ward-l10n_${version}_all.deb ward-pair-run0_${version}_all.deb
ward-tty-dbgsym_${version}_amd64.deb ward-tty_${version}_amd64.deb"
[ "$(cd "$dir" && ls -- *.deb | tr '\n' ' ')" = "$(echo $expected_debs) " ]
ok $? "the packages are the six of packaging/debian/control (and three debug symbol packages)"

case $release in
  bookworm) unitdir=/lib/systemd/system ;;
  *) unitdir=/usr/lib/systemd/system ;;
esac
sed -n "/^#/d; s|@UNITDIR@|$unitdir|; p" "$src/tests/packaging/contents.txt" | sort >"$dir/contents.expected"
for pkg in ward-helper ward-tty ward-gtk ward-pair-run0 ward-l10n; do
  dpkg-deb --fsys-tarfile "$dir/${pkg}_${version}_"*.deb | tar -tv |
    awk -v p="$pkg" '$1 !~ /^d/ { sub(/^\./, "", $6); print p ": " $6 ($7 == "->" ? " -> " $8 : "") }'
done | sort >"$dir/contents.actual"
diff_out=$(diff "$dir/contents.expected" "$dir/contents.actual")
ok $? "every package holds exactly what tests/packaging/contents.txt lists"
[ -z "$diff_out" ] || note "$diff_out"

field() { dpkg-deb -f "$dir/${1}_${version}_$2.deb" "$3"; }
field ward-gtk amd64 Provides | grep -qx 'polkit-1-auth-agent'
ok $? "ward-gtk provides polkit-1-auth-agent, as the other desktop agents do"
field ward-tty amd64 Recommends | grep -q 'ward-helper'
ok $? "ward-tty recommends ward-helper"
field ward-pair-run0 all Depends | grep -q 'ward-tty'
ok $? "ward-pair-run0 depends on ward-tty"
for pkg in ward-helper ward-tty ward-gtk; do
  field "$pkg" amd64 Depends | grep -q 'polkitd' &&
    field "$pkg" amd64 Depends | grep -q 'libglib2.0-0' &&
    field "$pkg" amd64 Recommends | grep -q 'ward-l10n'
  ok $? "$pkg depends on polkitd and its libraries, recommends its translations"
done

control() { dpkg-deb --ctrl-tarfile "$dir/${1}_${version}_$2.deb" | tar -xO "./$3" 2>/dev/null; }
control ward-helper amd64 postinst | grep -q "deb-systemd-helper enable 'ward-helper.socket'" &&
  control ward-helper amd64 postinst | grep -q "deb-systemd-invoke \$_dh_action 'ward-helper.socket'"
ok $? "ward-helper's postinst enables and starts ward-helper.socket"
control ward-helper amd64 prerm | grep -q "deb-systemd-invoke stop 'ward-helper.socket'" &&
  control ward-helper amd64 postrm | grep -q "deb-systemd-helper purge 'ward-helper.socket'"
ok $? "ward-helper's prerm stops the socket, its postrm purges the unit's state"
# dh_installsystemduser --no-enable: the unit is enabled again only where it was (an upgrade
# keeps the administrator's choice), never on a first installation.
control ward-gtk amd64 postinst | awk '
  /debian-installed .ward-gtk.service./ { guarded = 1 }
  /deb-systemd-helper --user enable/ { enables++; if (!guarded) bad = 1 }
  END { exit (enables > 0 && !bad) ? 0 : 1 }'
ok $? "ward-gtk does not enable its user unit on installation (GNOME and Plasma have their own agents)"
control ward-pair-run0 all preinst | grep -q -- "--rename" &&
  control ward-pair-run0 all postrm | grep -q -- "--remove"
ok $? "ward-pair-run0 diverts in preinst and undoes it in postrm"

x=$(mktemp -d)
trap 'rm -rf "$x"' EXIT
for pkg in ward-helper ward-gtk; do dpkg-deb -x "$dir/${pkg}_${version}_amd64.deb" "$x"; done
grep -qx "ExecStart=/usr/libexec/ward-helper" "$x$unitdir/ward-helper@.service" &&
  grep -qx "ListenStream=/run/ward/helper.socket" "$x$unitdir/ward-helper.socket"
ok $? "the helper's units name the installed helper and socket"
grep -qx "Exec=/usr/libexec/ward-gtk" "$x/etc/xdg/autostart/ward-gtk.desktop" &&
  grep -q "^Name\[de\]=" "$x/etc/xdg/autostart/ward-gtk.desktop" &&
  grep -qx "ExecStart=/usr/libexec/ward-gtk" "$x/usr/lib/systemd/user/ward-gtk.service"
ok $? "the autostart file (translated) and the user unit start /usr/libexec/ward-gtk"

grep -q -- '-Werror' "$dir/build.log" && grep -q "werror *: true" "$dir/build.log"
ok $? "the build ran with -Dwerror=true"
grep -q "meson test.* --suite unit --suite fuzz" "$dir/build.log" &&
  ! grep -q "^Fail: *[1-9]" "$dir/build.log"
ok $? "the unit and fuzz suites ran in the build and passed"
grep -q "$upstream" "$dir/build.log"
ok $? "the build log names version $upstream"

done_testing

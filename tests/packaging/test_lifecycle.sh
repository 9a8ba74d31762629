#!/bin/sh
# The packages' life cycle on a booted Debian 13 system (lifecycle.py says what is checked):
# install, upgrade to a rebuilt higher version, remove and reinstall the pairing, reinstall
# polkitd under it, purge, with run0 answered by the right agent at each step and the purged
# system compared with a record of every path taken before. TAP output.
#
# The booted world: tests/booted/ward-booted --no-ward (lib.sh: booted), with a network to fetch
# polkitd's .deb for its reinstallation.
set -u
. "$(dirname "$0")/lib.sh"
require_containers
command -v nsenter >/dev/null 2>&1 || skip "nsenter is not installed"
/usr/bin/python3 -c 'import pexpect' 2>/dev/null || skip "python3-pexpect is not installed"

revision=$(sed -n '1s/^ward (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")
v1=$(debs trixie) || { echo "Bail out! the trixie build failed"; exit 1; }
v2=$(debs trixie "$revision+rebuild1") ||
  { echo "Bail out! the trixie build of $revision+rebuild1 failed"; exit 1; }

booted --network -- /usr/bin/python3 "$src/tests/packaging/lifecycle.py" "$v1" "$v2"

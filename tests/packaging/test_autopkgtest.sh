#!/bin/sh
# autopkgtest, Debian 13's own, runs packaging/debian/tests (smoke, pairing) against the trixie
# packages inside a booted Debian 13 system (the smoke test needs systemd for ward-helper.socket):
# autopkgtest SRC DEBS... -- null, as root in the container. TAP output; autopkgtest's log as
# comments.
#
# The booted world: tests/booted/ward-booted --no-ward (lib.sh: booted), with a network:
# autopkgtest installs what the tests and the source tree need (dpkg-dev) with apt.
set -u
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --booted ]; then
  # Beside the booted container: put the packages and the tests in, run autopkgtest there.
  debs=$2
  pid1=${WARD_BOOTED_PID1:-$WARD_ROOT_PID1}
  fs=${WARD_BOOTED_FS:-$WARD_ROOT_FS}
  inside() {
    nsenter -t "$pid1" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      DEBIAN_FRONTEND=noninteractive "$@"
  }
  version=$(sed -n '1s/^ward (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")
  mkdir -p "$fs/root/ward-autopkgtest/debs" "$fs/root/ward-autopkgtest/src/ward-${version%-*}"
  for f in "$debs"/*.deb; do
    case $f in *-dbgsym_*) ;; *) cp "$f" "$fs/root/ward-autopkgtest/debs/" ;; esac
  done
  cp -r "$src/packaging/debian" "$fs/root/ward-autopkgtest/src/ward-${version%-*}/debian"
  if ! inside sh -c 'command -v autopkgtest' >/dev/null; then
    inside sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends autopkgtest' \
      >/dev/null 2>&1 || { echo "Bail out! cannot install autopkgtest in the world"; exit 1; }
  fi
  note "$(inside dpkg-query -W autopkgtest)"
  status=0
  log=$(inside sh -c "cd /root/ward-autopkgtest && autopkgtest --no-built-binaries \
    --output-dir /root/ward-autopkgtest/out debs/*.deb src/ward-${version%-*}/ -- null" 2>&1) ||
    status=$?
  # Without apt's and dpkg's progress lines.
  note "$(echo "$log" | grep -v '^\(Get\|Hit\|Ign\|Err\):\|(Reading database\|^Selecting\|^Preparing\|^Unpacking\|^Setting up\|^Processing triggers')"
  summary=$(cat "$fs/root/ward-autopkgtest/out/summary" 2>/dev/null)
  note "summary:" "$summary"
  [ "$status" = 0 ]
  ok $? "autopkgtest passed (exit status $status: 0 all passed, 2 a test skipped, 4 a test failed)"
  for t in smoke pairing; do
    echo "$summary" | grep -q "^$t  *PASS"
    ok $? "$t passed"
  done
  echo "$log" | grep -q "ward-helper answered a wrong password with FAILURE"
  ok $? "smoke: ward-helper answered a wrong password with FAILURE through ward-helper.socket"
  done_testing
fi

require_containers
command -v nsenter >/dev/null 2>&1 || skip "nsenter is not installed"
debs=$(debs trixie) || { echo "Bail out! the trixie build failed"; exit 1; }
booted --network -- "$0" --booted "$debs"

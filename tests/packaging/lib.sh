# Shared by the 'packaging' suite's tests (sourced, POSIX sh): TAP output, skipping, and the one
# package build per release that every test of a run reuses.
#
# Needs WARD_SOURCE_ROOT and WARD_BUILD_ROOT (meson's test environment).

src=${WARD_SOURCE_ROOT:?}
build_root=${WARD_BUILD_ROOT:?}
build_deb=$src/tools/build-deb
ward_root=$src/tools/ward-root

n=0
failed=0
ok() { # ok STATUS NAME: one TAP line, STATUS 0 is a pass
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}
note() { # note TEXT...: a TAP comment per line
  printf '%s\n' "$*" | sed 's/^/# /'
}
done_testing() {
  echo "1..$n"
  exit "$failed"
}

# A test that cannot run here skips (77) with its reason; under CI (CI=true) that is a failure,
# so CI never passes by skipping.
skip() {
  if [ "${CI:-}" = true ]; then
    echo "Bail out! cannot run under CI: $*"
    exit 1
  fi
  echo "1..0 # SKIP $*"
  exit 77
}

require_containers() {
  [ "$(id -u)" = 0 ] || skip "needs root (containers)"
  for prog in git xz dpkg-deb systemd-nspawn debootstrap unshare; do
    command -v "$prog" >/dev/null 2>&1 || skip "$prog is not installed (tools/install-deps)"
  done
  git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || skip "$src is not a git work tree"
}

# debs RELEASE [VERSION]: prints the folder holding ward's packages built on RELEASE from the
# work tree (tools/build-deb --worktree --werror --release RELEASE [--version VERSION]), building
# them unless this build tree already has them. The folder is named after the git tree of the
# work tree's tracked files, so a build never replaces one that another test is reading;
# concurrent tests wait for one build (flock).
debs() {
  release=$1
  version=${2:-}
  tree=$("$build_deb" --worktree --tree) || return 1
  dir=$build_root/packaging/$release${version:+-$version}-$(echo "$tree" | cut -c1-12)
  mkdir -p "$build_root/packaging"
  (
    flock 9
    if [ ! -f "$dir/built-from" ]; then
      start=$(date +%s)
      "$build_deb" --worktree --werror --release "$release" ${version:+--version "$version"} \
        --out "$dir" >&2 || exit $?
      echo "$(($(date +%s) - start))" >"$dir/build-seconds"
      echo "$tree $release werror $version" >"$dir/built-from"
    fi
  ) 9>"$dir.lock" || return $?
  echo "$dir"
}

# A cached root with PACKAGES (ward-root make), for tools that must not be in the build root.
tool_root() { # tool_root RELEASE NAME PACKAGES
  recipe=$build_root/packaging/$2-$1.recipe
  mkdir -p "$build_root/packaging"
  printf '# ward packaging tests: %s\nPACKAGES="%s"\n' "$2" "$3" >"$recipe"
  "$ward_root" make "$1" "$recipe"
}

# booted [--network] -- COMMAND...: runs COMMAND on the host beside a booted Debian 13 system
# without ward installed (tests/booted/ward-booted --no-ward; where that is missing, the root
# $WARD_BOOTED_ROOT booted by tools/ward-root), with WARD_BOOTED_PID1 or WARD_ROOT_PID1 (its
# init, for nsenter) and WARD_BOOTED_FS or WARD_ROOT_FS (its root file system) set.
booted() {
  net=""
  if [ "$1" = --network ]; then net=--network; shift; fi
  if [ "$1" = -- ]; then shift; fi
  if [ -x "$src/tests/booted/ward-booted" ]; then
    exec "$src/tests/booted/ward-booted" --no-ward $net -- "$@"
  elif [ -n "${WARD_BOOTED_ROOT:-}" ]; then
    exec "$ward_root" boot "$WARD_BOOTED_ROOT" $net --machine ward-packaging -- "$@"
  fi
  skip "no booted Debian 13 world (tests/booted/ward-booted, or a root in WARD_BOOTED_ROOT)"
}

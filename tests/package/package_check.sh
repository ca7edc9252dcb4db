#!/bin/bash
# The Debian package's checks, one step per ctest test (tests/package/CMakeLists.txt):
#   package_check.sh STEP BUILD_DIR SOURCE_DIR WORK_DIR
# `build` runs cpack into WORK_DIR and extracts the .deb there (root/, control/);
# the other steps read what it left:
#   lintian   lintian reports no error (E:) and no warning (W:) on the .deb
#   depends   Depends (dpkg-shlibdeps) names the package of every library the binary needs
#   files     the conffile, the unit, the man page, the docs and the postinst are where Debian wants them
#   verify    systemd-analyze verify accepts the unit
#   security  systemd-analyze security --offline=true scores the unit at most MAX_EXPOSURE
#   serve     the extracted binary serves with the packaged configuration, changed in paths and port only
#   postinst  the postinst makes the user and the key, and upgrades keep the key (on a copy of /etc)
#   rules     promtool checks and unit-tests the packaged alert rules
# A missing tool fails the step with the command that installs it.
set -euo pipefail

STEP=$1 BUILD=$2 SOURCE=$3 WORK=$4
# The score measured for packaging/jwtguard.service (systemd 252) was 1.1:
# a unit weakened by one setting scores worse and fails.
MAX_EXPOSURE=${MAX_EXPOSURE:-1.1}
ROOT=$WORK/root

fail() { echo "FAIL: $*" >&2; exit 1; }
need() {  # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null ||
    fail "$1 is missing: install it with sudo apt-get install $2 (or make deps)"
}
the_deb() {
  local debs=("$WORK"/out/jwtguard_*.deb)
  [ -f "${debs[0]}" ] || fail "no .deb in $WORK/out: the package.build step did not run"
  echo "${debs[0]}"
}

step_build() {
  CPACK=${CPACK:-cpack}
  need "$CPACK" cmake
  need dpkg-deb dpkg
  need dpkg-shlibdeps dpkg-dev
  rm -rf "$WORK" && mkdir -p "$WORK/out"
  "$CPACK" -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/out"
  local deb
  deb=$(the_deb)
  dpkg-deb -x "$deb" "$ROOT"
  dpkg-deb -e "$deb" "$WORK/control"
  dpkg-deb -I "$deb"
  dpkg-deb -c "$deb"
}

# The package has no lintian error and no warning either (Debian 12's
# lintian); a new warning fails too, so it is fixed or justified here.
step_lintian() {
  need lintian lintian
  local deb out
  deb=$(the_deb)
  out=$(lintian --fail-on error,warning --info "$deb" 2>&1) ||
    { echo "$out"; fail "lintian reports errors or warnings"; }
  echo "$out"
  ! grep -q '^[EW]:' <<< "$out" || fail "lintian reports errors or warnings"
}

step_depends() {
  need readelf binutils
  local depends lib path pkg names name found
  depends=$(dpkg-deb -f "$(the_deb)" Depends)
  echo "Depends: $depends"
  # The package names alone, one a line (no versions, no alternatives).
  depends=$(echo "$depends" | tr ',|' '\n\n' | sed 's/^ *//; s/ .*//')
  # Here-strings, not echo | grep -q: with pipefail, grep leaving at its
  # first match would make the pipeline's status echo's SIGPIPE.
  for pkg in libssl3 libsqlite3-0 libpq5 libhiredis0.14 libsodium23 libcurl4 libc6 adduser; do
    grep -qxF "$pkg" <<< "$depends" || fail "Depends lacks $pkg"
  done
  # Every library the binary loads comes from a package Depends names.
  for lib in $(readelf -d "$ROOT/usr/bin/jwtguard" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !found { print $NF; found = 1 }')
    [ -n "$path" ] || fail "$lib: not found by ldconfig"
    # dpkg knows a library by the path its package installed, which on a
    # merged /usr may be either one. awk reads the whole answer: `head -1`
    # would leave early, and with pipefail dpkg's SIGPIPE (like ldconfig's
    # above) would end the script without a word.
    pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | awk -F: 'NR == 1 { print $1 }') || true
    [ -n "$pkg" ] || pkg=$(dpkg -S "$path" | awk -F: 'NR == 1 { print $1 }')
    # A package may be named by what it provides (libspdlog1.10 provides
    # libspdlog1.10-fmt9, the name its shlibs file gives).
    names="$pkg $(dpkg-query -W -f='${Provides}' "$pkg" | sed 's/([^)]*)//g; s/,/ /g')"
    echo "$lib -> $names"
    found=
    for name in $names; do
      grep -qxF "$name" <<< "$depends" && found=$name
    done
    [ -n "$found" ] || fail "$lib comes from $pkg, which Depends lacks"
  done
}

step_files() {
  local f
  for f in usr/bin/jwtguard etc/jwtguard/jwtguard.toml lib/systemd/system/jwtguard.service \
           usr/share/man/man1/jwtguard.1.gz usr/share/doc/jwtguard/copyright \
           usr/share/doc/jwtguard/changelog.gz usr/share/doc/jwtguard/README.md \
           usr/share/doc/jwtguard/docs/operations.md usr/share/doc/jwtguard/docs/configuration.md \
           usr/share/doc/jwtguard/examples/jwtguard.rules.yml; do
    [ -f "$ROOT/$f" ] || fail "the package lacks /$f"
  done
  # Every file under /etc is a conffile, so that an upgrade keeps local edits.
  [ -f "$WORK/control/conffiles" ] || fail "the package has no conffiles"
  cat "$WORK/control/conffiles"
  for f in $(cd "$ROOT" && find etc -type f); do
    grep -qx "/$f" "$WORK/control/conffiles" || fail "/$f is not a conffile"
  done
  # The postinst never replaces an existing key set.
  grep -q '\[ -e "\$KEYS" \] && return 0' "$WORK/control/postinst" ||
    fail "the postinst does not keep an existing key set"
  sh -n "$WORK/control/postinst"
  # The man page is --help's text and renders without warnings.
  grep -q 'jwtguard serve' <<< "$(zcat "$ROOT/usr/share/man/man1/jwtguard.1.gz")" ||
    fail "the man page does not describe serve"
  local warnings
  warnings=$(zcat "$ROOT/usr/share/man/man1/jwtguard.1.gz" |
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z - 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "the man page renders with warnings: $warnings"
}

# systemd-analyze reads the unit and the binary it names from a copy of the
# extracted root, so nothing is installed on this machine; the copy gets the
# host's own units (sysinit.target, ...) and /bin/kill (ExecReload), which a
# real system has.
step_verify() {
  need systemd-analyze systemd
  local out vroot=$WORK/verify-root
  rm -rf "$vroot" && cp -a "$ROOT" "$vroot" && mkdir -p "$vroot/bin"
  cp -an /lib/systemd/system/. "$vroot/lib/systemd/system/"
  cp "$(readlink -f /bin/kill)" "$vroot/bin/kill"
  # MANPATH: the unit's Documentation=man:jwtguard(1) is the packaged page.
  out=$(MANPATH="$vroot/usr/share/man" SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --root="$vroot" \
    "$vroot/lib/systemd/system/jwtguard.service" 2>&1) || { echo "$out"; fail "systemd-analyze verify refused the unit"; }
  echo "$out"
  [ -z "$out" ] || fail "systemd-analyze verify printed warnings"
  grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$ROOT/lib/systemd/system/jwtguard.service" ||
    fail "ExecReload does not send SIGHUP"
}

step_security() {
  need systemd-analyze systemd
  local out score
  out=$(systemd-analyze security --offline=true --root="$ROOT" --no-pager \
    "$ROOT/lib/systemd/system/jwtguard.service" 2>&1) || true
  echo "$out"
  score=$(echo "$out" | sed -n 's/.*Overall exposure level for jwtguard.service: \([0-9.]*\).*/\1/p')
  [ -n "$score" ] || fail "no exposure level in the output"
  echo "exposure $score (at most $MAX_EXPOSURE)"
  awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }' ||
    fail "exposure $score is worse than $MAX_EXPOSURE"
}

step_rules() {
  need promtool prometheus
  promtool check rules "$ROOT/usr/share/doc/jwtguard/examples/jwtguard.rules.yml"
  cmp "$ROOT/usr/share/doc/jwtguard/examples/jwtguard.rules.yml" "$SOURCE/packaging/jwtguard.rules.yml"
  (cd "$SOURCE/packaging" && promtool test rules jwtguard.rules.test.yml)
}

case "$STEP" in
  build | lintian | depends | files | verify | security | rules) "step_$STEP" ;;
  serve) exec "$(dirname "$0")/serve_extracted.sh" "$ROOT" "$WORK/serve" ;;
  postinst) exec "$(dirname "$0")/postinst_check.sh" "$ROOT" "$WORK/control" "$WORK/postinst" ;;
  *) fail "unknown step $STEP" ;;
esac

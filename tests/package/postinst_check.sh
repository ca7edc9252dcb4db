#!/bin/bash
# The package's postinst, run as dpkg runs it, on a copy of this machine's /etc:
#   postinst_check.sh EXTRACTED CONTROL WORK
# EXTRACTED is the extracted .deb, CONTROL its control files. In a private
# mount namespace (unshare -m) a copy of /etc is mounted over /etc, so the
# user the postinst adds and the key it writes land in the copy and this
# machine is not changed. The postinst finds `jwtguard` on PATH, as dpkg's
# PATH finds /usr/bin/jwtguard; here PATH leads to the extracted one.
# Checks: a first installation (configure) creates the system user jwtguard
# and a key set root:jwtguard 0640 that the service accepts; a second
# configure (an upgrade from 0.1.0) and a reinstallation keep the key set
# byte for byte, and keep a key set whose mode the operator changed.
set -euo pipefail

EXTRACTED=$1 CONTROL=$2 WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }

if [ "${IN_NAMESPACE:-}" != 1 ]; then
  [ "$(id -u)" = 0 ] || fail "needs root, for adduser in a mount namespace: run it with sudo"
  command -v unshare >/dev/null || fail "unshare is missing: install it with sudo apt-get install util-linux"
  command -v adduser >/dev/null || fail "adduser is missing: install it with sudo apt-get install adduser"
  rm -rf "$WORK" && mkdir -p "$WORK/etc"
  cp -a /etc/. "$WORK/etc/"
  exec unshare -m --propagation private env IN_NAMESPACE=1 "$0" "$@"
fi

mount --bind "$WORK/etc" /etc
export PATH="$EXTRACTED/usr/bin:$PATH"
KEYS=/etc/jwtguard/keys.jwks.json
# dpkg has unpacked the conffile before the postinst runs.
mkdir -p /etc/jwtguard && cp "$EXTRACTED/etc/jwtguard/jwtguard.toml" /etc/jwtguard/
! getent passwd jwtguard >/dev/null || fail "this machine's /etc already has a jwtguard user"

# A first installation.
sh -e "$CONTROL/postinst" configure
getent passwd jwtguard | grep -q ':/var/lib/jwtguard:/usr/sbin/nologin$' ||
  fail "no system user jwtguard (home /var/lib/jwtguard, no login): $(getent passwd jwtguard)"
uid=$(id -u jwtguard)
[ "$uid" -lt 1000 ] || fail "jwtguard is not a system user (uid $uid)"
[ "$(stat -c '%U:%G %a' "$KEYS")" = "root:jwtguard 640" ] ||
  fail "the key set is $(stat -c '%U:%G %a' "$KEYS"), expected root:jwtguard 640"
[ ! -e "$KEYS.new" ] || fail "the temporary key file was left behind"
# Captured first: with pipefail, grep -q leaving early would make the
# pipeline's status the writer's SIGPIPE.
public=$(jwtguard keys public "$KEYS")
grep -q '"kty"' <<< "$public" || fail "the key set has no public key"
! grep -q '"d"' <<< "$public" || fail "the public set holds the private key"
cp -p "$KEYS" "$WORK/first-key"

# An upgrade, and a reinstallation, keep it; so does an upgrade after the
# operator changed its mode.
sh -e "$CONTROL/postinst" configure 0.1.0
sh -e "$CONTROL/postinst" configure 0.1.0
cmp "$KEYS" "$WORK/first-key" || fail "an upgrade replaced the key set"
chmod 0600 "$KEYS"
sh -e "$CONTROL/postinst" configure 0.1.0
cmp "$KEYS" "$WORK/first-key" || fail "an upgrade replaced the key set"
[ "$(stat -c %a "$KEYS")" = 600 ] || fail "an upgrade changed the key set's mode"
[ "$(getent passwd jwtguard | cut -d: -f3)" = "$uid" ] || fail "an upgrade changed the user"

# Unknown actions are refused, as policy asks.
! sh -e "$CONTROL/postinst" frobnicate 2>/dev/null || fail "the postinst accepted an unknown action"
echo "OK: the postinst made user jwtguard (uid $uid) and a key set, and upgrades kept both"

#!/bin/bash
# The package's files, extracted into a scratch root, serve as installed:
#   serve_extracted.sh EXTRACTED WORK
# EXTRACTED holds the extracted .deb, copied to WORK/root (ROOT), so that the
# other steps read the package's files unchanged. ROOT's
# etc/jwtguard/jwtguard.toml is changed in its paths (under ROOT) and its
# listen port (0: a free one) and nothing else;
# the key is made with the command the file's comment gives. Then: without the
# key the service refuses to start (production mode), with it /healthz
# answers, registration is closed, a user made with `jwtguard user create`
# logs in and the token verifies, no key material reaches the log, the store
# is private, the documented SQLite backup works while the service runs, and
# SIGTERM stops the service with exit code 0.
set -euo pipefail

EXTRACTED=$1 WORK=$2
ROOT=$WORK/root
BIN=$ROOT/usr/bin/jwtguard
CONF=$ROOT/etc/jwtguard/jwtguard.toml
KEYS=$ROOT/etc/jwtguard/keys.jwks.json
PID=

fail() { echo "FAIL: $*" >&2; [ -f "$WORK/serve.log" ] && cat "$WORK/serve.log" >&2; exit 1; }
command -v curl >/dev/null || fail "curl is missing: install it with sudo apt-get install curl"
# Only the process this script started is ever signalled, by its PID.
cleanup() { if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID"; fi; }
trap cleanup EXIT
# The packaged configuration alone decides: no JWTGUARD_* from the caller.
for v in $(env | sed -n 's/^\(JWTGUARD_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done

rm -rf "$WORK" && mkdir -p "$WORK" && cp -a "$EXTRACTED" "$ROOT"
PACKAGED=$EXTRACTED/etc/jwtguard/jwtguard.toml

# Paths and port only: undoing the two substitutions gives the packaged file back.
sed -e "s#/var/lib/jwtguard#$ROOT/var/lib/jwtguard#g" -e "s#/etc/jwtguard#$ROOT/etc/jwtguard#g" \
    -e 's#^listen = "127.0.0.1:8080"$#listen = "127.0.0.1:0"#' "$PACKAGED" >"$CONF"
sed -e "s#$ROOT##g" -e 's#^listen = "127.0.0.1:0"$#listen = "127.0.0.1:8080"#' "$CONF" |
  cmp - "$PACKAGED" || fail "the adjusted configuration differs in more than paths and port"
grep -q '^listen = "127.0.0.1:0"$' "$CONF" || fail "the packaged listen address is not 127.0.0.1:8080"
diff "$PACKAGED" "$CONF" || true

# StateDirectory= makes /var/lib/jwtguard, mode 0700, before the service starts.
mkdir -p -m 0700 "$ROOT/var/lib/jwtguard"

# start: runs serve in the background, waits (bounded) for its "listening" line.
start() {
  "$BIN" serve --config "$CONF" >"$WORK/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do
    ADDR=$(sed -n 's/.*"event":"listening".*"address":"\(127\.0\.0\.1:[0-9]*\)".*/\1/p' "$WORK/serve.log")
    [ -n "$ADDR" ] && return 0
    kill -0 "$PID" 2>/dev/null || fail "serve exited before listening"
    sleep 0.1
  done
  fail "serve did not log \"listening\""
}

# 1. Production mode: no key, no start, and the message names the key file.
rc=0
"$BIN" serve --config "$CONF" >"$WORK/nokey.log" 2>&1 || rc=$?
cat "$WORK/nokey.log"
[ "$rc" -ne 0 ] || fail "serve started without a key: the packaged configuration is not in production mode"
grep -q "keys.jwks_file" "$WORK/nokey.log" || fail "the refusal does not name keys.jwks_file"
[ ! -e "$ROOT/var/lib/jwtguard/jwtguard.db" ] || fail "serve wrote the store before refusing"
[ -z "$(find "$ROOT/var/lib/jwtguard" -name '*.jw*')" ] || fail "serve generated a key"

# 2. The key, as the packaged configuration's comment says to make one.
(umask 027; "$BIN" keys generate --alg ES256 --kid "$(date +%Y-%m)" --format jwks >"$KEYS")
[ "$(stat -c %a "$KEYS")" = 640 ] || fail "the key set is not mode 0640"

start
echo "serving on $ADDR"
# The effective settings it logs: production mode, the packaged store and keys.
grep -q '"dev":false' <<< "$(grep '"event":"starting"' "$WORK/serve.log")" ||
  fail "the packaged configuration is not in production mode (dev = false)"
URL=http://$ADDR
code=$(curl -s -o "$WORK/healthz" -w '%{http_code}' "$URL/healthz")
[ "$code" = 200 ] || fail "/healthz answered $code"

# 3. Registration is closed in the packaged configuration.
code=$(curl -s -o "$WORK/register" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"username":"mallory","password":"correct horse battery"}' "$URL/auth/register")
[ "$code" = 403 ] || fail "POST /auth/register answered $code, expected 403"

# 4. A user from the command line, on the store the service runs on.
printf '%s\n' 'correct horse battery' |
  "$BIN" user create alice --password-stdin --config "$CONF"
code=$(curl -s -o "$WORK/login" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"username":"alice","password":"correct horse battery"}' "$URL/auth/login")
[ "$code" = 200 ] || fail "POST /auth/login answered $code: $(cat "$WORK/login")"
token=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$WORK/login")
[ -n "$token" ] || fail "no access_token in the login answer"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$URL/auth/verify")
[ "$code" = 200 ] || fail "GET /auth/verify answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"username":"alice","password":"wrong password"}' "$URL/auth/login")
[ "$code" = 401 ] || fail "a wrong password answered $code"

# 5. Nothing secret in the log: not the private key, not the password.
d=$(sed -n 's/.*"d": *"\([^"]*\)".*/\1/p' "$KEYS")
[ -n "$d" ] || fail "no private key member in $KEYS"
! grep -qF "$d" "$WORK/serve.log" || fail "the private key is in the log"
! grep -qF 'correct horse' "$WORK/serve.log" || fail "a password is in the log"
# The store holds password hashes: private to the service's user.
[ "$(stat -c %a "$ROOT/var/lib/jwtguard/jwtguard.db")" = 600 ] || fail "the store file is not 0600"

# 6. The backup docs/operations.md gives, taken while the service runs:
# a private, consistent copy that holds the user.
command -v sqlite3 >/dev/null || fail "sqlite3 is missing: install it with sudo apt-get install sqlite3"
BACKUP=$WORK/backups/jwtguard-$(date +%F).db
mkdir -p -m 0700 "$WORK/backups"
sh -c 'umask 077; sqlite3 "$1" ".backup $2"' backup "$ROOT/var/lib/jwtguard/jwtguard.db" "$BACKUP"
[ "$(sqlite3 "$BACKUP" 'PRAGMA integrity_check')" = ok ] || fail "the backup is damaged"
[ "$(sqlite3 "$BACKUP" "SELECT count(*) FROM users WHERE name = 'alice'")" = 1 ] ||
  fail "the backup lacks the user"
[ "$(stat -c %a "$BACKUP")" = 600 ] || fail "the backup is not 0600"

# 7. SIGTERM stops it cleanly.
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
[ "$rc" = 0 ] || fail "serve exited with $rc after SIGTERM"
echo "OK: the extracted package served on $ADDR and stopped on SIGTERM"

#!/usr/bin/env bash
# Load benchmark of `jwtguard serve` with wrk on loopback (issue 4's figures).
#
# Starts the service on a free loopback port with a SQLite store in a
# temporary directory, logs in, revokes one token, then runs wrk against
# /auth/verify and /auth/me with a valid and with a revoked token, at each
# concurrency, and prints requests/s and the p50/p99 latencies wrk measured.
# Every run is bounded by DURATION; the service is stopped by its PID.
#
# Usage: bench/http_load.sh [BINARY]
#   DURATION=15s CONNECTIONS="32 128" WRK_THREADS=1 THREADS=2 ACCESS_LOG=true
set -euo pipefail

BINARY=${1:-build/release/jwtguard}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32 128}
WRK_THREADS=${WRK_THREADS:-1}
THREADS=${THREADS:-0}
ACCESS_LOG=${ACCESS_LOG:-true}

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "http_load: $tool is not installed (make deps)" >&2; exit 1; }
done
[ -x "$BINARY" ] || { echo "http_load: no $BINARY (make build)" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export JWTGUARD_SECRET
JWTGUARD_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
STORE="sqlite:$WORK/jwtguard.db"
PASSWORD="bench-password-$$"

"$BINARY" user create bench --password-stdin --store "$STORE" <<<"$PASSWORD" >/dev/null
"$BINARY" serve --listen 127.0.0.1:0 --store "$STORE" --dev false --threads "$THREADS" \
  --log-file "$WORK/service.log" --access-log "$ACCESS_LOG" &
SERVER_PID=$!

PORT=
for _ in $(seq 100); do
  PORT=$(grep -o '"event":"listening","address":"127.0.0.1:[0-9]*' "$WORK/service.log" 2>/dev/null |
         grep -o '[0-9]*$' || true)
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "http_load: the service did not start:" >&2; cat "$WORK/service.log" >&2; exit 1; }
BASE="http://127.0.0.1:$PORT"

login() {
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$PASSWORD\"}" "$BASE/auth/login" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
VALID=$(login)
REVOKED=$(login)
curl -sf -X DELETE -H "Authorization: Bearer $REVOKED" "$BASE/auth/logout" >/dev/null
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $VALID" "$BASE/auth/verify")" = 200 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $REVOKED" "$BASE/auth/verify")" = 401 ]

echo "jwtguard serve on 127.0.0.1:$PORT, $(nproc) cores; wrk -t$WRK_THREADS -d$DURATION; access log: $ACCESS_LOG"
printf '%-14s %-8s %5s %12s %10s %10s\n' endpoint token conns 'req/s' p50 p99
for path in /auth/verify /auth/me; do
  for kind in valid revoked; do
    token=$VALID; [ "$kind" = revoked ] && token=$REVOKED
    for c in $CONNECTIONS; do
      out=$(wrk -t"$WRK_THREADS" -c"$c" -d"$DURATION" --latency \
              -H "Authorization: Bearer $token" "$BASE$path")
      rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
      p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
      printf '%-14s %-8s %5s %12s %10s %10s' "$path" "$kind" "$c" "$rps" "$p50" "$p99"
      [ "$kind" = valid ] && [ -n "$errors" ] && printf '   (%s non-2xx!)' "$errors"
      printf '\n'
    done
  done
done

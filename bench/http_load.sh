#!/usr/bin/env bash
# Load benchmark of `jwtguard serve` with wrk on loopback (issue 4's figures).
#
# Starts the service on a free loopback port with a store in a temporary
# directory (SQLite, or a redis-server the script starts with AOF and
# appendfsync always), logs in, revokes one token, then runs wrk against
# each path with a valid and with a revoked token, at each concurrency, and
# prints requests/s and the p50/p99 latencies wrk measured. Every run is
# bounded by DURATION; the service and Redis are stopped by their PIDs.
#
# Usage: bench/http_load.sh [BINARY]
#   DURATION=15s CONNECTIONS="32 128" WRK_THREADS=1 THREADS=2 ACCESS_LOG=true
#   STORE=sqlite|redis CHECK=index|store PATHS="/auth/verify /auth/me"
set -euo pipefail

BINARY=${1:-build/release/jwtguard}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32 128}
WRK_THREADS=${WRK_THREADS:-1}
THREADS=${THREADS:-0}
ACCESS_LOG=${ACCESS_LOG:-true}
STORE_KIND=${STORE:-sqlite}
CHECK=${CHECK:-index}
PATHS=${PATHS:-/auth/verify /auth/me}

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "http_load: $tool is not installed (make deps)" >&2; exit 1; }
done
[ -x "$BINARY" ] || { echo "http_load: no $BINARY (make build)" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=
REDIS_PID=
cleanup() {
  for pid in $SERVER_PID $REDIS_PID; do
    kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

export JWTGUARD_SECRET
JWTGUARD_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
# A loopback port nobody listens on (bash's /dev/tcp fails to connect).
free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  return 1
}

case "$STORE_KIND" in
  sqlite) STORE="sqlite:$WORK/jwtguard.db" ;;
  redis)
    command -v redis-server >/dev/null || { echo "http_load: redis-server is not installed (make deps)" >&2; exit 1; }
    REDIS_PORT=$(free_port)
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$WORK" --appendonly yes \
      --appendfsync always --save '' --logfile "$WORK/redis.log" &
    REDIS_PID=$!
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break
      sleep 0.1
    done
    STORE="redis://127.0.0.1:$REDIS_PORT/0"
    ;;
  *) echo "http_load: STORE must be sqlite or redis" >&2; exit 1 ;;
esac
PASSWORD="bench-password-$$"

# --create: the SQLite store does not exist yet (redis ignores it).
"$BINARY" user create bench --password-stdin --create --store "$STORE" <<<"$PASSWORD" >/dev/null
"$BINARY" serve --listen 127.0.0.1:0 --store "$STORE" --dev false --threads "$THREADS" \
  --check "$CHECK" --log-file "$WORK/service.log" --access-log "$ACCESS_LOG" &
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

echo "jwtguard serve on 127.0.0.1:$PORT, $(nproc) cores; store $STORE_KIND, check $CHECK; wrk -t$WRK_THREADS -d$DURATION; access log: $ACCESS_LOG"
printf '%-14s %-8s %5s %12s %10s %10s\n' endpoint token conns 'req/s' p50 p99
for path in $PATHS; do
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

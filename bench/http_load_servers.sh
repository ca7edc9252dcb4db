# shellcheck shell=bash
# shellcheck disable=SC2034  # NGINX_*, SERVE_*: set here for the caller
# The servers of bench/http_load.sh and what it reads from /proc: sourced by
# it, never run alone. Uses WORK (the run's temporary directory), BINARY,
# NGINX, CHECK and ACCESS_LOG from the caller; every process started here is added to
# STARTED_PIDS, which the caller's exit trap stops.

STARTED_PIDS=()

die() { echo "http_load: $*" >&2; exit 1; }

# Stops one process this script started (TERM, then reaps it) and forgets it,
# so the exit trap never signals a PID the system may have handed out again.
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}

forget_pid() {
  local kept=() p
  for p in "${STARTED_PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  STARTED_PIDS=("${kept[@]}")
}

stop_all() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
}

# A loopback port nobody listens on (bash's /dev/tcp fails to connect). Another
# program may still take it before we bind: the callers retry on a bind error.
free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  return 1
}

# utime + stime of a process in clock ticks: fields 14 and 15 of
# /proc/PID/stat, which already count every thread of the process (the
# per-thread figures under /proc/PID/task must not be added on top). The
# command name, field 2, may hold spaces and parentheses, so the fields are
# counted from after its last ")": field 3 is then index 0.
cpu_ticks() {
  local stat rest
  stat=$(<"/proc/$1/stat")
  rest=${stat##*) }
  local -a f
  read -ra f <<<"$rest"
  echo $((f[11] + f[12]))
}

# The CPU time of this script's children that have exited and been waited
# for (cutime + cstime, fields 16 and 17).
children_cpu_ticks() {
  local stat rest
  stat=$(<"/proc/$$/stat")
  rest=${stat##*) }
  local -a f
  read -ra f <<<"$rest"
  echo $((f[13] + f[14]))
}

cpu_ticks_sum() {
  local sum=0 pid
  for pid in "$@"; do sum=$((sum + $(cpu_ticks "$pid"))); done
  echo "$sum"
}

rss_kib() {
  local line
  while read -r line; do
    [[ $line == VmRSS:* ]] && { read -r _ kib _ <<<"$line"; echo "$kib"; return; }
  done <"/proc/$1/status"
  echo 0
}

# The PIDs whose parent is $1 (field 4 of their stat), read from /proc so
# that nothing beyond bash is needed.
children_of() {
  local stat rest dir
  local -a f
  for dir in /proc/[0-9]*; do
    { stat=$(<"$dir/stat"); } 2>/dev/null || continue
    rest=${stat##*) }
    read -ra f <<<"$rest"
    [ "${f[1]}" = "$1" ] && echo "${dir#/proc/}"
  done
  return 0
}

# nginx answering `return 200` with WORKERS worker processes (0: one per core,
# as serve's --threads 0) on a free loopback port, everything under its own
# prefix in WORK: no root, nothing system-wide (-e keeps even the error log
# nginx opens before reading its configuration out of /var/log). Sets
# NGINX_PID (the master), NGINX_WORKERS (their PIDs) and NGINX_URL.
start_nginx() {
  local workers=$1 dir=$WORK/nginx-$1 port pid
  [ "$workers" = 0 ] && workers=auto
  mkdir -p "$dir/logs" "$dir/temp"
  for _ in 1 2 3 4 5; do
    port=$(free_port) || die "no free loopback port for nginx"
    # keepalive_requests: nginx closes a connection after 1000 requests by
    # default, and serve never does; wrk would then pay reconnects nginx's
    # figures hide in its own. keepalive_timeout outlasts any pause of wrk.
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $workers;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/temp/client;
  proxy_temp_path $dir/temp/proxy;
  fastcgi_temp_path $dir/temp/fastcgi;
  uwsgi_temp_path $dir/temp/uwsgi;
  scgi_temp_path $dir/temp/scgi;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$port;
    location / { return 200; }
  }
}
EOF
    "$NGINX" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/error.log" &
    pid=$!
    STARTED_PIDS+=("$pid")
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 200 ] && break
      sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
      NGINX_PID=$pid
      NGINX_URL="http://127.0.0.1:$port"
      # The master forks its workers after binding: wait until all are there.
      for _ in $(seq 100); do
        mapfile -t NGINX_WORKERS < <(children_of "$pid")
        [ "$workers" = auto ] && [ "${#NGINX_WORKERS[@]}" -gt 0 ] && return
        [ "${#NGINX_WORKERS[@]}" = "$workers" ] && return
        sleep 0.05
      done
      die "nginx started ${#NGINX_WORKERS[@]} of $workers workers"
    fi
    stop_pid "$pid"
    [[ $(<"$dir/logs/error.log") == *"Address already in use"* ]] || break
  done
  cat "$dir/logs/error.log" >&2
  die "nginx did not start"
}

# Fills the SQLite store at $1 with $2 live token (jti) revocations in one
# statement, straight into the store's `revocations` table (src/sqlite/schema.h),
# so that it is fast. Each expires a day from now, so the index loads every one
# at start (it loads rows with expires_at > now; times are microseconds). The
# change feed is left alone: a starting instance reads the table, not the feed.
#
# The ids must look like jwtguard's own, 22 random base64url characters: the
# index takes such an id's own bits as its hash (src/core/revocation/index.cc),
# so counter-like ids would crowd one corner of its table. Each character is
# drawn from 6 random bits through a mapping onto the base64url alphabet (any
# bijection will do), the last one from the 4 values that leave the trailing
# bits zero (canonical). Sorting the rows by id turns the unique index's
# inserts into appends. synchronous=OFF: a crash here loses only this
# benchmark's data.
preload_revocations() {
  local db=$1 count=$2 now chars='' v i
  [ "$count" -gt 0 ] || return 0
  now=$(date +%s%6N)
  for i in 0 6 12 18 24 30 36 42 48 54 64 70 76 82 88 94 100 106 112 118 128; do
    v="((r$((i / 64)) >> $((i % 64))) & 63)"
    chars+="48 + $v + 7 * ($v >= 10) + 6 * ($v >= 36) - 78 * ($v = 62) - 29 * ($v = 63), "
  done
  # A, Q, g, w: the values 0, 16, 32 and 48.
  v="((r2 >> 6) & 3)"
  chars+="65 + 16 * $v + 6 * ($v >= 2)"
  sqlite3 "$db" <<EOF
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
PRAGMA temp_store = MEMORY;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count),
  r(r0, r1, r2) AS MATERIALIZED (SELECT random(), random(), random() FROM n)
INSERT INTO revocations (kind, key, expires_at, revoked_at)
SELECT 0, char($chars), $now + 86400000000, $now FROM r ORDER BY 2;
EOF
}

# `jwtguard serve` on a free loopback port (the kernel picks it) with the
# access log on, in the same file as the service's log, as in production.
# Sets SERVE_PID, SERVE_URL, SERVE_START_MS (from exec until it listens: the
# index is loaded by then), SERVE_START_CPU_MS (the CPU time it took: on a busy
# machine the wall-clock figure is mostly waiting for a core) and SERVE_RSS_KIB.
start_serve() {
  local name=$1 store=$2 threads=$3 log=$WORK/$1.log t0 port=
  t0=$(date +%s%N)
  # A 12 h access token: a long run must not outlive its tokens.
  "$BINARY" serve --listen 127.0.0.1:0 --store "$store" --dev false --threads "$threads" \
    --check "$CHECK" --log-file "$log" --access-log "$ACCESS_LOG" --access-ttl 12h &
  SERVE_PID=$!
  STARTED_PIDS+=("$SERVE_PID")
  # Polled every 10 ms for the start time; 10M revocations load in seconds.
  for _ in $(seq 12000); do
    port=$(grep -o '"event":"listening","address":"127.0.0.1:[0-9]*' "$log" 2>/dev/null |
      grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.01
  done
  [ -n "$port" ] || { cat "$log" >&2; die "jwtguard serve did not start"; }
  SERVE_START_MS=$((($(date +%s%N) - t0) / 1000000))
  SERVE_START_CPU_MS=$(($(cpu_ticks "$SERVE_PID") * 1000 / $(getconf CLK_TCK)))
  SERVE_RSS_KIB=$(rss_kib "$SERVE_PID")
  SERVE_URL="http://127.0.0.1:$port"
}

# The sum of the samples in the service's Prometheus text $1 whose name is $2
# and that hold every label given after it, one argument each
# ('route="GET /auth/verify"' 'code="401"'): with no label, the whole family.
metric() {
  local text=$1 name=$2 labels
  shift 2
  labels=$(printf '%s\t' "$@")
  awk -v name="$name" -v labels="$labels" '
    BEGIN { n = split(labels, want, "\t") - 1 }
    index($0, name "{") == 1 || $1 == name {
      for (i = 1; i <= n; i++) if (index($0, want[i]) == 0) next
      sum += $NF
    }
    END { printf "%.0f\n", sum }' <<<"$text"
}

#!/usr/bin/env bash
# Load benchmark of `jwtguard serve` against nginx's floor, with wrk on loopback.
#
# nginx answering `return 200` is the floor for an HTTP/1.1 server on this
# kernel: it parses the request and writes a response, nothing else. For each
# thread setting the script starts nginx (that many workers) and `jwtguard
# serve --threads N` (SQLite store in a temporary directory, access log on, to
# a file, as in production) on free loopback ports, logs in, logs one token
# out, and alternates the servers round after round: nginx, then jwtguard
# with the valid and with the revoked token, at each concurrency. wrk sends
# every server the same request (path and Authorization header).
#
# Per run it prints req/s, wrk's p50 and p99, and the CPU time per request of
# the server: utime + stime from /proc before and after (nginx's master and
# workers summed), divided by the requests wrk completed. On a shared machine
# that is steadier than req/s, which moves with whatever else takes the cores.
# Then a summary of the jwtguard/nginx ratios (see summarise below).
#
# A valid token must get only 2xx, a revoked one only 401 (wrk's count and
# the service's own metrics): anything else is printed with "!!" and fails the
# script after the summary. Every process is stopped by its PID on exit.
#
# Usage: bench/http_load.sh [BINARY]
#   THREADS="1 2"          serve --threads; nginx gets as many worker processes
#   CONNECTIONS="32 128"   DURATION=8s  ROUNDS=2  WRK_THREADS=1  WARMUP=1s (0: none)
#   REVOCATIONS=0          live token revocations preloaded into the SQLite store
#                          before serve starts; a list ("0 1000000 10000000") runs
#                          one serve per value, each against the same nginx runs
#   PATHS=/auth/verify     STORE=sqlite|redis  CHECK=index|store  ACCESS_LOG=true
#   PROFILE=1              perf record one extra run at the largest c and print
#                          the top user-space symbols
set -euo pipefail

BINARY=${1:-build/release/jwtguard}
THREADS=${THREADS:-1 2}
CONNECTIONS=${CONNECTIONS:-32 128}
DURATION=${DURATION:-8s}
ROUNDS=${ROUNDS:-2}
WRK_THREADS=${WRK_THREADS:-1}
WARMUP=${WARMUP:-1s}
REVOCATIONS=${REVOCATIONS:-0}
PATHS=${PATHS:-/auth/verify}
STORE_KIND=${STORE:-sqlite}
CHECK=${CHECK:-index}
ACCESS_LOG=${ACCESS_LOG:-true}
PROFILE=${PROFILE:-0}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/http_load_servers.sh
source "$HERE/http_load_servers.sh"

for knob in THREADS CONNECTIONS ROUNDS REVOCATIONS WRK_THREADS; do
  [[ ${!knob} =~ ^[0-9]+( [0-9]+)*$ ]] || die "$knob must be a number or a list of numbers: '${!knob}'"
done
[[ $STORE_KIND =~ ^(sqlite|redis)$ ]] || die "STORE must be sqlite or redis"
[ "$STORE_KIND" = sqlite ] || [ "$REVOCATIONS" = 0 ] || die "REVOCATIONS needs STORE=sqlite"
# nginx lives in /usr/sbin, which is not on every user's PATH.
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx is not installed (make deps)"
tools=(wrk curl)
[ "$STORE_KIND" = redis ] && tools+=(redis-server)
[ "$REVOCATIONS" = 0 ] || tools+=(sqlite3)
[ "$PROFILE" = 1 ] && tools+=(perf)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || die "$tool is not installed (make deps)"
done
[ -x "$BINARY" ] || die "no $BINARY (make build)"

WORK=$(mktemp -d -t jwtguard-http-load.XXXXXX)
trap 'stop_all; rm -rf "$WORK"' EXIT
# A signal (or a reader of the output that went away) still stops the servers.
trap 'exit 130' INT TERM HUP PIPE
RESULTS=$WORK/results.tsv
: >"$RESULTS"
FAILURES=0
HZ=$(getconf CLK_TCK)
PASSWORD="bench-password-$$"
export JWTGUARD_SECRET
JWTGUARD_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')

loadavg() { local a b c _; read -r a b c _ </proc/loadavg; echo "$a $b $c"; }
loud() { FAILURES=$((FAILURES + 1)); echo "!! $*"; echo "http_load: $*" >&2; }

# wrk's latencies ("812.00us", "1.69ms", "2.01s") in microseconds.
to_us() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) f = 1; else if (v ~ /ms$/) f = 1000; else if (v ~ /m$/) f = 60e6
    else if (v ~ /s$/) f = 1e6; else f = 1
    printf "%.1f", n * f }'
}

# The command says on stderr which store it used: kept out of the output.
create_user() {
  "$BINARY" user create bench --password-stdin --store "$@" <<<"$PASSWORD" \
    >"$WORK/user.log" 2>&1 || { cat "$WORK/user.log" >&2; die "user create failed"; }
}

# One store per revocation count, filled before any serve starts.
declare -A STORES
case "$STORE_KIND" in
  sqlite)
    for n in $REVOCATIONS; do
      STORES[$n]="sqlite:$WORK/store-$n.db"
      # --create: the file does not exist yet.
      create_user "${STORES[$n]}" --create
      if [ "$n" -gt 0 ]; then
        t0=$(date +%s%N)
        c0=$(children_cpu_ticks)
        preload_revocations "$WORK/store-$n.db" "$n"
        echo "preloaded $n revocations into SQLite in $((($(date +%s%N) - t0) / 1000000)) ms" \
          "($((($(children_cpu_ticks) - c0) * 1000 / HZ)) ms of CPU)"
      fi
    done
    ;;
  redis)
    REDIS_PORT=$(free_port) || die "no free loopback port for redis-server"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$WORK" --appendonly yes \
      --appendfsync always --save '' --logfile "$WORK/redis.log" &
    STARTED_PIDS+=("$!")
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break
      sleep 0.1
    done
    STORES[0]="redis://127.0.0.1:$REDIS_PORT/0"
    create_user "${STORES[0]}"
    ;;
esac

login() {
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$PASSWORD\"}" "$1/auth/login" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
status_of() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$1"; }

# Logs in twice, logs the second token out; checks both answers on every path
# and that the index holds the preloaded revocations. Sets VALID[n], REVOKED[n].
prepare_tokens() {
  local n=$1 url=$2 path held
  VALID[$n]=$(login "$url")
  REVOKED[$n]=$(login "$url")
  if [ -z "${VALID[$n]}" ] || [ -z "${REVOKED[$n]}" ]; then die "login failed on $url"; fi
  curl -sf -X DELETE -H "Authorization: Bearer ${REVOKED[$n]}" "$url/auth/logout" >/dev/null
  for path in $PATHS; do
    [ "$(status_of "$url$path" "${VALID[$n]}")" = 200 ] || die "$path refuses the valid token"
    [ "$(status_of "$url$path" "${REVOKED[$n]}")" = 401 ] || die "$path accepts the revoked token"
  done
  held=$(metric "$(curl -sf "$url/metrics")" jwtguard_index_revoked_tokens)
  [ "${held%.*}" -ge "$n" ] || die "the index holds $held token revocations, not the $n preloaded"
  INDEX_HELD=${held%.*}
}

row() { printf '%-7s %-5s %4s  %-7s %11s  %-13s %9s %9s %9s %9s  %s\n' "$@"; }
# Runs wrk once and prints one row: $1 is nginx, valid or revoked; the PIDs
# whose CPU time counts come after the first eight arguments.
run_one() {
  local kind=$1 threads=$2 revs=$3 path=$4 c=$5 round=$6 url=$7 token=$8
  shift 8
  local before after out requests rps p50 p99 non2xx errors cpu_us m0='' m1 route sent refused note=
  [ "$kind" = nginx ] || m0=$(curl -sf "$url/metrics")
  before=$(cpu_ticks_sum "$@")
  out=$(wrk -t"$WRK_THREADS" -c"$c" -d"$DURATION" --latency \
    -H "Authorization: Bearer $token" "$url$path")
  after=$(cpu_ticks_sum "$@")
  requests=$(awk '/ requests in / {print $1}' <<<"$out")
  [ "${requests:-0}" -gt 0 ] || { echo "$out" >&2; die "wrk completed no request against $url$path"; }
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p50=$(to_us "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  non2xx=${non2xx:-0}
  errors=$(awk '/Socket errors:/ {sub(/^ *Socket errors: */, ""); print}' <<<"$out")
  cpu_us=$(awk -v t=$((after - before)) -v hz="$HZ" -v n="$requests" \
    'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
  if [ -n "$errors" ]; then note="socket errors: $errors"; fi
  # Every server works for every request: no CPU time means the wrong PIDs
  # or fields were read (or a DURATION too short for the clock tick).
  [ "$after" -gt "$before" ] || loud "$kind: no CPU time measured (PIDs $*)"
  if [ "$kind" = revoked ]; then
    # The service's own count: every answer on the route in the run was 401.
    # It may exceed wrk's: it also counts the answers wrk stopped waiting for.
    m1=$(curl -sf "$url/metrics")
    route="route=\"GET $path\""
    sent=$(($(metric "$m1" jwtguard_http_requests_total "$route") -
      $(metric "$m0" jwtguard_http_requests_total "$route")))
    refused=$(($(metric "$m1" jwtguard_http_requests_total "$route" 'code="401"') -
      $(metric "$m0" jwtguard_http_requests_total "$route" 'code="401"')))
    [ "$non2xx" = "$requests" ] ||
      loud "revoked token: $non2xx of $requests answers were not 2xx; all must be 401"
    if [ "$sent" -lt "$requests" ] || [ "$refused" != "$sent" ]; then
      loud "revoked token: the service answered $refused of $sent requests on $path with 401 (wrk: $requests)"
    fi
  elif [ "$non2xx" != 0 ]; then
    loud "$kind: $non2xx of $requests answers were not 2xx on $path"
  fi
  row "$threads" "$round" "$c" "$kind" "$revs" "$path" "$rps" "$p50" "$p99" "$cpu_us" "$note"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$threads" "$round" "$c" "$kind" "$revs" \
    "$path" "$rps" "$p50" "$p99" "$cpu_us" >>"$RESULTS"
}

# perf on the service during one extra run (not in the summary: perf's own
# cost would tilt it), then the user-space symbols with the most samples.
profile_run() {
  local pid=$1 url=$2 token=$3 c=$4 path=${PATHS%% *} perf_pid report=
  perf record -e cpu-clock -g -p "$pid" -o "$WORK/perf.data" >"$WORK/perf.log" 2>&1 &
  perf_pid=$!
  STARTED_PIDS+=("$perf_pid")
  sleep 0.5
  wrk -t"$WRK_THREADS" -c"$c" -d"$DURATION" -H "Authorization: Bearer $token" "$url$path" >/dev/null
  # SIGINT: perf writes its data and exits (its status then says little).
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  forget_pid "$perf_pid"
  if [ ! -s "$WORK/perf.data" ]; then
    echo "profile: perf record failed (kernel.perf_event_paranoid or missing rights?):"
    cat "$WORK/perf.log"
    return 0
  fi
  report=$(perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio -g none \
    2>/dev/null || true)
  echo "profile: perf record -e cpu-clock -g on serve, c=$c, valid token (not in the summary)"
  # "36.80%  [k] symbol  -  -": kernel [k] and user space [.], IPC columns cut.
  awk '$2 == "[k]" {k += $1}
       $2 == "[.]" {u += $1; if (++shown <= 25) {sub(/[ \t]+-[ \t]+-[ \t]*$/, ""); print "  " $0}}
       END {printf "  kernel %.1f %%, user space %.1f %% of the samples; the top 25 above are user space\n", k, u}' \
    <<<"$report"
}

echo "jwtguard against nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), $(nproc) cores; store $STORE_KIND," \
  "check $CHECK, access log $ACCESS_LOG (to a file); wrk -t$WRK_THREADS -d$DURATION, $ROUNDS rounds"
echo "load average at start: $(loadavg)"
declare -A VALID REVOKED SERVE_PIDS SERVE_URLS
MAX_C=0
for c in $CONNECTIONS; do if [ "$c" -gt "$MAX_C" ]; then MAX_C=$c; fi; done
FIRST_PATH=${PATHS%% *}
profiled=0
for threads in $THREADS; do
  start_nginx "$threads"
  echo "nginx: worker_processes ${threads/#0/auto} (PIDs $NGINX_PID ${NGINX_WORKERS[*]}) on $NGINX_URL"
  for n in $REVOCATIONS; do
    start_serve "serve-t$threads-r$n" "${STORES[$n]}" "$threads"
    SERVE_PIDS[$n]=$SERVE_PID
    SERVE_URLS[$n]=$SERVE_URL
    prepare_tokens "$n" "$SERVE_URL"
    echo "jwtguard serve --threads $threads (PID $SERVE_PID) on $SERVE_URL: $n revocations" \
      "preloaded, index holds $INDEX_HELD; listening after $SERVE_START_MS ms ($SERVE_START_CPU_MS ms of CPU); RSS $((SERVE_RSS_KIB / 1024)) MiB"
  done
  if [ "$WARMUP" != 0 ]; then
    wrk -t"$WRK_THREADS" -c"$MAX_C" -d"$WARMUP" "$NGINX_URL/" >/dev/null
    for n in $REVOCATIONS; do
      wrk -t"$WRK_THREADS" -c"$MAX_C" -d"$WARMUP" -H "Authorization: Bearer ${VALID[$n]}" \
        "${SERVE_URLS[$n]}$FIRST_PATH" >/dev/null
    done
  fi
  row threads round c server revocations endpoint 'req/s' 'p50 us' 'p99 us' 'CPU us/req' ''
  for round in $(seq "$ROUNDS"); do
    for c in $CONNECTIONS; do
      run_one nginx "$threads" - "$FIRST_PATH" "$c" "$round" "$NGINX_URL" "${VALID[${REVOCATIONS%% *}]}" \
        "$NGINX_PID" "${NGINX_WORKERS[@]}"
      for n in $REVOCATIONS; do
        for path in $PATHS; do
          run_one valid "$threads" "$n" "$path" "$c" "$round" "${SERVE_URLS[$n]}" "${VALID[$n]}" \
            "${SERVE_PIDS[$n]}"
          run_one revoked "$threads" "$n" "$path" "$c" "$round" "${SERVE_URLS[$n]}" "${REVOKED[$n]}" \
            "${SERVE_PIDS[$n]}"
        done
      done
    done
    echo "load average after round $round: $(loadavg)"
  done
  for n in $REVOCATIONS; do
    echo "jwtguard serve --threads $threads, $n revocations: RSS after the runs" \
      "$(($(rss_kib "${SERVE_PIDS[$n]}") / 1024)) MiB"
  done
  if [ "$PROFILE" = 1 ] && [ "$profiled" = 0 ]; then
    n=${REVOCATIONS%% *}
    profile_run "${SERVE_PIDS[$n]}" "${SERVE_URLS[$n]}" "${VALID[$n]}" "$MAX_C"
    profiled=1
  fi
  for n in $REVOCATIONS; do stop_pid "${SERVE_PIDS[$n]}"; done
  stop_pid "$NGINX_PID"
done

# The ratios pair each jwtguard run with the nginx run of the same round and
# concurrency, minutes apart at most, so a slow spell of the machine weighs
# on both sides. Across rounds the median is reported (with the range), not
# the best: the best of the ratios would pick whichever round the noise
# favoured jwtguard in, and with the default two rounds the median is their
# mean. p99 is jwtguard's own median across rounds.
summarise() {
  awk -F '\t' -v rounds="$ROUNDS" '
    function median(key, which,   i, j, n, v, t) {
      n = count[key]
      for (i = 1; i <= n; i++) v[i] = vals[which, key, i]
      for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
        t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
      }
      lo = v[1]; hi = v[n]
      return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function ratio(key, which,   m) {
      m = median(key, which)
      return sprintf("%.2f (%.2f-%.2f)", m, lo, hi)
    }
    $4 == "nginx" { nginx_rps[$1, $2, $3] = $7; nginx_cpu[$1, $2, $3] = $10; next }
    {
      key = $1 SUBSEP $5 SUBSEP $6 SUBSEP $4 SUBSEP $3
      if (!(key in count)) { order[++keys] = key; count[key] = 0 }
      i = ++count[key]
      vals["cpu", key, i] = nginx_cpu[$1, $2, $3] > 0 ? $10 / nginx_cpu[$1, $2, $3] : 0
      vals["rps", key, i] = $7 / nginx_rps[$1, $2, $3]
      vals["p99", key, i] = $9
    }
    END {
      printf "\nSummary: jwtguard / nginx, each run paired with the nginx run of its round;\n"
      printf "median of %d rounds (range). CPU/request below 1 would mean jwtguard is cheaper.\n", rounds
      printf "%-7s %11s  %-13s %-7s %4s  %-18s %-18s %9s\n", "threads", "revocations", "endpoint",
             "token", "c", "CPU/request ratio", "req/s ratio", "p99 us"
      for (k = 1; k <= keys; k++) {
        split(order[k], f, SUBSEP)
        printf "%-7s %11s  %-13s %-7s %4s  %-18s %-18s %9.1f\n", f[1], f[2], f[3], f[4], f[5],
               ratio(order[k], "cpu"), ratio(order[k], "rps"), median(order[k], "p99")
        if (f[1] == 1 && f[5] == 128 && f[4] == "valid" && f[3] == "/auth/verify") {
          target[++targets] = sprintf("%s revocations: CPU/request %.2fx (target <= 1.15x), " \
            "throughput %.2fx (>= 0.9x), p99 %.2f ms (<= 2 ms)", f[2], median(order[k], "cpu"),
            median(order[k], "rps"), median(order[k], "p99") / 1000)
        }
      }
      printf "\nTargets, /auth/verify with a valid token, one I/O thread, c = 128:\n"
      if (!targets) print "  not measured (needs 1 in THREADS, 128 in CONNECTIONS, /auth/verify in PATHS)"
      for (k = 1; k <= targets; k++) print "  " target[k]
    }' "$RESULTS"
}
summarise
echo "load average at the end: $(loadavg)"
[ "$FAILURES" = 0 ] || die "$FAILURES check(s) failed: see the lines marked !! above"

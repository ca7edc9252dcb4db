#!/usr/bin/env bash
# The smoke test of bench/http_load.sh (ctest bench.http_smoke): one short
# round, one thread setting, a small preload, so that the script cannot rot
# unnoticed. It must finish without a failed check (its exit status) and
# print a summary row with numeric ratios for the valid and for the revoked
# token. The figures themselves are not checked: timings on a shared machine
# are noise, and a benchmark prints figures rather than asserting them.
#
# Usage: bench/http_load_smoke.sh BINARY
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
status=0
out=$(DURATION=1s ROUNDS=1 CONNECTIONS=8 THREADS=1 WARMUP=0 REVOCATIONS=1000 \
  PATHS=/auth/verify "$HERE/http_load.sh" "$1") || status=$?
echo "$out"
[ "$status" = 0 ] || { echo "http_load_smoke: http_load.sh failed ($status)" >&2; exit 1; }

ratio='[0-9]+\.[0-9]{2} \([0-9]+\.[0-9]{2}-[0-9]+\.[0-9]{2}\)'
for token in valid revoked; do
  re="^1 +1000 +/auth/verify +$token +8 +$ratio +$ratio +[0-9]+\.[0-9]$"
  found=0
  while IFS= read -r line; do
    if [[ $line =~ $re ]]; then found=1; fi
  done <<<"$out"
  [ "$found" = 1 ] || { echo "http_load_smoke: no summary row for the $token token" >&2; exit 1; }
done
echo "http_load_smoke: ok"

#!/usr/bin/env bash
# Store benchmarks (docs/benchmarks.md "Store"). One command:
#   bash bench/store.sh [COUNT]        (default 1000000)
# 1. durable write latency and sealed-read throughput through credd (one
#    keep-alive connection, curl), and the same directly on LmdbStore;
# 2. a store of COUNT credentials (written straight into LMDB by
#    credd_store_bench): credd start time, RSS after start, file size per
#    credential, and token lookups per second at COUNT relative to 1,000.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
count=${1:-1000000}
credd=$root/build/default/daemon/credd
bench=$root/build/default/bench/credd_store_bench
work=$(mktemp -d /tmp/credctl-bench.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"
far=$(($(date +%s) + 86400))
lookups=1000

start() {  # STATE -> sets pid and start_ms
  {
    printf 'socket = "%s"\nstate_dir = "%s"\nkey_file = "%s"\n[store]\ngenerate_key = false\n' \
      "$work/credd.sock" "$1" "$work/key"
    # PUT needs a configured provider; lookups read the store only.
    for i in $(seq 0 99); do printf '[providers.p%07d]\nissuer = "http://127.0.0.1:9"\nclient_id = "bench"\n' "$i"; done
  } >"$work/credd.toml"
  rm -f "$work/credd.sock"
  local t0=$(date +%s%N)
  "$credd" --config "$work/credd.toml" >/dev/null 2>>"$work/credd.log" &
  pid=$!
  until [ -S "$work/credd.sock" ]; do sleep 0.001; done
  start_ms=$((($(date +%s%N) - t0) / 1000000))
}
stop() { kill "$pid"; wait "$pid" || true; pid=; }
# Resident memory: total, and the anonymous part (the mapped store's pages
# that were read count as file-backed, shared with the page cache).
rss() { awk '/^VmRSS:/ {t=$2} /^RssAnon:/ {a=$2} END {printf "%d KiB (anonymous %d KiB)", t, a}' "/proc/$pid/status"; }
# LOOKUPS token requests for distinct random providers p0000000..p(N-1) on
# one connection, so that every one misses credd's token cache and reads the
# store; prints requests per second.
lookup_rate() {  # N [repeat: cycle through the first N instead]
  local ids
  if [ -n "${2:-}" ]; then ids=$(for i in $(seq 0 $((lookups - 1))); do echo $((i % $1)); done); else ids=$(shuf -i 0-$(($1 - 1)) -n "$lookups"); fi
  for i in $ids; do
    printf 'url = "http://localhost/v1/users/root/credentials/p%07d/token?min_valid=60"\noutput = "/dev/null"\n' "$i"
  done >"$work/urls"
  local t0=$(date +%s%N)
  curl -s --unix-socket "$work/credd.sock" -K "$work/urls" -w '%{http_code}\n' >"$work/codes"
  local ns=$(($(date +%s%N) - t0))
  [ "$(grep -c '^200$' "$work/codes")" -eq "$lookups" ] || { echo "lookups failed" >&2; sort "$work/codes" | uniq -c >&2; kill $$; }
  echo $((lookups * 1000000000 / ns))
}

echo "== durable writes and sealed reads through credd"
install -d -m 700 "$work/w"
start "$work/w"
printf '{"refresh_token":"%s","access_token":"%s","access_expires_at":%s}' \
  "$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" "$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" "$far" >"$work/put.json"
for i in $(seq 0 999); do
  printf 'url = "http://localhost/v1/users/root/credentials/p%07d"\noutput = "/dev/null"\n' $((i % 100))
done >"$work/puts"
curl -s --unix-socket "$work/credd.sock" -K "$work/puts" -X PUT --data-binary @"$work/put.json" \
  -w '%{http_code} %{time_total}\n' >"$work/put-times"
# curl's time_total restarts per transfer on a reused connection.
[ "$(grep -c '^204 ' "$work/put-times")" -eq 1000 ] || { echo "PUTs failed" >&2; exit 1; }
awk '{print $2 * 1000000}' "$work/put-times" | sort -n >"$work/put-us"
echo "PUT (fsync'd commit), 1000 on one connection: p50 $(sed -n 500p "$work/put-us" | cut -d. -f1) us, p99 $(sed -n 990p "$work/put-us" | cut -d. -f1) us"
echo "token reads through credd, 100 credentials cycled (served from the sealed cache): $(lookup_rate 100 repeat) requests/s"
stop
"$bench" write "$work/w" "$work/key" 1000 | sed 's/^/LmdbStore directly: /'

echo "== $count credentials"
declare -A rate
for n in 1000 "$count"; do
  install -d -m 700 "$work/s$n"
  "$bench" fill "$work/s$n" "$work/key" "$n" root
  bytes=$(stat -c %s "$work/s$n/data.mdb")
  echo "$n: data.mdb $bytes bytes = $((bytes / n)) bytes per credential"
  # Five rounds, each on a freshly started credd (empty token cache) with
  # 1000 distinct credentials; the median round counts.
  rates=()
  for round in 1 2 3 4 5; do
    start "$work/s$n"
    [ $round -eq 1 ] && echo "$n: credd start ${start_ms} ms (to a listening socket), RSS after start $(rss)"
    rates+=("$(lookup_rate "$n")")
    [ $round -eq 5 ] && echo "$n: RSS after the lookups $(rss)"
    stop
  done
  rate[$n]=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 3p)
  echo "$n: token lookups/s through credd (rounds: ${rates[*]}; median ${rate[$n]})"
  "$bench" read "$work/s$n" "$work/key" "$n" 3 root | sed 's/^/LmdbStore directly: /'
done
echo "lookup rate at $count relative to 1000: $(awk -v a="${rate[$count]}" -v b="${rate[1000]}" 'BEGIN {printf "%.2f", a / b}')"

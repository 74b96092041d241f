#!/usr/bin/env bash
# etcd's own latency, without credd: on a 3-member cluster on loopback (the
# cluster of the end-to-end tests and the etcd benchmarks,
# tests/integration/etcd.sh), a client on one kept connection to member 1
# times ROUNDS rounds of 200 linearizable ranges, 200 serializable ranges
# and 100 puts of a 400-byte value (about a sealed record) through the v3
# JSON gateway, and prints the median and p90 of each. What a refresh on the
# etcd backend cannot go below: one range and two transactions
# (docs/benchmarks.md, "One read of a record in flight, and kept
# connections").
# Usage: bench/etcd_latency.sh [ROUNDS]
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
work=$(mktemp -d /tmp/credctl-bench.XXXXXX)
# What etcd.sh takes from tests/integration/lib.sh.
extra_pids=()
wait_for() {  # TIMEOUT_SECONDS DESCRIPTION COMMAND...
  local tries=$(($1 * 20))
  shift 2
  until "$@"; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || return 1
    sleep 0.05
  done
}
. tests/integration/etcd.sh
cleanup() {
  local p
  for p in "${extra_pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
start_etcd_cluster 3
etcdctl --endpoints "$etcd_urls" endpoint health >/dev/null 2>&1 || { echo "etcd did not start" >&2; exit 1; }
echo "$(date -u '+%F %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "${etcd_client_urls[1]}" "$rounds" <<'PY'
import base64, http.client, json, statistics, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
def call(path, body):
    t = time.perf_counter()
    c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    c.getresponse().read()
    return (time.perf_counter() - t) * 1000
def stats(v):
    v = sorted(v)
    return "median %.2f ms, p90 %.2f ms" % (statistics.median(v), v[int(len(v) * 0.9)])
k = base64.b64encode(b"/bench/credentials/alice/demo").decode()
v = base64.b64encode(b"x" * 400).decode()
call("/v3/kv/put", {"key": k, "value": v})
for r in range(int(sys.argv[2])):
    lin = [call("/v3/kv/range", {"key": k}) for _ in range(200)]
    ser = [call("/v3/kv/range", {"key": k, "serializable": True}) for _ in range(200)]
    put = [call("/v3/kv/put", {"key": k, "value": v}) for _ in range(100)]
    print("round %d: range (linearizable) %s; range (serializable) %s; put %s" % (r + 1, stats(lin), stats(ser), stats(put)))
PY

#!/usr/bin/env bash
# Cached-token throughput through credd at 64 and 1 persistent clients,
# against a bare Unix-socket ping-pong of the same size in the same run
# (issue 16, goal 2: ratio >= 0.6 at both, p99 <= 2 ms at 64). Starts the
# local OpenID provider and a credd with an audit file, as packaged credd
# has, logs in (access tokens of 3600 s: every answer comes from the cache),
# then runs build/default/bench/credctl_bench_throughput (bench/throughput.cpp)
# for SECONDS per side and client count, in alternating rounds.
# Usage: bench/throughput.sh [SECONDS] [CLIENTS...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-6}
shift || true
[ $# -gt 0 ] || set -- 64 1
AUDIT=1
. bench/bench_lib.sh  # provider, credd, and a logged-in credential `demo`
target="/v1/users/$(id -un)/credentials/demo/token"
echo "$(date -u '+%F %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "credd idle after login: $(grep -E '^VmRSS' /proc/$credd_pid/status | tr -s ' ')"
for clients in "$@"; do
  "$root/build/default/bench/credctl_bench_throughput" "$CREDD_SOCKET" "$target" "$clients" "$seconds" 3 "$credd_pid"
done
echo "credd after the load: $(grep -E '^VmRSS' /proc/$credd_pid/status | tr -s ' ')"

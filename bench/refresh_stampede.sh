#!/usr/bin/env bash
# Expiry stampede: N = 1, 100, 1000 concurrent callers ask credd for a token
# (default min_valid, 60 s) just after it stopped being good enough: the
# provider issues 66 s tokens, and each round starts 7 s after the last
# refresh. Prints, per N, the number of upstream refreshes (goal 1) and the
# latency of the last caller (goal: one refresh + 20 ms), then the same N
# again at once from the cache.
# The first round also pays for discovery (credd learns the endpoints once).
# The load generator is bench/stampede.cpp (credctl_bench_stampede, built
# with everything); CLIENT=python uses the older bench/stampede.py instead.
# Usage: bench/refresh_stampede.sh [N...]
set -euo pipefail
cd "$(dirname "$0")/.."
AUDIT=1 ACCESS_TTL=66 . bench/bench_lib.sh
token_path="/v1/users/$(id -un)/credentials/demo/token"
stampede() {
  if [ "${CLIENT:-}" = python ]; then
    python3 bench/stampede.py "$CREDD_SOCKET" "$token_path" "$1"
  else
    "$root/build/default/bench/credctl_bench_stampede" "$CREDD_SOCKET" "$token_path" "$1" "$credd_pid"
  fi
}
for n in ${@:-1 100 1000}; do
  sleep 7   # the cached token now has less than 60 s left
  before=$(refreshes)
  out=$(stampede "$n")
  echo "N=$n upstream_refreshes=$(($(refreshes) - before)) provider_ms=$(pstat refresh_ms_last) $out"
  # The same N again at once, served from the cache: the cost of fan-out alone.
  before=$(refreshes)
  out=$(stampede "$n")
  echo "  cached, no refresh: upstream_refreshes=$(($(refreshes) - before)) $out"
done

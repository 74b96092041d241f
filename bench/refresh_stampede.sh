#!/usr/bin/env bash
# Expiry stampede: N = 1, 100, 1000 concurrent callers ask credd for a token
# (default min_valid, 60 s) just after it stopped being good enough: the
# provider issues 66 s tokens, and each round starts 7 s after the last
# refresh. Prints, per N, the number of upstream refreshes (goal 1) and the
# latency of the last caller (goal: one refresh + 20 ms).
# The first round also pays for discovery (credd learns the endpoints once).
# Usage: bench/refresh_stampede.sh [N...]
set -euo pipefail
cd "$(dirname "$0")/.."
ACCESS_TTL=66 . bench/bench_lib.sh
token_path="/v1/users/$(id -un)/credentials/demo/token"
for n in ${@:-1 100 1000}; do
  sleep 7   # the cached token now has less than 60 s left
  before=$(refreshes)
  out=$(python3 bench/stampede.py "$CREDD_SOCKET" "$token_path" "$n")
  echo "N=$n upstream_refreshes=$(($(refreshes) - before)) provider_ms=$(pstat refresh_ms_last) $out"
  # The same N again at once, served from the cache: the cost of fan-out alone.
  before=$(refreshes)
  out=$(python3 bench/stampede.py "$CREDD_SOCKET" "$token_path" "$n")
  echo "  cached, no refresh: upstream_refreshes=$(($(refreshes) - before)) $out"
done

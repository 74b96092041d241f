#!/usr/bin/env bash
# Median wall time of N runs of `credctl token demo` (cached token, no
# upstream call: the access token lives 3600 s) next to N runs of /bin/true,
# against a real credd and the local OpenID provider.
# Usage: bench/token_latency.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
. bench/bench_lib.sh  # provider, credd, and a logged-in credential `demo`

median_us() {  # command...
  local times=()
  for _ in $(seq "$n"); do
    local s=$(date +%s%N)
    "$@" >/dev/null
    times+=($((($(date +%s%N) - s) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((n + 1) / 2))p"
}
echo "runs: $n"
echo "credctl token demo: median $(median_us "$credctl" token demo) us"
echo "/bin/true:          median $(median_us /bin/true) us"

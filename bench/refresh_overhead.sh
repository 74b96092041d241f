#!/usr/bin/env bash
# Refresh overhead: the time of one forced refresh through credd (request on
# the Unix socket -> refresh at the provider -> durable commits -> answer)
# minus the provider's own handling time for that refresh (measured inside
# the provider, tests/oidc/provider.mjs refresh_ms_last). N sequential runs;
# prints the median and 90th percentile of both and of the difference.
# Usage: bench/refresh_overhead.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
. bench/bench_lib.sh
total=() provider=() overhead=()
for _ in $(seq "$n"); do
  t=$(curl -s -o /dev/null -w '%{time_total}' --unix-socket "$CREDD_SOCKET" "http://localhost$token_path")
  p=$(pstat refresh_ms_last)
  total+=("$(python3 -c "print(round($t * 1000, 3))")")
  provider+=("$p")
  overhead+=("$(python3 -c "print(round($t * 1000 - $p, 3))")")
done
pct() { printf '%s\n' "$@" | sort -g | python3 -c 'import sys
v=[float(x) for x in sys.stdin]
print("median %.2f ms, p90 %.2f ms" % (v[len(v)//2], v[int(len(v)*0.9)]))'; }
echo "refreshes: $n (upstream: $(refreshes))"
echo "through credd:        $(pct "${total[@]}")"
echo "inside the provider:  $(pct "${provider[@]}")"
echo "credd overhead:       $(pct "${overhead[@]}")"

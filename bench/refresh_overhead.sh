#!/usr/bin/env bash
# Refresh overhead: the time of one forced refresh through credd (request on
# the Unix socket -> refresh at the provider -> durable commits -> answer)
# minus the provider's own handling time for that refresh (measured inside
# the provider, tests/oidc/provider.mjs refresh_ms_last). N sequential runs;
# prints the median and 90th percentile of both and of the difference.
# With --store etcd, each of the N runs is one refresh through the
# LMDB-backed credd then one through an etcd-backed credd (a 3-member
# cluster on loopback, bench/etcd_lib.sh; its own login), so that the load
# of the machine hits both alike; it prints both, the difference of the
# medians of credd's overhead, and the verdict against issue 14's goal:
# etcd at most 10 ms more than LMDB.
# With AGAINST_CREDD=BINARY instead, the second side is a credd of that
# build on LMDB (bench/bench_lib.sh), so that two builds are measured side
# by side; it prints the difference of their medians of credd's overhead.
# Usage: [AGAINST_CREDD=BINARY] bench/refresh_overhead.sh [--store etcd] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
store=lmdb
[ "${1:-}" != --store ] || { store=$2; shift 2; }
[ -z "${AGAINST_CREDD:-}" ] || [ "$store" = lmdb ] || { echo "AGAINST_CREDD is for the LMDB store" >&2; exit 2; }
n=${1:-50}
. bench/bench_lib.sh
[ "$store" = lmdb ] || . bench/etcd_lib.sh
sides=("$CREDD_SOCKET")
names=("credd on LMDB" "credd on etcd")
[ "$store" = lmdb ] || sides+=("$work/run1/credd.sock")
if [ -n "${AGAINST_CREDD:-}" ]; then
  start_against_credd
  sides+=("$against_socket")
  names=("credd ($credd)" "against ($AGAINST_CREDD)")
fi
total=() provider=() overhead=()
# One forced refresh through the credd on socket $1; adds to the lists of side $2.
refresh_once() {
  local t p
  t=$(curl -sf -o /dev/null -w '%{time_total}' --unix-socket "$1" "http://localhost$token_path")
  p=$(pstat refresh_ms_last)
  total[$2]+="$(python3 -c "print(round($t * 1000, 3))") "
  provider[$2]+="$p "
  overhead[$2]+="$(python3 -c "print(round($t * 1000 - $p, 3))") "
}
# With two sides, each goes first in every other round: neither always
# follows the other's refresh.
for i in $(seq "$n"); do
  order=("${!sides[@]}")
  if [ "${#sides[@]}" = 2 ] && [ $((i % 2)) = 0 ]; then order=(1 0); fi
  for s in "${order[@]}"; do refresh_once "${sides[s]}" "$s"; done
done
# Each forced refresh must reach the provider: fewer means a credd answered
# from its cache (its pace of refreshes on, bench_lib.sh), not a refresh.
if [ "$(refreshes)" -lt $((n * ${#sides[@]})) ]; then
  echo "only $(refreshes) upstream refreshes for $((n * ${#sides[@]})) forced ones: not a measure of refreshes" >&2
  exit 1
fi
pct() { printf '%s\n' $1 | sort -g | python3 -c 'import sys
v=[float(x) for x in sys.stdin]
print("median %.2f ms, p90 %.2f ms" % (v[len(v)//2], v[int(len(v)*0.9)]))'; }
median() { printf '%s\n' $1 | sort -g | python3 -c 'import sys; v=[float(x) for x in sys.stdin]; print(v[len(v)//2])'; }
echo "$(date -u '+%F %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "refreshes: $n per side (upstream: $(refreshes))"
for s in "${!sides[@]}"; do
  [ "${#sides[@]}" = 1 ] || echo "--- ${names[s]}"
  echo "through credd:        $(pct "${total[s]}")"
  echo "inside the provider:  $(pct "${provider[s]}")"
  echo "credd overhead:       $(pct "${overhead[s]}")"
done
[ "${#sides[@]}" = 2 ] || exit 0
diff=$(python3 -c "print(round($(median "${overhead[1]}") - $(median "${overhead[0]}"), 2))")
if [ "$store" = lmdb ]; then
  echo "against - credd, median overhead: $diff ms"
  exit 0
fi
echo "etcd - LMDB, median overhead: $diff ms"
echo "goal, at most 10 ms more on etcd: $(python3 -c "print('met' if $diff <= 10 else 'missed')")"

#!/usr/bin/env bash
# Cold start under socket activation: the median wall time of a
# `credctl status` that connects to a freshly passed socket while credd is
# being started on it (config, master key, LMDB open, first answer), next to
# the same call against the already running credd. N runs each.
# Usage: bench/activation_latency.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=${1:-20}
credd=$root/build/default/daemon/credd
credctl=$root/build/default/cli/credctl
work=$(mktemp -d /tmp/credctl-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf 'state_dir = "%s"\n' "$work/state" >"$work/credd.toml"
ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$work/cold"; : >"$work/warm"
for _ in $(seq "$n"); do
  python3 tests/integration/sd_activate.py "$work/credd.sock" -- "$credd" --config "$work/credd.toml" 2>/dev/null &
  pid=$!
  while [ ! -S "$work/credd.sock" ]; do sleep 0.001; done
  t0=$(ms); "$credctl" --socket "$work/credd.sock" status >/dev/null; t1=$(ms)
  echo $(((t1 - t0) / 1000)) >>"$work/cold"
  t0=$(ms); "$credctl" --socket "$work/credd.sock" status >/dev/null; t1=$(ms)
  echo $(((t1 - t0) / 1000)) >>"$work/warm"
  kill "$pid"; wait "$pid" || true
  rm -f "$work/credd.sock"
done
echo "socket-activated cold start, first status: median $(median <"$work/cold") us over $n runs"
echo "same daemon, second status:               median $(median <"$work/warm") us over $n runs"

#!/usr/bin/env bash
# `credctl` against /bin/true, side by side in one run (issue 16, goal 1):
# starts the local OpenID provider and a credd, logs in (access tokens of
# 3600 s, so every run below is served from credd's cache), then runs the
# closed-loop spawner build/default/bench/credctl_bench_spawn (1 worker,
# interleaved rounds, at least SECONDS of each side) on four pairs:
#   credctl token demo                           vs /bin/true
#   credctl token -o git-credential demo get     vs /bin/true  (stdin: a git request)
#   credctl token -o exec-credential demo        vs /bin/true
#   credctl exec demo -- /bin/true               vs /bin/true
#   the floor: credctl_bench_token_floor demo    vs /bin/true
# (the floor, bench/token_floor.cpp, takes credctl token's steps and
# nothing else, linked as credctl is: the ratio no credctl can go below on
# the machine at hand) and prints p50/p90/p99 of both sides and the ratio A/B (goal: p50 <= 1.5).
# Usage: bench/token_startup.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-2}
. bench/bench_lib.sh  # provider, credd, and a logged-in credential `demo`
spawn=$root/build/default/bench/credctl_bench_spawn
printf 'protocol=https\nhost=example.com\n\n' >"$work/git-request"
echo "$(date -u '+%F %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "credctl: $("$credctl" --version)"
pair() {  # title, spawner args...
  echo "== $1"
  shift
  "$spawn" -t "$seconds" "$@"
}
pair "credctl token demo" -- "$credctl" token demo ::: /bin/true
pair "credctl token -o git-credential demo get" -i "$work/git-request" -- \
  "$credctl" token -o git-credential demo get ::: /bin/true
pair "credctl token -o exec-credential demo" -- "$credctl" token -o exec-credential demo ::: /bin/true
pair "credctl exec demo -- /bin/true" -- "$credctl" exec demo -- /bin/true ::: /bin/true
pair "floor: credctl token's steps alone (bench/token_floor.cpp)" -- \
  "$root/build/default/bench/credctl_bench_token_floor" demo ::: /bin/true

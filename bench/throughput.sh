#!/usr/bin/env bash
# Cached-token throughput through credd at 64 and 1 persistent clients,
# against a bare Unix-socket ping-pong of the same size in the same run
# (issue 16, goal 2: ratio >= 0.6 at both, p99 <= 2 ms at 64). Starts the
# local OpenID provider and a credd with an audit file, as packaged credd
# has, logs in (access tokens of 3600 s: every answer comes from the cache),
# then runs build/default/bench/credctl_bench_throughput (bench/throughput.cpp)
# for SECONDS per side and client count, in alternating rounds.
# With --store etcd, the two sides are an etcd-backed credd (a 3-member
# cluster on loopback, bench/etcd_lib.sh) and the LMDB-backed one, each with
# its own login, and it prints the verdict against issue 14's goal: etcd ≥
# 0.9 × LMDB at 64 clients.
# With AGAINST_CREDD=BINARY instead, the second side is a credd of that
# build on LMDB (bench/bench_lib.sh), so that two builds are measured side
# by side in alternating rounds: the ratio is credd / against.
# Usage: [AGAINST_CREDD=BINARY] bench/throughput.sh [--store etcd] [SECONDS] [CLIENTS...]
set -euo pipefail
cd "$(dirname "$0")/.."
store=lmdb
[ "${1:-}" != --store ] || { store=$2; shift 2; }
[ -z "${AGAINST_CREDD:-}" ] || [ "$store" = lmdb ] || { echo "AGAINST_CREDD is for the LMDB store" >&2; exit 2; }
seconds=${1:-6}
shift || true
[ $# -gt 0 ] || set -- 64 1
AUDIT=1
. bench/bench_lib.sh  # provider, credd, and a logged-in credential `demo`
[ "$store" = lmdb ] || . bench/etcd_lib.sh  # and an etcd-backed credd with its own `demo`
[ -z "${AGAINST_CREDD:-}" ] || start_against_credd
target="/v1/users/$(id -un)/credentials/demo/token"
echo "$(date -u '+%F %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "credd idle after login: $(grep -E '^VmRSS' /proc/$credd_pid/status | tr -s ' ')"
for clients in "$@"; do
  if [ "$store" = lmdb ]; then
    "$root/build/default/bench/credctl_bench_throughput" "$CREDD_SOCKET" "$target" "$clients" "$seconds" 3 "$credd_pid" \
      ${AGAINST_CREDD:+"$against_socket" "$against_pid"}
    continue
  fi
  echo "credd = on etcd, against = on LMDB"
  out=$("$root/build/default/bench/credctl_bench_throughput" "$fleet_sockets" "$target" "$clients" "$seconds" 3 \
    "$fleet_pid_list" "$CREDD_SOCKET" "$credd_pid")
  echo "$out"
  ratio=$(sed -n 's/^ratio credd\/against //p' <<<"$out")
  [ "$clients" -ne 64 ] ||
    echo "goal at 64 clients, etcd ≥ 0.9 × LMDB: $(python3 -c "print('met' if $ratio >= 0.9 else 'missed')") ($ratio)"
done
echo "credd after the load: $(grep -E '^VmRSS' /proc/$credd_pid/status | tr -s ' ')"

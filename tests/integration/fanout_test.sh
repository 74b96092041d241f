#!/usr/bin/env bash
# End-to-end: batch fan-out of one uid under the default limits. 1000
# concurrent `credctl token` of one real test user, all connected while credd
# is stopped, so that they arrive at once, far over max_connections_per_uid
# (64). Connections over the limit must wait their turn, not be refused: all
# 1000 succeed. Meanwhile another uid is served quickly. No limit is raised.
# Usage: fanout_test.sh CREDD CREDCTL (as root, as in CI)
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
callers=1000
batch=credctl-fan

if [ "$(id -u)" -ne 0 ]; then
  bad "this test runs callers as a test user and needs root (as CI runs it)"
  finish
fi
ensure_user "$batch"
start_provider
write_config "$work/credd.toml"
expect "credd starts with the default limits" start_credd "$work/credd.toml"
as_user "$batch" env BROWSER="$oidc/browser" HOME="$work" "$credctl" login demo >/dev/null 2>"$work/login.err"
expect "$batch logs in as its own uid" test $? -eq 0
expect "root logs in too" login_demo 2>"$work/root-login.err"
expect "$batch gets a token" test -n "$(as_user "$batch" "$credctl" token demo)"

# Every caller connects and sends its request while credd is stopped.
kill -STOP "$credd_pid"
pids=()
for i in $(seq "$callers"); do
  as_user "$batch" "$credctl" token demo >"$work/t.$i" 2>"$work/e.$i" &
  pids+=($!)
done
# The listening socket's Recv-Q is its accept queue.
queued() { ss -xlH 2>/dev/null | awk -v p="$CREDD_SOCKET" '$5 == p { print $3 }'; }
all_connected() { connected=$(queued); [ "${connected:-0}" -ge "$callers" ]; }
wait_for 60 "all $callers callers to be in credd's accept queue" all_connected
echo "$connected connections in credd's socket queue"
kill -CONT "$credd_pid"
probe=$(python3 "$root/tests/integration/latency_probe.py" "$CREDD_SOCKET" \
  "/v1/users/root/credentials/demo/token" 20 "$work/done")
read -r count median p90 max refused <<<"$probe"
failures=0
for pid in "${pids[@]}"; do wait "$pid" || failures=$((failures + 1)); done
touch "$work/done"
echo "root's token while $callers callers of $batch are served: $count requests, median $median ms, p90 $p90 ms, max $max ms"
expect "all $callers concurrent credctl token calls of one uid succeed (failures: $failures)" test "$failures" -eq 0
[ "$failures" -eq 0 ] || cat "$work"/e.* | sort | uniq -c | sort -rn | head -5
empty=0
for i in $(seq "$callers"); do [ -s "$work/t.$i" ] || empty=$((empty + 1)); done
expect "they all printed a token (empty: $empty)" test "$empty" -eq 0
expect "root was answered every time (refused: $refused)" test "$refused" = "-"
expect "root is served quickly meanwhile (median $median ms < 100 ms)" \
  python3 -c "import sys; sys.exit(0 if $median < 100 else 1)"
expect "credd still serves" "$credctl" status
finish

#!/usr/bin/env bash
# End-to-end: the callers that wait for one refresh get their answers before
# credd tears down any of their connections. 500 requests join one refresh
# whose answer the provider holds; once it is released, credd wakes them
# all at once, and each answer must be written before the first of their
# connections is closed (waiters_answered_first.py): a finished connection's
# teardown (taking it out of the reactor, handing it to the closer) waits
# behind the answers still to write, so that the last caller of a stampede
# is not answered later for the sake of the first ones' teardown.
# Usage: refresh_waiters_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
waiters=500

start_provider --access-ttl 3600
write_config "$work/credd.toml"
# All the waiters served at once, none kept waiting for a slot of its uid.
sed -i "s/^idle_timeout_seconds = 5$/idle_timeout_seconds = 60\nmax_connections_per_uid = $((waiters + 16))/" \
  "$work/credd.toml"
audit_to "$work/credd.toml"
expect "credd starts" start_credd "$work/credd.toml"
expect "login succeeds" login_demo 2>"$work/login.err"

reset_stats
hold_refresh_answers
# min_valid over the token's lifetime: the first request starts a refresh,
# the others join it.
out=$(python3 "$root/tests/integration/waiters_answered_first.py" "$CREDD_SOCKET" \
  "/v1/users/$(id -un)/credentials/demo/token?min_valid=86400" "$work/audit.jsonl" "$waiters" \
  "$issuer/_test/release"); rc=$?
echo "$out"
expect "every waiter's answer was written before credd closed any of their connections ($out)" test "$rc" -eq 0
expect "one upstream refresh for the $waiters waiters" test "$(pstat token_requests.refresh_token)" -eq 1
expect "credd still serves" "$credctl" status
finish

#!/usr/bin/env bash
# End-to-end: a refresh lock outlives a renewal of its lease that failed
# (docs/fleet.md "The refresh lock"). credd on a 1-member etcd cluster, a
# 9 s lease (renewed every 3 s) and a 1 s request timeout. The provider
# holds the answer of a refresh; meanwhile the member is frozen (SIGSTOP)
# until a renewal has failed, then runs again (SIGCONT):
# - the lock still stands a lease after the failure: credd renewed it again
#   rather than letting it run out under the refresh;
# - once the provider answers, the refresh commits: the caller gets the new
#   token, the credential stays valid, one refresh at the provider.
# Usage: etcd_lease_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"
# A stopped member ignores the cleanup's SIGTERM: let it run first.
trap 'kill -CONT "${etcd_pids[@]}" 2>/dev/null; lib_cleanup' EXIT
lease=9

start_provider --access-ttl 3600
start_etcd_cluster 1
new_master_key
# The held answer comes later than the provider timeout's default (15 s).
etcd_credd_config 1 /lease-test/ "lease_seconds = $lease
request_timeout_seconds = 1" "[limits]
provider_timeout_seconds = 60"
expect "credd starts on etcd" start_fleet_credd 1
on 1 login_demo 2>>"$work/login.err"
expect "a login succeeds" test $? -eq 0

reset_stats
hold_refresh_answers
(on 1 "$credctl" token --min-valid 7200 demo >"$work/token.out" 2>"$work/token.err"; echo $? >"$work/token.rc") &
spent() { [ "$(pstat token_requests.refresh_token)" -eq 1 ]; }
expect "credd took the lock and the provider rotated the token" wait_for 10 "the provider to rotate" spent
lock_held() { [ -n "$(etcd_get_prefix /lease-test/locks/)" ]; }
expect "credd holds the refresh lock" lock_held

# A renewal starts within 3 s and fails 1 s later. The last one that
# succeeded came at most 4 s before that failure, so the lease ends no
# sooner than 5 s after it unless renewed again, and no later than 8 s.
kill -STOP "${etcd_pids[1]}"
renewal_failed() { grep -q "the refresh lock of credentials/" "$work/credd1.log"; }
expect "a renewal fails while etcd is frozen" wait_for 10 "a failed renewal in credd's log" renewal_failed
kill -CONT "${etcd_pids[1]}"
lock_gone() { ! lock_held; }
expect "the lock still stands a lease after the failure" \
  test "$(wait_for $((lease + 1)) "the lock to end" lock_gone 2>/dev/null; echo $?)" -eq 1
expect "credd renewed it again (log)" grep -q "was renewed again" "$work/credd1.log"

expect "the provider's answer, held until now, goes to credd" released 1
expect "the caller gets its answer" wait_for 15 "the caller" test -s "$work/token.rc"
expect "a token (exit $(cat "$work/token.rc"): $(cat "$work/token.err"))" test "$(cat "$work/token.rc")" -eq 0
expect "the token is printed" test -s "$work/token.out"
expect "the credential stays valid" test "$(on 1 cred_state demo)" = valid
expect "one refresh at the provider" test "$(pstat token_requests.refresh_token)" -eq 1
expect "and no refused refresh" test "$(pstat token_errors.refresh_token)" -eq 0
expect "the lock is released" lock_gone

finish

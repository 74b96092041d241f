#!/usr/bin/env bash
# End-to-end: one refresh fleet-wide (docs/fleet.md "The refresh lock"). A
# 3-member etcd cluster, the real provider with rotation and reuse detection,
# and three credds sharing one prefix and one master key, standing for three
# hosts:
# - an expiry stampede of 300 callers spread over the three: exactly one
#   refresh at the provider, every caller the same new token, no refused
#   refresh, and the rotated refresh token works for the next refresh;
# - the etcd leader killed while the fleet waits on a refresh: one refresh,
#   no caller error;
# - the credd holding the lock killed after the provider rotated the token
#   and before it committed: another credd waits out the lease, does not
#   replay the old refresh token (the provider sees it once), and the
#   credential ends login_required, never forked;
# - the holder SIGSTOPped past its lease, then SIGCONTed: another credd has
#   marked the credential login_required meanwhile, the late commit is
#   refused and the stopped credd's caller gets an error (exit 5), not a
#   token.
# Usage: etcd_stampede_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"
# The new token must outlive the stampede: on a machine where a process
# start costs 8 ms, 300 callers and the provider's 1 s delay take 4-6 s.
access_ttl=10
lease_seconds=3
etcd_timeout=5
per_host=100
# Under the sanitizers every process is several times slower: 300 callers
# take seconds to start on 2 cores, a holder starved of CPU past a 3 s lease
# is (rightly) taken for dead and the credential ends login_required, and
# etcd calls of starved credds run past 5 s. Fewer callers, longer lifetimes,
# leases and etcd timeouts keep the test about the fleet's logic (one
# refresh, no replay, no fork) rather than the machine's speed.
if ldd "$credctl" | grep -q 'libasan\.so'; then access_ttl=15 lease_seconds=10 etcd_timeout=15 per_host=30; fi

start_provider --access-ttl "$access_ttl"
start_etcd_cluster 3
new_master_key
start_host() {  # INDEX
  etcd_credd_config "$1" /stampede/ "lease_seconds = $lease_seconds
request_timeout_seconds = $etcd_timeout" '
[limits]
idle_timeout_seconds = 30'
  start_fleet_credd "$1"
}
# start_callers NAME: per_host token callers on each credd, in the
# background (pids in `pids`); tokens in $work/NAME.out.*, errors in
# $work/NAME.err.*. wait_callers NAME: waits for them, counts in `failures`
# those that failed and shows what they said.
start_callers() {
  pids=()
  for i in $(seq "$per_host"); do
    for h in 1 2 3; do
      on "$h" "$credctl" token demo --min-valid 1 >"$work/$1.out.$h.$i" 2>"$work/$1.err.$h.$i" &
      pids+=($!)
    done
  done
}
wait_callers() {
  failures=0
  for pid in "${pids[@]}"; do wait "$pid" || failures=$((failures + 1)); done
  [ "$failures" -eq 0 ] || cat "$work/$1".err.* | sort | uniq -c | head -5
}
for i in 1 2 3; do expect "credd $i starts on etcd" start_host "$i"; done

on 1 login_demo 2>>"$work/login.err"
expect "a login through credd 1 succeeds" test $? -eq 0
first=$(on 1 "$credctl" token demo --min-valid 1)
for i in 2 3; do
  expect "credd $i serves the login's token" test "$(on "$i" "$credctl" token demo --min-valid 1)" = "$first"
done

# --- expiry stampede across the fleet ----------------------------------------------
sleep "$access_ttl"   # a real wait: the access token expires now
reset_stats
curl -sf -X POST "$issuer/_test/delay?ms=1000" >/dev/null
start_callers t
wait_callers t
expect "all $((3 * per_host)) callers on 3 credds succeed (failures: $failures)" test "$failures" -eq 0
expect "exactly one upstream refresh for the fleet" test "$(pstat token_requests.refresh_token)" -eq 1
expect "the provider refused no refresh (no reuse detected)" test "$(pstat token_errors.refresh_token)" -eq 0
expect "every caller got the same token" test "$(cat "$work"/t.out.* | sort -u | wc -l)" -eq 1
new=$(cat "$work/t.out.3.1")
expect "a new token, accepted by the provider" bash -c "[ '$new' != '$first' ] && curl -sf -H 'Authorization: Bearer $new' '$issuer/me' >/dev/null"
expect "no refresh lock is left in etcd" test -z "$(etcd_get_prefix /stampede/locks/)"

curl -sf -X POST "$issuer/_test/delay?ms=0" >/dev/null
sleep "$access_ttl"
again=$(on 2 "$credctl" token demo --min-valid 1)
expect "the next refresh, through another credd, uses the rotated token" test -n "$again" -a "$again" != "$new"
expect "still no refused refresh" test "$(pstat token_errors.refresh_token)" -eq 0

# --- the etcd leader killed while the fleet waits on a refresh -------------------
sleep "$access_ttl"
reset_stats
curl -sf -X POST "$issuer/_test/delay?ms=1500" >/dev/null
leader=$(etcd_leader_index)
expect "the cluster has a leader (member ${leader:-none})" test -n "$leader"
# One caller starts the refresh; the leader is killed as soon as its lock is
# in etcd, and only then do the 300 others start (forking them can take
# longer than the provider's delay on a loaded machine: killed after them,
# the leader could die after the refresh was over).
on 1 "$credctl" token demo --min-valid 1 >"$work/l.out.0.0" 2>"$work/l.err.0.0" &
first_caller=$!
in_flight() { [ -n "$(etcd_get_prefix /stampede/locks/ 2>/dev/null)" ]; }
expect "a credd took the refresh lock" wait_for 10 "the refresh lock" in_flight
kill_etcd_member "$leader"
start_callers l
pids+=("$first_caller")
wait_callers l
expect "with the leader killed mid-stampede, no caller fails (failures: $failures)" test "$failures" -eq 0
expect "still exactly one upstream refresh" test "$(pstat token_requests.refresh_token)" -eq 1
expect "and no refused refresh" test "$(pstat token_errors.refresh_token)" -eq 0
expect "every caller got the same token" test "$(cat "$work"/l.out.* | sort -u | wc -l)" -eq 1
curl -sf -X POST "$issuer/_test/delay?ms=0" >/dev/null

# --- the lock holder dies between the provider's answer and its commit -----------
sleep "$access_ttl"
reset_stats
hold_refresh_answers
on 1 "$credctl" token demo --min-valid 1 >/dev/null 2>&1 &
holder_call=$!
spent() { [ "$(pstat token_requests.refresh_token)" -eq 1 ]; }
expect "credd 1 took the lock and the provider rotated the token" wait_for 10 "the provider to rotate" spent
expect "credd 1 holds the refresh lock" test -n "$(etcd_get_prefix /stampede/locks/)"
kill -KILL "${fleet_pids[1]}"
wait "${fleet_pids[1]}" 2>/dev/null
wait "$holder_call" 2>/dev/null
expect "the provider's answer went to the dead holder" released 1
start=$(now_ms)
on 2 "$credctl" token demo --min-valid 1 >/dev/null 2>"$work/takeover.err"
rc=$?
took=$(($(now_ms) - start))
expect "credd 2 answers login_required (exit 4, got $rc)" test "$rc" -eq 4
expect "after the dead holder's lease ran out (${took} ms)" test "$took" -ge 1000
expect "saying the refresh was interrupted" grep -q "was interrupted" "$work/takeover.err"
expect "the provider saw the old refresh token once" test "$(pstat token_requests.refresh_token)" -eq 1
expect "and refused nothing (no replay)" test "$(pstat token_errors.refresh_token)" -eq 0
expect "credd 3 agrees: login_required" test "$(on 3 cred_state demo)" = login_required

# --- the holder stopped past its lease, then resumed --------------------------------
on 3 login_demo 2>>"$work/login.err"
expect "a new login through credd 3 succeeds" test $? -eq 0
on 2 "$credctl" token demo --min-valid 1 >/dev/null
sleep "$access_ttl"
reset_stats
hold_refresh_answers
(on 2 "$credctl" token demo --min-valid 1 >"$work/late.out" 2>"$work/late.err"; echo $? >"$work/late.rc") &
expect "credd 2 took the lock and the provider rotated the token" wait_for 10 "the provider to rotate" spent
kill -STOP "${fleet_pids[2]}"
on 3 "$credctl" token demo --min-valid 1 >/dev/null 2>"$work/stopped.err"
rc=$?
expect "while credd 2 is stopped past its lease, credd 3 answers login_required (got $rc)" test "$rc" -eq 4
kill -CONT "${fleet_pids[2]}"
expect "the provider's answer, held until now, goes to credd 2" released 1
expect "credd 2's caller gets its answer after SIGCONT" wait_for 15 "credd 2's caller" test -s "$work/late.rc"
expect "an error, not a token the fleet cannot refresh (exit $(cat "$work/late.rc"))" test "$(cat "$work/late.rc")" -eq 5
expect "no token printed" test ! -s "$work/late.out"
expect "saying another credd changed the credential" grep -q "changed by another credd" "$work/late.err"
expect "the late commit did not land: login_required on credd 3" test "$(on 3 cred_state demo)" = login_required
expect "the provider saw that refresh token once, refused nothing" \
  test "$(pstat token_requests.refresh_token)" -eq 1 -a "$(pstat token_errors.refresh_token)" -eq 0

finish

#!/usr/bin/env bash
# End-to-end: keep-alive on a fleet (docs/fleet.md "The refresh lock",
# docs/design.md "Keep-alive"). One etcd member, the real provider whose
# refresh tokens idle out (--refresh-ttl, rotated ones included) and two
# credds sharing the store with keep_alive_days below the idle time: both
# schedule the credential, one host refreshes it each period, the rotated
# refresh token is never sent twice (the provider would revoke the grant),
# and the credential still works on either host past the idle time.
# Usage: etcd_keep_alive_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"

idle=10                 # the provider's refresh token lifetime, seconds
keep_alive_days=0.00005 # 4 s: refreshed every 3.6 to 4 s
start_provider --access-ttl 3600 --refresh-ttl "$idle"
start_etcd_cluster 1
new_master_key

fleet_config() { etcd_credd_config "$1" /keep-alive-test/ "" "keep_alive_days = $keep_alive_days"; }  # INDEX
start_host() { fleet_config "$1" && start_fleet_credd "$1"; }  # INDEX
past() { [ "$(date +%s)" -ge "$1" ]; }  # EPOCH_SECONDS

expect "credd 1 starts on etcd" start_host 1
expect "credd 2 starts on etcd" start_host 2
on 1 login_demo 2>>"$work/login.err"
expect "a login through credd 1" test $? -eq 0
reset_stats
start=$(date +%s)
gone=$((start + idle + 6))
wait_for 40 "the idle time to pass" past "$gone"
elapsed=$(($(date +%s) - start))
n=$(pstat token_requests.refresh_token)
# One host: a refresh every 3.6 to 4 s (plus up to a second of timestamp
# rounding); two hosts each refreshing would make about twice as many.
expect "the credential was kept alive ($n refreshes in $elapsed s)" test "$n" -ge 3
expect "by one host at a time: at most one refresh per 3 s" test "$n" -le $((elapsed / 3 + 1))
expect "no refresh token was refused (none sent twice)" test "$(pstat token_errors.refresh_token)" -eq 0
tok=$(on 2 "$credctl" token demo --min-valid 7200 2>"$work/alive2.err")
expect "past the idle time, a refresh through credd 2 works" test -n "$tok"
tok=$(on 1 "$credctl" token demo --min-valid 7200 2>"$work/alive1.err")
expect "and then through credd 1" test -n "$tok"
expect "and its token is accepted" userinfo_ok "$tok"
expect "neither host logged a failed keep-alive" \
  bash -c "! grep -h 'keep-alive: the refresh of' '$work/credd1.log' '$work/credd2.log'"

finish

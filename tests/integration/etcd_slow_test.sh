#!/usr/bin/env bash
# End-to-end: a stalled etcd holds only the callers that need it
# (docs/fleet.md "Blocking"). credd on a 1-member etcd cluster with two
# credentials whose access tokens it holds in its cache; then the member is
# frozen (SIGSTOP), so every etcd call hangs until request_timeout_seconds:
# - while `credctl list` (a store read) waits on etcd, `credctl token` for a
#   cached credential answers at once, not after the store call;
# - so does it while a token request that needs the store (one asking for
#   a token valid longer than the cached one) waits;
# - both waiting calls fail with exit 5 within the request timeout;
# - once the member runs again (SIGCONT), reads, refreshes and logins work
#   with no credd restart.
# Usage: etcd_slow_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"
# A stopped member ignores the cleanup's SIGTERM: let it run first.
trap 'kill -CONT "${etcd_pids[@]}" 2>/dev/null; lib_cleanup' EXIT

# A cached answer is a few milliseconds; a store call on the frozen member
# takes the whole request timeout (5 s). A sanitizer build of credctl takes
# hundreds of milliseconds just to start on a machine where page faults are
# dear: 1500 ms there, still well apart from 5 s (and two of them, with the
# half second before, fit inside the list's wait).
fast_ms=500
if ldd "$credctl" | grep -q 'libasan\.so'; then fast_ms=1500; fi

start_provider --access-ttl 3600
start_etcd_cluster 1
new_master_key
etcd_credd_config 1 /slow-test/ "request_timeout_seconds = 5" "$(demo_provider_toml demo2)"
expect "credd starts on etcd" start_fleet_credd 1

on 1 login_demo 2>>"$work/login.err"
expect "a login for demo succeeds" test $? -eq 0
BROWSER=$oidc/browser on 1 "$credctl" login demo2 2>>"$work/login.err"
expect "a login for demo2 succeeds" test $? -eq 0
t_demo=$(on 1 "$credctl" token demo)
t_demo2=$(on 1 "$credctl" token demo2)
expect "both tokens are served (and cached)" test -n "$t_demo" -a -n "$t_demo2"

# A cached token, timed; fails when it is slow or not the cached one.
quick_token() {  # PROVIDER EXPECTED LABEL
  local start took got
  start=$(now_ms)
  got=$(on 1 "$credctl" token "$1" 2>>"$work/quick.err")
  took=$(($(now_ms) - start))
  expect "$3: the cached $1 token answers within $fast_ms ms (took $took ms)" test "$took" -lt "$fast_ms"
  expect "$3: it is the cached token" test "$got" = "$2"
}

# --- etcd frozen: a store read in flight ----------------------------------------
kill -STOP "${etcd_pids[1]}"
start=$(now_ms)
on 1 "$credctl" list >/dev/null 2>"$work/list.err" &
list_pid=$!
sleep 0.5  # the list has reached credd and waits on etcd
expect "credctl list waits on the frozen etcd" kill -0 "$list_pid"
quick_token demo "$t_demo" "during a list"
quick_token demo2 "$t_demo2" "during a list"
expect "the list is still waiting after both answers" kill -0 "$list_pid"
wait "$list_pid"
rc=$?
took=$(($(now_ms) - start))
expect "the list fails with exit 5 (got $rc)" test "$rc" -eq 5
expect "within the request timeout (took $took ms)" test "$took" -lt 7000
expect "naming etcd" grep -q "etcd: no member answered" "$work/list.err"

# --- etcd frozen: a token request that needs the store in flight ----------------
on 1 "$credctl" token --min-valid 7200 demo2 >/dev/null 2>"$work/long.err" &
long_pid=$!
sleep 0.5
expect "a token valid longer than the cached one waits on etcd" kill -0 "$long_pid"
quick_token demo "$t_demo" "during a token request"
expect "that request is still waiting" kill -0 "$long_pid"
wait "$long_pid"
rc=$?
expect "it fails with exit 5 (got $rc)" test "$rc" -eq 5

# --- etcd back -------------------------------------------------------------------
kill -CONT "${etcd_pids[1]}"
back() { on 1 "$credctl" list >/dev/null 2>&1; }
expect "once etcd runs again, credctl list works without a restart" wait_for 20 "the store to answer" back
expect "both credentials are listed valid" test "$(on 1 cred_state demo)/$(on 1 cred_state demo2)" = valid/valid
reset_stats
long=$(on 1 "$credctl" token --min-valid 7200 demo2 2>"$work/long2.err")
expect "a token that needs a refresh is served" test -n "$long" -a "$long" != "$t_demo2"
expect "after one refresh at the provider" test "$(refreshes)" -eq 1
on 1 login_demo 2>>"$work/login.err"
expect "a new login succeeds" test $? -eq 0
expect "credd 1 is still the credd that started" kill -0 "${fleet_pids[1]}"

finish

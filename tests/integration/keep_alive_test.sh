#!/usr/bin/env bash
# End-to-end: keep-alive (keep_alive_days, docs/design.md "Keep-alive")
# against the real provider, whose refresh tokens idle out: --refresh-ttl
# gives each token, rotated ones included, its own lifetime, so a refresh
# token not used for that long is refused (invalid_grant).
# - with keep_alive_days below the idle time, a credential nobody asks for
#   is refreshed in the background and still works long after the idle time;
# - without it, the same credential is dead after the idle time: exit 4.
# Usage: keep_alive_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

idle=10                 # the provider's refresh token lifetime, seconds
keep_alive_days=0.00005 # 4.32 s, rounded to 4 s: refreshed every 3.6 to 4 s
start_provider --access-ttl 3600 --refresh-ttl "$idle"

past() { [ "$(date +%s)" -ge "$1" ]; }  # EPOCH_SECONDS
refreshes_at_least() { [ "$(pstat token_requests.refresh_token)" -ge "$1" ]; }

# --- keep-alive on: the credential outlives the idle time ---------------------
write_config "$work/credd.toml"
echo "keep_alive_days = $keep_alive_days" >>"$work/credd.toml"
expect "credd starts with keep_alive_days = $keep_alive_days" start_credd "$work/credd.toml"
expect "credd --check-config shows the period" \
  bash -c "'$credd' --config '$work/credd.toml' --check-config 2>&1 | grep -q 'providers.demo.keep_alive_days.*4.62963e-05'"
login_demo 2>>"$work/login.err"
expect "login" test "$(cred_state demo)" = valid
reset_stats
gone=$(($(date +%s) + idle + 4))
expect "keep-alive refreshes the credential in the background" \
  wait_for 30 "three keep-alive refreshes" refreshes_at_least 3
wait_for 30 "the idle time to pass" past "$gone"
expect "the provider refused none of them" test "$(pstat token_errors.refresh_token)" -eq 0
tok=$("$credctl" token demo --min-valid 7200 2>"$work/alive.err")
rc=$?
expect "past the idle time, a refresh still works (exit $rc)" test "$rc" -eq 0 -a -n "$tok"
expect "and its token is accepted" userinfo_ok "$tok"
expect "credd logged no failed keep-alive" bash -c "! grep -q 'keep-alive: the refresh of' '$work/credd.log'"
expect "credd says keep-alive is on" grep -q "keep-alive: provider demo credentials are refreshed after 4 s" "$work/credd.log"
stop_credd

# --- keep-alive off: the same credential dies --------------------------------
write_config "$work/credd.toml"
expect "credd starts without keep_alive_days" start_credd "$work/credd.toml"
login_demo 2>>"$work/login.err"
reset_stats
gone=$(($(date +%s) + idle + 4))
wait_for 30 "the idle time to pass" past "$gone"
expect "nothing refreshed it meanwhile" test "$(pstat token_requests.refresh_token)" -eq 0
"$credctl" token demo --min-valid 7200 >/dev/null 2>"$work/dead.err"
rc=$?
expect "past the idle time, the refresh token is refused: exit 4 (got $rc)" test "$rc" -eq 4
expect "the credential needs a login" test "$(cred_state demo)" = login_required

finish

#!/usr/bin/env bash
# End-to-end: revocation and rejection against the real provider.
# - logout revokes the refresh token (RFC 7009): the provider no longer
#   accepts it; --no-revoke leaves it valid at the provider;
# - a provider that cannot be reached does not keep the credential unless
#   --keep-on-failure;
# - invalid_grant after the provider revoked the grant: login_required
#   (exit 4), persisted, and no further refresh attempts (no storm);
# - a crash between the provider's answer and the commit: login_required,
#   the old refresh token is not replayed.
# Usage: oauth_revoke_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

start_demo_credd --access-ttl 3600
last_refresh_token() { curl -sf "$issuer/_test/issued" | python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_tokens"][-1])'; }
# Status of a refresh grant sent straight to the provider with TOKEN.
direct_refresh() {
  curl -s -o "$work/direct.out" -w '%{http_code}' -X POST "$issuer/token" \
    --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$1" --data-urlencode client_id=credctl-demo
}

# --- logout revokes ---------------------------------------------------------
login_demo 2>>"$work/login.err"
rt=$(last_refresh_token)
reset_stats
"$credctl" logout demo 2>"$work/logout.err"
expect "logout exits 0" test $? -eq 0
expect "logout says it revoked" grep -q "Revoked credentials/.*/demo at the provider" "$work/logout.err"
expect "the provider got one revocation request" test "$(pstat revocation_requests)" -eq 1
expect "the provider no longer accepts the refresh token" \
  bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST '$issuer/token' --data-urlencode grant_type=refresh_token --data-urlencode 'refresh_token=$rt' --data-urlencode client_id=credctl-demo)\" = 400 ]"
expect "the credential is gone" bash -c "'$credctl' token demo >/dev/null 2>&1; [ \$? -eq 7 ]"

# --- --no-revoke -------------------------------------------------------------
login_demo 2>>"$work/login.err"
rt=$(last_refresh_token)
reset_stats
"$credctl" logout --no-revoke demo 2>"$work/logout.err"
expect "logout --no-revoke exits 0 and says so" grep -q "not revoked at the provider, as asked" "$work/logout.err"
expect "no revocation request" test "$(pstat revocation_requests)" -eq 0
expect "the provider still accepts that refresh token" test "$(direct_refresh "$rt")" = 200

# --- provider unreachable ----------------------------------------------------
login_demo 2>>"$work/login.err"
kill "$provider_pid"; wait "$provider_pid" 2>/dev/null; provider_pid=
"$credctl" logout --keep-on-failure demo 2>"$work/keep.err"
expect "--keep-on-failure with the provider down exits 5" test $? -eq 5
expect "and keeps the credential" test "$(cred_state demo)" = valid
expect "saying why" grep -q "could not revoke credentials/.*/demo, kept it" "$work/keep.err"
"$credctl" logout demo 2>"$work/down.err"
expect "plain logout with the provider down exits 0" test $? -eq 0
expect "and says the provider was not told" grep -q "the provider was not told" "$work/down.err"
expect "the credential is gone" test -z "$(cred_state demo)"
stop_credd

# --- invalid_grant -> login_required, no storm ---------------------------------
rm -f "$work/issuer"; start_provider --access-ttl 3600
write_config "$work/credd.toml"
expect "credd restarts with a new provider" start_credd "$work/credd.toml"
login_demo 2>>"$work/login.err"
curl -sf -X POST "$issuer/_test/revoke-all"
reset_stats
"$credctl" token demo --min-valid 7200 >/dev/null 2>"$work/ig.err"
expect "a revoked grant gives exit 4 (login_required)" test $? -eq 4
expect "the message says to log in again" grep -q "credctl login demo" "$work/ig.err"
expect "list shows login_required" test "$(cred_state demo)" = login_required
for _ in 1 2 3 4 5; do "$credctl" token demo --min-valid 7200 >/dev/null 2>&1; done
expect "one refresh attempt in all, none after the rejection (no retries, no storm)" \
  test "$(pstat token_requests.refresh_token)" -eq 1
login_demo 2>>"$work/login.err"
expect "a new login makes the credential valid again" test "$(cred_state demo)" = valid

# --- a new login while a refresh is at the provider ------------------------------
# The refresh's late answer is about the old grant: it must not overwrite
# the credential the new login stored. The provider handles the refresh (it
# rotates the token and counts it) and holds its answer until the login is
# stored, however long the login takes.
refresh_at_provider() { [ "$(pstat token_requests.refresh_token)" -ge 1 ]; }
reset_stats
hold_refresh_answers
"$credctl" token demo --min-valid 7200 >/dev/null 2>"$work/raced.err" &
raced_pid=$!
wait_for 30 "the refresh to reach the provider" refresh_at_provider
login_demo 2>>"$work/login.err"
expect "a login during a refresh succeeds" test $? -eq 0
expect "the refresh's answer was held until then" released 1
wait "$raced_pid"
expect "the raced refresh reports that the credential was replaced" grep -q "was replaced by a new login" "$work/raced.err"
old_grant_rt=$(curl -sf "$issuer/_test/issued" | python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_tokens"][-2])')
curl -sf -o /dev/null -X POST "$issuer/token/revocation" --data-urlencode "token=$old_grant_rt" --data-urlencode client_id=credctl-demo
expect "with the old grant revoked, credd still refreshes: it kept the new login's token" \
  userinfo_ok "$("$credctl" token demo --min-valid 7200)"

# --- crash between the provider's answer and the commit --------------------------
reset_stats
hold_refresh_answers
"$credctl" token demo --min-valid 7200 >/dev/null 2>&1 &
extra_pids+=($!)
wait_for 30 "the refresh to reach the provider" refresh_at_provider
kill -KILL "$credd_pid"; wait "$credd_pid" 2>/dev/null; credd_pid=
# The provider rotated; its answer, released now, goes into the void.
expect "the provider did rotate: one refresh answered, after the crash" released 1
expect "credd starts again after the crash" start_credd "$work/credd.toml"
"$credctl" list >"$work/list.out" 2>&1
expect "the interrupted credential shows login_required" test "$(cred_state demo)" = login_required
"$credctl" token demo >/dev/null 2>"$work/crash.err"
expect "token exits 4 (login_required)" test $? -eq 4
expect "the message explains the interrupted refresh" grep -q "was interrupted" "$work/crash.err"
expect "the old refresh token was not replayed" test "$(pstat token_requests.refresh_token)" -eq 1
expect "so the provider saw no reuse" test "$(pstat token_errors.refresh_token)" -eq 0
finish

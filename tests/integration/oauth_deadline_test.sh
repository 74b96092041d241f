#!/usr/bin/env bash
# End-to-end: a caller's own deadline (credctl token --timeout, API
# timeout_ms) against a provider that holds its token endpoint for 3 s.
# The impatient caller gets provider_unavailable (exit 5) at its deadline,
# not at the provider's; the refresh it started is not cut short: a patient
# caller waiting on the same refresh gets the new token, the provider sees
# one refresh, and the next request is answered from the cache at once. A
# refresh every caller gave up on still completes, and SIGTERM drains it.
# Usage: oauth_deadline_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
access_ttl=8

start_demo_credd --access-ttl "$access_ttl"
expect "login succeeds" login_demo 2>"$work/login.err"
first=$("$credctl" token demo --min-valid 1)
expect "a first token is served from the login" test -n "$first"

sleep "$access_ttl"   # a real wait of time: the access token expires
reset_stats
curl -sf -X POST "$issuer/_test/delay?ms=3000"

start=$(now_ms)
"$credctl" token --timeout 0.8 demo >"$work/impatient.out" 2>"$work/impatient.err"
impatient_rc=$?
impatient_ms=$(($(now_ms) - start))
# The patient caller joins the refresh the impatient one started.
"$credctl" token demo >"$work/patient.out" 2>"$work/patient.err" &
patient=$!
wait "$patient"
patient_rc=$?
patient_ms=$(($(now_ms) - start))
echo "impatient: rc $impatient_rc after $impatient_ms ms; patient: rc $patient_rc after $patient_ms ms"
cat "$work/impatient.err"

expect "the impatient caller exits 5 (provider_unavailable)" test "$impatient_rc" -eq 5
expect "it stops at its deadline of 0.8 s, not at the provider's 3 s ($impatient_ms ms)" \
  test "$impatient_ms" -ge 800 -a "$impatient_ms" -lt 2500
expect "the error names the caller's timeout" grep -q "within the caller's timeout of 800 ms; the refresh goes on in credd" "$work/impatient.err"
expect "it prints no token" test ! -s "$work/impatient.out"
expect "the patient caller gets a token" test "$patient_rc" -eq 0 -a -s "$work/patient.out"
expect "it waited for the provider's 3 s ($patient_ms ms)" test "$patient_ms" -ge 3000
new=$(cat "$work/patient.out")
expect "the token is new" test "$new" != "$first"
expect "the provider accepts it" userinfo_ok "$new"
expect "one upstream refresh for both callers" test "$(pstat token_requests.refresh_token)" -eq 1

# The refresh was stored although its first caller had gone: served at once
# (the provider's tokens live 8 s, less than the default min_valid of 60).
cached=$("$credctl" token --timeout 0.5 --min-valid 1 demo)
expect "the next caller gets the same token from the cache" test "$cached" = "$new"
expect "still one upstream refresh" test "$(pstat token_requests.refresh_token)" -eq 1

# A refresh abandoned by every caller still completes and is committed:
# nobody waits, then the token is there without asking the provider again.
sleep "$access_ttl"   # a real wait of time: the access token expires
"$credctl" token --timeout 0.3 demo >/dev/null 2>&1
rc=$?
expect "a lone impatient caller exits 5" test "$rc" -eq 5
expect "the refresh it started goes on at the provider" cred_state_is demo refreshing
wait_for 10 "the abandoned refresh to be committed" cred_state_is demo valid
before=$(pstat token_requests.refresh_token)
abandoned=$("$credctl" token --timeout 0.5 --min-valid 1 demo)
expect "the abandoned refresh's token is served without another refresh" \
  test -n "$abandoned" -a "$abandoned" != "$new" -a "$(pstat token_requests.refresh_token)" -eq "$before"
expect "the provider accepts that token" userinfo_ok "$abandoned"

# SIGTERM while an abandoned refresh is at the provider: credd drains it
# (commits its answer) before it exits, so no refresh_pending mark is left
# behind to turn into login_required at the next start.
sleep "$access_ttl"   # a real wait of time: the access token expires
"$credctl" token --timeout 0.3 demo >/dev/null 2>&1
start=$(now_ms)
expect "credd stops cleanly on SIGTERM" stop_credd
stopped_ms=$(($(now_ms) - start))
expect "after draining the refresh at the provider ($stopped_ms ms)" test "$stopped_ms" -ge 2000
expect "credd starts again" start_credd "$work/credd.toml"
before=$(pstat token_requests.refresh_token)
drained=$("$credctl" token --timeout 0.5 --min-valid 1 demo)
expect "the drained refresh's token is served after the restart, no new refresh" \
  test -n "$drained" -a "$drained" != "$abandoned" -a "$(pstat token_requests.refresh_token)" -eq "$before"

# The API parameter is validated.
sock=$CREDD_SOCKET
code=$(curl -s -o "$work/bad.json" -w '%{http_code}' --unix-socket "$sock" \
  "http://credd/v1/users/$(id -un)/credentials/demo/token?timeout_ms=0")
expect "timeout_ms=0 is a bad request (HTTP $code)" test "$code" = 400
expect "naming the allowed range" grep -q 'timeout_ms must be 1..3600000' "$work/bad.json"
"$credctl" token --timeout 0 demo >/dev/null 2>&1
expect "credctl token --timeout 0 is a usage error (exit 2)" test $? -eq 2

curl -sf -X POST "$issuer/_test/delay?ms=0"
expect "the credential is valid" test "$(cred_state demo)" = valid
expect "the provider refused no refresh" test "$(pstat token_errors.refresh_token)" -eq 0
finish

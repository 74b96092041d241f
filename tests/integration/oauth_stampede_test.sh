#!/usr/bin/env bash
# End-to-end: 200 concurrent `credctl token` calls at the expiry of the access
# token, with a provider that holds its token endpoint for 2 s and rotates
# refresh tokens with reuse detection (tests/oidc/provider.mjs): exactly one
# upstream refresh, every caller gets the same new token, and the grant is
# not revoked (a later refresh with the rotated token works). credd writes
# its audit lines in batches: none is lost, and none comes after its answer.
# Usage: oauth_stampede_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
access_ttl=6
callers=200
# A sanitizer build of credctl takes a third of a second of CPU to start, so
# 200 of them on two cores keep arriving for about a minute after the one
# refresh: its token must outlive that, or late callers rightly refresh again.
if ldd "$credctl" | grep -q 'libasan\.so'; then access_ttl=90; fi

start_provider --access-ttl "$access_ttl"
write_config "$work/credd.toml"
# 200 callers of one uid at once, over the default per-uid limit of 64
# connections: those over it wait their turn (no limit is raised).
sed -i 's/^idle_timeout_seconds = 5$/idle_timeout_seconds = 30/' "$work/credd.toml"
printf '[audit]\nfile = "%s"\n' "$work/audit.jsonl" >>"$work/credd.toml"
expect "credd starts" start_credd "$work/credd.toml"
expect "login succeeds" login_demo 2>"$work/login.err"
first=$("$credctl" token demo --min-valid 1)
expect "a first token is served from the login" test -n "$first"

# Answers wait for their audit line: 200 requests for the cached token reach
# credd at once (it is stopped while they are sent), and each caller reads the
# audit log the moment its answer begins to arrive.
out=$(python3 "$root/tests/integration/audit_before_answer.py" "$CREDD_SOCKET" \
  "/v1/users/$(id -un)/credentials/demo/token?min_valid=1" "$work/audit.jsonl" "$callers" "$credd_pid"); rc=$?
expect "every answer found its audit line already written ($out)" test "$rc" -eq 0

sleep "$access_ttl"   # a real wait: the access token expires now
reset_stats
curl -sf -X POST "$issuer/_test/delay?ms=2000"
start=$(now_ms)
pids=()
# --min-valid 1: the short-lived token must satisfy callers that get their turn after
# the refresh (64 of one uid are served at once, the rest wait); the default
# of 60 s would make each of those refresh again.
for i in $(seq "$callers"); do
  "$credctl" token demo --min-valid 1 >"$work/t.$i" 2>"$work/e.$i" &
  pids+=($!)
done
failures=0
for pid in "${pids[@]}"; do wait "$pid" || failures=$((failures + 1)); done
elapsed=$(($(now_ms) - start))
echo "200 callers done in $elapsed ms"
expect "all $callers concurrent credctl token calls succeed (failures: $failures)" test "$failures" -eq 0
[ "$failures" -eq 0 ] || head -n 3 "$work"/e.* | head -20
expect "exactly one upstream refresh for $callers callers" test "$(pstat token_requests.refresh_token)" -eq 1
expect "the provider refused no refresh (no reuse detection tripped)" test "$(pstat token_errors.refresh_token)" -eq 0
expect "the callers waited for the 2 s provider (elapsed $elapsed ms)" test "$elapsed" -ge 2000
distinct=$(cat "$work"/t.* | sort -u | wc -l)
expect "all $callers callers got the same token" test "$distinct" -eq 1
missing=0
for pid in "${pids[@]}"; do grep -q "\"pid\":$pid,.*\"permission\":\"credentials:token\",\"decision\":\"allow\"" "$work/audit.jsonl" || missing=$((missing + 1)); done
expect "the audit log has the allow line of each of the $callers callers (missing: $missing)" test "$missing" -eq 0
new=$(cat "$work/t.1")
expect "it is a new token" test "$new" != "$first"
# The provider's own list, not a call with the token: with 6 s tokens, a
# loaded machine may take longer than that to start the 200 callers, and the
# token would have expired by now.
last_issued=$(curl -sf "$issuer/_test/issued" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_tokens"][-1])')
expect "it is the access token the provider issued last" test "$new" = "$last_issued"

# The grant is intact: the rotated refresh token, committed by credd, works.
curl -sf -X POST "$issuer/_test/delay?ms=0"
sleep "$access_ttl"   # a real wait: the rotated access token expires too
again=$("$credctl" token demo)
expect "a later refresh with the rotated refresh token succeeds" test -n "$again" -a "$again" != "$new"
expect "still no refused refresh at the provider" test "$(pstat token_errors.refresh_token)" -eq 0
expect "the credential is valid" test "$(cred_state demo)" = valid

finish

#!/usr/bin/env bash
# End-to-end: credd against a hostile token endpoint (tests/support/
# hostile_provider.py). Each bad answer gives `credctl token` a clear error
# (exit 5, provider_unavailable), stores nothing (the next refresh sends the
# original refresh token again, never the "rotated" one the bad answer
# offered), leaves the credential valid, and credd keeps serving.
# Usage: oauth_hostile_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

python3 "$root/tests/support/hostile_provider.py" "$work/hostile" 2>"$work/hostile.log" &
extra_pids+=($!)
wait_for 10 "the hostile server to write its address" test -s "$work/hostile"
hostile=$(cat "$work/hostile")
expect "the hostile server is up" test -n "$hostile"

modes="ok github notjson huge noaccess mac negexp absurdexp redirect drip hang e503 e503hang"
export CREDD_SOCKET=$work/run/credd.sock
{
  echo "socket = \"$CREDD_SOCKET\""
  echo "state_dir = \"$work/state\""
  for m in $modes; do
    cat <<TOML
[providers.h_$m]
authorization_endpoint = "$hostile/$m/auth"
token_endpoint         = "$hostile/$m/token"
revocation_endpoint    = "$hostile/$m/revoke"
client_id              = "credctl-hostile"
scopes                 = ["read"]
timeout_seconds        = 1
retry_deadline_seconds = 3
TOML
  done
  # Eight more names for the hanging endpoint: eight refreshes stuck at once.
  for i in 1 2 3 4 5 6 7 8; do
    cat <<TOML
[providers.stuck$i]
authorization_endpoint = "$hostile/hang/auth"
token_endpoint         = "$hostile/hang/token"
client_id              = "credctl-hostile"
timeout_seconds        = 5
retry_deadline_seconds = 6
TOML
  done
} >"$work/credd.toml"
expect "credd starts" start_credd "$work/credd.toml"

put_cred() {  # MODE: a credential whose access token has expired
  curl -sf --unix-socket "$CREDD_SOCKET" -X PUT -o /dev/null \
    --data "{\"refresh_token\":\"rt-$1\",\"access_token\":\"old\",\"access_expires_at\":1}" \
    "http://localhost/v1/users/$(id -un)/credentials/h_$1"
}
seen() { curl -sf "$hostile/_stats" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).get(sys.argv[1], [])))' "$1"; }

for m in $modes; do expect "stored a credential for h_$m" put_cred "$m"; done

tok=$("$credctl" token h_ok)
expect "control: a well-behaved endpoint gives a token" grep -q '^at-ok-' <<<"$tok"
expect "a GitHub-style endpoint answers JSON because credd asks for it" \
  bash -c "[ \"\$('$credctl' token h_github)\" = at-github ]"

check() {  # MODE EXPECTED-MESSAGE-FRAGMENT
  local m=$1 want=$2 rc start elapsed
  start=$(now_ms)
  "$credctl" token "h_$m" >"$work/$m.out" 2>"$work/$m.err"
  rc=$?
  elapsed=$(($(now_ms) - start))
  expect "$m: exit 5 (provider_unavailable) [$(head -c 200 "$work/$m.err")]" test "$rc" -eq 5
  expect "$m: prints no token" test ! -s "$work/$m.out"
  expect "$m: the message says \"$want\"" grep -qF -- "$want" "$work/$m.err"
  expect "$m: answered within the retry deadline plus one timeout ($elapsed ms)" test "$elapsed" -lt 5500
  # Kept, not login_required; shown as provider_unavailable until a refresh works.
  expect "$m: the credential is kept (provider_unavailable)" test "$(cred_state "h_$m")" = provider_unavailable
}
check notjson "body that is not JSON"
check huge "response larger than 1048576 bytes"
check noaccess "response has no access_token"
check mac "unsupported token_type: \"mac\""
check negexp "invalid expires_in"
check absurdexp "invalid expires_in"
check redirect "redirects are not followed"
check drip "timed out"
check hang "timed out"
check e503 "HTTP 503"
# The deadline cuts the last attempts short; what the provider said before stays in the message.
check e503hang "timed out"
expect "e503hang: the message keeps the earlier HTTP 503" grep -q "an earlier attempt: .*HTTP 503" "$work/e503hang.err"

# Retries: only transient failures are repeated.
count() { wc -w <<<"$(seen "$1")"; }
expect "notjson was not retried" test "$(count notjson)" -eq 1
expect "a redirect was not retried" test "$(count redirect)" -eq 1
expect "a 503 was retried (attempts: $(count e503))" test "$(count e503)" -ge 2
expect "a hanging endpoint was retried (attempts: $(count hang))" test "$(count hang)" -ge 2
expect "the 503 message counts the attempts" grep -q "after [0-9]* attempt(s)" "$work/e503.err"

# Nothing was stored: the next refresh sends the original token again.
for m in notjson huge noaccess mac negexp absurdexp redirect; do
  "$credctl" token "h_$m" >/dev/null 2>&1
  expect "$m: only the original refresh token was ever sent (never the offered rotated one)" \
    bash -c "[ \"\$(tr ' ' '\n' <<<'$(seen "$m")' | sort -u)\" = rt-$m ]"
done
# A provider that hangs holds up nobody else, however many refreshes it holds.
stuck_at_provider() { [ "$(tr ' ' '\n' <<<"$(seen hang)" | grep -c '^rt-stuck$')" -ge 8 ]; }
stuck_pids=()
for i in 1 2 3 4 5 6 7 8; do
  curl -sf --unix-socket "$CREDD_SOCKET" -X PUT -o /dev/null --data '{"refresh_token":"rt-stuck"}' \
    "http://localhost/v1/users/$(id -un)/credentials/stuck$i"
  "$credctl" token "stuck$i" >/dev/null 2>&1 &
  stuck_pids+=($!)
done
wait_for 10 "the 8 stuck refreshes to reach the hanging endpoint" stuck_at_provider
timed_refresh h_ok
expect "with 8 refreshes hanging, another provider's refresh takes < 1 s ($elapsed ms)" \
  test -n "$tok" -a "$elapsed" -lt 1000
start=$(now_ms)
"$credctl" list >/dev/null
expect "and the rest of the API answers at once ($(($(now_ms) - start)) ms)" test $(($(now_ms) - start)) -lt 1000
expect "list shows the stuck ones as refreshing" test "$(cred_state stuck1)" = refreshing
for p in "${stuck_pids[@]}"; do wait "$p"; done

expect "no refresh token appears in credd's log" bash -c "! grep -qE 'rt-|rotated-' '$work/credd.log'"
expect "credd still serves after all that" "$credctl" status
expect "and still hands out good tokens" bash -c "'$credctl' token h_ok --min-valid 7200 | grep -q '^at-ok-'"
finish

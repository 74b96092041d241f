#!/usr/bin/env bash
# End-to-end: credctl login -> credd -> sealed LMDB -> credctl token, against
# the real oidc-provider (tests/oidc) on loopback, with real processes, a real
# Unix socket and a second real uid. Usage: vertical_slice_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
access_ttl=20  # seconds; short so that refresh is exercised quickly
other_user=credctl-e2e

start_provider --access-ttl "$access_ttl"
write_config "$work/credd.toml"

expect "credd starts and answers status" start_credd "$work/credd.toml"

# --- login --------------------------------------------------------------
login_demo >"$work/login.out" 2>"$work/login.err"
expect "credctl login demo succeeds through the loopback redirect" test $? -eq 0
expect "login prints nothing on stdout" test ! -s "$work/login.out"
expect "login reports the subject" grep -q "Logged in to demo as demo-user" "$work/login.err"

"$credctl" list >"$work/list.out" 2>&1
expect "credctl list shows the credential as valid" grep -qE '^demo +valid +demo-user' "$work/list.out"

# --- token --------------------------------------------------------------
reset_stats
token1=$("$credctl" token demo --min-valid 5)
expect "credctl token prints a token" test -n "$token1"
expect "the provider accepts the token at userinfo" userinfo_ok "$token1"
token2=$("$credctl" token demo --min-valid 5)
expect "a second token within the TTL is the same token" test "$token1" = "$token2"
expect "no upstream call within the TTL" test "$(refreshes)" -eq 0

json=$("$credctl" token demo --min-valid 5 -o json)
expect "-o json carries expires_at" grep -q '"expires_at":[0-9]' <<<"$json"

# --- single-flight refresh after the TTL ---------------------------------
sleep $((access_ttl - 4))   # a real wait of time: fewer than 5 s of the token's life left now
reset_stats
pids=()
for i in $(seq 20); do
  "$credctl" token demo --min-valid 5 >"$work/concurrent.$i" 2>&1 &
  pids+=($!)
done
all_ok=0
for pid in "${pids[@]}"; do wait "$pid" || all_ok=1; done
expect "20 concurrent credctl token calls all succeed" test $all_ok -eq 0
expect "exactly one upstream refresh for 20 concurrent callers" test "$(refreshes)" -eq 1
distinct=$(cat "$work"/concurrent.* | sort -u | wc -l)
expect "all 20 callers got the same new token" test "$distinct" -eq 1
token3=$(cat "$work/concurrent.1")
expect "the refreshed token differs from the first" test "$token3" != "$token1"
expect "the provider accepts the refreshed token" userinfo_ok "$token3"

# --- restart: the rotated refresh token was committed --------------------
expect "credd drains and exits 0 on SIGTERM" stop_credd
expect "credd removes its socket on exit" test ! -e "$CREDD_SOCKET"
expect "credd starts again on the same store" start_credd "$work/credd.toml"
reset_stats
token4=$("$credctl" token demo --min-valid 3600)
expect "after restart a forced refresh with the rotated refresh token works" test -n "$token4"
expect "that refresh went upstream once and was not refused" \
  bash -c "curl -sf '$issuer/_test/stats' | grep -q '\"token_requests\":{\"authorization_code\":0,\"refresh_token\":1}.*\"token_errors\":{\"authorization_code\":0,\"refresh_token\":0}'"
expect "the provider accepts the token after restart" userinfo_ok "$token4"

# --- no token in the store files or the logs -----------------------------
issued=$(curl -sf "$issuer/_test/issued")
tokens=$(grep -oE '"[A-Za-z0-9_-]{20,}"' <<<"$issued" | tr -d '"')
count=$(wc -l <<<"$tokens")
expect "the provider issued access and refresh tokens to search for ($count)" test "$count" -ge 6
leaks=0
while read -r t; do
  if grep -rqaF -- "$t" "$work/state" "$work/credd.log" "$work/login.err" "$work/list.out"; then
    echo "token found in plaintext: ${t:0:4}..."; leaks=1
  fi
done <<<"$tokens"
expect "no access or refresh token appears in the LMDB files or logs" test $leaks -eq 0
expect "state directory is 0700" test "$(stat -c %a "$work/state")" = 700
expect "LMDB data file is 0600" test "$(stat -c %a "$work/state/data.mdb")" = 600
expect "master key file is 0600" test "$(stat -c %a "$work/state/master.key")" = 600

# --- API limits and bad input: clear errors, daemon keeps serving ---------
api() { curl -s --unix-socket "$CREDD_SOCKET" -o "$work/api.out" -w '%{http_code}' "$@"; }
big=$(head -c 9000 /dev/zero | tr '\0' a)
expect "a request head over 8 KiB gets 413 payload_too_large" \
  bash -c "[ \"\$(curl -s --unix-socket '$CREDD_SOCKET' -o '$work/api.out' -w '%{http_code}' -H 'X-Big: $big' http://localhost/v1/status)\" = 413 ] && grep -q payload_too_large '$work/api.out'"
head -c 70000 /dev/zero | tr '\0' a >"$work/big.json"
code=$(api -X PUT --data-binary @"$work/big.json" http://localhost/v1/users/root/credentials/demo)
expect "a body over 64 KiB gets 413 payload_too_large" test "$code" = 413
code=$(api -X PUT --data-binary 'not json' http://localhost/v1/users/root/credentials/demo)
expect "a malformed credential gets 400 bad_request" bash -c "[ $code = 400 ] && grep -q '\"code\":\"bad_request\"' '$work/api.out'"
code=$(api http://localhost/v1/nope)
expect "an unknown path gets 404 not_found" test "$code" = 404
expect "the daemon still serves tokens after bad input" test -n "$("$credctl" token demo --min-valid 5)"

# --- the head of an answer ------------------------------------------------
curl -s --unix-socket "$CREDD_SOCKET" -D "$work/head" -o "$work/body" http://localhost/v1/status
tr -d '\r' <"$work/head" >"$work/head.txt"
expect "an answer starts with its status line" test "$(head -1 "$work/head.txt")" = "HTTP/1.1 200 OK"
expect "it is never to be cached" grep -qx "Cache-Control: no-store" "$work/head.txt"
expect "it names its type" grep -qx "Content-Type: application/json" "$work/head.txt"
expect "its Content-Length is the length of its body" grep -qx "Content-Length: $(stat -c %s "$work/body")" "$work/head.txt"
expect "it names the server" grep -qx "Server: credd/.*" "$work/head.txt"
curl -s --unix-socket "$CREDD_SOCKET" -D "$work/head" -o "$work/body" http://localhost/v1/nope
out=$(curl -sv --unix-socket "$CREDD_SOCKET" http://localhost/v1/status http://localhost/v1/whoami 2>"$work/keep.err")
expect "two requests on one kept-alive connection both get their answer" \
  bash -c "grep -q '\"connections\"' <<<'$out' && grep -q '\"identity\"' <<<'$out' && grep -q 'Re-using existing connection' '$work/keep.err'"
expect "a problem is application/problem+json with a 404 status line" \
  bash -c "tr -d '\r' <'$work/head' | grep -qx 'Content-Type: application/problem+json' && head -1 '$work/head' | grep -q '^HTTP/1.1 404 Not Found'"

# --- another uid ----------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  ensure_user "$other_user"
  as_other() { as_user "$other_user" "$@"; }
  as_other "$credctl" token --user root demo >"$work/other.out" 2>"$work/other.err"
  rc=$?
  expect "another uid asking for root's token exits 3 (denied)" test $rc -eq 3
  expect "it prints no token" test ! -s "$work/other.out"
  expect "the message names the permission and the resource" \
    grep -q "credentials:token on credentials/root/demo denied to $other_user" "$work/other.err"
  as_other "$credctl" logout --user root demo >/dev/null 2>&1
  expect "another uid cannot delete root's credential" test $? -eq 3
  as_other "$credctl" list >"$work/other-list.out" 2>&1
  expect "another uid may list its own (empty) credentials" test $? -eq 0
  expect "root's credential survives the other uid's attempts" test -n "$("$credctl" token demo --min-valid 5)"
else
  bad "multi-user checks need root to create a test user (run as root, as CI does)"
fi

# --- logout ---------------------------------------------------------------
expect "credctl logout forgets the credential" "$credctl" logout demo
"$credctl" token demo >/dev/null 2>"$work/after-logout.err"
expect "token after logout exits 7 (not found) and says to log in" \
  bash -c "[ $? -eq 7 ] && grep -q 'credctl login demo' '$work/after-logout.err'"

# --- socket file safety (default per-user mode) -----------------------------
cat >"$work/private.toml" <<TOML
socket    = "$work/private/credd.sock"
state_dir = "$work/state2"
TOML
"$credd" --config "$work/private.toml" 2>>"$work/credd2.log" &
private_pid=$!
wait_for 10 "the private socket" test -S "$work/private/credd.sock"
expect "default socket is 0600" test "$(stat -c %a "$work/private/credd.sock")" = 600
expect "default socket directory is 0700" test "$(stat -c %a "$work/private")" = 700
kill -KILL "$private_pid"; wait "$private_pid" 2>/dev/null
expect "a crashed daemon leaves a stale socket behind" test -S "$work/private/credd.sock"
"$credd" --config "$work/private.toml" 2>>"$work/credd2.log" &
private_pid=$!
wait_for 10 "the new daemon on the private socket" credd_answers --socket "$work/private/credd.sock"
expect "a new daemon replaces the stale socket" env CREDD_SOCKET="$work/private/credd.sock" "$credctl" status
"$credd" --config "$work/private.toml" 2>"$work/second.err"
expect "a second daemon on a live socket refuses to start" \
  bash -c "[ $? -ne 0 ] && grep -q 'another daemon is already listening' '$work/second.err'"
kill -TERM "$private_pid"; wait "$private_pid" 2>/dev/null
echo "not a socket" >"$work/private/credd.sock"
"$credd" --config "$work/private.toml" 2>"$work/notsock.err"
expect "a non-socket file at the socket path is refused and kept" \
  bash -c "[ $? -ne 0 ] && grep -q 'exists and is not a socket' '$work/notsock.err' && grep -q 'not a socket' '$work/private/credd.sock'"

finish

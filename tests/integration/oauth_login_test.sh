#!/usr/bin/env bash
# End-to-end: every login path of `credctl login` against the real provider.
# - loopback: PKCE S256, a forged callback with a wrong state is refused and
#   does not end the flow, an error= callback without the right state neither;
#   a browser that keeps running does not hold the login up;
# - --no-browser paste-back: a pasted address with the wrong state is refused
#   and the wait goes on; the right one logs in; a wrong `iss` (RFC 9207) is
#   refused;
# - --device (RFC 8628) through the provider's verification page;
# - client_secret_post with the secret from a 0600 file, refused when the
#   file is readable by others; explicit endpoints without discovery; the
#   default provider.
# Usage: oauth_login_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

start_provider --access-ttl 3600
write_config "$work/credd.toml"
printf 'test-secret-456\n' >"$work/post.secret"
chmod 600 "$work/post.secret"
cat >>"$work/credd.toml" <<TOML
[providers.post]
issuer             = "$issuer"
client_id          = "credctl-post"
client_auth        = "client_secret_post"
client_secret_file = "$work/post.secret"
scopes             = ["openid", "offline_access"]

[providers.explicit]
authorization_endpoint = "$issuer/auth"
token_endpoint         = "$issuer/token"
revocation_endpoint    = "$issuer/token/revocation"
client_id              = "credctl-demo"
scopes                 = ["openid", "offline_access"]
default                = true
TOML
expect "credd starts" start_credd "$work/credd.toml"

# --- loopback with forged callbacks ------------------------------------------
cat >"$work/forging-browser" <<SH
#!/bin/sh
# Before the real browser comes back, something else knocks on the listener.
# credctl gives the browser a one-time loopback URL that redirects to the
# authorization URL: take the latter from the redirect.
printf '%s\n' "\$1" >"$work/launch-url"
auth=\$(curl -s -o /dev/null -w '%{redirect_url}' "\$1")
curl -s -o /dev/null -w '%{http_code}\n' "\$1" >"$work/launch-again.code"
redirect=\$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlsplit(sys.argv[1]).query)["redirect_uri"][0])' "\$auth")
printf '%s\n' "\$auth" >"$work/auth-url"
port=\$(printf '%s' "\$redirect" | sed -E 's|.*:([0-9]+)/callback|\\1|')
ss -ltnH "( sport = :\$port )" | awk '{print \$4}' >"$work/listen-addr"
curl -s -o /dev/null -w '%{http_code}\n' "\$redirect?code=forged&state=wrong" >"$work/forged.codes"
curl -s -o /dev/null -w '%{http_code}\n' "\$redirect?error=access_denied&state=wrong" >>"$work/forged.codes"
curl -s -o /dev/null -w '%{http_code}\n' "\$redirect?code=forged" >>"$work/forged.codes"
exec "$oidc/browser" "\$auth"
SH
chmod +x "$work/forging-browser"
BROWSER=$work/forging-browser "$credctl" login demo 2>"$work/loopback.err"
expect "loopback login succeeds despite forged callbacks" test $? -eq 0
expect "the forged callbacks (wrong state, error with wrong state, no state) got 400" \
  test "$(tr '\n' ' ' <"$work/forged.codes")" = "400 400 400 "
expect "the browser was started on a loopback launch URL, not the authorization URL" \
  grep -qx 'http://127.0.0.1:[0-9]*/start/[A-Za-z0-9_-]*' "$work/launch-url"
expect "the launch URL works once only" test "$(cat "$work/launch-again.code")" = 404
expect "the authorization request uses PKCE S256" grep -q 'code_challenge_method=S256' "$work/auth-url"
expect "and carries state and nonce" grep -q 'state=.*nonce=' "$work/auth-url"
expect "the redirect URI is on 127.0.0.1" grep -q 'redirect_uri=http://127.0.0.1:[0-9]*/callback&' "$work/auth-url"
expect "the token works" userinfo_ok "$("$credctl" token demo)"
redirect_uri=$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlsplit(open(sys.argv[1]).read().strip()).query)["redirect_uri"][0])' "$work/auth-url")
expect "the listener is closed after the login" bash -c "! curl -s -o /dev/null '$redirect_uri?state=x'"
expect "while waiting it listened on 127.0.0.1 only ($(tr '\n' ' ' <"$work/listen-addr"))" \
  bash -c "[ \"\$(cat '$work/listen-addr')\" = \"127.0.0.1:$(sed -E 's|.*:([0-9]+)/callback|\1|' <<<"$redirect_uri")\" ]"

# --- a browser that keeps running ------------------------------------------------
# BROWSER=firefox with no Firefox running: the process credctl started runs
# until the user quits the browser. The login must not wait for it.
cat >"$work/lingering-browser" <<SH
#!/bin/bash
echo \$\$ >"$work/lingering.pid"
"$oidc/browser" "\$@" || exit
exec sleep 600
SH
chmod +x "$work/lingering-browser"
"$credctl" logout demo 2>/dev/null
BROWSER=$work/lingering-browser "$credctl" login demo 2>"$work/lingering.err" &
login_pid=$!
expect "a login whose browser keeps running finishes within 20 s" wait_for 20 "the login" exited "$login_pid"
browser_pid=$(cat "$work/lingering.pid")
extra_pids+=("$browser_pid")
expect "while its browser still runs" kill -0 "$browser_pid"
kill "$browser_pid"
wait "$login_pid"
expect "and succeeds" test $? -eq 0
expect "its token works" userinfo_ok "$("$credctl" token demo)"

# --- paste-back ----------------------------------------------------------------
paste_login() {  # FIFO ERRFILE: starts credctl login --no-browser demo reading FIFO
  mkfifo "$1"
  "$credctl" login --no-browser demo <"$1" 2>"$2" &
  login_pid=$!
  exec 3>"$1"
  wait_for 10 "the authorization URL in $2" grep -q '/auth?' "$2"
  url=$(grep -o 'http://127.0.0.1:[0-9]*/auth?[^ ]*' "$2")
}
"$credctl" logout demo 2>/dev/null
paste_login "$work/paste" "$work/paste.err"
redirect=$(BROWSER_PRINT_REDIRECT=1 node "$oidc/browser.mjs" "$url" 2>"$work/browser.err")
expect "the provider sends the browser to the loopback address" grep -q '^http://127.0.0.1:[0-9]*/callback?code=' <<<"$redirect"
sed -E 's/state=[^&]*/state=forged/' <<<"$redirect" >&3
expect "a pasted address with the wrong state is refused" \
  wait_for 5 "the refusal of the forged address" grep -q 'state mismatch.*paste the address again' "$work/paste.err"
expect "and the login keeps waiting" kill -0 "$login_pid"
echo "$redirect" >&3
wait "$login_pid"
expect "the right pasted address logs in" test $? -eq 0
exec 3>&-
expect "paste-back stored the credential" test "$(cred_state demo)" = valid

paste_login "$work/paste2" "$work/paste2.err"
redirect=$(BROWSER_PRINT_REDIRECT=1 node "$oidc/browser.mjs" "$url" 2>>"$work/browser.err")
sed -E 's/iss=[^&]*/iss=https%3A%2F%2Fevil.example/' <<<"$redirect" >&3
wait "$login_pid"
expect "an answer naming another issuer (RFC 9207) is refused with exit 4" test $? -eq 4
exec 3>&-
expect "naming both issuers" grep -q 'names issuer "https://evil.example", expected http://127.0.0.1' "$work/paste2.err"

# --- device authorization -----------------------------------------------------------
"$credctl" logout demo 2>/dev/null
reset_stats
"$credctl" login --device demo 2>"$work/device.err" &
device_pid=$!
wait_for 10 "the device login's instructions" grep -qs 'carries the code' "$work/device.err"
expect "the device login shows the verification URI and a user code" \
  bash -c "grep -q 'open $issuer/device on any device and enter the code' '$work/device.err'"
complete=$(grep -o "$issuer/device?user_code=[^ ]*" "$work/device.err")
node "$oidc/browser.mjs" "$complete" 2>"$work/device-browser.err"
expect "the scripted browser confirms the code, signs in and consents" test $? -eq 0
wait "$device_pid"
expect "credctl login --device succeeds" test $? -eq 0
expect "it polled the token endpoint with the device_code grant" \
  test "$(pstat 'token_requests.urn:ietf:params:oauth:grant-type:device_code')" -ge 1
expect "the device-flow credential gives a working token" userinfo_ok "$("$credctl" token demo --min-valid 7200)"

# --- down-scoping ---------------------------------------------------------------------
full=$("$credctl" token demo -o json)
narrow=$("$credctl" token demo --scope openid -o json)
expect "--scope openid gives a token with just that scope" grep -q '"scope":"openid"' <<<"$narrow"
expect "which is not the full-scope token" test "$(grep -o '"access_token":"[^"]*"' <<<"$narrow")" != "$(grep -o '"access_token":"[^"]*"' <<<"$full")"
expect "the full-scope token is still served from the cache" \
  test "$("$credctl" token demo -o json | grep -o '"access_token":"[^"]*"')" = "$(grep -o '"access_token":"[^"]*"' <<<"$full")"
expect "a later full refresh uses the refresh token the scoped one rotated" userinfo_ok "$("$credctl" token demo --min-valid 7200)"
expect "and no refresh was refused by reuse detection" test "$(pstat token_errors.refresh_token)" -eq 0

# --- the provider refuses: an error callback with the right state ------------------------
BROWSER_DENY=1 BROWSER=$oidc/browser "$credctl" login demo 2>"$work/deny.err"
expect "a denied login exits 4" test $? -eq 4
expect "saying what the provider answered" grep -q 'the provider refused the login: access_denied' "$work/deny.err"

# --- device flow denied ------------------------------------------------------------------
"$credctl" login --device demo 2>"$work/device-deny.err" &
device_pid=$!
wait_for 10 "the device login's instructions" grep -qs 'carries the code' "$work/device-deny.err"
complete=$(grep -o "$issuer/device?user_code=[^ ]*" "$work/device-deny.err")
BROWSER_DENY=1 node "$oidc/browser.mjs" "$complete" 2>>"$work/device-browser.err"
wait "$device_pid"
expect "a device login denied on the verification page exits 4" test $? -eq 4
expect "saying it was denied" grep -q 'the login was denied on the verification page' "$work/device-deny.err"

# --- waiting indicator, timeout --------------------------------------------------------------
BROWSER=true script -qfec "$credctl login --timeout 2 demo" /dev/null >"$work/tty.out" 2>&1
expect "on a terminal, a login that gets no answer times out with exit 4" test $? -eq 4
expect "saying so" grep -q 'no answer from the browser within 2 seconds' "$work/tty.out"
expect "a spinner showed while waiting" grep -q 'waiting for the login to finish' "$work/tty.out"
NO_COLOR=1 BROWSER=true script -qfec "$credctl login --timeout 1 demo" /dev/null >"$work/tty2.out" 2>&1
expect "no spinner with NO_COLOR" bash -c "! grep -q 'waiting for the login to finish' '$work/tty2.out'"
BROWSER=true "$credctl" login --timeout 1 demo >"$work/notty.out" 2>&1
expect "no spinner when stderr is not a terminal" bash -c "! grep -q 'waiting for the login to finish' '$work/notty.out'"
"$credctl" --help >"$work/help.out" 2>&1
expect "credctl --help lists the exit codes" \
  bash -c "grep -q '^  4  login_required' '$work/help.out' && grep -q '^  5  provider_unavailable' '$work/help.out'"

# --- client_secret_post --------------------------------------------------------------
BROWSER=$oidc/browser "$credctl" login --client-secret-file "$work/post.secret" post 2>"$work/post.err"
expect "client_secret_post login with the secret from a file" test $? -eq 0
expect "credd refreshes with client_secret_post" userinfo_ok "$("$credctl" token post --min-valid 7200)"
"$credctl" login post </dev/null >/dev/null 2>"$work/post-nofile.err"
expect "without --client-secret-file: usage error naming the option" \
  bash -c "[ $? -eq 2 ] && grep -q 'pass --client-secret-file' '$work/post-nofile.err'"
chmod 640 "$work/post.secret"
BROWSER=$oidc/browser "$credctl" login --client-secret-file "$work/post.secret" post 2>"$work/post-perm.err"
expect "a secret file readable by the group is refused" grep -q 'is readable by group or others' "$work/post-perm.err"
"$credctl" token post --min-valid 7200 >/dev/null 2>"$work/post-perm-token.err"
expect "credd refuses it too when refreshing" grep -q 'is readable by group or others' "$work/post-perm-token.err"
chmod 600 "$work/post.secret"

# --- explicit endpoints, default provider ----------------------------------------------
BROWSER=$oidc/browser "$credctl" login 2>"$work/default.err"
expect "credctl login without a name uses the default provider" grep -q 'Logged in to explicit' "$work/default.err"
expect "explicit endpoints (no discovery) refresh too" userinfo_ok "$("$credctl" token explicit --min-valid 7200)"
expect "credctl logout without a name revokes at the default provider" \
  bash -c "'$credctl' logout 2>&1 | grep -q 'Revoked credentials/.*/explicit'"
finish

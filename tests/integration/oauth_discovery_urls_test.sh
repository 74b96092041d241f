#!/usr/bin/env bash
# End-to-end: the endpoints a discovery document names follow the endpoint
# rule (common/net/endpoint_url.hpp), in `credctl login` and in credd's
# refresh. The hostile provider (tests/support/hostile_provider.py) serves
# the documents: under a loopback http issuer, an authorization endpoint on
# plain http to another host, one that is no URL, and one with terminal
# escapes; under an https issuer (a test CA), a token endpoint on plain http
# to loopback, where a second server stands in for whichever local user
# would bind that port. Each is refused with exit 5 (provider_unavailable,
# not an abort) and a message that names the field, escapes control
# characters and shows no authorization URL; no browser starts, nothing
# reaches the plain http endpoint, and credd keeps serving.
# Usage: oauth_discovery_urls_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

start_hostile() {  # NAME [OPTIONS...]: the server's address in $hostile
  python3 "$root/tests/support/hostile_provider.py" "$work/$1.addr" "${@:2}" 2>"$work/$1.log" &
  extra_pids+=($!)
  wait_for 10 "the $1 server to write its address" test -s "$work/$1.addr"
  hostile=$(cat "$work/$1.addr")
}
start_hostile trap
trap_url=$hostile
expect "openssl makes a test CA" test_ca test-ca
expect "and a certificate for localhost" test_cert tls test-ca "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
start_hostile tls --tls-cert "$work/pki/tls.pem" --tls-key "$work/pki/tls.key" --trap "$trap_url"
tls_url=$hostile
start_hostile plain
plain_url=$hostile
expect "the https server is up ($tls_url)" grep -q '^https://localhost:' <<<"$tls_url"

export CREDD_SOCKET=$work/run/credd.sock
provider_toml() {  # NAME ISSUER [CA_FILE]
  printf '[providers.%s]\nissuer = "%s"\nclient_id = "credctl-hostile"\nscopes = ["read"]\n' "$1" "$2"
  printf 'timeout_seconds = 2\nretry_deadline_seconds = 3\n'
  [ -z "${3:-}" ] || printf 'ca_file = "%s"\n' "$3"
}
{
  printf 'socket = "%s"\nstate_dir = "%s"\n' "$CREDD_SOCKET" "$work/state"
  for m in ok httpauth badauth ctlauth; do provider_toml "p_$m" "$plain_url/$m"; done
  for m in ok traptoken; do provider_toml "t_$m" "$tls_url/$m" "$work/pki/test-ca.pem"; done
} >"$work/credd.toml"
expect "credd starts" start_credd "$work/credd.toml"

# A browser that only notes that it was started.
cat >"$work/browser" <<SH
#!/bin/sh
echo "\$@" >>"$work/browser.calls"
SH
chmod +x "$work/browser"
no_control_characters() { ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$1"; }

login_refused() {  # PROVIDER FIELD PROBLEM
  local rc
  BROWSER=$work/browser "$credctl" login --timeout 3 "$1" </dev/null >"$work/$1.out" 2>"$work/$1.err"
  rc=$?
  expect "login $1: exit 5, not an abort or a timeout (rc $rc) [$(head -c 300 "$work/$1.err" | tr -d '\000-\037')]" \
    test "$rc" -eq 5
  expect "login $1: the message names the field: \"$2: $3\"" grep -qF -- "$2: $3" "$work/$1.err"
  expect "login $1: no browser was started" test ! -e "$work/browser.calls"
  expect "login $1: no authorization URL was printed" bash -c "! grep -q 'state=' '$work/$1.err'"
  expect "login $1: no raw control character reached the terminal" no_control_characters "$work/$1.err"
}
login_refused p_httpauth authorization_endpoint "plain http is allowed only for loopback hosts: \"http://evil.example/authorize\""
login_refused p_badauth authorization_endpoint "not a valid absolute URL without a fragment: \"http://127.0.0.1:1/a b\""
login_refused p_ctlauth authorization_endpoint "not a valid absolute URL without a fragment"
expect "login p_ctlauth: the escapes are shown as \\xNN" grep -qF '/ok/auth\x1b]0;TITLE\x07\x1b[2J\x0a<0>credd: forged"' \
  "$work/p_ctlauth.err"
login_refused t_traptoken token_endpoint "plain http is allowed only under a loopback http issuer"

# credd discovers too, before its first refresh of a provider.
put_cred() {  # PROVIDER: a credential whose access token has expired
  curl -sf --unix-socket "$CREDD_SOCKET" -X PUT -o /dev/null \
    --data "{\"refresh_token\":\"rt-$1\",\"access_token\":\"old\",\"access_expires_at\":1}" \
    "http://localhost/v1/users/$(id -un)/credentials/$1"
}
for p in p_ok p_httpauth p_badauth p_ctlauth t_ok t_traptoken; do expect "stored a credential for $p" put_cred "$p"; done
expect "control: credd refreshes through a loopback http issuer's discovery" \
  bash -c "'$credctl' token p_ok 2>'$work/p_ok-token.err' | grep -q '^at-ok-'"
expect "control: and through an https issuer's" bash -c "'$credctl' token t_ok 2>'$work/t_ok-token.err' | grep -q '^at-ok-'"

refresh_refused() {  # PROVIDER FIELD PROBLEM
  local rc
  "$credctl" token "$1" >"$work/$1-token.out" 2>"$work/$1-token.err"
  rc=$?
  expect "refresh $1: exit 5 (rc $rc) [$(head -c 300 "$work/$1-token.err" | tr -d '\000-\037')]" test "$rc" -eq 5
  expect "refresh $1: prints no token" test ! -s "$work/$1-token.out"
  expect "refresh $1: the message names the field: \"$2: $3\"" grep -qF -- "$2: $3" "$work/$1-token.err"
  expect "refresh $1: no raw control character in the message" no_control_characters "$work/$1-token.err"
}
refresh_refused p_httpauth authorization_endpoint "plain http is allowed only for loopback hosts"
refresh_refused p_badauth authorization_endpoint "not a valid absolute URL without a fragment"
refresh_refused p_ctlauth authorization_endpoint "not a valid absolute URL without a fragment"
refresh_refused t_traptoken token_endpoint "plain http is allowed only under a loopback http issuer"

expect "nothing reached the plain http token endpoint [$(curl -sf "$trap_url/_stats")]" \
  test "$(curl -sf "$trap_url/_stats")" = "{}"
expect "credd's log holds no raw control character" no_control_characters "$work/credd.log"
expect "credd still serves" credd_answers
expect "and still refreshes" bash -c "'$credctl' token p_ok --min-valid 7200 | grep -q '^at-ok-'"
finish

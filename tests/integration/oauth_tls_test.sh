#!/usr/bin/env bash
# End-to-end: the real provider behind TLS with a test CA made here by
# openssl. A good certificate works (login, refresh) with the provider's
# ca_file; a certificate for another host name, a CA that is not the
# configured one, or the system store (which does not know the test CA) are
# refused with a clear TLS error and not retried; TLS below 1.2 is refused;
# plain http to a non-loopback host is refused at config load.
# Usage: oauth_tls_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

pki=$work/pki
server_cert() {  # NAME SAN CA
  test_cert "$1" "$3" "subjectAltName=$2
extendedKeyUsage=serverAuth"
}
expect "openssl makes a test CA" test_ca test-ca
expect "and another CA" test_ca other-ca
expect "a certificate for localhost" server_cert good "DNS:localhost,IP:127.0.0.1" test-ca
expect "a certificate for another host name" server_cert wrong "DNS:wrong.example" test-ca

tls_provider() {  # NAME CERT: starts provider.mjs over https, sets $issuer
  rm -f "$work/issuer"
  node "$oidc/provider.mjs" --port 0 --ready-file "$work/issuer" --access-ttl 3600 \
    --tls-cert "$pki/$2.pem" --tls-key "$pki/$2.key" --host localhost >/dev/null 2>"$work/$1-provider.log" &
  extra_pids+=($!)
  wait_for 10 "the $1 provider to write its issuer" test -s "$work/issuer"
  issuer=$(cat "$work/issuer")
}
tls_provider wronghost wrong
wrong_issuer=$issuer
tls_provider good good
good_issuer=$issuer
expect "the provider speaks https ($good_issuer)" grep -q '^https://localhost:' <<<"$good_issuer"

export CREDD_SOCKET=$work/run/credd.sock
provider_toml() {  # NAME ISSUER [CA_FILE]
  printf '[providers.%s]\nissuer = "%s"\nclient_id = "credctl-demo"\nscopes = ["openid", "offline_access"]\n' "$1" "$2"
  [ -n "${3:-}" ] && printf 'ca_file = "%s"\n' "$3"
  printf 'retry_deadline_seconds = 3\n'
}
{
  printf 'socket = "%s"\nstate_dir = "%s"\n' "$CREDD_SOCKET" "$work/state"
  provider_toml good "$good_issuer" "$pki/test-ca.pem"
  provider_toml wronghost "$wrong_issuer" "$pki/test-ca.pem"
  provider_toml untrusted "$good_issuer" "$pki/other-ca.pem"
  provider_toml system "$good_issuer"
} >"$work/credd.toml"
expect "credd starts" start_credd "$work/credd.toml"

# --- good certificate -----------------------------------------------------
NODE_EXTRA_CA_CERTS=$pki/test-ca.pem BROWSER=$oidc/browser "$credctl" login good 2>"$work/good.err"
expect "login over TLS with the provider's ca_file" test $? -eq 0
tok=$("$credctl" token good --min-valid 7200 2>"$work/good-token.err")
expect "a refresh over TLS gives a token" test -n "$tok"
expect "which the provider accepts" \
  bash -c "curl -sf --cacert '$pki/test-ca.pem' -H 'Authorization: Bearer $tok' '$good_issuer/me' | grep -q demo-user"

# --- refused certificates ----------------------------------------------------
"$credctl" login wronghost >/dev/null 2>"$work/wronghost.err" </dev/null
expect "a certificate for another host name: login exits 5" test $? -eq 5
expect "naming the TLS handshake and the verification failure" \
  grep -q "TLS handshake.*certificate verify failed" "$work/wronghost.err"
put_cred() {  # PROVIDER: an expired credential, so that token must refresh
  curl -sf --unix-socket "$CREDD_SOCKET" -X PUT -o /dev/null \
    --data '{"refresh_token":"rt-x","access_token":"old","access_expires_at":1}' \
    "http://localhost/v1/users/$(id -un)/credentials/$1"
}
for p in untrusted system wronghost; do
  put_cred "$p"
  start=$(now_ms)
  "$credctl" token "$p" >/dev/null 2>"$work/$p-token.err"
  rc=$?
  elapsed=$(($(now_ms) - start))
  expect "$p: refresh refused with exit 5" test "$rc" -eq 5
  expect "$p: the message names the certificate failure" grep -q "certificate verify failed" "$work/$p-token.err"
  expect "$p: not retried (one attempt, $elapsed ms)" grep -q "after 1 attempt(s)" "$work/$p-token.err"
done
expect "nothing reached the good provider's token endpoint from the refused ones" \
  bash -c "[ \"\$(curl -sf --cacert '$pki/test-ca.pem' '$good_issuer/_test/stats' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token_errors\"][\"refresh_token\"])')\" = 0 ]"

# --- TLS below 1.2 ------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$port" -cert "$pki/good.pem" -key "$pki/good.key" -tls1_1 \
  -cipher 'DEFAULT:@SECLEVEL=0' -www -quiet >/dev/null 2>"$work/s_server.log" &
extra_pids+=($!)
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for 5 "openssl s_server to listen on port $port" listening "$port"
stop_credd
provider_toml old "https://localhost:$port" "$pki/test-ca.pem" >>"$work/credd.toml"
expect "credd restarts with a TLS 1.1-only provider configured" start_credd "$work/credd.toml"
put_cred old
"$credctl" token old >/dev/null 2>"$work/old.err"
expect "a TLS 1.1-only server is refused (exit 5)" test $? -eq 5
expect "in the TLS handshake" grep -q "TLS handshake" "$work/old.err"

# --- plain http only for loopback ---------------------------------------------
printf 'socket = "%s"\nstate_dir = "%s"\n' "$work/x.sock" "$work/state-x" >"$work/http.toml"
provider_toml plain "http://login.example.com" >>"$work/http.toml"
"$credd" --config "$work/http.toml" 2>"$work/http.err"
expect "credd refuses a plain http issuer that is not loopback" test $? -ne 0
expect "naming the key and the value" \
  grep -q 'providers.plain.issuer: plain http is allowed only for loopback hosts: "http://login.example.com"' "$work/http.err"
finish

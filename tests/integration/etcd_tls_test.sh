#!/usr/bin/env bash
# End-to-end: the etcd backend over mutual TLS, as etcd is normally run. A
# test CA made with openssl signs etcd's server certificate (IP SAN
# 127.0.0.1) and credd's client certificate; etcd requires client
# certificates. credd with [store.etcd] ca_file, cert_file and key_file
# stores a login and serves it; without the client certificate, or trusting
# another CA, it reaches nothing and says why, within the request timeout.
# Usage: etcd_tls_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"

pki=$work/pki
test_ca test-ca
test_ca other-ca
test_cert etcd-server test-ca "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth"
test_cert credd-client test-ca "extendedKeyUsage=clientAuth"
expect "a test CA, a server and a client certificate" test -s "$pki/etcd-server.pem" -a -s "$pki/credd-client.pem"

url=https://127.0.0.1:$(free_port)
peer=http://127.0.0.1:$(free_port)
mkdir -p "$work/etcd/tls"
etcd --name tls --data-dir "$work/etcd/tls" --listen-client-urls "$url" --advertise-client-urls "$url" \
  --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "tls=$peer" \
  --cert-file "$pki/etcd-server.pem" --key-file "$pki/etcd-server.key" \
  --client-cert-auth --trusted-ca-file "$pki/test-ca.pem" >"$work/etcd-tls.out" 2>&1 &
extra_pids+=("$!")
healthy() {
  etcdctl --endpoints "$url" --cacert "$pki/test-ca.pem" --cert "$pki/credd-client.pem" \
    --key "$pki/credd-client.key" endpoint health >/dev/null 2>&1
}
expect "etcd serves https with client certificates required" wait_for 30 "etcd over TLS" healthy

start_provider --access-ttl 3600
new_master_key
tls_config() {  # FILE CA [CERT KEY]
  cat >"$1" <<TOML
socket    = "$work/run/credd.sock"
state_dir = "$work/state"
key_file  = "$work/master.key"
[store]
backend = "etcd"
[store.etcd]
endpoints = ["$url"]
request_timeout_seconds = 2
ca_file = "$2"
${3:+cert_file = \"$3\"}
${4:+key_file = \"$4\"}
$(demo_provider_toml)
TOML
}
export CREDD_SOCKET=$work/run/credd.sock

tls_config "$work/mtls.toml" "$pki/test-ca.pem" "$pki/credd-client.pem" "$pki/credd-client.key"
expect "credd starts with mTLS to etcd" start_credd "$work/mtls.toml"
expect "a login is stored in etcd over mTLS" login_demo 2>>"$work/login.err"
expect "and served" test -n "$("$credctl" token demo)"
expect "credd lists it from etcd" test "$(cred_state demo)" = valid
stop_credd

tls_config "$work/nocert.toml" "$pki/test-ca.pem"
expect "credd starts without a client certificate (etcd is only checked on first use)" \
  start_credd "$work/nocert.toml"
"$credctl" list >/dev/null 2>"$work/nocert.err"
rc=$?
expect "without a client certificate etcd refuses it: exit 5 (got $rc)" test "$rc" -eq 5
expect "naming the endpoint" grep -qF "$url" "$work/nocert.err"
stop_credd

tls_config "$work/otherca.toml" "$pki/other-ca.pem" "$pki/credd-client.pem" "$pki/credd-client.key"
expect "credd starts trusting another CA" start_credd "$work/otherca.toml"
"$credctl" list >/dev/null 2>"$work/otherca.err"
rc=$?
expect "a server certificate from an untrusted CA is refused: exit 5 (got $rc)" test "$rc" -eq 5
expect "saying the TLS handshake failed" grep -q "TLS handshake" "$work/otherca.err"
stop_credd

finish

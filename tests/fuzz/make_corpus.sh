#!/usr/bin/env bash
# Regenerates the seed corpora in tests/fuzz/corpus/ from real exchanges:
# the test OpenID provider (tests/oidc) answering discovery, device
# authorization, token, refresh, revocation and error requests; a real credd
# and credctl (through a recording proxy, seed_proxy.py) for the daemon's
# requests and answers; the configs the end-to-end tests write; this
# machine's /proc files. Seeds are named by the SHA-1 of their bytes, as
# libFuzzer names them; running this again only adds files.
#
#   tests/fuzz/make_corpus.sh CREDD CREDCTL     # the default build's binaries
set -euo pipefail
credd=$(realpath "$1")
credctl=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
corpus=$here/corpus
. "$here/../integration/lib.sh"

# seed TARGET SELECTOR_BYTE_OR_EMPTY FILE: adds FILE, prefixed with the byte
# (two hex digits) when the target takes one.
seed() {
  local dir=$corpus/$1 tmp
  mkdir -p "$dir"
  tmp=$(mktemp)
  if [ -n "$2" ]; then printf "\\x$2" >"$tmp"; fi
  cat "$3" >>"$tmp"
  mv "$tmp" "$dir/$(sha1sum "$tmp" | cut -c1-40)"
  chmod 644 "$dir"/*
}
seed_text() {  # TARGET SELECTOR TEXT
  printf '%s' "$3" >"$work/seed.txt"
  seed "$1" "$2" "$work/seed.txt"
}
body_of() { python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d.split(b"\r\n\r\n",1)[1] if b"\r\n\r\n" in d else b"")' "$1"; }

start_provider
cfg=$work/credd.toml
write_config "$cfg"
grant_reader "$cfg" fuzz-seeds "credentials/root/demo" '{ uid = 0 }'
start_credd "$cfg"

# --- the provider's answers (provider_response: selector, 2-byte status) ---
http_seed() {  # SELECTOR STATUS FILE
  local tmp=$work/http.seed
  printf "\\x$(printf %02x $(( ($2 - 100) >> 8 )))\\x$(printf %02x $(( ($2 - 100) & 255 )))" >"$tmp"
  cat "$3" >>"$tmp"
  seed provider_response "$1" "$tmp"
}
curl -s -o "$work/discovery.json" "$issuer/.well-known/openid-configuration"
http_seed 02 200 "$work/discovery.json"
seed_text provider_response 02 "$(printf '\x01\x90')not json"
endpoint() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2],""))' "$work/discovery.json" "$1"; }
token_ep=$(endpoint token_endpoint)
device_ep=$(endpoint device_authorization_endpoint)
revoke_ep=$(endpoint revocation_endpoint)
post() {  # OUT URL FORM -> status in OUT.status
  curl -s -o "$1" -w '%{http_code}' -X POST -H 'Accept: application/json' --data "$3" "$2" >"$1.status"
}
post "$work/device.json" "$device_ep" "client_id=credctl-demo&scope=openid%20offline_access"
http_seed 03 "$(cat "$work/device.json.status")" "$work/device.json"
device_code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["device_code"])' "$work/device.json")
post "$work/poll.json" "$token_ep" \
  "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=$device_code&client_id=credctl-demo"
http_seed 04 "$(cat "$work/poll.json.status")" "$work/poll.json"
post "$work/bad_code.json" "$token_ep" "grant_type=authorization_code&code=bogus&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&code_verifier=x&client_id=credctl-demo"
http_seed 00 "$(cat "$work/bad_code.json.status")" "$work/bad_code.json"
post "$work/bad_refresh.json" "$token_ep" "grant_type=refresh_token&refresh_token=bogus&client_id=credctl-demo"
http_seed 01 "$(cat "$work/bad_refresh.json.status")" "$work/bad_refresh.json"
post "$work/bad_target.json" "$token_ep" "grant_type=refresh_token&refresh_token=bogus&client_id=credctl-demo&resource=https%3A%2F%2Fnowhere.test"
http_seed 01 "$(cat "$work/bad_target.json.status")" "$work/bad_target.json"

# --- a real login and the commands, through the recording proxy ---
mkdir -p "$work/rec"
python3 "$here/seed_proxy.py" "$work/proxy.sock" "$CREDD_SOCKET" "$work/rec" &
extra_pids+=($!)
wait_for 10 "the recording proxy" test -S "$work/proxy.sock"
export CREDD_SOCKET=$work/proxy.sock
login_demo >/dev/null 2>&1
"$credctl" token demo >/dev/null
"$credctl" token -o json --min-valid 1 demo >/dev/null
"$credctl" list >/dev/null
"$credctl" status >/dev/null
"$credctl" providers >/dev/null
"$credctl" whoami >/dev/null
"$credctl" policy check --user root --provider demo --as-uid 65534 >/dev/null || true
"$credctl" policy check --user root --provider demo --exe /usr/bin/curl >/dev/null || true
"$credctl" admin status >/dev/null || true
"$credctl" admin check >/dev/null || true
"$credctl" admin backup "$work/backup.mdb" >/dev/null || true
"$credctl" token nosuch >/dev/null 2>&1 || true
"$credctl" token --user nobody demo >/dev/null 2>&1 || true

# The refresh token credd holds, refreshed by hand: a real token answer
# with a rotated refresh token and an ID token.
refresh=$(curl -s "$issuer/_test/issued" | python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_tokens"][-1])')
post "$work/refresh.json" "$token_ep" "grant_type=refresh_token&refresh_token=$refresh&client_id=credctl-demo"
http_seed 00 "$(cat "$work/refresh.json.status")" "$work/refresh.json"
http_seed 01 "$(cat "$work/refresh.json.status")" "$work/refresh.json"
http_seed 04 "$(cat "$work/refresh.json.status")" "$work/refresh.json"
id_token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("id_token",""))' "$work/refresh.json")
if [ -n "$id_token" ]; then
  seed_text id_token 00 "$id_token"
  python3 -c 'import base64,sys; p=sys.argv[1].split(".")[1]; sys.stdout.buffer.write(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))' \
    "$id_token" >"$work/claims.json"
  seed id_token 01 "$work/claims.json"
  # The same claims naming what id_token_fuzz.cpp expects, so that the
  # fuzzer starts past the issuer, audience and nonce checks.
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c.update(iss="https://issuer.example", aud="credctl", nonce="n-0S6_WzA2Mj", exp=1800000600); sys.stdout.write(json.dumps(c))' \
    "$work/claims.json" >"$work/claims-ours.json"
  seed id_token 01 "$work/claims-ours.json"
fi
new_refresh=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("refresh_token",""))' "$work/refresh.json")
post "$work/revoke.txt" "$revoke_ep" "token=$new_refresh&token_type_hint=refresh_token&client_id=credctl-demo"
http_seed 05 "$(cat "$work/revoke.txt.status")" "$work/revoke.txt"
"$credctl" logout demo >/dev/null 2>&1 || true

# --- what went over credd's socket, one request and its answer at a time ---
kill "${extra_pids[-1]}" && wait "${extra_pids[-1]}" 2>/dev/null || true
unset 'extra_pids[-1]'
python3 "$here/split_exchanges.py" "$work/rec" "$work/msgs"
for conn in "$work"/msgs/conn-*.request; do
  [ -f "$conn" ] && seed daemon_request 00 "$conn"
done
for req in "$work"/msgs/[0-9]*.request; do
  [ -s "$req" ] || continue
  seed daemon_request 00 "$req"
  seed daemon_request 01 "$req"
  reply=${req%.request}.reply
  [ -s "$reply" ] && seed daemon_reply "" "$reply"
  body_of "$req" >"$work/body"
  body_of "$reply" >"$work/reply_body" 2>/dev/null || : >"$work/reply_body"
  line=$(head -c 200 "$req" | head -n1)
  case "$line" in
    "PUT /v1/users/"*) [ -s "$work/body" ] && seed wire_request 00 "$work/body" ;;
    "POST /v1/policy/check"*) seed wire_request 01 "$work/body"; seed wire_answer 06 "$work/reply_body" ;;
    "POST /v1/admin/backup"*) seed wire_request 02 "$work/body"; seed wire_request 03 "$work/body" ;;
    "GET /v1/users/"*"/token"*) seed wire_answer 00 "$work/reply_body" ;;
    "GET /v1/users/"*"/credentials "*) seed wire_answer 01 "$work/reply_body" ;;
    "GET /v1/status"*) seed wire_answer 02 "$work/reply_body" ;;
    "GET /v1/providers"*) seed wire_answer 03 "$work/reply_body" ;;
    "DELETE "*) seed wire_answer 04 "$work/reply_body" ;;
    "GET /v1/whoami"*) seed wire_answer 05 "$work/reply_body" ;;
    "GET /v1/admin/store"*) seed wire_answer 07 "$work/reply_body" ;;
    "POST /v1/admin/check"*) seed wire_answer 08 "$work/reply_body" ;;
  esac
  case "$(head -n1 "$reply" 2>/dev/null)" in
    "HTTP/1.1 4"* | "HTTP/1.1 5"*) seed wire_answer 09 "$work/reply_body"; seed wire_answer 0a "$work/reply_body" ;;
  esac
done

# --- configs: the end-to-end tests' credd.toml, a client config ---
seed daemon_config "" "$cfg"
for f in "$root"/packaging/*.toml; do [ -f "$f" ] && seed daemon_config "" "$f"; done
seed_text client_config "" "$(printf 'socket = "/run/credd/credd.sock"\nautostart = true\n')"
seed_text client_config "" "$(printf '# credctl.toml\nautostart = false\n')"

# --- /proc of this machine ---
seed proc_peer 00 /proc/self/cgroup
seed proc_peer 00 /proc/1/cgroup
seed_text proc_peer 00 "0::/system.slice/nightly-sync.service/worker"
seed_text proc_peer 00 "$(printf '12:name=systemd:/system.slice/cron.service\n0::/\n')"
seed_text proc_peer 00 "0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.service"
seed_text proc_peer 01 "bash"
seed proc_peer 01 /proc/self/stat
seed_text proc_peer 01 "a) (b"

# --- the loopback callback (state as in loopback_callback_fuzz.cpp) ---
state=Zm9vYmFyYmF6cXV4
seed_text loopback_callback 00 "$(printf 'GET /callback?code=QL4rw3S2pE&state=%s&iss=%s HTTP/1.1\r\nHost: 127.0.0.1:43121\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\n\r\n' "$state" "$issuer")"
seed_text loopback_callback 00 "$(printf 'GET /callback?error=access_denied&error_description=denied&state=%s HTTP/1.1\r\nHost: 127.0.0.1:43121\r\n\r\n' "$state")"
seed_text loopback_callback 00 "$(printf 'GET /start/AbCdEf HTTP/1.1\r\nHost: 127.0.0.1:43121\r\n\r\n')"
seed_text loopback_callback 01 "http://127.0.0.1:43121/callback?code=QL4rw3S2pE&state=$state&iss=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$issuer")"
seed_text loopback_callback 01 "/callback?state=$state&code=a%20b"

# --- the store: a record plaintext laid out as docs/store-format.md says ---
python3 - "$work/record" <<'PY'
import struct, sys
def s(b): return struct.pack('<I', len(b)) + b
def u(v): return struct.pack('<Q', v)
rec = s(b'\x01' + b'\x00\x00\x00\x01' + b'n' * 24 + b'sealed-refresh-token' + b't' * 16) + s(b'access-token-value') + u(1800000000) \
    + s(b'openid offline_access') + s(b'http://127.0.0.1:1') + s(b'demo-user') + u(1700000000) + u(1700000100) + u(3) + u(0)
open(sys.argv[1], 'wb').write(rec)
PY
seed store_record 00 "$work/record"
printf 'alice\0github' >"$work/key"; seed store_record 01 "$work/key"; seed store_record 02 "$work/key"
seed store_record 03 "$work/record"

# --- git's credential request, kubectl's exec info ---
seed_text token_input 00 "$(printf 'protocol=https\nhost=github.com\nusername=alice\n\n')"
seed_text token_input 00 "$(printf 'protocol=https\nhost=example.com\npath=org/repo.git\n\n')"
seed_text token_input 01 '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false}}'
seed_text token_input 01 '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"server":"https://k8s.example:6443"},"interactive":true}}'

echo "seeds: $(find "$corpus" -type f | wc -l) files in $(ls "$corpus" | wc -l) corpora"
finish

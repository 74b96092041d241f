#!/usr/bin/env bash
# End-to-end: RFC 8707 resource indicators against the real provider, which
# knows one resource server, https://api.example.test (tests/oidc/provider.mjs):
# asked for it, it issues a JWT access token with that `aud`, signed with its
# /jwks key; asked for none, an opaque userinfo token; any other resource is
# invalid_target. Its useGrantedResource is false, so a code exchange, device
# poll or refresh that leaves `resource` out gets a token without the audience.
# - a provider with `resource`: the loopback login, the device login, forced
#   and down-scoped (--scope) refreshes all give tokens issued for the
#   resource (signature checked against the provider's keys, `aud` decoded),
#   and every request carried it;
# - a provider without `resource`: no resource sent, no audience in the token;
# - an unknown resource: login (loopback and device) and a refresh of a
#   credential granted for another resource fail with exit 4 naming it.
# Usage: oauth_resource_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
api=https://api.example.test
unknown=https://unknown.example.test

start_provider --access-ttl 3600
write_config "$work/credd.toml"
provider_api() {  # NAME RESOURCE: a [providers.NAME] table asking for RESOURCE
  cat <<TOML

[providers.$1]
issuer    = "$issuer"
client_id = "credctl-demo"
scopes    = ["openid", "offline_access", "api:read"]
resource  = "$2"
TOML
}
cp "$work/credd.toml" "$work/base.toml"
{ provider_api api "$api"; provider_api unknown "$unknown"; } >>"$work/credd.toml"
expect "credd starts" start_credd "$work/credd.toml"

# Claims of the JWT read on stdin, printed as JSON only if its RS256 signature
# verifies with a key of the provider's jwks_uri; exit 1: not a JWT, 2: bad.
jwt_claims() {
  node --input-type=module -e '
import { createPublicKey, verify } from "node:crypto";
let token = "";
for await (const chunk of process.stdin) token += chunk;
const [h, p, s, extra] = token.trim().split(".");
if (s === undefined || extra !== undefined) process.exit(1);
const header = JSON.parse(Buffer.from(h, "base64url"));
const { jwks_uri } = await (await fetch(`${process.argv[1]}/.well-known/openid-configuration`)).json();
const jwk = (await (await fetch(jwks_uri)).json()).keys.find((k) => k.kid === header.kid);
if (header.alg !== "RS256" || !jwk) process.exit(2);
const good = verify("RSA-SHA256", Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: "jwk" }),
  Buffer.from(s, "base64url"));
if (!good) process.exit(2);
process.stdout.write(Buffer.from(p, "base64url").toString());
' "$issuer"
}
claim() {  # NAME: a claim of the JSON on stdin ("" when absent)
  python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"
}
# How many requests of a kind carried `resource` (0 when none did).
sent_resource() { pstat "resource_requests.$1" 2>/dev/null || echo 0; }
# The provider's introspection of the token on stdin, as the public client.
introspect() {
  { printf 'client_id=credctl-demo&token='; tr -d '\n'; } | curl -sf --data-binary @- "$issuer/token/introspection"
}

# --- loopback login with a resource ------------------------------------------------
reset_stats
BROWSER=$oidc/browser "$credctl" login api 2>"$work/login-api.err"
expect "login to a provider with resource succeeds" test $? -eq 0
expect "the authorization request carried the resource" test "$(sent_resource authorization)" -eq 1
expect "and so did the code exchange" test "$(sent_resource authorization_code)" -eq 1
"$credctl" token api >"$work/t1"
jwt_claims <"$work/t1" >"$work/t1.claims"
expect "credctl token gives a JWT signed by the provider's key" test $? -eq 0
sed -E 's/^([^.]*)\.e/\1.f/' "$work/t1" | jwt_claims >/dev/null
expect "(the check refuses that token with one payload byte changed)" test $? -eq 2
expect "whose audience is the resource ($(claim aud <"$work/t1.claims"))" test "$(claim aud <"$work/t1.claims")" = "$api"
expect "issued by the provider to credctl-demo for demo-user" \
  test "$(claim iss <"$work/t1.claims") $(claim client_id <"$work/t1.claims") $(claim sub <"$work/t1.claims")" \
  = "$issuer credctl-demo demo-user"
expect "with the resource server's scope only" test "$(claim scope <"$work/t1.claims")" = "api:read"
expect "the userinfo endpoint refuses it (it is not for the provider)" bash -c "! curl -sf -H \"Authorization: Bearer \$(cat '$work/t1')\" '$issuer/me' >/dev/null"

# --- forced refresh ------------------------------------------------------------------
reset_stats
"$credctl" token api --min-valid 7200 >"$work/t2"
expect "a token asked to outlive the cached one is refreshed" test "$(pstat token_requests.refresh_token)" -eq 1
expect "the refresh carried the resource" test "$(sent_resource refresh_token)" -eq 1
expect "the refreshed token is another one" bash -c "! cmp -s '$work/t1' '$work/t2'"
jwt_claims <"$work/t2" >"$work/t2.claims"
expect "the refreshed token is a JWT signed by the provider's key" test $? -eq 0
expect "whose audience is still the resource" test "$(claim aud <"$work/t2.claims")" = "$api"
"$credctl" token api --min-valid 7200 | jwt_claims >"$work/t2b.claims"
expect "a second forced refresh, with the rotated refresh token, is for the resource too" \
  test "$(claim aud <"$work/t2b.claims")" = "$api"
"$credctl" token api --scope api:read -o json >"$work/narrow.json"
expect "a down-scoped token (--scope api:read) has that scope" \
  test "$(claim scope <"$work/narrow.json")" = "api:read"
python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' <"$work/narrow.json" | jwt_claims >"$work/narrow.claims"
expect "and is the provider's JWT for the resource as well" test "$(claim aud <"$work/narrow.claims")" = "$api"
expect "and the provider refused no refresh" test "$(pstat token_errors.refresh_token)" -eq 0
expect "every one of the $(pstat token_requests.refresh_token) refreshes carried the resource" \
  test "$(sent_resource refresh_token)" -eq "$(pstat token_requests.refresh_token)"

# --- device login with a resource ---------------------------------------------------
"$credctl" logout api 2>/dev/null
reset_stats
"$credctl" login --device api 2>"$work/device.err" &
device_pid=$!
wait_for 10 "the device login's instructions" grep -qs 'carries the code' "$work/device.err"
node "$oidc/browser.mjs" "$(grep -o "$issuer/device?user_code=[^ ]*" "$work/device.err")" 2>"$work/device-browser.err"
wait "$device_pid"
expect "credctl login --device to a provider with resource succeeds" test $? -eq 0
expect "the device authorization request carried the resource" test "$(sent_resource device_authorization)" -eq 1
polls=$(pstat 'token_requests.urn:ietf:params:oauth:grant-type:device_code')
expect "and so did all $polls polls" \
  test "$(sent_resource urn:ietf:params:oauth:grant-type:device_code)" -eq "$polls" -a "$polls" -ge 1
"$credctl" token api | jwt_claims >"$work/t3.claims"
expect "the device-flow token is the provider's JWT for the resource" test "$(claim aud <"$work/t3.claims")" = "$api"

# --- a provider without resource ---------------------------------------------------------
reset_stats
login_demo 2>"$work/login-demo.err"
expect "login to a provider without resource succeeds" test $? -eq 0
"$credctl" token demo --min-valid 7200 >"$work/t4"
expect "no request of that login and refresh carried a resource" \
  test "$(stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["resource_requests"])')" = "{}"
jwt_claims <"$work/t4" >/dev/null
expect "its token is not a JWT (an opaque userinfo token)" test $? -eq 1
introspect <"$work/t4" >"$work/t4.introspection"
expect "the provider knows it as active" test "$(claim active <"$work/t4.introspection")" = True
expect "without the resource as audience ($(claim aud <"$work/t4.introspection"))" test "$(claim aud <"$work/t4.introspection")" = ""
expect "and it works at userinfo" userinfo_ok "$(cat "$work/t4")"

# --- unknown resource ---------------------------------------------------------------------
BROWSER=$oidc/browser "$credctl" login unknown 2>"$work/unknown.err"
expect "a login asking for an unknown resource exits 4" test $? -eq 4
expect "naming the refused resource" \
  grep -q "authorization endpoint refused resource \"$unknown\" (invalid_target, RFC 8707)" "$work/unknown.err"
"$credctl" login --device unknown 2>"$work/unknown-device.err"
expect "so does a device login" test $? -eq 4
expect "naming it too" \
  grep -q "device authorization endpoint refused resource \"$unknown\" (invalid_target" "$work/unknown-device.err"
expect "no credential was stored for it" test -z "$(cred_state unknown)"

# The api credential, granted for $api, under a config that now asks for another resource.
expect "credd stops" stop_credd
{ cat "$work/base.toml"; provider_api api "$unknown"; } >"$work/credd.toml"
expect "credd starts with provider api asking for $unknown" start_credd "$work/credd.toml"
"$credctl" token api --min-valid 7200 >/dev/null 2>"$work/retarget.err"
expect "a refresh for a resource the login was not granted exits 4" test $? -eq 4
expect "saying which resource was refused and to log in again" \
  bash -c "grep -q 'token endpoint refused resource \"$unknown\" (invalid_target, RFC 8707)' '$work/retarget.err' &&
           grep -q 'run: credctl login api' '$work/retarget.err'"
expect "the credential is marked login_required" test "$(cred_state api)" = login_required
finish

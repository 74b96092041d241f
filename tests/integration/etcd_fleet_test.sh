#!/usr/bin/env bash
# End-to-end: credd on an etcd cluster ([store] backend = "etcd",
# docs/fleet.md). A 3-member etcd cluster on loopback, the real provider and
# two credds with their own sockets and state directories, the same master
# key and the same prefix, standing for two hosts of a fleet:
# - a login through one is served by both, without a refresh;
# - etcd holds no token in the clear, in its answers or its data files;
# - a record copied under another key does not open;
# - a logout and a new login through one credd reach the other's cache at
#   once (the etcd watch), not when its cached token runs out;
# - with one member killed, logins and reads go on; with quorum lost, a call
#   that needs the store fails within the request timeout with exit 5 and a
#   message naming etcd, while a cached token is still served.
# The fleet-wide refresh lock and stampedes: etcd_stampede_test.sh.
# Usage: etcd_fleet_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"

start_provider --access-ttl 3600
start_etcd_cluster 3
expect "a 3-member etcd cluster starts" etcdctl --endpoints "$etcd_urls" endpoint health
new_master_key

fleet_config() {  # INDEX
  etcd_credd_config "$1" /fleet-test/ "request_timeout_seconds = 5" "$(demo_provider_toml demo2)"
}
start_host() { fleet_config "$1" && start_fleet_credd "$1"; }  # INDEX

"$credd" --config "$(fleet_config 1; echo "$work/credd1.toml")" --check-config >"$work/check.out" 2>&1
expect "--check-config shows the etcd backend" grep -q 'store.backend *= *"etcd"' "$work/check.out"
expect "--check-config shows the endpoints" grep -qF "${etcd_client_urls[1]}" "$work/check.out"
expect "credd 1 starts on etcd" start_host 1
expect "credd 2 starts on etcd" start_host 2

# --- one login, served by the fleet ----------------------------------------------
on 1 login_demo 2>>"$work/login.err"
expect "a login through credd 1 succeeds" test $? -eq 0
reset_stats
t1=$(on 1 "$credctl" token demo)
t2=$(on 2 "$credctl" token demo)
expect "credd 2 serves the credential logged in through credd 1" test -n "$t2"
expect "both serve the same access token" test "$t1" = "$t2"
expect "the provider saw no refresh" test "$(refreshes)" -eq 0
expect "credd 2 lists it" test "$(on 2 cred_state demo)" = valid

# --- nothing in the clear ------------------------------------------------------
etcd_get_prefix /fleet-test/ >"$work/etcd-dump" 2>&1
expect "etcd holds the record, the key check, data key 1 and the current key's id" \
  test "$(grep -c '^/fleet-test/' "$work/etcd-dump")" -eq 4
curl -sf "$issuer/_test/issued" | python3 -c 'import json,sys
d = json.load(sys.stdin)
print("\n".join(d["access_tokens"] + d["refresh_tokens"]))' >"$work/issued"
expect "the provider issued tokens" test -s "$work/issued"
in_clear=0
while read -r tok; do
  grep -qF "$tok" "$work/etcd-dump" && in_clear=1
  grep -rqF "$tok" "$work/etcd" && in_clear=1
done <"$work/issued"
expect "no issued token appears in etcd's answers or data directories" test "$in_clear" -eq 0

# --- a moved value does not open -------------------------------------------------
user=$(id -un)
gw() { curl -sf -X POST "${etcd_client_urls[1]}/v3/kv/$1" -d "$2"; }
b64() { printf '%s' "$1" | base64 -w0; }
value=$(gw range "{\"key\":\"$(b64 "/fleet-test/credentials/$user/demo")\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["kvs"][0]["value"])')
gw put "{\"key\":\"$(b64 "/fleet-test/credentials/$user/demo2")\",\"value\":\"$value\"}" >/dev/null
on 2 "$credctl" token demo2 >/dev/null 2>"$work/moved.err"
expect "a record copied under another key is refused" test $? -ne 0
expect "saying it does not open" grep -q "record does not open" "$work/moved.err"
etcdctl --endpoints "$etcd_urls" del /fleet-test/credentials/"$user"/demo2 >/dev/null

# --- a change on one host reaches the others' caches (the etcd watch) --------------
t2=$(on 2 "$credctl" token demo)   # credd 2 holds it in its cache now
expect "a logout through credd 1 succeeds" on 1 "$credctl" logout demo
logout_seen() { ! on 2 "$credctl" token demo >/dev/null 2>&1; }
expect "credd 2 stops serving its cached token within 5 s" wait_for 5 "credd 2 to see the logout" logout_seen
on 2 "$credctl" token demo >/dev/null 2>"$work/after-logout.err"
expect "saying there is no credential" grep -q "no credential" "$work/after-logout.err"
on 1 login_demo 2>>"$work/login.err"
t1=$(on 1 "$credctl" token demo)
new_login_seen() { [ "$(on 2 "$credctl" token demo 2>/dev/null)" = "$t1" ]; }
expect "a new login through credd 1 is served by credd 2 within 5 s" wait_for 5 "credd 2 to see the login" new_login_seen
expect "with a new token" test -n "$t1" -a "$t1" != "$t2"

# --- one member down -------------------------------------------------------------
kill_etcd_member 1
on 2 login_demo 2>>"$work/login.err"
expect "with one member killed, a login through credd 2 succeeds" test $? -eq 0
expect "credd 1 still reads the store" test "$(on 1 cred_state demo)" = valid
cached=$(on 1 "$credctl" token demo)

# --- quorum lost -------------------------------------------------------------------
kill_etcd_member 2
start=$(now_ms)
on 1 "$credctl" list >/dev/null 2>"$work/quorum.err"
rc=$?
took=$(($(now_ms) - start))
expect "without quorum a store read fails with exit 5 (got $rc)" test "$rc" -eq 5
expect "within the request timeout (took ${took} ms)" test "$took" -lt 7000
expect "naming etcd" grep -q "etcd: no member answered" "$work/quorum.err"
expect "a cached token is still served" test "$(on 1 "$credctl" token demo)" = "$cached"

finish

#!/usr/bin/env bash
# End-to-end: key rotation and master key replacement on the etcd backend
# (docs/fleet.md "Key rotation on a fleet"), three credds on a 3-member etcd
# and the real provider:
# - a login through credd 1, `credctl admin rotate-key` through credd 2:
#   every record is re-sealed under data key 2, old key 1 is deleted, and
#   etcd holds no token in the clear;
# - credds 1 and 3 go on serving, and a refresh through credd 1 is written
#   under the new key (it followed the switch) and served by credd 3;
# - a user without the admin permission gets 403 for rotate-key;
# - `replace-master-key` through credd 2 while the fleet serves: the running
#   credds still serve and refresh, a credd restarted with the new key
#   serves, one restarted with the old key refuses to start naming the key.
# Usage: etcd_rotate_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"

prefix=/rotate-test/
start_provider --access-ttl 10
new_master_key
user=$(id -un)
start_etcd_cluster 3
for i in 1 2 3; do
  etcd_credd_config "$i" "$prefix" "request_timeout_seconds = 5" "$(demo_provider_toml demo2)"
  sed -i '1a socket_mode = 0o666' "$work/credd$i.toml"  # another uid reaches the socket, to be refused
  expect "credd $i starts on etcd" start_fleet_credd "$i"
done

# "ETCD_KEY KEY_ID" for every record: the key id is bytes 1-4 of the sealed
# value's header (docs/store-format.md "Sealed values").
record_key_ids() {
  ETCDCTL_API=3 etcdctl --endpoints "$etcd_urls" get --prefix "${prefix}credentials/" -w json | python3 -c '
import base64, json, sys
for kv in json.load(sys.stdin).get("kvs", []):
    v = base64.b64decode(kv["value"])
    print(base64.b64decode(kv["key"]).decode(), int.from_bytes(v[1:5], "big"))'
}
every_record_under() {  # ID
  local ids
  ids=$(record_key_ids | awk '{ print $2 }' | sort -u)
  [ -n "$ids" ] && [ "$ids" = "$1" ]
}
meta_get() { etcdctl --endpoints "$etcd_urls" get --print-value-only "${prefix}meta/$1"; }
data_key_ids() { etcdctl --endpoints "$etcd_urls" get --prefix --keys-only "${prefix}meta/keys/" | sed -n 's|.*/||p' | xargs; }
token() { on "$1" "$credctl" token demo --min-valid "${2:-1}"; }  # INDEX [MIN_VALID]

# --- a login, then a rotation through another credd ------------------------------
on 1 login_demo 2>>"$work/login.err"
expect "a login to demo through credd 1 succeeds" test $? -eq 0
on 1 env BROWSER="$oidc/browser" "$credctl" login demo2 2>>"$work/login.err"
expect "a login to demo2 through credd 1 succeeds" test $? -eq 0
t1=$(token 1)
expect "credds 2 and 3 serve it" test -n "$t1" -a "$(token 2)" = "$t1" -a "$(token 3)" = "$t1"
expect "before the rotation, records are under data key 1" every_record_under 1
expect "and meta/current_key names it" test "$(meta_get current_key)" = 1
reset_stats
on 2 "$credctl" admin rotate-key >"$work/rotate.out" 2>"$work/rotate.err"
rc=$?
expect "credctl admin rotate-key through credd 2 succeeds (exit $rc: $(tail -1 "$work/rotate.err"))" test "$rc" -eq 0
expect "it names the new data key" grep -q "^Rotating to data key 2 " "$work/rotate.err"
records=$(record_key_ids | wc -l)
expect "etcd holds both records" test "$records" -eq 2
expect "it says every record was re-sealed" \
  grep -qx "Done: every record is sealed under data key 2 ($records re-sealed)" "$work/rotate.err"
expect "every record in etcd is under data key 2 (read from the headers)" every_record_under 2
expect "meta/current_key names data key 2" test "$(meta_get current_key)" = 2
expect "data key 1 is deleted, data key 2 kept" test "$(data_key_ids)" = 2
on 3 "$credctl" admin status -o json >"$work/status3.json" 2>&1
expect "credd 3's status names data key 2, not rotating" \
  grep -q '"current_key":2,"keys":\[2\],"rotating":false' "$work/status3.json"

# --- the fleet goes on serving, and writes under the new key ----------------------
for i in 1 3; do
  expect "credd $i still serves the token after the rotation" test "$(token "$i")" = "$t1"
done
sleep 2  # the token has less than 9 s left: a refresh
t2=$(token 1 9)
expect "a refresh through credd 1 after the rotation succeeds" test -n "$t2" -a "$t2" != "$t1"
expect "the provider saw exactly one refresh" test "$(refreshes)" -eq 1
serves_t2() { [ "$(token 3)" = "$t2" ]; }
wait_for 5 "credd 3 to serve the refreshed token" serves_t2
expect "credd 3 serves the token credd 1 refreshed" serves_t2
expect "the record credd 1 wrote is under data key 2" every_record_under 2
on 3 "$credctl" admin check >"$work/check.out" 2>&1
expect "admin check through credd 3: every record opens" grep -qx "$records of $records records open" "$work/check.out"
etcd_get_prefix "$prefix" >"$work/etcd-dump" 2>&1
expect "etcd holds no token in the clear" test "$(grep -caF -e "$t1" -e "$t2" "$work/etcd-dump")" -eq 0

# --- a non-admin uid may not rotate ------------------------------------------------
ensure_user credctl-rot
code=$(CREDD_SOCKET=$work/run2/credd.sock as_user credctl-rot curl -s -o /dev/null -w '%{http_code}' \
  --unix-socket "$work/run2/credd.sock" -X POST http://localhost/v1/admin/rotate-key)
expect "another uid gets 403 for POST /v1/admin/rotate-key (not $code)" test "$code" = 403
CREDD_SOCKET=$work/run2/credd.sock as_user credctl-rot "$credctl" admin rotate-key >/dev/null 2>"$work/denied.err"
expect "and credctl admin rotate-key exits 3 for it" test $? -eq 3
expect "naming credentials:* on credentials/*/*" grep -q "credentials:\* on credentials/\*/\* denied" "$work/denied.err"
expect "nothing was rotated" test "$(meta_get current_key)" = 2

# --- the master key replaced while the fleet serves --------------------------------
head -c 32 /dev/urandom >"$work/new.key"
chmod 600 "$work/new.key"
on 2 "$credctl" admin replace-master-key "$work/new.key" >/dev/null 2>"$work/replace.err"
rc=$?
expect "replace-master-key through credd 2 succeeds (exit $rc: $(tail -1 "$work/replace.err"))" test "$rc" -eq 0
t_after=$(token 1)
expect "credd 1, running with the old master key, still serves" test -n "$t_after"
for i in 2 3; do
  expect "credd $i, running with the old master key, still serves" test "$(token "$i")" = "$t_after"
done
sleep 2
reset_stats
t3=$(token 3 9)
expect "credd 3, running with the old master key, refreshes" test -n "$t3" -a "$t3" != "$t2" -a "$(refreshes)" -eq 1
kill -TERM "${fleet_pids[1]}" && wait "${fleet_pids[1]}"
kill -TERM "${fleet_pids[3]}" && wait "${fleet_pids[3]}"
sed -i "s|^key_file .*|key_file  = \"$work/new.key\"|" "$work/credd3.toml"
expect "credd 3 restarted with the new master key starts" start_fleet_credd 3
expect "and serves the credential" test "$(token 3)" = "$t3"
timeout 20 "$credd" --config "$work/credd1.toml" 2>"$work/old-key.err"
rc=$?
expect "credd 1 restarted with the old master key refuses to start (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
expect "naming the store and the key file" grep -qF \
  "master key does not match the etcd store at prefix \"$prefix\" (key from $work/master.key)" "$work/old-key.err"

finish

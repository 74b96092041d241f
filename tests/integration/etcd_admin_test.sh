#!/usr/bin/env bash
# End-to-end: credctl admin on the etcd backend, and the migration of a
# host's LMDB store into etcd (docs/fleet.md "Admin on etcd"):
# - a credd on LMDB with logins of two credentials writes a backup;
# - `credctl admin restore` of that backup into a 3-member etcd moves both,
#   and three credds on that etcd serve both without a login or a refresh;
# - a newer record in etcd (a new login) is not overwritten by a second
#   restore of the same backup: refused, and the fleet goes on serving it;
# - `admin check` on etcd opens every record and names one that does not;
# - `admin backup` on etcd writes a file that restores into a fresh LMDB
#   credd, and that also opens as its data.mdb, serving both credentials.
# Usage: etcd_admin_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"

start_provider --access-ttl 3600
new_master_key
user=$(id -un)

# credd INDEX on LMDB: its own socket and state, the shared master key.
lmdb_credd_config() {  # INDEX
  cat >"$work/credd$1.toml" <<TOML
socket    = "$work/run$1/credd.sock"
state_dir = "$work/state$1"
key_file  = "$work/master.key"

$(demo_provider_toml)
$(demo_provider_toml demo2)
TOML
}
served=0  # how many serves() calls got the expected token
serves() {  # INDEX PROVIDER TOKEN
  [ "$(on "$1" "$credctl" token "$2" 2>/dev/null)" = "$3" ] && served=$((served + 1))
}

# --- a host on LMDB with two credentials ----------------------------------------
lmdb_credd_config 0
expect "credd 0 starts on LMDB" start_fleet_credd 0
on 0 login_demo 2>>"$work/login.err"
expect "a login to demo through credd 0 succeeds" test $? -eq 0
on 0 env BROWSER="$oidc/browser" "$credctl" login demo2 2>>"$work/login.err"
expect "a login to demo2 through credd 0 succeeds" test $? -eq 0
logged_in_at=$(date +%s)
t_demo=$(on 0 "$credctl" token demo)
t_demo2=$(on 0 "$credctl" token demo2)
expect "credd 0 serves both" test -n "$t_demo" -a -n "$t_demo2" -a "$t_demo" != "$t_demo2"
expect "credd 0 writes a backup" on 0 "$credctl" admin backup "$work/host.backup"
kill -TERM "${fleet_pids[0]}" && wait "${fleet_pids[0]}"

# --- migration into a 3-member etcd, served by three credds ----------------------
start_etcd_cluster 3
for i in 1 2 3; do
  etcd_credd_config "$i" /admin-test/ "request_timeout_seconds = 5" "$(demo_provider_toml demo2)"
  expect "credd $i starts on etcd" start_fleet_credd "$i"
done
reset_stats
on 1 "$credctl" admin restore "$work/host.backup" >"$work/restore1.out" 2>"$work/restore1.err"
expect "the LMDB backup restores into etcd through credd 1" test $? -eq 0
expect "both credentials were moved" grep -qx "2 moved, 0 skipped, 0 refused, 0 failed" "$work/restore1.out"
expect "each one named" grep -qx "moved $user/demo2" "$work/restore1.out"
for i in 1 2 3; do
  expect "credd $i serves demo without a login" serves "$i" demo "$t_demo"
  expect "credd $i serves demo2 without a login" serves "$i" demo2 "$t_demo2"
done
expect "the provider saw no refresh for those six tokens" test "$served" -eq 6 -a "$(refreshes)" -eq 0
etcd_get_prefix /admin-test/ >"$work/etcd-dump" 2>&1
expect "etcd holds both records, and neither token in the clear" \
  test "$(grep -c "^/admin-test/credentials/$user/" "$work/etcd-dump")" -eq 2 \
  -a "$(grep -cF -e "$t_demo" -e "$t_demo2" "$work/etcd-dump")" -eq 0

# --- a newer record in etcd is not overwritten ------------------------------------
later() { [ "$(date +%s)" -gt "$logged_in_at" ]; }
wait_for 2 "a second to pass since the LMDB logins" later
on 2 login_demo 2>>"$work/login.err"
expect "a new login to demo through credd 2 succeeds" test $? -eq 0
t_new=$(on 2 "$credctl" token demo)
expect "with a new token" test -n "$t_new" -a "$t_new" != "$t_demo"
on 1 "$credctl" admin restore "$work/host.backup" >"$work/restore2.out" 2>"$work/restore2.err"
restore2=$?
expect "a second restore of the same backup succeeds" test "$restore2" -eq 0
expect "it refuses the older demo and skips the unchanged demo2" \
  grep -qx "0 moved, 1 skipped, 1 refused, 0 failed" "$work/restore2.out"
expect "naming the refused credential and why" grep -q "^refused $user/demo: this store holds a newer record" \
  "$work/restore2.out"
served=0
for i in 1 2 3; do
  wait_for 5 "credd $i to serve the new token" serves "$i" demo "$t_new"
done
expect "after the second restore, credds 1 to 3 serve the new login's token" \
  test "$restore2" -eq 0 -a "$served" -eq 3

# --- check on etcd ----------------------------------------------------------------
on 3 "$credctl" admin check >"$work/check1.out" 2>&1
expect "admin check on etcd succeeds" test $? -eq 0
expect "and opens both records" grep -qx "2 of 2 records open" "$work/check1.out"
# Byte for byte (a shell variable would drop the NUL bytes of the header):
# etcdctl prints the value and a newline, and puts what it reads on stdin.
etcdctl --endpoints "$etcd_urls" get --print-value-only "/admin-test/credentials/$user/demo" | head -c -1 |
  etcdctl --endpoints "$etcd_urls" put "/admin-test/credentials/mallory/demo" >/dev/null
on 3 "$credctl" admin check >"$work/check2.out" 2>&1
expect "admin check fails (exit 1) with a record moved under another key" test $? -eq 1
expect "naming it" grep -q "^FAILED mallory/demo: record does not open" "$work/check2.out"
expect "and only it" grep -qx "2 of 3 records open" "$work/check2.out"
on 3 "$credctl" admin backup "$work/refused.backup" >"$work/refused.out" 2>&1
expect "a backup with a record that does not open is refused (exit 1)" test $? -eq 1
named_without_file() {
  grep -q "no backup written: credential mallory/demo does not open" "$work/refused.out" && [ ! -e "$work/refused.backup" ]
}
expect "naming the record, and writing no file" named_without_file
etcdctl --endpoints "$etcd_urls" del "/admin-test/credentials/mallory/demo" >/dev/null

# --- backup on etcd, restored into LMDB ------------------------------------------
expect "admin backup on etcd succeeds" on 3 "$credctl" admin backup "$work/fleet.backup"
expect "the backup is 0600" test "$(stat -c %a "$work/fleet.backup")" = 600
expect "the backup holds no token in the clear" \
  test "$(grep -caF -e "$t_new" -e "$t_demo2" "$work/fleet.backup")" -eq 0
served=0
lmdb_credd_config 4
expect "a fresh credd 4 starts on LMDB" start_fleet_credd 4
on 4 "$credctl" admin restore "$work/fleet.backup" >"$work/restore4.out" 2>&1
expect "the etcd backup restores into it" grep -qx "2 moved, 0 skipped, 0 refused, 0 failed" "$work/restore4.out"
expect "credd 4 serves demo's newest token" serves 4 demo "$t_new"
expect "credd 4 serves demo2" serves 4 demo2 "$t_demo2"
lmdb_credd_config 5
mkdir -m 700 "$work/state5" && cp "$work/fleet.backup" "$work/state5/data.mdb"
expect "a credd 5 on the backup as its data.mdb starts" start_fleet_credd 5
expect "credd 5 serves demo's newest token" serves 5 demo "$t_new"
expect "credd 5 serves demo2" serves 5 demo2 "$t_demo2"
expect "the provider saw no refresh through it all" test "$served" -eq 4 -a "$(refreshes)" -eq 0

finish

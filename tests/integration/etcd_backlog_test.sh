#!/usr/bin/env bash
# End-to-end: a credd whose etcd watch falls behind catches up (docs/fleet.md
# "Cache coherence"). Two credds on a 1-member etcd; credd 2 holds a token in
# its cache, then is frozen (SIGSTOP) while other writers put a backlog of
# large values below the prefix (about 14 MB of JSON in 1000 revisions, what etcd
# sends a watch that is behind in one message unless it asks for fragments)
# and credd 1 logs the credential out. Once credd 2 runs again (SIGCONT):
# - its watch reports the backlog and the logout: it stops serving the token
#   it held, and then serves a new login through credd 1;
# - its watch never ends on an oversized message (a session that ended there
#   each time, reported nothing and started again from the same revision).
# Usage: etcd_backlog_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"
# A stopped credd ignores the cleanup's SIGTERM: let it run first.
trap 'kill -CONT "${fleet_pids[@]}" 2>/dev/null; lib_cleanup' EXIT

start_provider --access-ttl 3600
start_etcd_cluster 1
new_master_key
for i in 1 2; do
  etcd_credd_config "$i" /backlog-test/ "request_timeout_seconds = 5"
  expect "credd $i starts on etcd" start_fleet_credd "$i"
done

on 1 login_demo 2>>"$work/login.err"
expect "a login through credd 1 succeeds" test $? -eq 0
t2=$(on 2 "$credctl" token demo)
expect "credd 2 serves it (and holds it in its cache)" test -n "$t2"

# PUTS values of BYTES random bytes (base64: 4/3 of that, twice in the
# watch's JSON) below PREFIX, through the gateway on one kept connection.
put_backlog() {  # PREFIX PUTS BYTES
  python3 - "${etcd_client_urls[1]#http://}" "$@" <<'PY'
import base64, http.client, json, os, sys
host, prefix, puts, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = http.client.HTTPConnection(host, timeout=30)
b64 = lambda b: base64.b64encode(b).decode()
for i in range(puts):
    body = {"key": b64(f"{prefix}{i}".encode()), "value": b64(b64(os.urandom(size)).encode())}
    c.request("POST", "/v3/kv/put", json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"put {i}: HTTP {r.status}")
PY
}

# --- credd 2 frozen while the fleet writes ---------------------------------------
kill -STOP "${fleet_pids[2]}"
start=$(now_ms)
put_backlog /backlog-test/other/ 1500 8192
rc=$?
expect "a backlog of 1500 values of 11 KB is put (rc $rc, $(($(now_ms) - start)) ms)" test "$rc" -eq 0
expect "a logout through credd 1 succeeds" on 1 "$credctl" logout demo
kill -CONT "${fleet_pids[2]}"

# --- credd 2 runs again -------------------------------------------------------------
not_in_log() { ! grep -q "$1" "$2"; }  # TEXT FILE
logout_seen() { ! on 2 "$credctl" token demo >/dev/null 2>&1; }
start=$(now_ms)
wait_for 20 "credd 2 to see the logout" logout_seen
rc=$?
expect "credd 2 stops serving its cached token within 20 s (took $(($(now_ms) - start)) ms)" test "$rc" -eq 0
on 1 login_demo 2>>"$work/login.err"
t1=$(on 1 "$credctl" token demo)
new_login_seen() { [ "$(on 2 "$credctl" token demo 2>/dev/null)" = "$t1" ]; }
expect "a new login through credd 1 is served by credd 2 within 5 s" wait_for 5 "credd 2 to see the login" new_login_seen
expect "with a new token" test -n "$t1" -a "$t1" != "$t2"
expect "credd 2's watch never ended on an oversized message" not_in_log "a message over" "$work/credd2.log"
expect "credd 2's watch did not end at all" not_in_log "etcd watch through" "$work/credd2.log"
expect "credd 2 is still the credd that started" kill -0 "${fleet_pids[2]}"

finish

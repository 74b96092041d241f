#!/usr/bin/env bash
# End-to-end: credd when etcd is unavailable (docs/fleet.md "When etcd is
# unavailable"). A 3-member etcd cluster on loopback, the real provider and
# two credds on one prefix, standing for two hosts of a fleet:
# - credd starts with every member down, and `credctl status` says the store
#   is unreachable and that no endpoint answers; once the members are back
#   it reads, writes and follows other hosts' changes, with no restart;
# - `credctl status` shows the backend, the store's state and each endpoint
#   (text and -o json), within a short bound even with a member hung;
# - with quorum lost (one member killed, one SIGSTOPped): cached tokens are
#   served; a refresh, a login and a logout fail within the request timeout
#   with exit 5 and a message naming etcd; the refresh's lock and mark,
#   if it was sent to a member without quorum and timed out, is settled
#   once quorum returns (fenced, or undone if it landed: docs/fleet.md);
# - with the members back: refresh, login and logout work again through the
#   same credds, and every credential stored before is still there.
# Usage: etcd_quorum_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"
etcd_timeout=4

start_provider --access-ttl 3600
start_etcd_cluster 3
new_master_key
host_config() {  # INDEX
  etcd_credd_config "$1" /quorum-test/ "request_timeout_seconds = $etcd_timeout" "$(demo_provider_toml demo2)"
}
login_demo2() { BROWSER=$oidc/browser "$credctl" login demo2 "$@"; }
status_json() { on "$1" "$credctl" status -o json 2>/dev/null; }  # INDEX
# The field KEY of credd INDEX's status answer (a Python expression on `s`).
status_field() {  # INDEX EXPRESSION
  status_json "$1" | python3 -c 'import json, sys; s = json.load(sys.stdin); print('"$2"')'
}
store_state_is() { [ "$(status_field "$1" 's["store_state"]')" = "$2" ]; }  # INDEX STATE
# "url=answers" for each endpoint of credd INDEX's status, one a line.
endpoint_answers() {  # INDEX
  status_field "$1" '"\n".join(e["url"] + "=" + str(e["answers"]).lower() for e in s["store_endpoints"])'
}
timed() {  # OUT_FILE COMMAND...: runs it, sets $rc and $took (ms)
  local out=$1 start
  shift
  start=$(now_ms)
  "$@" >"$out.out" 2>"$out.err"
  rc=$?
  took=$(($(now_ms) - start))
}
bound=$(((etcd_timeout + 3) * 1000))

# --- credd starts while no member answers -----------------------------------------
for i in 1 2 3; do kill_etcd_member "$i"; done
host_config 1
"$credd" --config "$work/credd1.toml" 2>>"$work/credd1.log" &
fleet_pids[1]=$!
extra_pids+=("$!")
expect "credd starts with every etcd member down" wait_for 20 "credd 1 to answer" on 1 credd_answers
expect "and says so in its log" grep -q "credd starts and checks the master key" "$work/credd1.log"
timed "$work/status-down" on 1 "$credctl" status
expect "credctl status answers at once (took ${took} ms)" test "$rc" -eq 0 -a "$took" -lt 4000
expect "showing the backend" grep -Eq '^backend: +etcd$' "$work/status-down.out"
expect "and the store unreachable" grep -Eq '^store state: +unreachable' "$work/status-down.out"
for i in 1 2 3; do
  expect "and member $i not answering" \
    grep -Eq "^  ${etcd_client_urls[i]} +no +no +connecting: Connection refused" "$work/status-down.out"
done
expect "-o json says unreachable" store_state_is 1 unreachable
expect "-o json says no endpoint answers" test "$(endpoint_answers 1 | grep -c '=false$')" -eq 3

for i in 1 2 3; do restart_etcd_member "$i"; done
expect "the members come back" wait_for 30 "etcd to be healthy" etcdctl --endpoints "$etcd_urls" endpoint health
expect "credd 1 finds the store readable, without a restart" wait_for 10 "credd 1 to read" store_state_is 1 readable
expect "-o json says every endpoint answers" test "$(endpoint_answers 1 | grep -c '=true$')" -eq 3
on 1 "$credctl" status >"$work/status-up.out" 2>&1
expect "status shows the credentials count" grep -Eq '^credentials: +0' "$work/status-up.out"
expect "a login through it succeeds" on 1 login_demo 2>>"$work/login.err"
host_config 2
expect "credd 2 starts" start_fleet_credd 2
expect "credd 2 serves the login made through credd 1" test -n "$(on 2 "$credctl" token demo)"
expect "a login of demo2 through credd 2 succeeds" on 2 login_demo2 2>>"$work/login.err"
# The watch of credd 1 started with no member up: it follows changes now.
on 1 "$credctl" token demo2 >/dev/null
expect "a logout through credd 2 succeeds" on 2 "$credctl" logout demo2
gone_on_1() { ! on 1 "$credctl" token demo2 >/dev/null 2>&1; }
expect "credd 1 (started without etcd) sees it within 5 s" wait_for 5 "credd 1 to see the logout" gone_on_1
expect "demo2 logged in again" on 2 login_demo2 2>>"$work/login.err"

# --- quorum lost: one member killed, one hung -----------------------------------------
# A refresh through credd 1 first: the record it commits is the copy its
# watch vouches for, so the refresh tried below starts without a read of
# etcd, and its lock and mark is proposed to a member without quorum.
expect "a refresh through credd 1" test -n "$(on 1 "$credctl" token --min-valid 7200 demo)"
before_demo=$(on 1 "$credctl" token demo)
before_demo2=$(on 2 "$credctl" token demo2)
kill_etcd_member 3
expect "credd 1 sees member 3 gone" \
  test "$(endpoint_answers 1 | grep "=false$")" = "${etcd_client_urls[3]}=false"
# Member 3 may have been the leader: the other two elect a new one first.
expect "with one member down the store stays readable (within 10 s)" \
  wait_for 10 "a quorum read through members 1 and 2" store_state_is 1 readable
kill -STOP "${etcd_pids[2]}"
timed "$work/status-lost" on 1 "$credctl" status
expect "without quorum, credctl status answers within a short bound (took ${took} ms)" \
  test "$rc" -eq 0 -a "$took" -lt 6000
expect "saying the store is unreachable" grep -Eq '^store state: +unreachable' "$work/status-lost.out"
expect "member 1 answers" grep -Eq "^  ${etcd_client_urls[1]} +yes +no +etcd [0-9.]+, " "$work/status-lost.out"
expect "member 2 (hung) does not" grep -Eq "^  ${etcd_client_urls[2]} +no +no +timed out" "$work/status-lost.out"
expect "member 3 (killed) does not" grep -Eq "^  ${etcd_client_urls[3]} +no +no +connecting" "$work/status-lost.out"
expect "cached tokens are served (credd 1)" test "$(on 1 "$credctl" token demo)" = "$before_demo"
expect "cached tokens are served (credd 2)" test "$(on 2 "$credctl" token demo2)" = "$before_demo2"

reset_stats
timed "$work/refresh-lost" on 1 "$credctl" token --min-valid 7200 demo
expect "a refresh fails with exit 5 (got $rc)" test "$rc" -eq 5
expect "within the request timeout (took ${took} ms)" test "$took" -lt "$bound"
expect "naming etcd" grep -q "etcd: no member answered" "$work/refresh-lost.err"
expect "sending nothing to the provider" test "$(refreshes)" -eq 0
timed "$work/login-lost" on 2 login_demo
expect "a login fails with exit 5 (got $rc)" test "$rc" -eq 5
expect "within the request timeout (took ${took} ms)" test "$took" -lt "$bound"
expect "naming etcd" grep -q "etcd: no member answered" "$work/login-lost.err"
timed "$work/logout-lost" on 1 "$credctl" logout --no-revoke demo2
expect "a logout fails with exit 5 (got $rc)" test "$rc" -eq 5
expect "within the request timeout (took ${took} ms)" test "$took" -lt "$bound"
expect "the credd that cannot reach etcd still serves its cached token" \
  test "$(on 2 "$credctl" token demo2)" = "$before_demo2"

# --- quorum back: the same credds resume, nothing lost ------------------------------
kill -CONT "${etcd_pids[2]}"
restart_etcd_member 3
expect "the members come back" wait_for 30 "etcd to be healthy" etcdctl --endpoints "$etcd_urls" endpoint health
expect "credd 1 finds the store readable again" wait_for 10 "credd 1 to read" store_state_is 1 readable
expect "credd 2 too" wait_for 10 "credd 2 to read" store_state_is 2 readable
expect "neither credd was restarted" kill -0 "${fleet_pids[1]}" "${fleet_pids[2]}"
# A lock and mark that landed once quorum returned is undone as its change
# arrives on credd 1's watch (until then demo shows as refreshing).
demo_valid_on_2() { [ "$(on 2 cred_state demo)" = valid ]; }
expect "demo is still valid" wait_for 10 "demo to be valid on credd 2" demo_valid_on_2
expect "demo2 is still valid" test "$(on 1 cred_state demo2)" = valid
reset_stats
fresh=$(on 1 "$credctl" token --min-valid 7200 demo)
expect "a refresh works again" test -n "$fresh" -a "$fresh" != "$before_demo"
expect "the provider saw that one refresh" test "$(refreshes)" -eq 1
# The refresh tried without quorum sends its lock and mark when nothing
# before it asks etcd (its read is the copy the watch vouches for, its lease
# needs no renewal), and fails earlier otherwise. A lock and mark that got
# no answer is
# settled at the latest by the refresh above: fenced, or undone if it landed.
if grep -q "refresh lock and mark got no answer" "$work/credd1.log"; then
  expect "credd 1 settled the lock and mark that got no answer" \
    grep -q "lock and mark whose answer was lost" "$work/credd1.log"
else
  echo "credd 1's refresh without quorum failed before it sent its lock and mark"
fi
expect "credd 2 serves the refreshed token" test "$(on 2 "$credctl" token demo)" = "$fresh"
expect "demo2 (stored before) is served through credd 1" test -n "$(on 1 "$credctl" token --min-valid 7200 demo2)"
expect "a login works again" on 2 login_demo 2>>"$work/login.err"
expect "a logout works again" on 1 "$credctl" logout demo2
expect "and reaches credd 2" wait_for 5 "credd 2 to see the logout" eval '! on 2 "$credctl" token demo2 >/dev/null 2>&1'

finish

#!/usr/bin/env bash
# End-to-end: a flood of GET /v1/status from another uid right after credd
# starts, on the etcd store (docs/api.md GET /v1/status). A status of anyone
# but an administrator is answered from the last probe while it is under a
# second old or another probe is under way; before any probe has ended
# there is none, and every status used to start a probe of its own: a call
# to each etcd member, a quorum read through each, and a count of the
# credentials. Such statuses now wait for the probe under way and share its
# answer, so 200 of them at once make a probe or two, not one each.
# A 3-member cluster with one member SIGSTOPped (quorum kept), so that each
# probe lasts its whole timeout (2 s) waiting for that member; the etcd
# range requests credd makes are counted by the live members' metrics
# (grpc_server_handled_total, method Range). Then credd stops while other
# uids' statuses wait for a probe: those it serves are answered, it exits.
# Usage: etcd_status_flood_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/etcd.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the test runs a flood as another uid and so must run as root (as CI does)"
  finish
fi
flooder=credctl-esf
ensure_user "$flooder"
flood=200

issuer=http://127.0.0.1:9  # never contacted: no token is asked for
start_etcd_cluster 3
new_master_key
cat >"$work/credd.toml" <<TOML
socket      = "$work/run/credd.sock"
socket_mode = 0o666
state_dir   = "$work/state"
key_file    = "$work/master.key"

[limits]
idle_timeout_seconds = 30

[store]
backend = "etcd"
[store.etcd]
endpoints = $etcd_endpoints
prefix = "/status-flood/"
request_timeout_seconds = 5

$(demo_provider_toml)
TOML
export CREDD_SOCKET=$work/run/credd.sock

# Range requests (any outcome) and member status calls the live members
# (1 and 2) have handled so far.
handled() {  # METHOD
  local i n=0 m
  for i in 1 2; do
    m=$(curl -sf "${etcd_client_urls[i]}/metrics" |
      awk -v m="grpc_method=\"$1\"" '/^grpc_server_handled_total\{/ && index($0, m) { n += $NF } END { printf "%d", n }')
    n=$((n + m))
  done
  echo "$n"
}

# Member 3 hangs: every probe waits for it until the probe's timeout.
kill -STOP "${etcd_pids[3]}"
"$credd" --config "$work/credd.toml" 2>>"$work/credd.log" &
credd_pid=$!
# whoami, not status: no status may be probed before the flood.
expect "credd starts with member 3 stopped" wait_for 20 "credd to answer" "$credctl" whoami
ranges_before=$(handled Range)
statuses_before=$(handled Status)

# All at once: $flood connections opened, then every request sent together.
start=$(now_ms)
as_user "$flooder" python3 "$(dirname "$0")/status_flood.py" "$CREDD_SOCKET" "$flood" >"$work/flood.json"
seconds=$((($(now_ms) - start + 999) / 1000))
ranges=$(($(handled Range) - ranges_before))
probes=$((($(handled Status) - statuses_before) / 2))  # each probe asks both live members
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/flood.json" "$1"; }

expect "$flood statuses of another uid at once: $(cat "$work/flood.json")" test "$(field answered)" -eq "$flood"
expect "each says the store is readable" test "$(field readable)" -eq "$flood"
# Each probe lasts 2 s (member 3 never answers) and the statuses of other
# uids never probe two at a time: at most one probe every 2 s of the flood,
# one more at each end. Before, every status arriving before the first probe
# ended made its own: 64 at once (the connections of one uid served at once).
bound=$((seconds / 2 + 2))
expect "the flood of ${seconds} s made $probes probes (at most $bound)" test "$probes" -le "$bound"
# Each probe: a quorum read through each live member and one count.
expect "and $ranges etcd range requests (at most $((3 * bound)))" test "$ranges" -le $((3 * bound))

# credd stops while other uids' statuses wait for the first probe of a
# credd just started: each is answered, and credd exits once the probe ends.
expect "credd stops" stop_credd
"$credd" --config "$work/credd.toml" 2>>"$work/credd.log" &
credd_pid=$!
expect "credd starts again" wait_for 20 "credd to answer" "$credctl" whoami
as_user "$flooder" python3 "$(dirname "$0")/status_flood.py" "$CREDD_SOCKET" 20 >"$work/flood.json" &
flood_pid=$!
connected() { [ "$(ss -xH state connected | grep -cF "$CREDD_SOCKET")" -ge 20 ]; }
expect "20 statuses of another uid wait for the probe" wait_for 10 "the statuses to be served" connected
sleep 0.3  # their requests read
expect_stop_within 6000 "with statuses waiting for a probe"
wait "$flood_pid"
expect "each was answered: $(cat "$work/flood.json")" test "$(field answered)" -eq 20 -a "$(field readable)" -eq 20
kill -CONT "${etcd_pids[3]}"
finish

#!/usr/bin/env bash
# End-to-end: GET /v1/status is open to every local user, and every status
# used to probe the store: on etcd a call to each member and a quorum read,
# on LMDB a count, for every request of a flood. Another uid's statuses are
# now answered from the last probe while it is under a second old (at most
# one probe a second however many it sends); root's are probed each time.
# Counted by credd's own metric of store calls (operation "count").
# Usage: status_flood_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the test runs a flood as another uid and so must run as root (as CI does)"
  finish
fi
flooder=credctl-sf
ensure_user "$flooder"

issuer=http://127.0.0.1:9  # never contacted: no token is asked for
write_config "$work/credd.toml"
expect "credd starts" start_credd "$work/credd.toml"

# The store's count calls so far (a scrape makes its own, the same each time).
counts() {
  "$credctl" metrics | awk '/^credd_store_operations_total\{.*operation="count"/ { n += $NF } END { print n + 0 }'
}
statuses() {  # N [as USER]
  local i
  for ((i = 0; i < $1; i++)); do
    if [ -n "${2:-}" ]; then as_user "$2" "$credctl" status >/dev/null; else "$credctl" status >/dev/null; fi
  done
}

expect "the other uid's status answers" as_user "$flooder" "$credctl" status
before=$(counts)
start=$(now_ms)
statuses 200 "$flooder"
seconds=$((($(now_ms) - start + 999) / 1000))
flood=$(($(counts) - before))
# One probe a second at most, one more at each end, and the scrape's own.
expect "200 statuses of another uid in ${seconds} s made $flood count calls (at most $((seconds + 4)))" \
  test "$flood" -le $((seconds + 4))
expect "its status still says the store is readable" \
  bash -c "CREDD_SOCKET='$CREDD_SOCKET' setpriv --reuid=$flooder --regid=$flooder --init-groups \
    '$credctl' status -o json | grep -q '\"store_state\":\"readable\"'"
before=$(counts)
statuses 30
root_calls=$(($(counts) - before))
expect "30 statuses of root made 30 count calls or more ($root_calls): each probed" test "$root_calls" -ge 30
expect "credd goes on serving" credd_answers
finish

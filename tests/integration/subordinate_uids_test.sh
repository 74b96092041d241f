#!/usr/bin/env bash
# End-to-end: a user's subordinate uids (subuid(5)) share one connection
# limit. /etc/subuid gives a user a range of uids that newuidmap(1) lets
# them take in a user namespace of their own; each is a uid to
# SO_PEERCRED. Here the user has the range 310000-310099 (usermod
# --add-subuids, as an administrator gives it), and two of those uids hold
# two idle connections each against max_connections = 4, 2 per uid (they
# are started by root with setpriv, which gives credd the same peer
# credentials as the user's own namespace would). Before, each counted as a
# uid of its own: they held all four slots, and every other uid was
# refused. Now the second uid's connections wait behind the first's, and
# another uid is served.
# Usage: subordinate_uids_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the test gives a user subordinate uids and runs them, and so must run as root (as CI does)"
  finish
fi
owner=credctl-su-a
other=credctl-su-c
for u in "$owner" "$other"; do ensure_user "$u"; done
range=310000-310099
# usermod(8) fails at once while another test's useradd holds /etc/passwd's lock.
subuids() { for _ in $(seq 50); do usermod "$1" "$range" "$owner" 2>/dev/null && return; sleep 0.2; done; false; }
subuids --add-subuids || bad "usermod --add-subuids $range $owner"
trap 'subuids --del-subuids; lib_cleanup' EXIT
expect "/etc/subuid gives $owner the range" grep -q "^$owner:310000:100\$" /etc/subuid
other_python=/usr/bin/python3  # other uids cannot use an interpreter under /root

write_offline_config "$work/credd.toml"
sed -i 's/^\[limits\]$/[limits]\nmax_connections = 4\nmax_connections_per_uid = 2/' "$work/credd.toml"
expect "credd starts with max_connections = 4, 2 per uid" start_credd "$work/credd.toml"

install -m 644 "$(dirname "$0")/hold_status.py" "$work/hold.py"
mkdir -m 1777 "$work/ready"
hold() {  # UID: two connections held by that uid
  setpriv --reuid="$1" --regid="$1" --clear-groups "$other_python" "$work/hold.py" "$CREDD_SOCKET" \
    "$work/ready/$1" 2>>"$work/hold-$1.err" &
  extra_pids+=($!)
}
hold 310000
expect "subordinate uid 310000 holds two connections" wait_for 10 "310000's connections" test -e "$work/ready/310000"
hold 310001
expect "subordinate uid 310001 has connected twice" wait_for 10 "310001's connections" \
  test -e "$work/ready/310001.connected"
served_is() { "$credctl" status 2>/dev/null | grep -Eq "^connections: +$1\$"; }
# Root's own status connection is one of those served.
expect "310001's connections wait: two served for both uids, not four" wait_for 5 "3 served" served_is 3
expect "and stay unanswered" test ! -e "$work/ready/310001"

as_user "$other" "$credctl" status >"$work/other.out" 2>"$work/other.err"
rc=$?
expect "another uid is served (exit $rc)" test "$rc" -eq 0
expect "with the status" grep -q '^connections:' "$work/other.out"
owner_status() { as_user "$owner" "$credctl" status >/dev/null 2>&1; }
expect "the owner's own uid keeps a limit of its own" owner_status
kill "${extra_pids[0]}"  # 310000 lets go: 310001 takes the slots
expect "then 310001's connections are answered" wait_for 10 "310001's answers" test -e "$work/ready/310001"
expect "the holders were never refused" test ! -s "$work/hold-310001.err"
finish

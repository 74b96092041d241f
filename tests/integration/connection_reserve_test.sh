#!/usr/bin/env bash
# End-to-end: other uids hold every connection credd serves (here two uids,
# two idle connections each, kept alive under the idle timeout, against
# max_connections = 4). Another uid is refused with 429, but root's
# `credctl status` and `credctl whoami` are still answered, from the slots
# credd keeps for administrators (daemon/server/admission.hpp). Before
# them, anyone holding every slot locked root out as well.
# Usage: connection_reserve_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the test holds connections as other uids and so must run as root (as CI does)"
  finish
fi
hogs=(credctl-cr-a credctl-cr-b)
other=credctl-cr-c
for u in "${hogs[@]}" "$other"; do ensure_user "$u"; done
other_python=/usr/bin/python3  # other uids cannot use an interpreter under /root

write_offline_config "$work/credd.toml"
sed -i 's/^\[limits\]$/[limits]\nmax_connections = 4\nmax_connections_per_uid = 2/' "$work/credd.toml"
expect "credd starts with max_connections = 4, 2 per uid" start_credd "$work/credd.toml"

# Two connections, each asking for the status every second (the idle
# timeout is 5 s), until killed; READY is written once both are answered.
install -m 644 "$(dirname "$0")/hold_status.py" "$work/hold.py"
mkdir -m 1777 "$work/ready"
for u in "${hogs[@]}"; do
  setpriv --reuid="$u" --regid="$u" --init-groups "$other_python" "$work/hold.py" "$CREDD_SOCKET" "$work/ready/$u" \
    2>>"$work/hold.err" &
  extra_pids+=($!)
done
for u in "${hogs[@]}"; do
  expect "$u holds two connections" wait_for 10 "$u's connections" test -e "$work/ready/$u"
done

as_user "$other" "$credctl" status >"$work/other.out" 2>"$work/other.err"
rc=$?
expect "another uid is refused while every slot is held (exit $rc)" test "$rc" -ne 0
expect "told there are too many connections" grep -q 'too many connections' "$work/other.err"
"$credctl" status >"$work/root.out" 2>"$work/root.err"
expect "root's credctl status is answered all the same" test $? -eq 0
expect "and shows the connections served (the 4 held and its own)" grep -Eq '^connections: +5$' "$work/root.out"
"$credctl" whoami >"$work/whoami.out" 2>&1
expect "root's credctl whoami too" grep -q '^user: *root ' "$work/whoami.out"
expect "the holders were never refused" test ! -s "$work/hold.err"
finish

#!/usr/bin/env bash
# End-to-end: a uid at its connection limit that connects and closes at
# once, thousands of times. Each such connection waits, unread, for one of
# its uid's slots (daemon/server/admission.hpp), holding a descriptor and
# some memory of credd's, while it costs its client nothing. credd lets one
# uid wait with at most max_connections (here 16); the rest are refused and
# closed at once, so the flood leaves credd's waiting room, descriptors and
# memory bounded, and another uid is still served. Before, credd kept every
# one of them for the idle plus the provider timeout: here 5,000 waiting,
# 5,014 descriptors and 14.6 MB more.
# Usage: waiting_room_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the test floods as another uid and so must run as root (as CI does)"
  finish
fi
flooder=credctl-wr-flood
other=credctl-wr-other
for u in "$flooder" "$other"; do ensure_user "$u"; done

write_offline_config "$work/credd.toml"
sed -i 's/^\[limits\]$/[limits]\nmax_connections = 16\nmax_connections_per_uid = 2/' "$work/credd.toml"
expect "credd starts with max_connections = 16, 2 per uid" start_credd "$work/credd.toml"
rss_before=$(awk '/^VmRSS/ { print $2 }' "/proc/$credd_pid/status")

# The flooder holds its two slots with requests every second (the idle
# timeout is 5 s), then connects and closes 5,000 times. Prints "flooded"
# once done; holds on until killed.
as_user "$flooder" python3 - "$CREDD_SOCKET" >"$work/flood.out" 2>&1 <<'PY' &
import socket, sys, time
path = sys.argv[1]
request = b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\n\r\n"
def ask(s):
    s.sendall(request)
    answer = b""
    while not answer.rstrip().endswith(b"}"):
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("closed")
        answer += chunk
held = []
for _ in range(2):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    ask(s)
    held.append(s)
for _ in range(5000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.close()
print("flooded", flush=True)
while True:
    time.sleep(1)
    for s in held:
        ask(s)
PY
extra_pids+=("$!")
expect "the flooder connects and closes 5,000 times" wait_for 60 "the flood" grep -qx flooded "$work/flood.out"
# The listening socket's Recv-Q is its accept queue: empty once credd has
# taken every connection of the flood.
queued() { ss -xlH 2>/dev/null | awk -v p="$CREDD_SOCKET" '$5 == p { print $3 }'; }
all_taken() { [ "$(queued)" = 0 ]; }
expect "credd has taken every connection" wait_for 30 "credd's accept queue to empty" all_taken

gauge() { curl -s --unix-socket "$CREDD_SOCKET" http://localhost/v1/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
waiting=$(gauge credd_connections_waiting)
expect "at most 16 connections wait, not thousands ($waiting)" test "${waiting:-99999}" -le 16
# The closer's thread closes what was refused (daemon/server/closer.hpp);
# a waiter holds its descriptor for 20 s.
few_descriptors() { descriptors=$(ls "/proc/$credd_pid/fd" | wc -l); [ "$descriptors" -lt 100 ]; }
wait_for 5 "credd to hold fewer than 100 descriptors" few_descriptors
expect "credd holds fewer than 100 descriptors within 5 s ($descriptors)" test "$descriptors" -lt 100
rss_after=$(awk '/^VmRSS/ { print $2 }' "/proc/$credd_pid/status")
expect "credd's memory grew by less than 8 MiB (${rss_before} kB, then ${rss_after} kB)" \
  test $((rss_after - rss_before)) -lt 8192
as_user "$other" "$credctl" status >"$work/other.out" 2>"$work/other.err"
expect "another uid is served meanwhile" test $? -eq 0
expect "the flooder's held connections were never refused" bash -c "! grep -q closed '$work/flood.out'"
finish

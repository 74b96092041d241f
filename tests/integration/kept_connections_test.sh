#!/usr/bin/env bash
# End-to-end: requests on kept connections (HTTP/1.1 keep-alive), as
# credd reads them: a session that has answered lets the sessions with a
# request ready go first, then reads its next request (docs/benchmarks.md,
# "One read per request"). Checks that no request is lost or delayed by
# that: 48 kept connections each sending 150 requests, one at a time as a
# client does, all answered; three requests written together, answered in
# order; a request that arrives in pieces while its session waits, answered;
# and a SIGTERM while every session waits between requests, or for the
# rest of a request's body, which closes them and stops credd at once.
# Usage: kept_connections_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

write_offline_config "$work/credd.toml"
expect "credd starts" start_credd "$work/credd.toml"

# The client (kept_connections.py): MODE is `loop` (CONNECTIONS connections,
# REQUESTS requests each, one in flight per connection), `pipelined` or
# `pieces`. Prints what it saw.
client() {  # MODE [CONNECTIONS REQUESTS]
  python3 "$(dirname "$0")/kept_connections.py" "$CREDD_SOCKET" "$@"
}

out=$(client loop 48 150)
expect "48 kept connections of 150 requests each: every request answered ($out)" \
  grep -qx 'answered 7200 bad 0 unfinished 0' <<<"$out"

out=$(client pipelined)
expect "three requests written together are answered in order ($out)" grep -qx '200 404 200' <<<"$out"

out=$(client pieces)
expect "a request that comes in pieces after an answer is answered ($out)" grep -qx '200 200' <<<"$out"

# Sessions waiting between requests: 32 connections, each answered once and
# left open; a stop closes them and credd exits.
python3 - "$CREDD_SOCKET" "$work/held" <<'PY' &
import socket, sys, time
path, ready = sys.argv[1], sys.argv[2]
held = []
for _ in range(32):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    held.append(s)
open(ready, "w").close()
time.sleep(30)
PY
holder=$!
extra_pids+=("$holder")
wait_for 10 "32 connections answered and held" test -e "$work/held"
expect_stop_within 3000 "with its sessions waiting"

# Requests whose body does not come are not being served yet: a stop closes
# them too. Another uid sends four heads with a Content-Length of 100 and
# five bytes of body, and holds the rest back; with an idle timeout of 60 s,
# credd must not wait for those bodies to exit.
stranger=credctl-kept-stranger
ensure_user "$stranger"
sed -i 's/^idle_timeout_seconds = .*/idle_timeout_seconds = 60/' "$work/credd.toml"
expect "credd starts again, with an idle timeout of 60 s" start_credd "$work/credd.toml"
as_user "$stranger" python3 - "$CREDD_SOCKET" >"$work/bodies" 2>&1 <<'PY' &
import socket, sys, time
held = []
for _ in range(4):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b"POST /v1/users/x/credentials/demo HTTP/1.1\r\nHost: localhost\r\n"
              b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":")
    held.append(s)
print("sent", flush=True)
time.sleep(90)
PY
extra_pids+=("$!")
# credd has read what was sent once its four connections have nothing
# queued: ss(8) lists each of credd's sockets with its receive queue.
heads_read() {
  ss -xnp state connected 2>/dev/null |
    awk -v p="pid=$credd_pid," 'index($0, p) { n++; if ($3 != 0) queued = 1 } END { exit !(n >= 4 && !queued) }'
}
wait_for 10 "the four heads sent" grep -qx sent "$work/bodies"
expect "credd has read the four heads and what came of their bodies" wait_for 10 "credd to read them" heads_read
expect_stop_within 3000 "with four bodies still to come"

finish

#!/usr/bin/env bash
# End-to-end: an answer larger than the socket's send buffer, to a client
# that does not read it yet. credd writes answers at once on a non-blocking
# socket and hands only the rest to an asynchronous write, so the I/O thread
# must go on serving others meanwhile, and the slow client must still get
# every byte. The large answer is GET /v1/whoami under 1,500 grants that all
# name the caller. A stop waits a second for an answer not read, not the
# idle timeout. Usage: slow_reader_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

write_offline_config "$work/credd.toml"
{
  printf '\n[roles.reader]\npermissions = ["credentials:read"]\n'
  for i in $(seq 1500); do
    printf '\n[[grants]]\nname = "grant %04d of a policy large enough that whoami overflows the socket buffer"\n' "$i"
    printf 'roles = ["reader"]\nresources = ["credentials/user-%04d/demo", "credentials/user-%04d/other"]\n' "$i" "$i"
    printf 'clients = [{ uid = %d }]\n' "$(id -u)"
  done
} >>"$work/credd.toml"

expect "credd starts with 1,500 grants" start_credd "$work/credd.toml"

python3 - "$CREDD_SOCKET" >"$work/client.out" 2>&1 <<'PY'
import fcntl, json, socket, struct, sys, termios, time

path = sys.argv[1]

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)  # a blocked I/O thread fails the test instead of hanging it
    s.connect(path)
    return s

def read_answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return head.split(b" ")[1].decode(), length, body

def unread_bytes(s):
    return struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0" * 4))[0]

slow = connect()
slow.sendall(b"GET /v1/whoami HTTP/1.1\r\nHost: localhost\r\n\r\n")
# The slow client reads nothing until the other one is answered; it only
# waits for the answer to begin arriving: credd is writing what fits.
deadline = time.monotonic() + 10
while unread_bytes(slow) == 0 and time.monotonic() < deadline:
    time.sleep(0.05)
print("slow_unread_at_start", unread_bytes(slow))
t0 = time.monotonic()
other = connect()
other.sendall(b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
try:
    status, _, _ = read_answer(other)
except (socket.timeout, IndexError):
    status = "none"
print("other_status", status)
print("other_ms", round((time.monotonic() - t0) * 1000))
status, length, body = read_answer(slow)
print("slow_status", status)
print("slow_length", length)
print("slow_body_bytes", len(body))
print("grants", len(json.loads(body)["grants"]))
# The same connection serves the next request once the big answer is read.
slow.sendall(b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
print("slow_again", read_answer(slow)[0])
PY
cat "$work/client.out" >>"$work/credd.log"
field() { sed -n "s/^$1 //p" "$work/client.out"; }

expect "the large answer began to arrive ($(field slow_unread_at_start) bytes unread)" test "$(field slow_unread_at_start)" -gt 0
expect "another client is answered while the slow one is not reading" test "$(field other_status)" = 200
expect "... promptly (under 500 ms)" test "$(field other_ms)" -lt 500
expect "the slow client gets 200" test "$(field slow_status)" = 200
expect "the answer is larger than a socket's send buffer (256 KiB)" test "$(field slow_length)" -gt 262144
expect "the slow client gets every byte of it" test "$(field slow_body_bytes)" = "$(field slow_length)"
expect "... and it parses, with all 1,500 grants" test "$(field grants)" = 1500
expect "the connection goes on serving after the large answer" test "$(field slow_again)" = 200

# A client that does not read its answer keeps its session busy. A stop
# gives such a write a second, not the idle timeout (here 60 s): any uid
# could hold credd's stop that long with answers it never reads (pipelined
# requests; here, the large answer above).
stop_credd
sed -i 's/^idle_timeout_seconds = .*/idle_timeout_seconds = 60/' "$work/credd.toml"
expect "credd starts again, with an idle timeout of 60 s" start_credd "$work/credd.toml"
python3 - "$CREDD_SOCKET" >"$work/unread.out" 2>&1 <<'PY' &
import fcntl, socket, struct, sys, termios, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"GET /v1/whoami HTTP/1.1\r\nHost: localhost\r\n\r\n")
while struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0" * 4))[0] == 0:
    time.sleep(0.05)
print("writing", flush=True)
time.sleep(120)
PY
extra_pids+=("$!")
expect "credd writes an answer that its client does not read" \
  wait_for 10 "the answer to begin" grep -qx writing "$work/unread.out"
expect_stop_within 3000 "with an answer unread"

finish

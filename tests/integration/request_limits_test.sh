#!/usr/bin/env bash
# End-to-end: credd's request head limit (docs/api.md "Limits",
# limits.max_head_bytes) covers the request line and the header fields
# together. The HTTP parser counts the fields apart from the request line
# once it has parsed that line, so a head longer than the limit by up to the
# request line's length used to be read and served. With the smallest
# limit (1024 bytes): heads of 1024 bytes are served, heads of 1319 to 1419
# bytes split between the request line and a field are refused with 413
# payload_too_large and the connection closed, and credd goes on serving.
# A chunked request is refused once its head is read, whatever follows.
# Usage: request_limits_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

issuer=http://127.0.0.1:9  # never contacted: no token is asked for
write_config "$work/credd.toml"
sed -i 's/^\[limits\]$/[limits]\nmax_head_bytes = 1024/' "$work/credd.toml"
expect "credd starts with max_head_bytes = 1024" start_credd "$work/credd.toml"

# The raw answer's status line to a GET /v1/status whose request line is
# padded to LINE bytes and which carries one field of FIELD bytes.
status_for() {  # LINE FIELD [PAUSE]: PAUSE seconds between the request line and the fields
  python3 - "$CREDD_SOCKET" "$1" "$2" "${3:-0}" <<'PY'
import socket, sys, time
path, line, field, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
start = "GET /v1/status?pad="
end = " HTTP/1.1\r\n"
request_line = start + "a" * (line - len(start) - len(end)) + end
pad = "X-Pad: "
fields = "Host: localhost\r\n" + pad + "b" * (field - len(pad) - 2) + "\r\n"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(path)
if pause:
    s.sendall(request_line.encode())
    time.sleep(pause)
s.sendall(((request_line if not pause else "") + fields + "\r\n").encode())
answer = b""
while True:
    try:
        chunk = s.recv(65536)
    except (ConnectionResetError, socket.timeout):
        break
    if not chunk:
        break
    answer += chunk
    if b"\r\n\r\n" in answer and b"Connection: close" not in answer and b"payload_too_large" not in answer:
        break
print(answer.split(b"\r\n", 1)[0].decode(errors="replace"))
print("code" if b'"code":"payload_too_large"' in answer else "")
PY
}

# Head sizes: request line + 17 (the Host field) + FIELD + 2 (the blank line).
out=$(status_for 200 805)
expect "a head of 1024 bytes is served" grep -q '^HTTP/1.1 200' <<<"$out"
out=$(status_for 450 900)
expect "a head of 1369 bytes (450 in the request line) is refused with 413" grep -q '^HTTP/1.1 413' <<<"$out"
expect "the refusal is payload_too_large" grep -q '^code$' <<<"$out"
out=$(status_for 300 1000)
expect "a head of 1319 bytes (300 in the request line) is refused with 413" grep -q '^HTTP/1.1 413' <<<"$out"
out=$(status_for 700 700)
expect "a head of 1419 bytes (700 in the request line) is refused with 413" grep -q '^HTTP/1.1 413' <<<"$out"
out=$(status_for 990 15)
expect "a head of 1024 bytes, most of it the request line, is served" grep -q '^HTTP/1.1 200' <<<"$out"
# The request line waiting when credd first reads, the fields 300 ms later:
# the head is measured with both reads together.
out=$(status_for 450 900 0.3)
expect "a head of 1369 bytes whose fields come after its request line is refused with 413" \
  grep -q '^HTTP/1.1 413' <<<"$out"
out=$(status_for 450 555 0.3)
expect "a head of 1024 bytes whose fields come after its request line is served" grep -q '^HTTP/1.1 200' <<<"$out"
out=$(status_for 100 1100)
expect "a field of 1100 bytes is refused with 413" grep -q '^HTTP/1.1 413' <<<"$out"
expect "credd goes on serving" credd_answers

# A chunked request whose chunk-size line never ends: Beast bounds neither
# that line nor the trailer, so credd read it into its buffer without limit
# (any local user, 64 connections each). It is refused once its head is read.
peak_kb() { awk '/^VmHWM/ {print $2}' "/proc/$credd_pid/status"; }
before=$(peak_kb)
out=$(python3 - "$CREDD_SOCKET" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n1;")
sent, block = 0, b"a" * 65536
try:
    while sent < 48 * 1024 * 1024:
        s.sendall(block)
        sent += len(block)
except OSError:
    pass
answer = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        answer += chunk
except OSError:
    pass
print(answer.split(b"\r\n", 1)[0].decode(errors="replace"))
print("not accepted" if b"Transfer-Encoding is not accepted" in answer else "")
print(sent // (1024 * 1024))
PY
)
grown=$(($(peak_kb) - before))
expect "a chunked request is refused with 400 (got: ${out%%$'\n'*})" grep -q '^HTTP/1.1 400' <<<"$out"
expect "the refusal names Transfer-Encoding" grep -qx 'not accepted' <<<"$out"
expect "credd's memory did not grow with the chunk line (peak grew $grown kB)" test "$grown" -lt 8192
expect "credd goes on serving after it" credd_answers

# A lingering close (docs/api.md "Limits"): a client still sending the body
# of a refused request gets to read the refusal. credd used to close the
# socket with the body unread, so the client's next write failed with EPIPE
# and curl gave up without reading the 413. It now shuts down its side,
# discards up to 1 MiB for up to 2 s, then closes.
refused_upload() {  # BODY_BYTES PAUSE_BEFORE_BODY SEND_AFTER
  python3 - "$CREDD_SOCKET" "$1" "$2" "$3" <<'PY'
import socket, sys, time
path, size, pause, after = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(path)
s.sendall(b"PUT /v1/users/root/credentials/demo HTTP/1.1\r\nHost: localhost\r\n"
          b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % size)
time.sleep(pause)  # credd reads the head and answers meanwhile
sent, block = 0, b"a" * 65536
try:
    while sent < size:
        sent += s.send(block[: size - sent])
    print("body sent")
except OSError as e:
    print("body send failed after %d bytes: %s" % (sent, e.strerror))
answer, started = b"", time.monotonic()
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        answer += chunk
    print("end of file after %.2f s" % (time.monotonic() - started))
except OSError as e:
    print("read failed: %s" % e.strerror)
print(answer.split(b"\r\n", 1)[0].decode(errors="replace"))
if after > 0:
    time.sleep(after)
    try:
        s.sendall(b"a" * 65536)
        s.sendall(b"a" * 65536)
        print("still open after %.1f s" % after)
    except OSError as e:
        print("closed after %.1f s: %s" % (after, e.strerror))
PY
}
out=$(refused_upload 300000 0.3 0)
expect "a client sends all of a refused 300 KB body (got: $(head -1 <<<"$out"))" grep -qx 'body sent' <<<"$out"
expect "and reads the 413 after it" grep -q '^HTTP/1.1 413' <<<"$out"
out=$(refused_upload $((8 * 1024 * 1024)) 0.3 0)
failed_at=$(sed -n 's/^body send failed after \([0-9]*\) bytes.*/\1/p' <<<"$out")
expect "credd discards 1 MiB of a refused body, then closes (got: $(head -1 <<<"$out"))" \
  test "${failed_at:-0}" -ge $((1024 * 1024)) -a "${failed_at:-0}" -lt $((8 * 1024 * 1024))
out=$(refused_upload 300000 0 4.5)
expect "without the pause too, the client sends all of the refused body" grep -qx 'body sent' <<<"$out"
expect "and reads the 413" grep -q '^HTTP/1.1 413' <<<"$out"
expect "the client sees end of file well before the 2 s of lingering (got: $(sed -n 2p <<<"$out"))" \
  grep -qE '^end of file after (0\.|1\.[0-4])' <<<"$out"
expect "credd has closed a lingering connection 4.5 s later (got: $(tail -1 <<<"$out"))" \
  grep -q '^closed after 4.5 s' <<<"$out"
expect "credd goes on serving after them" credd_answers
finish

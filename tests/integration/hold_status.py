#!/usr/bin/env python3
"""Holds connections to credd, as a uid that takes every slot it can.

    hold_status.py SOCKET READY [CONNECTIONS]

Opens CONNECTIONS (default 2) connections and writes READY.connected; then
asks GET /v1/status on each, writes READY once every one is answered 200,
and asks again on each every second (under credd's idle timeout) until
killed. Exits with the status line of an answer that is not 200, or
"closed" when credd closes a connection.
"""
import socket, sys, time
path, ready = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 2
request = b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\n\r\n"
def ask(s):
    s.sendall(request)
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("closed")
        answer += chunk
    if not answer.startswith(b"HTTP/1.1 200"):
        sys.exit(answer.split(b"\r\n", 1)[0].decode())
conns = []
for _ in range(count):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    conns.append(s)
open(ready + ".connected", "w").close()
for s in conns:
    ask(s)
open(ready, "w").close()
while True:
    time.sleep(1)
    for s in conns:
        ask(s)

#!/usr/bin/env python3
"""The client of e2e.kept_connections (kept_connections_test.sh).

    kept_connections.py SOCKET loop CONNECTIONS REQUESTS
    kept_connections.py SOCKET pipelined
    kept_connections.py SOCKET pieces

loop: CONNECTIONS kept connections to credd, REQUESTS GET /v1/status each,
one in flight per connection, in one selector loop; prints how many were
answered 200 with a status body, how many otherwise, and how many
connections did not finish within 60 s. pipelined: three requests in one
write on one connection; prints the three statuses in the order they came.
pieces: one request answered, then a second one sent in three pieces 200 ms
apart; prints both statuses.
"""
import selectors, socket, sys, time
from http_answers import answers
path, mode = sys.argv[1], sys.argv[2]
REQ = b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\n\r\n"

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s

def read_answers(s, n):
    got, data = [], b""
    while len(got) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        more, data = answers(data)
        got += more
    return got

if mode == "loop":
    conns, per = int(sys.argv[3]), int(sys.argv[4])
    sel = selectors.DefaultSelector()
    state = {}
    for _ in range(conns):
        s = connect()
        s.setblocking(False)
        s.sendall(REQ)
        state[s] = [1, 0, b""]  # sent, answered, buffer
        sel.register(s, selectors.EVENT_READ)
    ok = bad = 0
    deadline = time.monotonic() + 60
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            st = state[s]
            chunk = s.recv(65536)
            if not chunk:
                sel.unregister(s)
                continue
            got, st[2] = answers(st[2] + chunk)
            for status, body in got:
                st[1] += 1
                if status.startswith(b"HTTP/1.1 200") and b'"connections"' in body:
                    ok += 1
                else:
                    bad += 1
            if st[1] == per:
                sel.unregister(s)
            elif st[1] == st[0]:
                s.sendall(REQ)
                st[0] += 1
    print(f"answered {ok} bad {bad} unfinished {len(sel.get_map())}")
elif mode == "pipelined":
    s = connect()
    targets = [b"/v1/status", b"/v1/nothing-here", b"/v1/status"]
    s.sendall(b"".join(b"GET " + t + b" HTTP/1.1\r\nHost: localhost\r\n\r\n" for t in targets))
    print(" ".join(status.split(b" ")[1].decode() for status, _ in read_answers(s, 3)))
elif mode == "pieces":
    s = connect()
    s.sendall(REQ)
    first = read_answers(s, 1)
    for piece in (REQ[:7], REQ[7:30], REQ[30:]):
        time.sleep(0.2)
        s.sendall(piece)
    second = read_answers(s, 1)
    print(" ".join(status.split(b" ")[1].decode() for status, _ in first + second))

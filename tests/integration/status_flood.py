#!/usr/bin/env python3
"""A hostile local client for e2e.etcd_status_flood: N connections to credd
opened at once, then GET /v1/status on each at the same moment, one request
a connection. Loopback (a Unix socket) only, bounded in time.

    status_flood.py SOCKET N
        prints {"answered":..,"readable":..,"failed":..,"seconds":..} as
        JSON: statuses answered 200, those saying store_state "readable",
        connections that got no answer within 30 s
"""
import json
import socket
import sys
import threading
import time

REQUEST = b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def status(path, gate, out, i):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(path)
        gate.wait()
        s.sendall(REQUEST)
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
        s.close()
        out[i] = answer
    except (OSError, threading.BrokenBarrierError):
        out[i] = None


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    gate = threading.Barrier(n, timeout=30)
    out = [None] * n
    start = time.monotonic()
    threads = [threading.Thread(target=status, args=(path, gate, out, i)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answered = [a for a in out if a is not None and a.startswith(b"HTTP/1.1 200 ")]
    readable = [a for a in answered if b'"store_state":"readable"' in a]
    print(json.dumps({"answered": len(answered), "readable": len(readable),
                      "failed": n - len(answered), "seconds": round(time.monotonic() - start, 1)}))


if __name__ == "__main__":
    main()

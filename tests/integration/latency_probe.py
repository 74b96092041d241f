#!/usr/bin/env python3
"""Measures how fast credd answers one caller while others load it.

Usage: latency_probe.py SOCKET PATH SECONDS [STOP_FILE]
Sends GET PATH on a fresh connection every 50 ms for SECONDS (or until
STOP_FILE exists, after at least 5 requests), each answer read whole, and
prints: count, median ms, 90th percentile ms, max ms, and the HTTP statuses
that were not 200.
"""
import os, socket, sys, time

path, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
stop = sys.argv[4] if len(sys.argv) > 4 else None
samples, bad = [], []
end = time.monotonic() + seconds
while time.monotonic() < end and not (stop and os.path.exists(stop) and len(samples) >= 5):
    start = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    samples.append((time.monotonic() - start) * 1000)
    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "none"
    if status != "200":
        bad.append(status)
    time.sleep(0.05)
samples.sort()
n = len(samples)
print(n, round(samples[n // 2], 1), round(samples[min(n - 1, n * 9 // 10)], 1), round(samples[-1], 1),
      ",".join(bad) or "-")

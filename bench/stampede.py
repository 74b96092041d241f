#!/usr/bin/env python3
"""Expiry stampede load generator: N callers connect to credd's socket, then
all send GET TARGET at once; prints each caller's status and the latency of
the last one to finish, measured from the moment the requests were sent.

    python3 bench/stampede.py SOCKET TARGET N
"""
import asyncio
import json
import sys
import time


async def caller(sock, target, start_evt, results):
    reader, writer = await asyncio.open_unix_connection(sock)
    await start_evt.wait()
    writer.write(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    results.append((time.perf_counter(), int(data.split(b" ", 2)[1])))
    writer.close()


async def main(sock, target, n):
    start_evt = asyncio.Event()
    results = []
    tasks = [asyncio.create_task(caller(sock, target, start_evt, results)) for _ in range(n)]
    await asyncio.sleep(0.5 + n / 1000)  # every caller connected and identified
    t0 = time.perf_counter()
    start_evt.set()
    await asyncio.gather(*tasks)
    ok = sum(1 for _, s in results if s == 200)
    last = max(t for t, _ in results) - t0
    print(json.dumps({"callers": n, "ok": ok, "last_ms": round(last * 1000, 1)}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))

#!/usr/bin/env python3
"""N callers' token requests reach credd at once; each caller, the moment its
answer begins to arrive, reads the audit log and looks for the line of its
request, found by its own pid.

    audit_before_answer.py SOCKET TARGET AUDIT_FILE N CREDD_PID

The N processes connect and credd accepts every connection (they appear
among its descriptors), then credd is stopped (SIGSTOP) while all of them
send, and continued: it finds every request waiting at once, and writes their
audit lines in batches. Prints how many callers found their line, missed it,
or got no 200 answer; exits 0 only when all N found it. Used by
oauth_stampede_test.sh.
"""
import multiprocessing as mp
import os
import signal
import socket
import sys
import time

FOUND, MISSING, NOT_OK = 0, 1, 2


def sockets_of(pid):
    """The inodes of the sockets process pid holds."""
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            held.add(target)
    return held


def wait_for_accepts(pid, before, n, timeout=30):
    """Whether pid came to hold n sockets it did not hold before, within timeout."""
    deadline = time.monotonic() + timeout
    while len(sockets_of(pid) - before) < n:
        if time.monotonic() > deadline:
            print(f"gave up after {timeout} s waiting for credd to accept {n} connections", file=sys.stderr)
            return False
        time.sleep(0.05)
    return True


def caller(sock_path, target, audit, ready, go, sent, results):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    ready.release()
    go.wait()
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    sent.release()
    answer = b""
    while b"\r\n\r\n" not in answer:  # until the head is in
        chunk = s.recv(65536)
        if not chunk:
            break
        answer += chunk
    with open(audit, encoding="utf-8") as f:
        lines = f.read()
    if not answer.startswith(b"HTTP/1.1 200"):
        results.put(NOT_OK)
    else:
        results.put(FOUND if f'"pid":{os.getpid()},' in lines else MISSING)


def main():
    sock_path, target, audit = sys.argv[1:4]
    n, credd = int(sys.argv[4]), int(sys.argv[5])
    ctx = mp.get_context("fork")
    ready, sent, go, results = ctx.Semaphore(0), ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    before = sockets_of(credd)
    procs = [ctx.Process(target=caller, args=(sock_path, target, audit, ready, go, sent, results)) for _ in range(n)]
    for p in procs:
        p.start()
    for _ in range(n):
        ready.acquire()
    if not wait_for_accepts(credd, before, n):  # identity is taken at accept
        for p in procs:
            p.terminate()
        sys.exit(2)
    os.kill(credd, signal.SIGSTOP)
    try:
        go.set()
        for _ in range(n):
            sent.acquire()
    finally:
        os.kill(credd, signal.SIGCONT)
    counts = [0, 0, 0]
    for _ in range(n):
        counts[results.get(timeout=60)] += 1
    for p in procs:
        p.join()
    print(f"found {counts[FOUND]}, missing {counts[MISSING]}, not answered 200 {counts[NOT_OK]}")
    sys.exit(0 if counts[FOUND] == n else 1)


main()

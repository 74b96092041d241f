#!/usr/bin/env python3
"""N token requests wait for one refresh that the provider holds; once it is
released, every one of them must have its answer written before credd closes
any of their connections.

    waiters_answered_first.py SOCKET TARGET AUDIT_FILE N RELEASE_URL

Opens N connections to credd's socket and sends `GET TARGET` (Connection:
close) on each. TARGET must need a refresh, which the provider holds (the
caller set that up). Once the audit file has the N requests' lines (credd
writes a request's line after it has joined the refresh), it POSTs
RELEASE_URL from a second thread, to let the provider answer, and reads the
answers. The moment it first finds a connection closed by credd, it asks,
in one poll(2), which of the connections still without a whole answer can
be read: each must be, for its answer was written before that close.
Prints what it saw; exits 0 when all N answers came before any close and
all are 200 with the same token.
Used by refresh_waiters_test.sh.
"""
import json
import select
import socket
import sys
import threading
import time
import urllib.request

from http_answers import answers


def audit_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return sum(1 for line in f if '"permission":"credentials:token"' in line)
    except FileNotFoundError:
        return 0


def complete(answer):
    """Whether answer holds one whole answer: a head and its Content-Length bytes."""
    return len(answers(answer)[0]) == 1


def main():
    sock_path, target, audit = sys.argv[1:4]
    n, release_url = int(sys.argv[4]), sys.argv[5]
    before = audit_lines(audit)
    conns = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock_path)
        conns.append(s)
    request = f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    for s in conns:
        s.sendall(request)
    deadline = time.monotonic() + 60
    while audit_lines(audit) < before + n:
        if time.monotonic() > deadline:
            print(f"only {audit_lines(audit) - before} of {n} requests reached the audit log in 60 s")
            return 1
        time.sleep(0.05)
    for s in conns:
        s.setblocking(False)
    # Released from another thread, so that this one is already watching
    # when the first answers come.
    release = threading.Thread(target=lambda: urllib.request.urlopen(
        urllib.request.Request(release_url, method="POST"), timeout=10).read())
    release.start()

    by_fd = {s.fileno(): s for s in conns}
    answers_of = {fd: b"" for fd in by_fd}
    closed = set()
    unanswered_at_first_close = None
    poller = select.poll()
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + 60
    while len(closed) < n:
        if time.monotonic() > deadline:
            print(f"{n - len(closed)} connections still open after 60 s")
            return 1
        for fd, _ in poller.poll(1000):
            try:
                chunk = by_fd[fd].recv(65536)
            except BlockingIOError:
                continue
            if chunk:
                answers_of[fd] += chunk
                continue
            poller.unregister(fd)
            closed.add(fd)
            if unanswered_at_first_close is None:
                # One poll(2) over every connection still without a whole
                # answer: one that cannot be read had none written yet.
                waiting = [f for f in answers_of if f not in closed and not complete(answers_of[f])]
                check = select.poll()
                for f in waiting:
                    check.register(f, select.POLLIN)
                readable = {f for f, _ in check.poll(0)}
                unanswered_at_first_close = [f for f in waiting if f not in readable]
    release.join()
    tokens, not_ok = set(), 0
    for a in answers_of.values():
        whole, _ = answers(a)
        if len(whole) != 1 or not whole[0][0].startswith(b"HTTP/1.1 200"):
            not_ok += 1
            continue
        tokens.add(json.loads(whole[0][1])["access_token"])
    print(f"{n} waiters: {len(unanswered_at_first_close)} without their answer when credd closed the first "
          f"connection; {n - not_ok} answered 200, {len(tokens)} distinct token(s)")
    return 0 if not unanswered_at_first_close and not_ok == 0 and len(tokens) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A stand-in for credd on a Unix socket, for end-to-end tests of credctl.

  fake_daemon.py SOCKET RECORD_FILE [--providers FILE] [--status N]
  fake_daemon.py SOCKET RECORD_FILE --before-caller-alias UPSTREAM

Listens on SOCKET (mode 0666), appends every byte it receives to RECORD_FILE
and answers each request: GET /v1/providers with the body of FILE, anything
else with HTTP status N (default 500) and a body that is no problem document.
It plays a squatter that took credd's socket path, or a broken daemon.

With --before-caller-alias it plays a credd from before `~` stood for the
caller (docs/api.md): a path with the user `~` gets the 400 such a credd
gave, and every other request is passed to the credd at UPSTREAM, whose
answer is passed back; GET /v1/status's names that older credd's version,
OLD_VERSION.
"""
import argparse
import json
import os
import re
import socket

OLD_VERSION = "0.0.1"


def answer(request: bytes, providers: bytes, status: int) -> bytes:
    line = request.split(b"\r\n", 1)[0]
    if line.startswith(b"GET /v1/providers ") and providers:
        code, body = 200, providers
    else:
        code, body = status, b"not a problem document"
    return (b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n" % (code, len(body))) + body


def refuse_or_pass(request: bytes, upstream: str) -> bytes:
    line = request.split(b"\r\n", 1)[0]
    path = line.split(b" ")[1].split(b"?")[0] if line.count(b" ") >= 2 else b""
    if b"/users/~/" in path:
        body = (b'{"type":"about:blank","status":400,"code":"bad_request",'
                b'"detail":"invalid user or provider name in ' + path + b'"}')
        return (b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)) + body
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as up:
        up.connect(upstream)
        up.sendall(request)
        answer = b""
        while chunk := up.recv(65536):
            answer += chunk
    return as_older(answer) if path == b"/v1/status" else answer


def as_older(answer: bytes) -> bytes:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = json.loads(body)
    status["version"] = OLD_VERSION
    body = json.dumps(status, separators=(",", ":")).encode()
    head = re.sub(rb"(?im)^content-length: *\d+", b"Content-Length: %d" % len(body), head)
    return head + b"\r\n\r\n" + body


def read_request(conn: socket.socket, record) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for h in head.split(b"\r\n")[1:]:
        name, _, value = h.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    conn.settimeout(2)
    try:
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
    except socket.timeout:
        pass
    return head + b"\r\n\r\n" + body


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("socket")
    p.add_argument("record")
    p.add_argument("--providers")
    p.add_argument("--status", type=int, default=500)
    p.add_argument("--before-caller-alias", metavar="UPSTREAM")
    a = p.parse_args()
    providers = open(a.providers, "rb").read() if a.providers else b""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(a.socket)
    os.chmod(a.socket, 0o666)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        with conn:
            req = read_request(conn, None)
            with open(a.record, "ab") as f:
                f.write(req)
            if req and a.before_caller_alias:
                conn.sendall(refuse_or_pass(req, a.before_caller_alias))
            elif req:
                conn.sendall(answer(req, providers, a.status))


if __name__ == "__main__":
    main()

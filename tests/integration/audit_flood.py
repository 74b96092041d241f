#!/usr/bin/env python3
"""A hostile local client for e2e.audit_flood: sends denied requests to credd
as fast as it can, over keep-alive connections, reconnecting whenever credd
closes one. Loopback (a Unix socket) only, bounded in time and processes.

    audit_flood.py flood SOCKET TARGET SECONDS PROCESSES [STARTED_FILE]
        prints {"requests":..,"denials":..,"other":..,"server_closes":..,
                "max_on_one_connection":..} as JSON; creates STARTED_FILE
        once every process has had its first answer
    audit_flood.py probe SOCKET TARGET N
        sends up to N requests on one connection; prints
        {"answers":..,"denials":..,"closed_by_server":..,"last_said_close":..}
"""
import json
import multiprocessing
import socket
import sys
import time


def request(target):
    return f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()


class Connection:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""

    def answer(self, req):
        """Sends req; returns (status, says_close), or None if credd closed."""
        try:
            self.sock.sendall(req)
            while b"\r\n\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return None
                self.buf += chunk
        except OSError:
            return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        fields = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
        length = int(fields.get("content-length", "0"))
        while len(self.buf) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        self.buf = self.buf[length:]
        return status, fields.get("connection", "").lower() == "close"

    def at_eof(self):
        """Whether credd closed the connection (within a second)."""
        self.sock.settimeout(1.0)
        try:
            return self.sock.recv(1) == b""
        except OSError:
            return False

    def close(self):
        self.sock.close()


def flooder(path, target, deadline, out, started):
    req = request(target)
    counts = {"requests": 0, "denials": 0, "other": 0, "server_closes": 0, "max_on_one_connection": 0}
    while time.monotonic() < deadline:
        try:
            conn = Connection(path)
        except OSError:
            time.sleep(0.001)
            continue
        on_this = 0
        while time.monotonic() < deadline:
            got = conn.answer(req)
            if got is None:
                counts["server_closes"] += 1
                break
            status, says_close = got
            if counts["requests"] == 0:
                started.release()
            counts["requests"] += 1
            on_this += 1
            counts["denials" if status == 403 else "other"] += 1
            if says_close:
                counts["server_closes"] += 1
                break
        counts["max_on_one_connection"] = max(counts["max_on_one_connection"], on_this)
        conn.close()
    out.put(counts)


def flood(path, target, seconds, processes, started_file):
    deadline = time.monotonic() + seconds
    out, started = multiprocessing.Queue(), multiprocessing.Semaphore(0)
    procs = [multiprocessing.Process(target=flooder, args=(path, target, deadline, out, started))
             for _ in range(processes)]
    for p in procs:
        p.start()
    if started_file and all(started.acquire(timeout=seconds) for _ in procs):
        open(started_file, "w").close()
    total = {}
    for _ in procs:
        for k, v in out.get(timeout=seconds + 30).items():
            total[k] = max(total.get(k, 0), v) if k.startswith("max") else total.get(k, 0) + v
    for p in procs:
        p.join()
    print(json.dumps(total))


def probe(path, target, n):
    conn = Connection(path)
    req = request(target)
    result = {"answers": 0, "denials": 0, "closed_by_server": False, "last_said_close": False}
    for _ in range(n):
        got = conn.answer(req)
        if got is None:
            result["closed_by_server"] = True
            break
        result["answers"] += 1
        result["denials"] += got[0] == 403
        result["last_said_close"] = got[1]
        if got[1]:
            result["closed_by_server"] = conn.at_eof()
            break
    conn.close()
    print(json.dumps(result))


if __name__ == "__main__":
    mode, path, target = sys.argv[1:4]
    if mode == "flood":
        flood(path, target, float(sys.argv[4]), int(sys.argv[5]), sys.argv[6] if len(sys.argv) > 6 else None)
    else:
        probe(path, target, int(sys.argv[4]))

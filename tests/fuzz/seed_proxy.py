#!/usr/bin/env python3
"""A recording proxy between credctl and credd, for the fuzz seed corpora.

  seed_proxy.py LISTEN_SOCKET CREDD_SOCKET RECORD_DIR

Accepts on LISTEN_SOCKET (mode 0666), forwards every connection to
CREDD_SOCKET both ways, and writes what each side sent, per connection, to
RECORD_DIR/N.request and RECORD_DIR/N.reply. Runs until killed.
"""
import os
import socket
import sys
import threading


def pump(src: socket.socket, dst: socket.socket, path: str) -> None:
    with open(path, "wb") as record:
        while True:
            data = src.recv(65536)
            if not data:
                break
            record.write(data)
            record.flush()
            dst.sendall(data)
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def main() -> None:
    listen_path, credd_path, record_dir = sys.argv[1:4]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(listen_path)
    os.chmod(listen_path, 0o666)
    server.listen(16)
    n = 0
    while True:
        client, _ = server.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(credd_path)
        n += 1
        base = os.path.join(record_dir, str(n))
        threading.Thread(target=pump, args=(client, upstream, base + ".request"), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, base + ".reply"), daemon=True).start()


if __name__ == "__main__":
    main()

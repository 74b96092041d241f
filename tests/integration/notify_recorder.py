#!/usr/bin/env python3
"""A stand-in for systemd's notification socket (sd_notify(3)).

  notify_recorder.py SOCKET RECORD_FILE

Binds a Unix datagram socket at SOCKET and appends each datagram received to
RECORD_FILE as one line, its newlines written as '|', in arrival order, so a
test can read READY=1, WATCHDOG=1, RELOADING=1 and STOPPING=1 in sequence.
"""
import os
import socket
import sys


def main() -> None:
    path, record = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    open(record + ".ready", "w").close()
    while True:
        data = s.recv(4096)
        with open(record, "a") as f:
            f.write(data.decode("utf-8", "replace").replace("\n", "|") + "\n")


if __name__ == "__main__":
    main()

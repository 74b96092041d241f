#!/usr/bin/env python3
"""Splits the connections seed_proxy.py recorded into single HTTP messages.

  split_exchanges.py RECORD_DIR OUT_DIR

For each N.request / N.reply pair, writes OUT_DIR/K.request and
OUT_DIR/K.reply, one request and its answer each, cut by Content-Length
(credctl and credd always send one), plus the whole connection as
OUT_DIR/conn-N.request (pipelined requests as they went).
"""
import os
import shutil
import sys


def messages(data: bytes):
    while data:
        head_end = data.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = data[:head_end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        end = head_end + 4 + length
        yield data[:end]
        data = data[end:]


def main() -> None:
    record_dir, out_dir = sys.argv[1:3]
    os.makedirs(out_dir, exist_ok=True)
    k = 0
    for name in sorted(os.listdir(record_dir)):
        if not name.endswith(".request"):
            continue
        base = os.path.join(record_dir, name[: -len(".request")])
        with open(base + ".request", "rb") as f:
            requests = list(messages(f.read()))
        replies = []
        if os.path.exists(base + ".reply"):
            with open(base + ".reply", "rb") as f:
                replies = list(messages(f.read()))
        if len(requests) > 1:
            shutil.copy(base + ".request", os.path.join(out_dir, "conn-" + name))
        for i, req in enumerate(requests):
            k += 1
            with open(os.path.join(out_dir, "%d.request" % k), "wb") as f:
                f.write(req)
            with open(os.path.join(out_dir, "%d.reply" % k), "wb") as f:
                f.write(replies[i] if i < len(replies) else b"")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The attacker of e2e.login_injection's flood (login_injection_test.sh).

    login_flood.py UID CONNECTIONS READY_FILE RELEASE_FILE

Waits (up to 30 s) for a TCP socket of uid UID listening on 127.0.0.1, as
every user can read it in /proc/net/tcp; opens CONNECTIONS connections to it
that send nothing; waits until the listener has closed them all (up to
10 s); then writes to READY_FILE, on one line, the port, how many
connections were opened, how many the listener closed and how many seconds
that took, and keeps every socket open until RELEASE_FILE exists (up to
60 s).
"""
import os, select, socket, sys, time

uid, count, ready, release = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
LISTEN = "0A"
LOOPBACK = "0100007F"  # 127.0.0.1 as /proc/net/tcp prints it on a little-endian host


def listening_port():
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            cols = line.split()
            addr, port = cols[1].split(":")
            if cols[3] == LISTEN and int(cols[7]) == uid and addr == LOOPBACK:
                return int(port, 16)
    return None


def wait_until(seconds, check):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


port = None
def found():
    global port
    port = listening_port()
    return port is not None
if not wait_until(30, found):
    sys.exit("no socket of uid %d listens on 127.0.0.1" % uid)

conns = []
for _ in range(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        conns.append(s)
    except OSError:
        s.close()
start = time.monotonic()
closed = set()

def all_closed():
    readable, _, _ = select.select([s for s in conns if s not in closed], [], [], 0)
    for s in readable:
        try:
            if s.recv(4096) == b"":
                closed.add(s)
        except OSError:  # reset: closed unread
            closed.add(s)
    return len(closed) == len(conns)

wait_until(10, all_closed)
with open(ready + ".tmp", "w") as out:
    out.write("%d %d %d %.1f\n" % (port, len(conns), len(closed), time.monotonic() - start))
os.rename(ready + ".tmp", ready)
wait_until(60, lambda: os.path.exists(release))

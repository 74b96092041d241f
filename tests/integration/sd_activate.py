#!/usr/bin/env python3
"""Start a command socket-activated, exactly as systemd does (sd_listen_fds(3)).

  sd_activate.py [--delay S] [--listen-pid N] [--fds N] SOCKET -- COMMAND...

Binds and listens on SOCKET (mode 0666), puts the listening socket on fd 3
(and, with --fds 2, a second one on fd 4), sets LISTEN_FDS and LISTEN_PID to
this process's pid (or N, to play a variable meant for another process), waits
S seconds (clients that connect meanwhile queue in the backlog, as under
systemd), then execs COMMAND, which keeps the pid.
"""
import argparse
import fcntl
import os
import socket
import time


def listener(path: str) -> socket.socket:
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, 0o666)
    s.listen(128)
    return s


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--listen-pid", type=int)
    p.add_argument("--fds", type=int, default=1)
    p.add_argument("socket")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.command[1:] if a.command and a.command[0] == "--" else a.command
    socks = [listener(a.socket)] + [listener(a.socket + ".extra") for _ in range(a.fds - 1)]
    # Move every listener above the target range first, so that dup2 never
    # lands on a source that is itself still to be moved.
    high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 100) for s in socks]
    for i, fd in enumerate(high):
        os.dup2(fd, 3 + i, inheritable=True)
    os.environ["LISTEN_FDS"] = str(len(socks))
    os.environ["LISTEN_PID"] = str(a.listen_pid if a.listen_pid is not None else os.getpid())
    if a.delay:
        time.sleep(a.delay)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()

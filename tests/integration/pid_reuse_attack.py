#!/usr/bin/env python3
"""The two sides of a pid reuse during a connection's wait, for pidfd_test.sh.

  pid_reuse_attack.py connect SOCKET USER PIDFILE ANSWER
      As the attacker: connect to credd, ask for USER's token of provider
      demo, fork a child that keeps the socket and writes what credd answers
      to ANSWER, write this process's pid to PIDFILE, and exit, so that the
      pid is free once the shell has reaped it.
  pid_reuse_attack.py take PID UID GID PROGRAM ARGS...
      As root: start PROGRAM under UID:GID with pid PID
      (/proc/sys/kernel/ns_last_pid), trying up to 200 times. Prints the
      pid it got; exits 1 if it never got PID.
"""
import os
import socket
import sys


def connect(path: str, user: str, pidfile: str, answer: str) -> None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(f"GET /v1/users/{user}/credentials/demo/token HTTP/1.1\r\n"
              "Host: credd\r\nConnection: close\r\n\r\n".encode())
    if os.fork() == 0:
        s.settimeout(60)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except OSError:
            pass
        with open(answer + ".tmp", "wb") as f:
            f.write(data)
        os.rename(answer + ".tmp", answer)
        os._exit(0)
    with open(pidfile, "w") as f:
        f.write(str(os.getpid()))
    os._exit(0)


def take(pid: int, uid: int, gid: int, argv: list) -> None:
    for _ in range(200):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid - 1))
        child = os.fork()
        if child == 0:
            if os.getpid() != pid:
                os._exit(3)
            # Not the caller's stdout: $(...) would wait for the program.
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            os.execv(argv[0], argv)
        if child == pid:
            print(child)
            return
        os.waitpid(child, 0)
    sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "connect":
        connect(*sys.argv[2:6])
    else:
        take(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])

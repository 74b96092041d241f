#!/usr/bin/env python3
"""Checks the system calls credd made (an strace -f log) against a unit's
SystemCallFilter= lines, expanded with `systemd-analyze syscall-filter`.

  syscall_filter.py UNIT_FILE STRACE_LOG

Prints the calls made and any the filter would refuse; exits 1 if any.
"""
import re
import subprocess
import sys


def groups() -> dict:
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"], check=True,
                         capture_output=True, text=True).stdout
    table, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.split()[0]
            table[current] = []
        elif current and line.strip() and not line.strip().startswith("#"):
            table[current].append(line.strip())
    return table


def expand(name: str, table: dict, seen=None) -> set:
    seen = seen or set()
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    result = set()
    for member in table.get(name, []):
        result |= expand(member, table, seen)
    return result


def allowed(unit: str, table: dict) -> set:
    allow, deny = None, set()
    for line in open(unit):
        m = re.match(r"SystemCallFilter=(~?)(.*)", line.strip())
        if not m:
            continue
        names = set()
        for n in m.group(2).split():
            names |= expand(n, table)
        if m.group(1):
            deny |= names
        else:
            allow = names if allow is None else allow | names
    return (allow or set()) - deny


def used(log: str) -> set:
    calls = set()
    for line in open(log, errors="replace"):
        m = re.match(r"^(?:\d+\s+)?([a-z_0-9]+)\(", line)
        if m:
            calls.add(m.group(1))
    return calls


def main() -> None:
    unit, log = sys.argv[1], sys.argv[2]
    ok = allowed(unit, groups())
    calls = used(log)
    # execve of credd itself happens before the filter is installed.
    refused = sorted(c for c in calls - ok if c != "execve")
    print("system calls made:", " ".join(sorted(calls)))
    if refused:
        print("refused by the filter:", " ".join(refused))
        sys.exit(1)


if __name__ == "__main__":
    main()

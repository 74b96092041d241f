#!/usr/bin/env python3
"""Searches the readable memory of a live process for secrets.

Usage: heap_search.py PID SECRETS_FILE
Reads /proc/PID/maps and every readable private mapping through /proc/PID/mem
(root may read a non-dumpable process's memory), and prints one line per
secret found: the secret's line number in SECRETS_FILE and the mapping.
Unreadable regions (libsodium's guard pages) are skipped, and so are
mappings over 1 GiB: reservations such as AddressSanitizer's shadow memory,
which hold no data of the program. Each mapping is read in pieces, overlapping
by the longest secret. Exits 0 when no secret is found, 1 when one is, 2 when
nothing could be read at all.
"""
import sys

pid, secrets_file = sys.argv[1], sys.argv[2]
secrets = [s.encode() for s in open(secrets_file).read().split() if s]
k_max_mapping = 1 << 30
k_piece = 64 << 20
overlap = max((len(s) for s in secrets), default=1) - 1
found = 0
read_bytes = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        fields = line.split()
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        perms, name = fields[1], (fields[5] if len(fields) > 5 else "[anonymous]")
        if "r" not in perms or name in ("[vvar]", "[vsyscall]") or hi - lo > k_max_mapping:
            continue
        hits = set()
        for start in range(lo, hi, k_piece):
            try:
                mem.seek(max(lo, start - overlap))
                data = mem.read(min(hi, start + k_piece) - max(lo, start - overlap))
            except OSError:
                continue
            read_bytes += len(data)
            hits.update(i for i, s in enumerate(secrets, 1) if s in data)
        for i in sorted(hits):
            print(f"secret {i} found in {fields[0]} {perms} {name}")
            found += 1
print(f"searched {read_bytes} bytes", file=sys.stderr)
sys.exit(2 if read_bytes == 0 else (1 if found else 0))

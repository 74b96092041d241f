#!/usr/bin/env bash
# End-to-end: credd and its limit of open files. It raises its soft limit to
# the hard one (systemd's soft limit is 1024, the default max_connections).
# When it runs out of descriptors anyway, accept(2) fails with EMFILE and the
# connection stays in the listen queue: credd must pause instead of retrying
# at once in a loop, and serve again once connections end.
# Usage: open_files_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

write_offline_config "$work/credd.toml"
soft_limit() { awk '/^Max open files/ {print $4}' "/proc/$1/limits"; }

# --- a soft limit below the hard one is raised -------------------------------
credd_with_limit() { start_credd "$work/credd.toml" prlimit --nofile="$1"; }  # SOFT:HARD
expect "credd starts with an open-file limit of 256:4096" credd_with_limit 256:4096
expect "it raises its soft limit to the hard one (soft now $(soft_limit "$credd_pid"))" \
  test "$(soft_limit "$credd_pid")" = 4096
expect "with the limit raised, it has no limit to warn about" \
  bash -c "! grep -q 'open-file limit 4096 is below' '$work/credd.log'"
stop_credd
: >"$work/credd.log"

# --- out of descriptors: a pause, not a spin ---------------------------------
expect "credd starts with an open-file limit of 40:40" credd_with_limit 40:40
expect "it warns that max_connections does not fit under 40 files" \
  grep -q "the open-file limit 40 is below max_connections (1024)" "$work/credd.log"
python3 - "$CREDD_SOCKET" "$credd_pid" "$work/credd.log" >"$work/emfile.out" 2>&1 <<'PY'
import socket, sys, time

path, pid, log = sys.argv[1], sys.argv[2], sys.argv[3]

def cpu_seconds():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in ticks of 10 ms

held = []
for _ in range(60):  # more than credd has descriptors for
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)  # completes in the listen queue even when credd cannot accept
    held.append(s)
deadline = time.monotonic() + 10
while "accept failed: Too many open files" not in open(log).read():  # credd is out of descriptors
    if time.monotonic() > deadline:
        sys.exit("gave up after 10 s waiting for credd to log a failed accept")
    time.sleep(0.05)
before = cpu_seconds()
time.sleep(2)  # a real span of time: the CPU credd uses in it is what is measured
print(f"cpu {cpu_seconds() - before:.2f}")
for s in held:
    s.close()
PY
cpu=$(awk '/^cpu/ {print $2}' "$work/emfile.out")
expect "with its descriptors used up, credd is not spinning (CPU ${cpu:-?} s in 2 s)" \
  python3 -c "import sys; sys.exit(0 if float('${cpu:-9}') < 0.5 else 1)"
failures=$(grep -c "accept failed: Too many open files; trying again in 100 ms" "$work/credd.log")
expect "it logs the failed accept and pauses: $failures warnings in about 2 s" \
  test "$failures" -ge 1 -a "$failures" -le 40
expect "once the connections end, credd serves again" wait_for 5 "credd to serve again" credd_answers
expect "credd stops cleanly" stop_credd
finish

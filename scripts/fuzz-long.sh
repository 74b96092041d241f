#!/usr/bin/env bash
# The long fuzz run (docs/fuzzing.md "Long run"): each TARGET runs until it
# has used CPU_SECONDS of processor time (default 1200: 20 CPU-minutes), not
# wall time, so a shared machine gives every target the same amount of work.
# The targets run one after the other at nice 19 on a corpus that grows in
# build/fuzz/long/corpus/<name>/ (seeded from tests/fuzz/corpus/<name>/, so a
# second run resumes where the first stopped); findings land in
# build/fuzz/long/findings/, each target's log in build/fuzz/long/<target>.log,
# and one line per target in build/fuzz/long/summary.txt. Exits non-zero when
# a target found anything.
#
#   scripts/fuzz-long.sh [CPU_SECONDS] [TARGET...]    # default: every target
#
# Build the targets first (scripts/fuzz.sh 1 builds them and runs each 1 s).
set -euo pipefail
cd "$(dirname "$0")/.."

cpu_limit=${1:-1200}
[ $# -gt 0 ] && shift
bin=build/fuzz/tests/fuzz
out=build/fuzz/long
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ticks=$(getconf CLK_TCK)
mkdir -p "$out/findings"

# CPU seconds (user + system) of PID so far, from /proc/PID/stat.
cpu_seconds() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # the fields after the command name, from field 3 on
  read -r -a f <<<"$stat"
  echo $(((f[11] + f[12]) / ticks))
}

failed=0
for t in "${targets[@]}"; do
  name=${t%_fuzz}
  corpus=$out/corpus/$name
  mkdir -p "$corpus"
  [ -d "tests/fuzz/corpus/$name" ] && cp -Rn "tests/fuzz/corpus/$name/." "$corpus/"
  args=(-print_final_stats=1 -timeout=10 -rss_limit_mb=2560 -artifact_prefix="$out/findings/$t-")
  [ -f "tests/fuzz/$name.dict" ] && args+=(-dict="tests/fuzz/$name.dict")
  start=$(date +%s)
  nice -n 19 "$bin/$t" "${args[@]}" "$corpus" >"$out/$t.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    used=$(cpu_seconds "$pid") || break
    if [ "$used" -ge "$cpu_limit" ]; then kill -INT "$pid" 2>/dev/null || true; fi
  done
  rc=0
  wait "$pid" || rc=$?
  # libFuzzer exits 72 when interrupted at the budget; anything else but 0 is a finding.
  result=ok
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 72 ]; then result=FAILED; failed=$((failed + 1)); fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -n 1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$out/$t.log" | tail -n 1 | cut -d' ' -f2 || true)
  line="$t cpu_s=$cpu_limit wall_s=$(($(date +%s) - start)) executions=${execs:-?} cov=${cov:-?} ft=${ft:-?} corpus=$(ls "$corpus" | wc -l) $result"
  echo "$line" | tee -a "$out/summary.txt"
done
[ "$failed" -eq 0 ]

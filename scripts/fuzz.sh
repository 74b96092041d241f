#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang-16, ASan + UBSan)
# and runs each for SECONDS (default 15) on a scratch copy of its seed
# corpus, tests/fuzz/corpus/<name>/ (the committed corpus never grows here),
# with tests/fuzz/<name>.dict when there is one, as many targets at a time
# as there are cores (CREDCTL_FUZZ_JOBS to choose). Prints each target's
# executions and coverage (libFuzzer's final stats) and fails when any target
# finds a crash, a sanitizer report or a broken property; the input that did
# it is kept in build/fuzz/findings/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # TARGET: e.g. wire_request_fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-15}
[ $# -gt 0 ] && shift
mkdir -p build/fuzz
cmake --preset fuzz >"build/fuzz-configure.log" 2>&1 || { cat build/fuzz-configure.log; exit 1; }
if ! cmake --build --preset fuzz -j 2 >build/fuzz-build.log 2>&1; then
  grep -E 'error|FAILED' build/fuzz-build.log | head -n 40
  echo "fuzz: the build failed; build/fuzz-build.log has it all"
  exit 1
fi

bin=build/fuzz/tests/fuzz
findings=build/fuzz/findings
mkdir -p "$findings"
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

scratch=$(mktemp -d /tmp/credctl-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# Runs one target; its exit status is left in $scratch/<target>.rc.
run_target() {
  local t=$1 name=${1%_fuzz}
  local corpus=$scratch/$name
  mkdir -p "$corpus"
  [ -d "tests/fuzz/corpus/$name" ] && cp -R "tests/fuzz/corpus/$name/." "$corpus/"
  local args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2560
    -artifact_prefix="$findings/$t-")
  [ -f "tests/fuzz/$name.dict" ] && args+=(-dict="tests/fuzz/$name.dict")
  local rc=0
  "$bin/$t" "${args[@]}" "$corpus" >"$scratch/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$scratch/$t.rc"
}

# Targets run $parallel at a time (each is one process on one core; default:
# the number of cores), and are reported in order once all have ended.
parallel=${CREDCTL_FUZZ_JOBS:-$(nproc)}
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
wait

passed=0
failed=0
printf '%-26s %10s %8s %8s %8s  %s\n' target executions exec/s cov ft result
for t in "${targets[@]}"; do
  log=$scratch/$t.log
  if [ "$(cat "$scratch/$t.rc" 2>/dev/null)" = 0 ]; then
    result=ok
    passed=$((passed + 1))
  else
    result=FAILED
    failed=$((failed + 1))
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  # A target that died at once printed no coverage: still report it below.
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
  printf '%-26s %10s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$result"
  if [ "$result" != ok ]; then
    grep -E 'ERROR|runtime error|fuzz property broken|SUMMARY|Test unit written' "$log" | head -n 20 | sed 's/^/    /' || true
    cp "$log" "$findings/$t.log"
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

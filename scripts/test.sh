#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs the suite (unit
# tests, the layering, format, size and man-page checks, and end-to-end tests
# against a real local OpenID provider that the tests start themselves).
# .ci/run runs exactly this.
#
#   scripts/test.sh          # CI: the optimised build and the sanitizer build
#   scripts/test.sh default  # the whole suite on the optimised build only
#   scripts/test.sh asan     # the suite under ASan + UBSan, less `timing`
#
# With no argument it runs, in this order:
#   1. the `default` preset (optimised): every unit test and check, and the
#      end-to-end tests labelled `timing` in tests/CMakeLists.txt (their
#      latency, load and lifetime bounds hold for an optimised build, or
#      the sanitizers' runtime cannot run them);
#   2. the `asan` preset (AddressSanitizer + UndefinedBehaviorSanitizer, any
#      report aborts the process and fails its test): every unit test and
#      check again, and every end-to-end test not labelled `timing`;
#   3. every fuzz target for a short, bounded time on its seed corpus
#      (scripts/fuzz.sh; a crash or a broken property fails the run).
# So every end-to-end test runs once, each on the build its bounds are for.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-ci}
case "$mode" in
  ci | default | asan) ;;
  *) echo "usage: scripts/test.sh [default|asan]" >&2; exit 2 ;;
esac

bash scripts/install-deps.sh

step_start=$(date +%s)
elapsed() {
  local now
  now=$(date +%s)
  echo "$1: $((now - step_start)) s"
  step_start=$now
}

build() {
  cmake --preset "$1" >/dev/null
  cmake --build --preset "$1"
  elapsed "build ($1)"
}

# Unit tests and checks run two at a time, and so do end-to-end tests, but
# for those that bound a latency or flood credd: they run alone (RUN_SERIAL
# in tests/CMakeLists.txt).
run_tests() {
  local preset=$1
  shift
  ctest --preset "$preset" -E '^e2e\.' -j 2 --timeout 600
  elapsed "unit tests and checks ($preset)"
  ctest --preset "$preset" -R '^e2e\.' -j 2 --timeout 900 "$@"
  elapsed "end-to-end tests ($preset)"
}

case "$mode" in
  default)
    build default
    run_tests default
    ;;
  asan)
    build asan
    run_tests asan -LE timing
    ;;
  ci)
    build default
    run_tests default -L timing
    build asan
    run_tests asan -LE timing
    bash scripts/fuzz.sh "${CREDCTL_FUZZ_SECONDS:-10}"
    elapsed "fuzz"
    ;;
esac

#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs the whole suite
# (unit tests, layering check, and end-to-end tests against a real local
# OpenID provider that the tests start themselves), then every fuzz target
# for a short, bounded time on its seed corpus (scripts/fuzz.sh; a crash or a
# broken property fails the run). .ci/run runs exactly this.
# `scripts/test.sh asan` builds with AddressSanitizer and UndefinedBehavior-
# Sanitizer and runs every test but those labelled `timing` in
# tests/CMakeLists.txt (their bounds are for an optimised build).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
if [ "$preset" = asan ]; then
  ctest_args=(-LE timing --timeout 900)
else
  ctest_args=(--timeout 600)
fi
bash scripts/install-deps.sh
start=$(date +%s)
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
built=$(date +%s)
echo "build: $((built - start)) s"
ctest --preset "$preset" "${ctest_args[@]}"
tested=$(date +%s)
echo "tests: $((tested - built)) s"
if [ "$preset" = default ]; then
  bash scripts/fuzz.sh "${CREDCTL_FUZZ_SECONDS:-10}"
  echo "fuzz: $(($(date +%s) - tested)) s"
fi

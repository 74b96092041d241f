#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs the whole suite
# (unit tests, layering check, and end-to-end tests against a real local
# OpenID provider that the tests start themselves). .ci/run runs exactly this.
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
echo "tests: $(($(date +%s) - built)) s"

#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs the whole suite
# (unit tests, layering check, and end-to-end tests against a real local
# OpenID provider that the tests start themselves). .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-default}
bash scripts/install-deps.sh
start=$(date +%s)
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
built=$(date +%s)
echo "build: $((built - start)) s"
ctest --preset "$preset" --timeout 600
echo "tests: $(($(date +%s) - built)) s"

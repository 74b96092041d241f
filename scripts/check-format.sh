#!/usr/bin/env bash
# Fails when a tracked C++ file differs from what .clang-format makes of it.
# Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
if git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror; then
  echo "format: ok"
else
  echo "format: run  git ls-files '*.cpp' '*.hpp' | xargs clang-format -i" >&2
  exit 1
fi

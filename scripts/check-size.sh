#!/usr/bin/env bash
# Fails, naming file:line and the count, when a source file under cli/
# common/ daemon/ tests/ bench/ scripts/ is over 400 lines or a C++ or shell
# function is over 60 (docs/design.md "Size limits"); runs as the `size` test.
# scripts/check-size.allow lists the files that wait to be split.
#   check-size.sh              checks this repository
#   check-size.sh DIR          checks the tree at DIR
#   check-size.sh --self-test  checks the check on planted trees (`size.self_test`)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v ctags >/dev/null || { echo "size: ctags not found (Debian: universal-ctags)" >&2; exit 2; }

# Prints N lines of filler text, each prefixed with PREFIX.
filler() { for ((i = 1; i <= $2; i++)); do echo "$1 line $i"; done; }

# A C++ file holding one function of exactly N lines whose body is a lambda.
cpp_function() {  # lines
  echo "int long_one() {"
  echo "  auto step = [] {"
  filler "    //" $(($1 - 5))
  echo "  };"
  echo "  return step(), 0;"
  echo "}"
}

# A shell file holding one function of exactly N lines.
sh_function() {  # lines
  echo "long_one() {"
  filler "  :" $(($1 - 2))
  echo "}"
}

expect_output() {  # tree, expected exit code, expected output
  local out rc=0
  out=$(python3 "$here/check-size.py" "$1" 2>/dev/null) || rc=$?
  if [ "$rc" != "$2" ] || [ "$out" != "$3" ]; then
    printf 'size self-test: want exit %s and\n%s\ngot exit %s and\n%s\n' "$2" "$3" "$rc" "$out" >&2
    exit 1
  fi
}

self_test() {
  local at_limit over
  at_limit=$(mktemp -d) over=$(mktemp -d)
  trap "rm -rf '$at_limit' '$over'" EXIT
  mkdir -p "$at_limit"/{tests,common,scripts,tests/oidc/node_modules} "$over"/{tests,daemon,scripts}
  filler "//" 400 >"$at_limit/tests/long_test.cpp"
  cpp_function 60 >"$at_limit/common/fn.cpp"
  sh_function 60 >"$at_limit/scripts/fn.sh"
  filler "//" 900 >"$at_limit/tests/oidc/node_modules/vendored.mjs"
  filler "#" 900 >"$at_limit/unchecked.py"
  filler "//" 450 >"$at_limit/tests/listed.mjs"
  echo "tests/listed.mjs 450  # waits to be split" >"$at_limit/scripts/check-size.allow"
  expect_output "$at_limit" 0 "size: ok"

  filler "#" 401 >"$over/tests/long_test.py"
  cpp_function 61 >"$over/daemon/fn.cpp"
  sh_function 61 >"$over/scripts/fn.sh"
  filler "//" 451 >"$over/tests/grown.mjs"
  filler "//" 400 >"$over/tests/split.mjs"
  printf '%s\n' "tests/grown.mjs 450" "tests/split.mjs 420" >"$over/scripts/check-size.allow"
  expect_output "$over" 1 "tests/grown.mjs:1: file has 451 lines (scripts/check-size.allow allows 450)
tests/long_test.py:1: file has 401 lines (at most 400)
tests/split.mjs:1: file has 400 lines, within the limit: remove it from scripts/check-size.allow
daemon/fn.cpp:1: function long_one has 61 lines (at most 60)
scripts/fn.sh:1: function long_one has 61 lines (at most 60)"
  echo "size self-test: ok"
}

if [ "${1:-}" = --self-test ]; then
  self_test
else
  exec python3 "$here/check-size.py" "$@"
fi

#!/usr/bin/env bash
# cli/ and daemon/ depend on common/ only, never on each other, and common/
# on neither (docs/design.md "The layering rule"). Inside each layer the
# folders (daemon/policy, common/oauth...) form no cycle: a folder that
# includes another must not be included back, directly or through others.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
check() {  # folder, forbidden include prefix
  if grep -rnE "#include \"$2/" "$1" --include='*.hpp' --include='*.cpp'; then
    echo "layering: $1 must not include $2/"; bad=1
  fi
}
check cli daemon
check daemon cli
check common cli
check common daemon

# The folder graph of one layer as "from to" pairs, one per line: a file in
# LAYER/A including "LAYER/B/..." gives "A B". Files directly in LAYER/
# (main.cpp, daemon.cpp) are the layer's top and take part in no cycle.
folder_edges() {  # layer
  { grep -rHoE "^[[:space:]]*#[[:space:]]*include \"$1/[a-z_0-9]+/" "$1" --include='*.hpp' --include='*.cpp' || true; } |
    sed -nE "s|^$1/([a-z_0-9]+)/[^:]*:[[:space:]]*#[[:space:]]*include \"$1/([a-z_0-9]+)/$|\1 \2|p" |
    awk '$1 != $2' | sort -u
}

# tsort prints "tsort: -: input contains a loop:" and the folders of each
# loop on stderr, and exits non-zero.
check_cycles() {  # layer
  local edges out
  edges=$(folder_edges "$1")
  [ -n "$edges" ] || return 0
  if ! out=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null); then
    echo "layering: folder cycle inside $1/:"
    printf '%s\n' "$out" | sed -nE -e "s|^tsort: .*loop:$|  a loop through:|p" -e "s|^tsort: ([a-z_0-9]+)$|    $1/\1|p"
    bad=1
  fi
}
check_cycles common
check_cycles daemon
check_cycles cli

# credctl serves its plain `token` and `exec` lines before the program's
# static objects are constructed (cli/front.cpp): the files those lines
# reach must not use the C++ standard streams, which do not exist yet.
plain_line_files=(common cli/client cli/output/token_format.cpp cli/commands/commands.cpp cli/commands/token_run.cpp
  cli/commands/token_quick.cpp cli/commands/token_input.cpp cli/commands/exec_run.cpp cli/process.cpp cli/front.cpp)
if grep -rnE 'std::(cin|cout|cerr|clog|wcin|wcout|wcerr|wclog)\b' "${plain_line_files[@]}" --include='*.hpp' \
  --include='*.cpp'; then
  echo "layering: the files above serve credctl's plain lines before the C++ streams exist (cli/front.cpp): use stdio"
  bad=1
fi
# And credctl holds no CLI11 and no command but those lines: CLI11 is the
# commands module's (cli/CMakeLists.txt). The headers they include are
# checked too, but for common/, which holds no CLI11.
plain_line_cli_files=(cli/client cli/output/token_format.hpp cli/output/token_format.cpp cli/commands/globals.hpp
  cli/commands/commands.cpp cli/commands/token_run.cpp cli/commands/token_options.hpp cli/commands/token_quick.cpp
  cli/commands/token_input.hpp cli/commands/token_input.cpp cli/commands/exec_run.cpp cli/commands/login_helper.hpp
  cli/commands/login_helper.cpp cli/entry.hpp cli/process.cpp cli/front.cpp)
if grep -rnE '#include (<CLI/|"cli/commands/command\.hpp")' "${plain_line_cli_files[@]}" --include='*.hpp' \
  --include='*.cpp'; then
  echo "layering: the files above are credctl's plain lines (cli/front.cpp): CLI11 belongs to the commands module"
  bad=1
fi

[ "$bad" -eq 0 ] && echo "layering: ok"
exit "$bad"

#!/usr/bin/env bash
# End-to-end: credctl holds only what its plain token and exec lines need,
# and loads its commands module for every other line (cli/front.cpp,
# cli/CMakeLists.txt). The module is found beside credctl's own file, never
# through the working directory; without it the plain lines go on working
# and every other line says what is missing; a line with a client config
# (read with toml++, which credctl does not hold) is the module's.
# Usage: cli_front_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

module=$(dirname "$credctl")/../libexec/credctl/credctl-commands.so
status_of() { "$@" >"$work/out" 2>"$work/err"; echo $?; }

# What credctl itself holds (the build's programs are not stripped).
nm -C "$credctl" >"$work/front.symbols" 2>&1
expect "credctl's symbols can be read" grep -q 'credctl::cli::run_plain_line' "$work/front.symbols"
expect "credctl holds no CLI11" bash -c "! grep -q ' CLI::' '$work/front.symbols'"
expect "credctl holds no toml++" bash -c "! grep -q ' toml::' '$work/front.symbols'"
expect "credctl holds no URL parser (Boost.URL's library)" bash -c "! grep -q 'boost::urls::url_view_base' '$work/front.symbols'"
expect "credctl sets up no C++ streams" bash -c "! grep -q 'std::ios_base::Init::Init' '$work/front.symbols'"
commands='credctl::cli::(\(anonymous namespace\)::)?run_(list|status|whoami|logout)\(|credctl::cli::command_table\('
expect "credctl holds no command but token and exec" bash -c "! grep -Eq '$commands' '$work/front.symbols'"
expect "the commands module is built beside credctl-login" test -f "$module"
nm -D --defined-only "$module" >"$work/module.exports" 2>&1
expect "the module exports its entry" grep -q ' T credctl_commands_main$' "$work/module.exports"
expect "and nothing else of C++" bash -c "! grep -q ' _Z' '$work/module.exports'"
"$credctl" --version >"$work/version"
expect "credctl --version names the module and what it is linked against" \
  grep -q '; commands ../libexec/credctl/credctl-commands.so, linked: ' "$work/version"

start_demo_credd
expect "a login through credctl and its module stores the credential" login_demo
expect "the module lists it" cred_state_is demo valid
expect "credctl token prints it" bash -c "'$credctl' token demo | grep -q ."

# A copy of credctl alone, run from a working directory under which another
# user planted ../libexec/credctl/credctl-commands.so (the real module: were
# it loaded, `list` would work).
mkdir -p "$work/alone/bin" "$work/planted/bin" "$work/planted/libexec/credctl"
cp "$credctl" "$work/alone/bin/credctl"
ln -s "$(realpath "$module")" "$work/planted/libexec/credctl/credctl-commands.so"
expect "the copy alone prints the token (a plain line)" \
  bash -c "cd '$work/planted/bin' && '$work/alone/bin/credctl' token demo | grep -q ."
expect "the copy alone runs exec (a plain line)" \
  bash -c "cd '$work/planted/bin' && '$work/alone/bin/credctl' exec demo -- sh -c 'test -n \"\$CREDCTL_ACCESS_TOKEN\"'"
rc=$(cd "$work/planted/bin" && status_of "$work/alone/bin/credctl" list)
expect "list without the module fails as internal (1)" test "$rc" -eq 1
expect "the message names the module beside the copy" \
  grep -q "^credctl: cannot load $work/alone/bin/../libexec/credctl/credctl-commands.so, which runs every command but plain token and exec lines" \
  "$work/err"
expect "nothing was printed" test ! -s "$work/out"
rc=$(cd "$work/planted/bin" && status_of "$work/alone/bin/credctl" token --timeout 5 demo)
expect "a token line the quick reader leaves to CLI11 needs the module too (1)" test "$rc" -eq 1

# A client config: the plain line is the module's, and the config counts.
mkdir -p "$work/home/.config/credctl"
printf 'socket = "%s"\n' "$CREDD_SOCKET" >"$work/home/.config/credctl/credctl.toml"
t=$(env -u CREDD_SOCKET HOME="$work/home" XDG_CONFIG_HOME= "$credctl" token demo)
expect "with a client config naming the socket, credctl token prints the token" test -n "$t"
rc=$(HOME="$work/home" XDG_CONFIG_HOME= status_of env -u CREDD_SOCKET "$credctl" --socket /nonexistent/credd.sock token demo)
expect "--socket still wins over it (not reachable: 6)" test "$rc" -eq 6
rc=$(HOME="$work/home" XDG_CONFIG_HOME= status_of env -u CREDD_SOCKET "$work/alone/bin/credctl" token demo)
expect "and the copy alone cannot: the config is read in the module (1)" test "$rc" -eq 1
expect "saying that the module is missing" grep -q 'cannot load .*credctl-commands.so' "$work/err"
printf 'socket = 42\n' >"$work/home/.config/credctl/credctl.toml"
rc=$(HOME="$work/home" XDG_CONFIG_HOME= status_of "$credctl" token demo)
expect "a bad client config is still an error for a plain line (usage: 2)" test "$rc" -eq 2
expect "naming the file and the key" grep -q 'credctl.toml:1: socket' "$work/err"

finish

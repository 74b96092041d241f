#!/usr/bin/env bash
# bash completion (packaging/completion/credctl.bash): subcommands, options,
# output formats and provider names (asked of a running credd) complete, and
# every subcommand `credctl --help` lists is offered.
# Usage: cli_completion_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
. "$root/packaging/completion/credctl.bash"

complete_line() {  # WORDS... (the last one is being completed)
  COMP_WORDS=("$credctl" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _credctl
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

registered() { complete -p credctl | grep -q _credctl; }
expect "the completion function is registered for credctl" registered
listed=$("$credctl" --help | awk '/^Subcommands:/ {on=1; next} on && !NF {exit} on {print $1}')
offered=$(complete_line "")
missing=
for c in $listed; do grep -qw -- "$c" <<<"$offered" || missing="$missing $c"; done
expect "every subcommand of credctl --help is offered (missing:${missing:- none})" test -z "$missing"
# Every long option a subcommand's --help shows is completed.
missing=
for c in $listed; do
  [ "$c" = policy ] || [ "$c" = admin ] && continue  # nested: checked below
  offered=$(complete_line "$c" --)
  for opt in $("$credctl" "$c" --help | grep -oE '^ +(-[a-z],)?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
    grep -qw -- "$opt" <<<"$offered" || missing="$missing $c$opt"
  done
done
expect "every long option of every subcommand completes (missing:${missing:- none})" test -z "$missing"
# admin's subcommands, and each one's long options.
admin_subs=$("$credctl" admin --help | awk '/^Subcommands:/ {on=1; next} on && !NF {exit} on {print $1}')
offered=$(complete_line admin "")
missing=
for s in $admin_subs; do grep -qw -- "$s" <<<"$offered" || missing="$missing $s"; done
expect "every admin subcommand is offered (missing:${missing:- none})" test -z "$missing"
missing=
for s in $admin_subs; do
  offered=$(complete_line admin "$s" --)
  for opt in $("$credctl" admin "$s" --help | grep -oE '^ +(-[a-z],)?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
    grep -qw -- "$opt" <<<"$offered" || missing="$missing admin-$s$opt"
  done
done
expect "every long option of every admin subcommand completes (missing:${missing:- none})" test -z "$missing"
expect "'to' completes to token" test "$(complete_line to)" = "token "
expect "token -o completes every output format" \
  test "$(complete_line token -o "")" = "credential-process env exec-credential git-credential header json raw "
expect "list -o offers table and json" test "$(complete_line list -o "")" = "json table "
expect "token --m completes --min-valid" test "$(complete_line token --m)" = "--min-valid "
expect "global --so completes --socket" test "$(complete_line --so)" = "--socket "
expect "policy completes to its subcommand check" test "$(complete_line policy "")" = "check "
expect "policy check --perm completes --permission" test "$(complete_line policy check --perm)" = "--permission "
expect "policy check --permission offers the permissions" \
  test "$(complete_line policy check --permission "")" = "* delete login read token "
expect "whoami -o offers text and json" test "$(complete_line whoami -o "")" = "json text "
expect "after exec ... -- a command is completed" bash -c "[[ ' $(complete_line exec demo -- bas) ' == *' bash '* ]]"

start_demo_credd
expect "provider names come from the running credd" test "$(complete_line token "")" = "demo "
expect "and for login too" test "$(complete_line login d)" = "demo "

finish

#!/usr/bin/env bash
# End-to-end: `credctl admin backup` and `replace-master-key` send credd an
# absolute path made from the one given. A relative path is resolved against
# credctl's current directory; a path that cannot be made absolute (an empty
# name, a current directory that was removed) is a usage error naming the
# file, never a crash.
# Usage: cli_admin_paths_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

status_of() { "$@" >"$work/out" 2>"$work/err"; echo $?; }

start_demo_credd

mkdir -p "$work/here"
rc=$(cd "$work/here" && status_of "$credctl" admin backup rel.mdb)
expect "a relative backup path is accepted" test "$rc" -eq 0
expect "the backup lands in credctl's current directory" test -s "$work/here/rel.mdb"
expect "the message names the absolute path" grep -q "Backup written to $work/here/rel.mdb" "$work/err"

rc=$(status_of "$credctl" admin backup "")
expect "an empty backup path is a usage error" test "$rc" -eq 2
expect "the message names the backup file" grep -q 'backup file "": cannot make it absolute' "$work/err"

mkdir "$work/gone"
rc=$(cd "$work/gone" && rmdir "$work/gone" && status_of "$credctl" admin backup rel.mdb)
expect "a relative backup path from a removed directory is a usage error" test "$rc" -eq 2
expect "the message names the backup file" grep -q 'backup file "rel.mdb": cannot make it absolute' "$work/err"

mkdir "$work/gone"
rc=$(cd "$work/gone" && rmdir "$work/gone" && status_of "$credctl" admin replace-master-key new.key)
expect "a relative key path from a removed directory is a usage error" test "$rc" -eq 2
expect "the message names the master key file" grep -q 'master key file "new.key": cannot make it absolute' "$work/err"

finish

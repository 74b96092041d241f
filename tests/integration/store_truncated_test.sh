#!/usr/bin/env bash
# A data file cut short (a full disk during a copy, a bad restore, a hostile
# hand in the state directory) is refused with a message, at start and by
# `credctl admin check`, instead of killing credd with SIGBUS; the file is
# left as it was, so that the full copy can be put back and nothing is lost.
# Usage: store_truncated_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

sock=$work/run/credd.sock
data=$work/state/data.mdb
{
  echo "socket = \"$sock\""
  echo "state_dir = \"$work/state\""
  printf '[providers.p]\nissuer = "http://127.0.0.1:9"\nclient_id = "truncated"\n'
  printf '[roles.all]\npermissions = ["credentials:*"]\n'
  printf '[[grants]]\nname = "root fills the store"\nroles = ["all"]\nresources = ["credentials/*/p"]\nclients = [{ uid = 0 }]\n'
} >"$work/credd.toml"
export CREDD_SOCKET=$sock
far=$(($(date +%s) + 86400))

put() {  # USER
  curl -s --unix-socket "$sock" -o /dev/null -w '%{http_code}' -X PUT \
    --data "{\"refresh_token\":\"RT-$1\",\"access_token\":\"AT-$1\",\"access_expires_at\":$far}" \
    "http://localhost/v1/users/$1/credentials/p"
}
token_of() { curl -s --unix-socket "$sock" "http://localhost/v1/users/$1/credentials/p/token" | sed -nE 's/.*"access_token":"([^"]*)".*/\1/p'; }

start_credd "$work/credd.toml" || bad "credd starts on an empty store"
failed_puts=0
for i in $(seq 300); do [ "$(put "user$i")" = 204 ] || failed_puts=$((failed_puts + 1)); done
expect "300 credentials are stored" test "$failed_puts" -eq 0
stop_credd
cp "$data" "$work/full.mdb"
full=$(stat -c %s "$data")
expect "the store spans more than three pages ($full bytes)" test "$full" -gt 12288

# --- at start -----------------------------------------------------------------
truncate -s 12288 "$data"
"$credd" --config "$work/credd.toml" 2>"$work/start.err"
rc=$?
expect "credd refuses a truncated store with exit status 1, not a signal (got $rc)" test "$rc" -eq 1
expect "the message names the file, its size and what it needs" \
  grep -qF "$data is truncated: 12288 bytes, but its pages in use need $full; restore it from a backup" "$work/start.err"
expect "the truncated file is left as it was" test "$(stat -c %s "$data")" -eq 12288

# --- put back the full copy: nothing is lost ------------------------------------
cp "$work/full.mdb" "$data"
start_credd "$work/credd.toml" || bad "credd starts on the restored store"
expect "a credential is served from the restored store" test "$(token_of user150)" = AT-user150
"$credctl" admin check >"$work/check.out" 2>&1
expect "admin check finds every record of the restored store intact" grep -q "^300 of 300 records open" "$work/check.out"

# --- cut short while credd runs ---------------------------------------------------
truncate -s 8192 "$data"
"$credctl" admin check >"$work/check2.out" 2>&1
rc=$?
expect "admin check on a store cut short fails (exit $rc)" test "$rc" -ne 0
expect "admin check says the data file is truncated" grep -qF "data.mdb is truncated: 8192 bytes" "$work/check2.out"
expect "credd is still running after admin check" kill -0 "$credd_pid"
finish

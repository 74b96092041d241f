#!/usr/bin/env bash
# A slow disk holds only the callers that need the store (docs/design.md
# "Threads"): while one request's LMDB commit waits in fdatasync, a token
# cached in memory is still answered at once. An LD_PRELOAD library
# (tests/support/slow_sync_shim.cpp, path in $CREDCTL_TEST_SLOW_SYNC_SHIM)
# makes every fdatasync(2) of credd wait 800 ms first and marks a file when
# one begins.
# Usage: store_blocking_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

shim=${CREDCTL_TEST_SLOW_SYNC_SHIM:-}
if [ ! -f "$shim" ]; then
  bad "CREDCTL_TEST_SLOW_SYNC_SHIM does not name the built shim library: \"$shim\""
  finish
fi
sock=$work/run/credd.sock
{
  echo "socket = \"$sock\""
  echo "state_dir = \"$work/state\""
  for p in cached slow; do printf '[providers.%s]\nissuer = "http://127.0.0.1:9"\nclient_id = "blocking"\n' "$p"; done
} >"$work/credd.toml"
export CREDD_SOCKET=$sock
far=$(($(date +%s) + 86400))
mark=$work/syncing
delay_ms=800

put() {  # PROVIDER: prints the HTTP status of a PUT of a credential
  curl -s --unix-socket "$sock" -o /dev/null -w '%{http_code}' -X PUT \
    --data "{\"refresh_token\":\"RT-$1\",\"access_token\":\"AT-$1\",\"access_expires_at\":$far}" \
    "http://localhost/v1/users/root/credentials/$1"
}

# ASan checks that its runtime comes first among the libraries; the shim
# goes before it (as in pidfd_test.sh).
start_credd "$work/credd.toml" env LD_PRELOAD="$shim" CREDCTL_TEST_SYNC_DELAY_MS=$delay_ms \
  CREDCTL_TEST_SYNC_MARK="$mark" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
expect "credd answers under the slow-sync library" credd_answers
rm -f "$mark"
started=$(now_ms)
code=$(put cached)
took=$(($(now_ms) - started))
expect "a PUT is acknowledged ($code)" test "$code" = 204
expect "(control) its commit waited in the delayed fdatasync: ${took} ms, a delayed sync marked" \
  test "$took" -ge "$delay_ms" -a -e "$mark"

# A second PUT, whose commit waits in fdatasync while a cached token is asked for.
rm -f "$mark"
put slow >"$work/slow.code" &
slow_put=$!
extra_pids+=("$slow_put")
wait_for 10 "the second PUT's commit to be in its delayed fdatasync" test -e "$mark"
seconds=$(curl -s --unix-socket "$sock" -o "$work/cached.json" -w '%{time_total}' \
  "http://localhost/v1/users/root/credentials/cached/token")
ms=$(python3 -c "print(round($seconds * 1000))")
kill -0 "$slow_put" 2>/dev/null
still_committing=$?
expect "the cached token is answered" grep -q '"access_token":"AT-cached"' "$work/cached.json"
expect "it is answered in ${ms} ms, not after the commit's ${delay_ms} ms sync (bound 400 ms)" test "$ms" -lt 400
expect "the second PUT was still committing when the cached token was answered" test "$still_committing" -eq 0
wait "$slow_put"
expect "the second PUT is acknowledged ($(cat "$work/slow.code"))" test "$(cat "$work/slow.code")" = 204
finish

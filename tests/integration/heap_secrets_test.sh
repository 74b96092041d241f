#!/usr/bin/env bash
# End-to-end: no refresh token stays in credd's memory after a login
# (docs/store-format.md "`credentials`": refresh tokens are decrypted only for
# the moment of a refresh). A real login through the provider and a canary
# credential stored through the API, then credd's readable memory (heap, stacks,
# every private mapping) is searched, as root, through /proc/PID/maps and
# /proc/PID/mem. Guarded memory that cannot be read is skipped; sealed records
# are encrypted anyway. A control search first finds a token while it is still
# in memory: the search works.
# Usage: heap_secrets_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
search=$root/tests/integration/heap_search.py

if [ "$(id -u)" -ne 0 ]; then
  bad "reading credd's memory needs root (as CI runs it)"
  finish
fi
start_provider
write_config "$work/credd.toml"
demo_provider_toml canary >>"$work/credd.toml"
expect "credd starts" start_credd "$work/credd.toml"

# --- control: the search finds a secret that is in memory ------------------------
control_secret=CONTROL-SECRET-$RANDOM$RANDOM$RANDOM
python3 -c 'import sys, time; s = sys.argv[1] * 2; open(sys.argv[2], "w").close(); time.sleep(30)' \
  "$control_secret" "$work/control.ready" &
control=$!
extra_pids+=("$control")
wait_for 5 "the control process to hold its secret" test -e "$work/control.ready"
echo "$control_secret" >"$work/control.txt"
expect "(control) the search finds a secret in a live process's memory" \
  bash -c "python3 '$search' $control '$work/control.txt' >/dev/null 2>&1; [ \$? -eq 1 ]"
kill "$control"

# --- a real login and a stored canary ---------------------------------------------
expect "login through the real provider" login_demo 2>"$work/login.err"
expect "a token is served" test -n "$("$credctl" token demo)"
canary_rt=CANARY-REFRESH-$RANDOM$RANDOM$RANDOM$RANDOM
printf '{"refresh_token":"%s","access_token":"CANARY-ACCESS-%s","access_expires_at":%s}' \
  "$canary_rt" "$RANDOM$RANDOM" $(($(date +%s) + 600)) >"$work/canary.json"
code=$(curl -s --unix-socket "$CREDD_SOCKET" -o /dev/null -w '%{http_code}' -X PUT \
  --data-binary @"$work/canary.json" "http://localhost/v1/users/$(id -un)/credentials/canary")
rm -f "$work/canary.json"
expect "canary credential stored through the API" test "$code" = 204
# Later requests on other connections, as after any login.
"$credctl" status >/dev/null
"$credctl" list >/dev/null

curl -sf "$issuer/_test/issued" | python3 -c 'import json, sys
for t in json.load(sys.stdin)["refresh_tokens"]: print(t)' >"$work/refresh.txt"
echo "$canary_rt" >>"$work/refresh.txt"
expect "there are refresh tokens to search for ($(wc -l <"$work/refresh.txt"))" test "$(wc -l <"$work/refresh.txt")" -ge 2
python3 "$search" "$credd_pid" "$work/refresh.txt" >"$work/found.txt" 2>"$work/searched.txt"; rc=$?
expect "credd's memory was read ($(cat "$work/searched.txt"))" test "$rc" -ne 2
expect "no refresh token in credd's memory after the login$(tr '\n' ';' <"$work/found.txt")" test "$rc" -eq 0
expect "credd still serves" "$credctl" status
finish

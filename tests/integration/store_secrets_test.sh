#!/usr/bin/env bash
# No plaintext anywhere, and no way in (docs/design.md "Secrets",
# docs/store-format.md). credd runs as a dedicated test user. A full login /
# token / refresh / failed refresh / logout cycle runs against the real
# provider, plus recognisable canary tokens stored through the API; then every
# token is searched for in the LMDB files, the state and runtime directories,
# the daemon's log, the CLI's output, and /proc/*/cmdline and /proc/*/environ of
# every process. The daemon must be non-dumpable with core files off, and a
# ptrace attach by its own uid must fail (checked against a control process of
# the same uid that can be attached).
# Usage: store_secrets_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
daemon_user=credctl-st
access_ttl=4

if [ "$(id -u)" -ne 0 ]; then
  bad "this test runs credd as a test user and needs root (as CI runs it)"
  finish
fi
ensure_user "$daemon_user"
start_provider --access-ttl "$access_ttl"
write_config "$work/credd.toml"
demo_provider_toml canary >>"$work/credd.toml"
chmod 644 "$work/credd.toml"
install -d -m 700 -o "$daemon_user" -g "$daemon_user" "$work/state" "$work/run"

setpriv --reuid="$daemon_user" --regid="$daemon_user" --init-groups env -i PATH=/usr/bin:/bin \
  "$credd" --config "$work/credd.toml" 2>>"$work/credd.log" &
credd_pid=$!
wait_for 10 "credd to answer status" credd_answers
expect "credd runs as $daemon_user" test "$(stat -c %U "/proc/$credd_pid")" != "" -a \
  "$(awk '/^Uid:/ {print $2}' "/proc/$credd_pid/status")" = "$(id -u "$daemon_user")"

# --- the cycle ------------------------------------------------------------------
# Clients run as the daemon's user too: credd identifies a caller through
# /proc/<pid>, which an unprivileged daemon can read only for its own uid.
cli() { as_user "$daemon_user" "$credctl" "$@"; }
as_user "$daemon_user" env BROWSER="$oidc/browser" "$credctl" login demo >"$work/login.out" 2>"$work/login.err"
expect "login through the real provider" test $? -eq 0
cli token demo >"$work/token1.out" 2>&1
expect "token" test -s "$work/token1.out"
sleep $((access_ttl + 1))   # a real wait: the access token expires, so the next call refreshes
cli token demo --min-valid 2 >"$work/token2.out" 2>&1
expect "token after the TTL (an upstream refresh)" bash -c "[ -s '$work/token2.out' ] && ! cmp -s '$work/token1.out' '$work/token2.out'"
canary_rt=CANARY-REFRESH-$RANDOM$RANDOM$RANDOM
canary_at=CANARY-ACCESS-$RANDOM$RANDOM$RANDOM
printf '{"refresh_token":"%s","access_token":"%s","access_expires_at":%s}' \
  "$canary_rt" "$canary_at" $(($(date +%s) + 600)) >"$work/canary.json"
chown "$daemon_user" "$work/canary.json"
chmod 600 "$work/canary.json"
code=$(as_user "$daemon_user" curl -s --unix-socket "$CREDD_SOCKET" -o /dev/null -w '%{http_code}' -X PUT \
  --data-binary @"$work/canary.json" "http://localhost/v1/users/$daemon_user/credentials/canary")
rm -f "$work/canary.json"
expect "canary credential stored through the API" test "$code" = 204
cli token canary >"$work/canary.out" 2>&1
expect "the canary access token is served" test "$(cat "$work/canary.out")" = "$canary_at"
cli token canary --min-valid 3600 >"$work/canary-refresh.out" 2>&1
expect "refreshing with the canary refresh token fails as login_required" test $? -eq 4
cli list >"$work/list.out" 2>&1
cli admin check >"$work/check.out" 2>&1
expect "credctl admin check as credd's own user (an admin) opens both records" grep -q "^2 of 2 records open" "$work/check.out"
expect "logout demo" cli logout demo
expect "logout canary" cli logout canary

# --- search ---------------------------------------------------------------------
{
  curl -sf "$issuer/_test/issued" | grep -oE '"[A-Za-z0-9_-]{20,}"' | tr -d '"'
  echo "$canary_rt"
  echo "$canary_at"
} >"$work/canaries.txt"
expect "the provider issued tokens to search for ($(wc -l <"$work/canaries.txt") canaries)" \
  test "$(wc -l <"$work/canaries.txt")" -ge 6
search_files() { grep -rlaF -f "$work/canaries.txt" "$@" 2>/dev/null; }
expect "no token in the LMDB files or the state directory" test -z "$(search_files "$work/state")"
expect "no token in the runtime directory" test -z "$(search_files "$work/run")"
expect "no token in credd's log" test -z "$(search_files "$work/credd.log")"
expect "no token in login, list or check output" \
  test -z "$(search_files "$work/login.err" "$work/login.out" "$work/list.out" "$work/check.out" "$work/canary-refresh.out")"
proc_hits=
for p in /proc/[0-9]*; do
  for f in cmdline environ; do
    if tr '\0' '\n' <"$p/$f" 2>/dev/null | grep -qaF -f "$work/canaries.txt"; then proc_hits+=" $p/$f"; fi
  done
done
expect "no token in any /proc/*/cmdline or /proc/*/environ${proc_hits:+:$proc_hits}" test -z "$proc_hits"
# The search itself must be able to find a token: a control process with one in its environment.
env CONTROL="$(head -n1 "$work/canaries.txt")" sleep 30 &
control=$!
extra_pids+=("$control")
wait_for 5 "the control process to exec sleep" grep -qx sleep "/proc/$control/comm"
expect "(control) the same search finds a token in a process environment" \
  bash -c "tr '\0' '\n' </proc/$control/environ | grep -qaF -f '$work/canaries.txt'"
kill "$control"

# --- not dumpable, no core, no ptrace ----------------------------------------------
expect "credd's /proc/<pid>/status is owned by root (the process is not dumpable)" \
  test "$(stat -c %u "/proc/$credd_pid/status")" = 0
expect "credd's core file limit is 0" grep -qE '^Max core file size +0 +0 ' "/proc/$credd_pid/limits"
setpriv --reuid="$daemon_user" --regid="$daemon_user" --init-groups sleep 30 &
same_uid=$!
extra_pids+=("$same_uid")
wait_for 5 "the same-uid process to exec sleep" grep -qx sleep "/proc/$same_uid/comm"
as_daemon_user_gdb() {
  setpriv --reuid="$daemon_user" --regid="$daemon_user" --init-groups \
    gdb -nx -batch -p "$1" -ex 'info inferiors' -ex detach >"$work/gdb.$1" 2>&1
  grep -q "(process $1) detached" "$work/gdb.$1" && ! grep -q "ptrace: Operation not permitted" "$work/gdb.$1"
}
expect "(control) $daemon_user can attach gdb to its own dumpable process" as_daemon_user_gdb "$same_uid"
as_daemon_user_gdb "$credd_pid"
expect "$daemon_user cannot attach gdb to credd (ptrace: Operation not permitted)" \
  bash -c "[ $? -ne 0 ] && grep -q 'ptrace: Operation not permitted' '$work/gdb.$credd_pid'"
expect "credd still serves after the attach attempt" cli status
kill "$same_uid"
finish

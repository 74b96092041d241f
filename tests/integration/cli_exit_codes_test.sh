#!/usr/bin/env bash
# End-to-end: credctl's exit status for each failure class of credctl(1)
# EXIT STATUS, each one brought about for real: 0 ok, 1 internal, 2 usage,
# 3 denied by policy, 4 login required, 5 provider unavailable, 6 daemon not
# reachable (with how to start one), 7 not found.
# Usage: cli_exit_codes_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
other=credctl-sd-other

status_of() { "$@" >"$work/out" 2>"$work/err"; echo $?; }

start_provider --access-ttl 600
port=$(sed -E 's#.*:([0-9]+).*#\1#' <<<"$issuer")
write_config "$work/credd.toml"
sed -i 's/^\[limits\]$/[limits]\nprovider_timeout_seconds = 3/' "$work/credd.toml"
sed -i 's/^\[providers.demo\]$/[providers.demo]\nretry_deadline_seconds = 2/' "$work/credd.toml"  # fail fast
expect "credd starts" start_credd "$work/credd.toml"
login_demo >/dev/null 2>&1
expect "login succeeds" test $? -eq 0

expect "0: token succeeds" test "$(status_of "$credctl" token demo)" -eq 0

# 2: usage
expect "2: a missing argument is a usage error" test "$(status_of "$credctl" token)" -eq 2
expect "2: an unknown subcommand is a usage error" test "$(status_of "$credctl" frobnicate)" -eq 2
expect "2: an unknown output format is a usage error" test "$(status_of "$credctl" token -o yaml demo)" -eq 2

# 7: not found
expect "7: a credential never stored is not found" test "$(status_of "$credctl" token nosuch)" -eq 7
expect "7: credctl says so on stderr" grep -q "^credctl: .*nosuch" "$work/err"

# 3: denied by policy
ensure_user "$other"
rc=$(status_of as_user "$other" "$credctl" token --user "$(id -un)" demo)
expect "3: another uid asking for root's credential is denied by policy" test "$rc" -eq 3
expect "3: the message says forbidden" grep -qi "forbidden\|denied\|not allowed" "$work/err"

# 6: daemon not reachable, with how to start one
rc=$(status_of "$credctl" --socket "$work/nothing.sock" status)
expect "6: no daemon on the socket" test "$rc" -eq 6
expect "6: the message says how to start a per-user daemon" grep -q "systemctl --user enable --now credd.socket" "$work/err"
expect "6: the message says how to start the system daemon" grep -q "sudo systemctl enable --now credd.socket" "$work/err"
expect "6: the message names the socket" grep -q "$work/nothing.sock" "$work/err"

# 1: internal (a daemon answering 500 without a problem document)
python3 "$root/tests/integration/fake_daemon.py" "$work/broken.sock" "$work/broken.rec" --status 500 &
extra_pids+=($!)
wait_for 5 "the failing fake daemon to listen" test -S "$work/broken.sock"
expect "1: a daemon failing without a problem document is an internal error" \
  test "$(status_of "$credctl" --socket "$work/broken.sock" status)" -eq 1

# 5: provider unavailable (provider down, refresh forced)
kill "$provider_pid"; wait "$provider_pid" 2>/dev/null; provider_pid=
rc=$(status_of "$credctl" token --min-valid 3600 demo)
expect "5: a refresh while the provider is down: provider unavailable" test "$rc" -eq 5
expect "5: the message names the provider problem" grep -qi "provider" "$work/err"
"$credctl" status >"$work/status5.txt"
expect "status shows provider_unavailable, since when, and when it is retried" \
  grep -qE '^demo +provider_unavailable .*refresh failing since [0-9-]+ [0-9:]+Z; retried on the next token request' "$work/status5.txt"
"$credctl" list -o json >"$work/list5.json"
expect "list -o json carries unavailable_since" python3 -c '
import json, sys, time; c = json.load(open(sys.argv[1]))["credentials"][0]
assert c["state"] == "provider_unavailable" and 0 < time.time() - c["unavailable_since"] < 60, c' "$work/list5.json"

# 4: login required (a new provider on the same port no longer knows the refresh token)
rm -f "$work/issuer"
start_provider --port "$port" --access-ttl 600
rc=$(status_of "$credctl" token --min-valid 3600 demo)
expect "4: a refresh token the provider rejects: login required" test "$rc" -eq 4
expect "4: the message says to log in again" grep -qiE "log in|run: credctl login demo" "$work/err"
"$credctl" list >"$work/list.txt"
expect "list shows the credential as login_required" grep -qE '^demo +login_required' "$work/list.txt"
"$credctl" status >"$work/status.txt"
expect "status shows the credential as login_required" grep -qE '^demo +login_required' "$work/status.txt"

finish

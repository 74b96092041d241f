#!/usr/bin/env bash
# End-to-end: a word when a login is needed ([notify], credctl.toml(5)).
# - the provider revokes the grant; the next token call exits 4; the notify
#   command runs exactly once, with argv as configured and an environment of
#   exactly CREDCTL_USER, CREDCTL_PROVIDER, CREDCTL_STATE, CREDCTL_REASON and
#   PATH, no descriptor of credd's, and no token anywhere in what it got;
# - more token calls do not run it again; a new login then a new revocation
#   runs it once more;
# - credd logs the structured line with its stable MESSAGE_ID;
# - `credctl status` as root lists the credential as needing a login, across
#   users; as another uid it lists nobody else's;
# - a provider failing refreshes (503) is told once past
#   unavailable_after_seconds, and a rejection after that once more;
# - a command that hangs is killed at its timeout, and that is logged;
# - a login needed as credd stops is logged, and no command holds its exit.
# Usage: notify_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

k_login_needed_id=cbcb31fa6d184a078df530745078847b
k_command_failed_id=26f56b5374d043b5866cc2ab518f9d40
other=credctl-notify-other
ensure_user "$other"

# The notify command: appends one record per run (its argv, its environment
# as execve(2) gave it, its open descriptors) to $work/notified.
# The descriptors (number and target) are listed first; besides 0, 1 and 2
# the shell holds its script and copies of its own descriptors.
cat >"$work/notify-login" <<SH
#!/bin/sh
ls -l /proc/\$\$/fd >"$work/fds.now"
{
  echo "argv: \$*"
  tr '\0' '\n' </proc/\$\$/environ | sort
  sed -n 's/.* \\([0-9]*\\) -> \\(.*\\)/fd \\1 \\2/p' "$work/fds.now"
  echo "---"
} >>"$work/notified"
SH
# A command that never ends by itself; it leaves its pid for the check.
cat >"$work/hang" <<SH
#!/bin/sh
echo \$\$ >"$work/hang.pid"
exec sleep 300
SH
chmod 755 "$work/notify-login" "$work/hang"

runs() { [ -f "$work/notified" ] && grep -c '^---$' "$work/notified" || echo 0; }
runs_are() { [ "$(runs)" -eq "$1" ]; }
notify_config() {  # COMMAND_TOML [TIMEOUT]
  write_config "$work/credd.toml"
  cat >>"$work/credd.toml" <<TOML

[notify]
command = $1
timeout_seconds = ${2:-10}
TOML
}
revoke_and_ask() {  # the provider forgets every grant; one token call
  curl -sf -X POST "$issuer/_test/revoke-all"
  "$credctl" token demo --min-valid 7200 >/dev/null 2>"$work/token.err"
}

start_provider --access-ttl 3600
notify_config "[\"$work/notify-login\", \"--user\"]"
expect "credd starts with a [notify] command" start_credd "$work/credd.toml"
login_demo 2>>"$work/login.err"

# --- the grant is revoked: exit 4, one run ----------------------------------
revoke_and_ask
expect "a revoked grant gives exit 4" test $? -eq 4
expect "the notify command runs" wait_for 10 "the notify command's record" runs_are 1
expected_env="CREDCTL_PROVIDER=demo
CREDCTL_REASON=invalid_grant
CREDCTL_STATE=login_required
CREDCTL_USER=root
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
first=$(sed -n '1,/^---$/p' "$work/notified")
expect "its argv is the configured one" test "$(sed -n 1p <<<"$first")" = "argv: --user"
expect "its environment is exactly the four variables and PATH" \
  test "$(grep -v '^fd \|^argv: \|^---$' <<<"$first")" = "$expected_env"
expect "its stdin is /dev/null, its stderr credd's" \
  test "$(grep '^fd [02] ' <<<"$first" | cut -d' ' -f3 | tr '\n' ' ')" = "/dev/null $work/credd.log "
others=$(grep '^fd ' <<<"$first" | cut -d' ' -f3- | sort -u |
  grep -vx -e /dev/null -e "$work/credd.log" -e "$work/fds.now" -e "$work/notify-login")
expect "it holds no other descriptor of credd's (socket, store, audit log)" test -z "$others"
expect "and no socket at all" bash -c "! grep -q 'socket:' <<<'$first'"
tokens_in_record() {  # how many tokens the provider issued appear in what the command got
  curl -sf "$issuer/_test/issued" | python3 -c 'import json,sys
d=json.load(sys.stdin); got=open(sys.argv[1]).read()
ts=d["access_tokens"]+d["refresh_tokens"]
assert ts, "the provider issued no token?"
print(sum(1 for t in ts if t in got))' "$work/notified"
}
expect "no token value reached the command" test "$(tokens_in_record)" = 0
expect "the log has the line with its MESSAGE_ID and fields" \
  grep -q "needs a login: the provider rejected its refresh token MESSAGE_ID=$k_login_needed_id CREDCTL_USER=root CREDCTL_PROVIDER=demo CREDCTL_STATE=login_required CREDCTL_REASON=invalid_grant" "$work/credd.log"

# --- more calls: no more runs -----------------------------------------------
for _ in 1 2 3; do "$credctl" token demo --min-valid 7200 >/dev/null 2>&1; done
expect "more token calls still exit 4" bash -c "'$credctl' token demo --min-valid 7200 >/dev/null 2>&1; [ \$? -eq 4 ]"
expect "list shows the owner login_required" test "$(cred_state demo)" = login_required

# --- status across users ----------------------------------------------------
"$credctl" status >"$work/status.root" 2>&1
expect "status as root lists credentials that need a login, of every user" \
  grep -q "Credentials that need a login (all users):" "$work/status.root"
expect "with root's demo credential in it" \
  grep -Eq "^root +demo +login_required +.*credctl login demo" "$work/status.root"
"$credctl" status -o json >"$work/status.json"
expect "status -o json has needs_login" python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
assert d["administrator"] is True
assert [(c["user"], c["provider"], c["state"]) for c in d["needs_login"]] == [("root", "demo", "login_required")]' \
  "$work/status.json"
as_user "$other" "$credctl" status >"$work/status.other" 2>&1
expect "status as another uid answers" test $? -eq 0
expect "but lists no one else's credentials" \
  bash -c "! grep -q 'need a login' '$work/status.other' && ! grep -q '^root ' '$work/status.other'"
expect "and the daemon refuses it every user's credentials" \
  test "$(as_user "$other" curl -s -o /dev/null -w '%{http_code}' --unix-socket "$CREDD_SOCKET" http://localhost/v1/credentials)" = 403
expect "all along, the command ran once" runs_are 1

# --- a new login, a new revocation: once more -------------------------------
login_demo 2>>"$work/login.err"
expect "a new login makes it valid" test "$(cred_state demo)" = valid
"$credctl" status >"$work/status.root2" 2>&1
expect "and status as root no longer lists it" grep -q "No credential of any user needs a login." "$work/status.root2"
revoke_and_ask
expect "the new revocation gives exit 4" test $? -eq 4
expect "the notify command runs once more" wait_for 10 "the second record" runs_are 2
for _ in 1 2; do "$credctl" token demo --min-valid 7200 >/dev/null 2>&1; done
expect "and not again" runs_are 2
stop_credd

# --- a provider unavailable past the threshold: one run, then login_required ----
notify_config "[\"$work/notify-login\", \"--user\"]"
cat >>"$work/credd.toml" <<TOML
unavailable_after_seconds = 1
TOML
sed -i 's/^\[providers.demo\]$/&\nretry_deadline_seconds = 1/' "$work/credd.toml"
expect "credd starts with unavailable_after_seconds = 1" start_credd "$work/credd.toml"
login_demo 2>>"$work/login.err"
curl -sf -o /dev/null -X POST "$issuer/_test/fail?count=100000&status=503"
"$credctl" token demo --min-valid 7200 >/dev/null 2>&1
expect "a provider answering 503 gives exit 5" test $? -eq 5
expect "a first failure is not yet worth a word" runs_are 2
ask_until_told() { "$credctl" token demo --min-valid 7200 >/dev/null 2>&1; runs_are 3; }
expect "past a second of failures the command runs" wait_for 20 "the provider_unavailable record" ask_until_told
# Whether the last record holds each of the LINEs.
last_record_has() {  # LINE...
  python3 -c 'import sys
rec = open(sys.argv[1]).read().split("---\n")[-2].splitlines()
sys.exit(0 if all(l in rec for l in sys.argv[2:]) else 1)' "$work/notified" "$@"
}
expect "told provider_unavailable, for that reason" \
  last_record_has CREDCTL_STATE=provider_unavailable CREDCTL_REASON=provider_unavailable
for _ in 1 2; do "$credctl" token demo --min-valid 7200 >/dev/null 2>&1; done
expect "more failures: no more runs" runs_are 3
curl -sf -o /dev/null -X POST "$issuer/_test/fail?count=0&status=503"
revoke_and_ask
expect "then rejected for good: exit 4" test $? -eq 4
expect "a new state, a new run" wait_for 10 "the login_required record" runs_are 4
expect "told login_required" last_record_has CREDCTL_STATE=login_required CREDCTL_REASON=invalid_grant
stop_credd

# --- a command that hangs is killed at the timeout ------------------------------
notify_config "[\"$work/hang\"]" 1
expect "credd starts with a hanging command" start_credd "$work/credd.toml"
login_demo 2>>"$work/login.err"
revoke_and_ask
expect "exit 4 without waiting for the command" test $? -eq 4
failure_logged() { grep -q "notify command $work/hang for credentials/root/demo timed out after 1000 ms and was killed MESSAGE_ID=$k_command_failed_id" "$work/credd.log"; }
expect "the timeout is logged" wait_for 10 "the command's failure in the log" failure_logged
expect "and the command is gone" bash -c "[ -s '$work/hang.pid' ] && ! kill -0 \$(cat '$work/hang.pid') 2>/dev/null"
expect "credd still answers" credd_answers
stop_credd

# --- one user's rounds of login_required: five commands, then one per 600 s ----
# Under the owner rule any user can store a credential of their own whose
# refresh token the provider rejects, ask for its token (login_required:
# alerted) and store it again (valid), round after round. Each round's line
# is written; its commands are bounded, five in a row per user.
notify_config "[\"$work/notify-login\", \"--user\"]"
expect "credd starts for another user's rounds" start_credd "$work/credd.toml"
rm -f "$work/notified"
said_before=$(grep -c "credentials/$other/demo needs a login" "$work/credd.log")
round_of_other() {  # N: store a refresh token the provider rejects, ask for a token
  as_user "$other" curl -s -o /dev/null -X PUT --unix-socket "$CREDD_SOCKET" -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"rejected-$1\"}" "http://localhost/v1/users/$other/credentials/demo"
  as_user "$other" curl -s -o /dev/null --unix-socket "$CREDD_SOCKET" \
    "http://localhost/v1/users/$other/credentials/demo/token"
}
for i in 1 2 3 4 5 6 7 8; do round_of_other "$i"; done
expect "each of the eight rounds is said in the log" \
  test "$(grep -c "credentials/$other/demo needs a login" "$work/credd.log")" -eq $((said_before + 8))
wait_for 10 "five runs" runs_are 5
sleep 1  # a real span: commands of the last rounds would have run by now
expect "the command ran for five of them" runs_are 5
expect "and the log says why not for the other three" test "$(grep -c "notify command $work/notify-login not run for credentials/$other/demo: the credentials of $other started 5 commands lately; one more may start every 600 s" "$work/credd.log")" -eq 3
login_demo 2>>"$work/login.err"
revoke_and_ask
expect "another user's alert still runs its command" wait_for 10 "root's run" runs_are 6
stop_credd

# --- a login needed as credd stops: said, but no command to wait for -----------
# A refresh in progress at SIGTERM is finished before credd exits. When its
# answer is a rejection, the log says that a login is needed, as always,
# but no command starts: the drain would wait for it, up to its timeout,
# longer than systemd waits for a stop.
notify_config "[\"$work/hang\"]" 600
rm -f "$work/hang.pid"
expect "credd starts with a hanging command and a 600 s timeout" start_credd "$work/credd.toml"
login_demo 2>>"$work/login.err"
said_before=$(grep -c "credentials/root/demo needs a login" "$work/credd.log")
curl -sf -X POST "$issuer/_test/revoke-all"
hold_refresh_answers
refreshes_before=$(refreshes)
"$credctl" token demo --min-valid 7200 >/dev/null 2>&1 &
asked=$!
refresh_held() { [ "$(refreshes)" -gt "$refreshes_before" ]; }
expect "the refresh reaches the provider, whose rejection is held" wait_for 10 "the refresh" refresh_held
stops_before=$(grep -c 'draining and stopping' "$work/credd.log")
kill -TERM "$credd_pid"
draining() { [ "$(grep -c 'draining and stopping' "$work/credd.log")" -gt "$stops_before" ]; }
expect "credd begins to stop" wait_for 10 "credd's stop" draining
expect "the held rejection goes out" released 1
if wait_for 10 "credd to exit" exited "$credd_pid"; then
  ok "credd exits once the refresh is done"
else
  bad "credd exits once the refresh is done"
  kill -KILL "$credd_pid"
  [ -s "$work/hang.pid" ] && kill "$(cat "$work/hang.pid")"
fi
wait "$credd_pid"
credd_pid=
wait "$asked"
expect "the caller was told a login is needed" test $? -eq 4
expect "the log says so" \
  test "$(grep -c "credentials/root/demo needs a login" "$work/credd.log")" -eq $((said_before + 1))
expect "and no command was started" test ! -e "$work/hang.pid"
expect "which the log says too" \
  grep -q "credd is stopping: notify command $work/hang not run for credentials/root/demo" "$work/credd.log"
finish

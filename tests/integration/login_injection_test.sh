#!/usr/bin/env bash
# End-to-end: another local user tries to inject his own account into the
# victim's `credctl login`, with real uids.
# - The victim's browser is started without the authorization URL in its
#   argv (state, PKCE challenge and nonce stay out of /proc/PID/cmdline); the
#   attacker scanning every process's command line finds none of them.
# - Even handed the victim's authorization URL (the test gives it to him),
#   the attacker who signs in as "mallory" and delivers his code with the
#   victim's state to her loopback listener is refused (403): his TCP socket
#   is not the victim's uid. Her own browser then completes her login.
# - The browser inherits no socket (the listener is close-on-exec).
# - The attacker, finding her listener's port in /proc/net/tcp, opens more
#   idle connections to it than she may hold descriptors: her listener closes
#   them (at once beyond a few, the rest after 2 s), warns once and counts
#   the rest, and her own browser still completes her login.
# - A re-login that would turn her credential into another account (another
#   subject) is refused without a terminal, and goes on, loudly, only with
#   --allow-new-subject.
# Usage: login_injection_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
victim=credctl-li-victim
attacker=credctl-li-mallory

start_demo_credd --access-ttl 600
ensure_user "$victim"
ensure_user "$attacker"
attacker_uid=$(id -u "$attacker")
mkdir -p "$work/v" "$work/a" && chown "$victim" "$work/v" && chown "$attacker" "$work/a"
sub_of() { curl -sf -H "Authorization: Bearer $1" "$issuer/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sub"])'; }
victim_token() { as_user "$victim" env HOME="$work/v" "$credctl" token demo; }

# The victim's browser: records what it was given and what it inherited,
# waits until the attacker has made his move, then does the real flow.
cat >"$work/victim-browser" <<SH
#!/bin/bash
$(declare -f wait_for)
tr '\0' '\n' </proc/\$\$/cmdline >"$work/v/browser.argv"
ls -l /proc/\$\$/fd/ >"$work/v/browser.fds" 2>&1
touch "$work/v/browser-started"
wait_for 30 "the attacker's move" test -e "$work/v/attack-done"
exec "$oidc/browser" "\$@"
SH
chmod 755 "$work/victim-browser"

as_user "$victim" env HOME="$work/v" BROWSER="$work/victim-browser" "$credctl" login demo \
  >"$work/v/login.out" 2>"$work/v/login.err" </dev/null &
login_pid=$!
expect "the victim's browser started" wait_for 15 "the victim's browser" test -e "$work/v/browser-started"

# --- what the attacker can read in /proc ------------------------------------------
as_user "$attacker" sh -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " <"$f" 2>/dev/null; echo; done' \
  >"$work/a/cmdlines"
expect "no process's command line shows a state, PKCE challenge or nonce to the attacker" \
  bash -c "! grep -E 'state=|code_challenge|nonce=' '$work/a/cmdlines'"
expect "the browser's argv carries none of them" bash -c "! grep -E 'state=|code_challenge|nonce=' '$work/v/browser.argv'"
expect "the browser was started on a one-time loopback URL" \
  grep -qx 'http://127.0.0.1:[0-9]*/start/[A-Za-z0-9_-]*' "$work/v/browser.argv"
expect "the browser inherited no socket from credctl" bash -c "! grep -q 'socket:' '$work/v/browser.fds'"
launch=$(grep -x 'http://127.0.0.1:.*/start/.*' "$work/v/browser.argv")
code=$(as_user "$attacker" curl -s -o /dev/null -w '%{http_code}' "$launch")
expect "the attacker cannot use the launch URL either (403)" test "$code" = 403

# --- the attacker injects his own account with the victim's state ------------------
# Worst case: he has the victim's authorization URL (the test takes it from
# her terminal), signs in at the provider as mallory, and delivers the code.
auth=$(grep -o 'http://127.0.0.1:[0-9]*/auth?[^ ]*' "$work/v/login.err" | head -1)
expect "the victim's terminal shows the authorization URL" test -n "$auth"
callback=$(as_user "$attacker" env BROWSER_LOGIN=mallory BROWSER_PRINT_REDIRECT=1 node "$oidc/browser.mjs" "$auth" \
  2>"$work/a/browser.err")
expect "the provider gives the attacker a code for the victim's redirect URI and state" \
  grep -q '^http://127.0.0.1:[0-9]*/callback?code=.*state=' <<<"$callback"
code=$(as_user "$attacker" curl -s -o /dev/null -w '%{http_code}' "$callback")
expect "the victim's listener refuses the attacker's callback (403, not $code)" test "$code" = 403
touch "$work/v/attack-done"
wait "$login_pid"
expect "the victim's login then completes with her own browser" test $? -eq 0
expect "credctl warned her about the foreign connection" \
  grep -q "WARNING: refused a connection from uid $attacker_uid ($attacker) to the login listener" "$work/v/login.err"
expect "she is logged in as herself, not as mallory" grep -q 'Logged in to demo as demo-user' "$work/v/login.err"
expect "her token is demo-user's" test "$(sub_of "$(victim_token)")" = demo-user

# --- the attacker floods her listener with idle connections ----------------------------
# With 128 descriptors, 200 connections that say nothing would use them all
# up if each were kept until it sent a request.
cat >"$work/flooded-browser" <<SH
#!/bin/bash
$(declare -f wait_for)
wait_for 30 "the attacker's flood" test -e "$work/v/flood-done"
exec "$oidc/browser" "\$@"
SH
chmod 755 "$work/flooded-browser"
as_user "$victim" env HOME="$work/v" BROWSER="$work/flooded-browser" prlimit --nofile=128:128 \
  "$credctl" login --timeout 30 demo >/dev/null 2>"$work/v/flood.err" </dev/null &
login_pid=$!
as_user "$attacker" python3 "$root/tests/integration/login_flood.py" "$(id -u "$victim")" 200 \
  "$work/a/flood-ready" "$work/a/flood-release" 2>"$work/a/flood.err" &
flood_pid=$!
extra_pids+=("$flood_pid")
expect "the attacker found her listener in /proc/net/tcp and flooded it" \
  wait_for 40 "the attacker's flood" test -s "$work/a/flood-ready"
read -r _ opened closed seconds <"$work/a/flood-ready"
expect "he opened 200 idle connections to it ($opened)" test "${opened:-0}" -eq 200
expect "her listener closed them all while he held them ($closed in $seconds s)" test "${closed:-0}" -eq 200
touch "$work/v/flood-done"
wait "$login_pid"
expect "her own browser completes her login despite the flood" test $? -eq 0
touch "$work/a/flood-release"
expect "credctl named him in one warning" \
  grep -q "WARNING: refused a connection from uid $attacker_uid ($attacker) to the login listener" "$work/v/flood.err"
expect "and counted the others, with no line each" bash -c "[ \$(grep -c WARNING '$work/v/flood.err') -eq 2 ] &&
  grep -q 'WARNING: refused 199 more connections to the login listener that were not yours' '$work/v/flood.err'"
expect "her token is still demo-user's" test "$(sub_of "$(victim_token)")" = demo-user

# --- a re-login as another account ----------------------------------------------------
as_user "$victim" env HOME="$work/v" BROWSER="$oidc/browser" BROWSER_LOGIN=mallory "$credctl" login demo \
  </dev/null >/dev/null 2>"$work/v/relogin.err"
expect "a re-login as another subject without a terminal fails with exit 3" test $? -eq 3
expect "naming both subjects and the override" grep -q \
  "credentials/$victim/demo belongs to subject \"demo-user\"; this login is subject \"mallory\", another account; not replacing it (pass --allow-new-subject if you mean it)" \
  "$work/v/relogin.err"
expect "her credential is still demo-user's" test "$(sub_of "$(victim_token)")" = demo-user
as_user "$victim" env HOME="$work/v" BROWSER="$oidc/browser" BROWSER_LOGIN=mallory "$credctl" login demo \
  --allow-new-subject </dev/null >/dev/null 2>"$work/v/allowed.err"
expect "with --allow-new-subject it succeeds" test $? -eq 0
expect "with a warning naming both subjects" grep -q \
  "WARNING: credentials/$victim/demo belongs to subject \"demo-user\"; this login is subject \"mallory\", another account; replacing it" \
  "$work/v/allowed.err"
expect "and the credential is now mallory's" test "$(sub_of "$(as_user "$victim" env HOME="$work/v" "$credctl" token demo --min-valid 700)")" = mallory
as_user "$victim" env HOME="$work/v" BROWSER="$oidc/browser" BROWSER_LOGIN=mallory "$credctl" login demo \
  </dev/null >/dev/null 2>"$work/v/same.err"
expect "a re-login as the same subject needs no flag" test $? -eq 0
finish

#!/usr/bin/env bash
# End-to-end: how credctl finds credd (--socket, CREDD_SOCKET, the per-user
# socket, then the system socket /run/credd/credd.sock), credd's --user and
# --system defaults, autostart of a per-user credd, and squatted sockets:
# another uid listening where
# credd's per-user socket should be gets no refresh token.
# Usage: cli_discovery_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
here=$root/tests/integration
client=credctl-sd-client
squatter=credctl-sd-squat
system_socket=/run/credd/credd.sock
other_python=/usr/bin/python3  # other uids cannot use an interpreter under /root (pyenv)

start_provider --access-ttl 600
cat >"$work/providers.toml" <<TOML
[providers.demo]
issuer    = "$issuer"
client_id = "credctl-demo"
scopes    = ["openid", "offline_access"]
TOML

# --- per-user mode: everything under XDG dirs -------------------------------
mkdir -p "$work/xdg-run" "$work/xdg-config/credctl"  # no state dir yet: a fresh account
chmod 700 "$work/xdg-run"
cp "$work/providers.toml" "$work/xdg-config/credctl/credd.toml"
XDG_RUNTIME_DIR=$work/xdg-run XDG_STATE_HOME=$work/home/.local/state XDG_CONFIG_HOME=$work/xdg-config \
  "$credd" --user 2>>"$work/credd-user.log" &
user_pid=$!
extra_pids+=($user_pid)
expect "credd --user listens on \$XDG_RUNTIME_DIR/credd/credd.sock" \
  wait_for 5 "the per-user socket" test -S "$work/xdg-run/credd/credd.sock"
expect "credd --user keeps state in \$XDG_STATE_HOME/credd, creating its parents" \
  wait_for 5 "the per-user store" test -f "$work/home/.local/state/credd/data.mdb"
expect "the state directory is 0700" test "$(stat -c %a "$work/home/.local/state/credd")" = 700
expect "credd --user read \$XDG_CONFIG_HOME/credctl/credd.toml" \
  bash -c "env -u CREDD_SOCKET XDG_RUNTIME_DIR='$work/xdg-run' '$credctl' providers | grep -q demo"
expect "credd --user's socket is 0600" test "$(stat -c %a "$work/xdg-run/credd/credd.sock")" = 600
expect "credd --user generated its master key" test -f "$work/home/.local/state/credd/master.key"

# --- system mode at the real system path ---------------------------------------
if [ -e "$system_socket" ] && "$credctl" --socket "$system_socket" status >/dev/null 2>&1; then
  bad "a daemon already serves $system_socket; this test needs it free"
fi
head -c 32 /dev/urandom >"$work/system.key"; chmod 600 "$work/system.key"
{ echo "state_dir = \"$work/system-state\""; echo "key_file = \"$work/system.key\""; cat "$work/providers.toml"; } >"$work/system.toml"
"$credd" --system --config "$work/system.toml" 2>>"$work/credd-system.log" &
system_pid=$!
extra_pids+=($system_pid)
expect "credd --system listens on $system_socket" wait_for 5 "the system socket" test -S "$system_socket"
expect "the system socket is 0666 (policy decides, not file modes)" test "$(stat -c %a "$system_socket")" = 666
mkdir -p "$work/system-state-nokey"
echo "state_dir = \"$work/system-state-nokey\"" >"$work/nokey.toml"
"$credd" --system --config "$work/nokey.toml" 2>"$work/nokey.err"
expect "credd --system without a master key refuses to start" test $? -eq 1
expect "and names the two key sources" grep -q "LoadCredential=credd.key" "$work/nokey.err"
expect "credd --system never generates a key" test ! -e "$work/system-state-nokey/master.key"

# --- discovery order ------------------------------------------------------------
unset CREDD_SOCKET
where() { "$credctl" "$@" status 2>/dev/null | head -1 | awk '{print $NF}'; }
expect "the per-user socket comes before the system socket" \
  test "$(XDG_RUNTIME_DIR=$work/xdg-run where)" = "$work/xdg-run/credd/credd.sock"
mkdir -p "$work/empty-run"
expect "with no per-user socket the system socket is used" \
  test "$(XDG_RUNTIME_DIR=$work/empty-run where)" = "$system_socket"
expect "CREDD_SOCKET comes before the per-user socket" \
  test "$(CREDD_SOCKET=$system_socket XDG_RUNTIME_DIR=$work/xdg-run where)" = "$system_socket"
expect "--socket comes before CREDD_SOCKET" \
  test "$(CREDD_SOCKET=$system_socket where --socket "$work/xdg-run/credd/credd.sock")" = "$work/xdg-run/credd/credd.sock"
kill "$system_pid"; wait "$system_pid"
expect "credd --system exits 0 on SIGTERM and removes its socket" test $? -eq 0 -a ! -e "$system_socket"
XDG_RUNTIME_DIR=$work/empty-run "$credctl" status 2>"$work/none.err"
expect "no daemon at all: exit 6" test $? -eq 6
expect "and the message names the per-user socket and how to start credd" \
  bash -c "grep -q '$work/empty-run/credd/credd.sock' '$work/none.err' && grep -q 'credd --user' '$work/none.err'"

# --- autostart = true: credctl starts a per-user credd itself ------------------
mkdir -p "$work/auto-run" "$work/auto-config/credctl"
chmod 700 "$work/auto-run"
cp "$work/providers.toml" "$work/auto-config/credctl/credd.toml"
echo "autostart = true" >"$work/auto-config/credctl/credctl.toml"
auto_env=(env -u CREDD_SOCKET PATH="$(dirname "$(realpath "$credd")"):$PATH" XDG_RUNTIME_DIR="$work/auto-run"
  XDG_CONFIG_HOME="$work/auto-config" XDG_STATE_HOME="$work/auto-state")
"${auto_env[@]}" "$credctl" providers >"$work/auto.out" 2>"$work/auto.err"
expect "with autostart, credctl providers succeeds with no daemon running" test $? -eq 0
expect "the daemon it started knows the user's providers" grep -q '^demo ' "$work/auto.out"
auto_pid=$(python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
print(struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0])' "$work/auto-run/credd/credd.sock")
extra_pids+=("$auto_pid")
expect "the started daemon is credd --user" \
  bash -c "tr '\0' ' ' </proc/$auto_pid/cmdline | grep -qx 'credd --user '"
auto_sid=$(ps -o sid= -p "$auto_pid" | tr -d ' ')
expect "it runs in a session of its own, detached from credctl's" test "$auto_sid" != "$(ps -o sid= -p $$ | tr -d ' ')"
"${auto_env[@]}" "$credctl" status >/dev/null 2>&1
expect "a second call uses the running daemon, starting no other" test "$(pgrep -xc credd -s "$auto_sid")" -eq 1
kill "$auto_pid"
rm "$work/auto-config/credctl/credctl.toml"
wait_for 5 "the autostarted credd to exit" exited "$auto_pid"
"${auto_env[@]}" "$credctl" status >/dev/null 2>&1
expect "without autostart nothing is started: exit 6" test $? -eq 6

# A credd another user planted in a directory of $PATH that others may
# write, ahead of the real one, would run as the caller: it is passed over.
ensure_user "$squatter"
mkdir -m 1777 "$work/open-bin"
setpriv --reuid="$squatter" --regid="$squatter" --init-groups \
  sh -c "printf '#!/bin/sh\ntouch $work/planted-ran\n' >'$work/open-bin/credd' && chmod 755 '$work/open-bin/credd'"
echo "autostart = true" >"$work/auto-config/credctl/credctl.toml"
planted_env=(env -u CREDD_SOCKET PATH="$work/open-bin:$(dirname "$(realpath "$credd")"):$PATH"
  XDG_RUNTIME_DIR="$work/auto-run" XDG_CONFIG_HOME="$work/auto-config" XDG_STATE_HOME="$work/auto-state")
"${planted_env[@]}" "$credctl" providers >"$work/planted.out" 2>"$work/planted.err"
expect "autostart with a planted credd first in PATH still succeeds" test $? -eq 0
expect "the planted credd was never run" test ! -e "$work/planted-ran"
planted_pid=$(python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
print(struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0])' "$work/auto-run/credd/credd.sock")
extra_pids+=("$planted_pid")
expect "the daemon started is the real credd" test "$(realpath "/proc/$planted_pid/exe")" = "$(realpath "$credd")"
kill "$planted_pid"
rm "$work/auto-config/credctl/credctl.toml"
wait_for 5 "the autostarted credd to exit" exited "$planted_pid"

# A user's own credd in a directory writable by their private group (umask
# 002, Debian's USERGROUPS_ENAB) is theirs alone: autostart runs it.
ensure_user "$client"
client_group=$(id -gn "$client")
mine=$work/client-tools
mkdir -m 2775 "$mine" "$work/client-run" "$work/client-cfg" "$work/client-cfg/credctl" "$work/client-state"
chmod 700 "$work/client-run"
cp "$(realpath "$credd")" "$mine/credd" && chmod 775 "$mine/credd"
cp "$work/providers.toml" "$work/client-cfg/credctl/credd.toml"
echo "autostart = true" >"$work/client-cfg/credctl/credctl.toml"
chown -R "$client:$client_group" "$mine" "$work/client-run" "$work/client-cfg" "$work/client-state"
expect "the client's group $client_group lists no member (a private group)" \
  test -z "$(getent group "$client_group" | cut -d: -f4)"
setpriv --reuid="$client" --regid="$client" --init-groups env -u CREDD_SOCKET PATH="$mine:/usr/bin:/bin" \
  XDG_RUNTIME_DIR="$work/client-run" XDG_CONFIG_HOME="$work/client-cfg" XDG_STATE_HOME="$work/client-state" \
  "$credctl" providers >"$work/mine.out" 2>"$work/mine.err"
expect "autostart runs a credd in the caller's own group-writable directory" test $? -eq 0
mine_pid=$(python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
print(struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0])' "$work/client-run/credd/credd.sock")
extra_pids+=("$mine_pid")
expect "the daemon started is that credd, running as the client" \
  test "$(realpath "/proc/$mine_pid/exe")" = "$mine/credd" -a "$(stat -c %U "/proc/$mine_pid")" = "$client"
kill "$mine_pid"
wait_for 5 "the client's credd to exit" exited "$mine_pid"

# --- a squatted per-user directory: credctl login stops before the browser ---
ensure_user "$client"
ensure_user "$squatter"
client_uid=$(id -u "$client")
squat_dir=/tmp/credd-$client_uid   # the per-user path without XDG_RUNTIME_DIR
rm -rf "$squat_dir" /tmp/credctl-sd-squat.rec
curl -sf --unix-socket "$work/xdg-run/credd/credd.sock" http://localhost/v1/providers >"$work/providers.json"
chmod 644 "$work/providers.json"
squat() {  # SOCKET: the squatter listens there, answering like credd
  setpriv --reuid="$squatter" --regid="$squatter" --init-groups \
    "$other_python" "$here/fake_daemon.py" "$1" /tmp/credctl-sd-squat.rec --providers "$work/providers.json" &
  extra_pids+=($!)
  wait_for 5 "the squatter to listen on $1" test -S "$1"
}
setpriv --reuid="$squatter" --regid="$squatter" --init-groups mkdir -m 755 "$squat_dir"
expect "another uid listens on the client's per-user socket path" squat "$squat_dir/credd.sock"
cat >"$work/marking-browser" <<SH
#!/bin/sh
touch "$work/browser-opened"
exec "$oidc/browser" "\$@"
SH
chmod 755 "$work/marking-browser"
mkdir -p "$work/client-home" && chown "$client" "$work/client-home"
setpriv --reuid="$client" --regid="$client" --init-groups \
  env -u CREDD_SOCKET -u XDG_RUNTIME_DIR HOME="$work/client-home" BROWSER="$work/marking-browser" \
  "$credctl" login demo >"$work/squat.out" 2>"$work/squat.err"
expect "login towards the squatted socket fails with exit 6" test $? -eq 6
expect "credctl ignores the squatter's directory, with a warning naming its uid" \
  grep -q "warning: ignoring the per-user socket $squat_dir/credd.sock: $squat_dir belongs to uid $(id -u "$squatter")" "$work/squat.err"
expect "no browser was opened" test ! -e "$work/browser-opened"
# The same on credctl token's plain line, served before main (cli/front.cpp).
setpriv --reuid="$client" --regid="$client" --init-groups \
  env -u CREDD_SOCKET -u XDG_RUNTIME_DIR HOME="$work/client-home" \
  "$credctl" token demo >"$work/squat-token.out" 2>"$work/squat-token.err"
expect "token towards the squatted socket fails with exit 6" test $? -eq 6
expect "credctl token warns of the squatter's directory too" \
  grep -q "^credctl: warning: ignoring the per-user socket $squat_dir/credd.sock: $squat_dir belongs to uid $(id -u "$squatter")" "$work/squat-token.err"
expect "the squatter received no request at all" test ! -s /tmp/credctl-sd-squat.rec
rm -rf "$squat_dir" /tmp/credctl-sd-squat.rec

# --- the socket changes hands during a login: the refresh token is not sent --
# credd (root) serves a socket in a sticky, world-writable directory; once
# credctl has asked it for the providers and opens the browser, credd stops
# and the squatter binds the same path. The PUT must not reach it.
mkdir -m 1777 "$work/shared"
shared=$work/shared/credd.sock
{ echo "socket = \"$shared\""; echo "socket_mode = 0o666"; echo "state_dir = \"$work/swap-state\""; cat "$work/providers.toml"; } >"$work/swap.toml"
"$credd" --config "$work/swap.toml" 2>>"$work/credd-swap.log" &
swap_pid=$!
extra_pids+=($swap_pid)
expect "credd serves the shared socket" wait_for 5 "credd on $shared" credd_answers --socket "$shared"
cat >"$work/swapping-browser" <<SH
#!/bin/bash
$(declare -f wait_for)
kill $swap_pid
wait_for 5 "credd to remove $shared" test ! -e "$shared"
setpriv --reuid="$squatter" --regid="$squatter" --init-groups \\
  "$other_python" "$here/fake_daemon.py" "$shared" /tmp/credctl-sd-squat.rec --providers "$work/providers.json" &
echo \$! >"$work/squatter.pid"
wait_for 5 "the squatter to listen on $shared" test -S "$shared"
exec "$oidc/browser" "\$@"
SH
chmod 755 "$work/swapping-browser"
reset_stats
BROWSER=$work/swapping-browser "$credctl" --socket "$shared" login demo >"$work/swap.out" 2>"$work/swap.err"
expect "login fails with exit 6 when the socket changed hands" test $? -eq 6
[ -s "$work/squatter.pid" ] && extra_pids+=("$(cat "$work/squatter.pid")")
expect "credctl refuses to talk to the squatter's uid" \
  grep -q "refusing to talk to $shared: it is served by uid $(id -u "$squatter")" "$work/swap.err"
expect "the login itself went through at the provider (a refresh token was issued)" \
  bash -c "curl -sf '$issuer/_test/stats' | grep -q '\"authorization_code\":1'"
expect "the squatter received no PUT" bash -c "! grep -q '^PUT ' /tmp/credctl-sd-squat.rec 2>/dev/null"
refresh=$(curl -sf "$issuer/_test/issued" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["refresh_tokens"]))')
leak=0
while read -r t; do [ -n "$t" ] && grep -qF -- "$t" /tmp/credctl-sd-squat.rec 2>/dev/null && leak=1; done <<<"$refresh"
expect "no refresh token reached the squatter" test $leak -eq 0
rm -f /tmp/credctl-sd-squat.rec

finish

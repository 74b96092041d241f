#!/usr/bin/env bash
# End-to-end: credd under the systemd protocols, without systemd itself.
# Socket activation: a listening fd passed on fd 3 with LISTEN_FDS/LISTEN_PID
# exactly as systemd does (tests/integration/sd_activate.py, and
# systemd-socket-activate); sd_notify: READY=1, WATCHDOG=1 and STOPPING=1 on
# a test NOTIFY_SOCKET, in order, with RELOADING=1/READY=1 around SIGHUP;
# SIGTERM drains an in-flight request.
# Usage: systemd_activation_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
here=$root/tests/integration

start_notify() {  # RECORD -> $notify_sock
  notify_sock=$work/notify.$RANDOM.sock
  python3 "$here/notify_recorder.py" "$notify_sock" "$1" &
  extra_pids+=($!)
  wait_for 5 "the notify recorder" test -e "$1.ready"
}
has_line() { grep -qx "$2" "$1"; }
# Whether a socket listens at PATH (flag __SO_ACCEPTCON in /proc/net/unix).
listening_at() { awk -v p="$1" '$NF == p && $4 == "00010000" { found = 1 } END { exit !found }' /proc/net/unix; }

start_provider --access-ttl 600
write_config "$work/credd.toml"  # socket = $work/run/credd.sock, never bound when activated
act=$work/act/credd.sock
mkdir -p "$work/act" && chmod 755 "$work/act"

# --- activation by fd, as systemd passes it; a client queued before credd runs
start_notify "$work/notify1"
NOTIFY_SOCKET=$notify_sock WATCHDOG_USEC=400000 \
  python3 "$here/sd_activate.py" --delay 1 "$act" -- "$credd" --config "$work/credd.toml" 2>>"$work/credd.log" &
credd_pid=$!
wait_for 5 "sd_activate.py to listen on $act" listening_at "$act"
CREDD_SOCKET=$act "$credctl" status >"$work/status1" 2>&1   # connects while credd is not yet running
expect "a client that connected before credd ran is served (backlog of the passed socket)" test $? -eq 0
expect "credd serves the passed fd, not its configured socket" test ! -e "$work/run/credd.sock"
expect "WATCHDOG_PID unset: the watchdog applies; READY=1 with a STATUS first" \
  wait_for 3 "READY=1" bash -c "head -1 '$work/notify1' | grep -q '^READY=1|STATUS=listening on $act (socket-activated)$'"
expect "WATCHDOG=1 follows, repeatedly (every WATCHDOG_USEC/2)" \
  wait_for 3 "three WATCHDOG=1" bash -c "test \$(grep -cx 'WATCHDOG=1' '$work/notify1') -ge 3"
export CREDD_SOCKET=$act
login_demo >/dev/null 2>"$work/login.err"
expect "login through the activated socket" test $? -eq 0

# --- SIGHUP: RELOADING=1, then READY=1, for a good and a rejected config ---
kill -HUP "$credd_pid"
expect "SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1" wait_for 3 "RELOADING=1, READY=1" bash -c "
  grep -vx 'WATCHDOG=1' '$work/notify1' | cut -d'|' -f1 | tr '\n' ' ' | grep -qx 'READY=1 RELOADING=1 READY=1 '"
expect "RELOADING=1 carries MONOTONIC_USEC" grep -qE '^RELOADING=1\|MONOTONIC_USEC=[0-9]+$' "$work/notify1"
cp "$work/credd.toml" "$work/credd.toml.good"
echo "bogus_key = 1" >>"$work/credd.toml"
kill -HUP "$credd_pid"
expect "a rejected reload still ends with READY=1" wait_for 3 "RELOADING=1, READY=1 again" bash -c "
  grep -vx 'WATCHDOG=1' '$work/notify1' | cut -d'|' -f1 | tr '\n' ' ' | grep -qx 'READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 '"
expect "and credd logs why it kept the old config" grep -q "reload rejected" "$work/credd.log"
cp "$work/credd.toml.good" "$work/credd.toml"
expect "credd still serves after the reloads" "$credctl" status

# --- SIGTERM drains an in-flight request ----------------------------------
kill -STOP "$provider_pid"
"$credctl" token --min-valid 3600 demo >"$work/drained" 2>&1 &
client=$!
wait_for 5 "the refresh to be in flight" cred_state_is demo refreshing
kill -TERM "$credd_pid"
wait_for 5 "credd to begin stopping" has_line "$work/notify1" STOPPING=1
kill -CONT "$provider_pid"
wait "$client"
expect "the request in flight at SIGTERM completes with a token" test $? -eq 0 -a -s "$work/drained"
wait "$credd_pid"
expect "credd exits 0 after draining" test $? -eq 0
credd_pid=
grep -vx 'WATCHDOG=1' "$work/notify1" | cut -d'|' -f1 >"$work/notify1.states"
# The refresh holds the stop: up to retry_deadline (30 s), the connect (5 s)
# and the exchange under way (15 s), and 10 s for its store steps, which
# may pass systemd's TimeoutStopSec=; EXTEND_TIMEOUT_USEC says so.
expect "READY=1, the reloads, STOPPING=1, then the refresh's 60 s, nothing else but watchdog pings" \
  test "$(tr '\n' ' ' <"$work/notify1.states")" = \
  "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1 EXTEND_TIMEOUT_USEC=60000000 "
expect "no WATCHDOG=1 once stopping" test "$(tail -1 "$work/notify1")" = "EXTEND_TIMEOUT_USEC=60000000"
expect "the activated socket's path stays (it belongs to systemd)" test -S "$act"
expect "no token in credd's log" bash -c "! grep -qF \"\$(cat '$work/drained')\" '$work/credd.log'"

# --- restart on the same socket: the store is kept -----------------------
start_notify "$work/notify2"
NOTIFY_SOCKET=$notify_sock python3 "$here/sd_activate.py" "$act" -- "$credd" --config "$work/credd.toml" 2>>"$work/credd.log" &
credd_pid=$!
expect "credd restarted by activation answers" wait_for 5 "credd on $act" credd_answers
expect "the credential survived the restart" bash -c "'$credctl' list | grep -qE '^demo +valid'"
wait_for 3 "READY=1" grep -q '^READY=1' "$work/notify2"
sleep 0.5  # a real span of time: with WATCHDOG_USEC=400000 it would hold 2 pings
expect "no WATCHDOG=1 without WATCHDOG_USEC" bash -c "! grep -qx 'WATCHDOG=1' '$work/notify2'"
stop_credd
expect "second instance exits 0" test $? -eq 0
wait_for 5 "STOPPING=1 from the second instance" has_line "$work/notify2" STOPPING=1
expect "a stop with no refresh under way asks for no more time" \
  test "$(grep -v '^READY=1' "$work/notify2" | tr '\n' ' ')" = "STOPPING=1 "

# --- fds meant for another process, and wrong fd counts ----------------------
python3 "$here/sd_activate.py" --listen-pid 1 "$work/act/other.sock" -- "$credd" --config "$work/credd.toml" 2>>"$work/credd.log" &
credd_pid=$!
expect "LISTEN_PID of another process: credd binds its own socket" \
  wait_for 5 "credd on its own socket" credd_answers --socket "$work/run/credd.sock"
stop_credd
python3 "$here/sd_activate.py" --fds 2 "$work/act/two.sock" -- "$credd" --config "$work/credd.toml" 2>"$work/two.err"
expect "two passed fds: credd refuses to start (exit 1)" test $? -eq 1
expect "and says it wants exactly one" grep -q "exactly one ListenStream=" "$work/two.err"

# --- systemd's own tool ------------------------------------------------------
if command -v systemd-socket-activate >/dev/null; then
  start_notify "$work/notify3"
  systemd-socket-activate -l "$work/act/sa.sock" -E NOTIFY_SOCKET="$notify_sock" \
    "$credd" --config "$work/credd.toml" 2>>"$work/credd.log" &
  credd_pid=$!
  expect "systemd-socket-activate: credd answers on its socket" wait_for 5 "credd on $work/act/sa.sock" credd_answers --socket "$work/act/sa.sock"
  expect "systemd-socket-activate: READY=1 received" wait_for 3 "READY=1" grep -q '^READY=1' "$work/notify3"
  stop_credd
  expect "systemd-socket-activate: clean exit" test $? -eq 0
else
  bad "systemd-socket-activate is missing (install the systemd package: scripts/install-deps.sh)"
fi

finish

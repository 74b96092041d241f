#!/usr/bin/env bash
# Directories another uid can change (docs/design.md "Directories credd
# trusts"): credd refuses a socket or an audit log that such a uid could
# redirect, and the attacks it used to let through are made here by a real
# second uid.
# (a) The audit log's directory is sticky and world-writable: the other uid
#     puts an audit.jsonl.1 of its own there. credd (as a uid of its own,
#     since root passes the sticky bit) could then rename nothing, every
#     rotation failed and audit.jsonl grew past max_file_bytes.
# (b) The socket's grandparent is writable by the other uid, which swaps the
#     socket's directory for one of its own (renameat2 RENAME_EXCHANGE)
#     between credd's bind(2) and its chmod(2) of the socket by path; there
#     credd.sock is a symlink to credd's master key, which the chmod made
#     0666. An LD_PRELOAD library (tests/support/chmod_pause_shim.cpp, path
#     in $CREDCTL_TEST_CHMOD_SHIM) holds that chmod until the swap is made,
#     so the race is won every time; the socket now has its mode from bind(2)
#     on, and no chmod of it is made at all.
# Safe layouts start, and a reload onto an unsafe audit directory is
# rejected.
# Usage: unsafe_dirs_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$(realpath "$1")
credctl=$(realpath "$2")
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the test runs credd and an attacker as uids of their own, and so must run as root (as CI does)"
  finish
fi
shim=${CREDCTL_TEST_CHMOD_SHIM:-$root/build/default/tests/libchmod_pause_shim.so}
if [ ! -f "$shim" ]; then
  bad "CREDCTL_TEST_CHMOD_SHIM does not name the built shim library: \"$shim\""
  finish
fi
hostile=credctl-ud-h  # the other uid
daemon=credctl-ud-d   # credd's uid where root would pass the sticky bit
for u in "$hostile" "$daemon"; do ensure_user "$u"; done
daemon_uid=$(id -u "$daemon")
other_python=/usr/bin/python3  # other uids cannot use an interpreter under /root
issuer=http://127.0.0.1:9      # never contacted
export CREDD_SOCKET=          # set for each credd below
# credd's uid must be able to run the binary under test.
if ! setpriv --reuid="$daemon" --regid="$daemon" --init-groups test -x "$credd"; then
  install -d -m 755 "$work/bin" && install -m 755 "$credd" "$work/bin/credd" && credd=$work/bin/credd
fi

# A credd.toml at FILE: socket SOCKET (mode MODE), state STATE, and TOML
# lines after.
config() {  # FILE SOCKET MODE STATE [TOML...]
  printf 'socket = "%s"\nsocket_mode = %s\nstate_dir = "%s"\n\n%s\n' "$2" "$3" "$4" "$(demo_provider_toml)" >"$1"
  local line
  for line in "${@:5}"; do printf '%s\n' "$line" >>"$1"; done
}
# Starts credd on CONFIG with its standard error in LOG, behind WRAPPER, and
# waits until it has exited or `credctl status` (as STATUS_AS) answers.
launch() {  # LOG CONFIG STATUS_AS [WRAPPER...]
  status_as=$3
  "${@:4}" "$credd" --config "$2" 2>"$1" &
  credd_pid=$!
  wait_for 10 "credd to answer or exit" up_or_gone
}
status_as=root
up_or_gone() { exited "$credd_pid" || as_user "$status_as" "$credctl" status >/dev/null 2>&1; }
# If credd has exited rather than serve: reaps it, its exit status in $rc
# ("none" while it runs).
reap_if_exited() {
  rc=none
  exited "$credd_pid" || return 0
  wait "$credd_pid"
  rc=$?
  credd_pid=
}
was_refused() { [ "$rc" != none ] && [ "$rc" -ne 0 ]; }
stop_if_running() { if [ -n "$credd_pid" ]; then stop_credd; fi; }
as_daemon=(setpriv --reuid="$daemon" --regid="$daemon" --init-groups env HOME="$work")

# --- (a) the audit log in a sticky, world-writable directory ---------------------
a=$work/a
install -d -o "$daemon" -m 755 "$a"
install -d -m 1777 "$a/logs"  # root's, sticky, world-writable, as /var/tmp
as_user "$hostile" touch "$a/logs/audit.jsonl.1"
expect "the other uid has put an audit.jsonl.1 of its own beside the log" \
  test "$(stat -c %U "$a/logs/audit.jsonl.1")" = "$hostile"
config "$a/credd.toml" "$a/run/credd.sock" 0o600 "$a/state" "[audit]" "file = \"$a/logs/audit.jsonl\"" \
  "max_file_bytes = 4096" "keep_files = 2"
chown "$daemon" "$a/credd.toml"
export CREDD_SOCKET=$a/run/credd.sock
launch "$work/a.log" "$a/credd.toml" "$daemon" "${as_daemon[@]}"
reap_if_exited
expect "credd refuses an audit log in a sticky, world-writable directory (exit status: $rc)" was_refused
expect "naming the directory, its owner and mode, and what it must be" grep -qF \
  "cannot open audit log $a/logs/audit.jsonl: directory $a/logs (owner uid 0, mode 1777) is writable by other uids; it must be owned by root or uid $daemon_uid and writable by no other uid" \
  "$work/a.log"
# The requests of the attack: 40 audited reads of the daemon user's own
# credentials, some 12 kB of lines for a cap of 4 kB.
for _ in $(seq 40); do as_user "$daemon" "$credctl" list >/dev/null 2>&1; done
size=$(stat -c %s "$a/logs/audit.jsonl" 2>/dev/null || echo 0)
echo "audit.jsonl: $size bytes; rotation failures logged: $(grep -c 'cannot be rotated' "$work/a.log")"
expect "audit.jsonl is not past max_file_bytes = 4096 ($size bytes)" test "$size" -le 4096
stop_if_running

# --- (b) the socket's grandparent writable by the other uid ----------------------
b=$work/b
install -d -m 777 "$b"  # root's, writable by every uid, not sticky
key=$work/b-state/master.key
as_user "$hostile" mkdir "$b/swap"
as_user "$hostile" ln -s "$key" "$b/swap/credd.sock"
config "$work/b.toml" "$b/run/credd.sock" 0o666 "$work/b-state"
export CREDD_SOCKET=$b/run/credd.sock
paused=$work/b-paused
paused_or_gone() { exited "$credd_pid" || test -e "$paused"; }
# ASan checks that its runtime comes first among the libraries; the shim
# goes before it (as in store_blocking_test.sh).
env LD_PRELOAD="$shim" CREDCTL_TEST_CHMOD_PAUSED="$paused" CREDCTL_TEST_CHMOD_RESUME="$work/b-resume" \
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
  "$credd" --config "$work/b.toml" 2>"$work/b.log" &
credd_pid=$!
wait_for 10 "credd to chmod its socket or exit" paused_or_gone
if [ -e "$paused" ]; then
  # credd is between bind(2) and chmod(2): the other uid swaps the
  # socket's directory for its own, then lets credd go on.
  as_user "$hostile" "$other_python" -c 'import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
if libc.renameat2(AT_FDCWD, sys.argv[1].encode(), AT_FDCWD, sys.argv[2].encode(), RENAME_EXCHANGE) != 0:
    sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))' "$b/run" "$b/swap"
  touch "$work/b-resume"
  wait_for 10 "credd to answer or exit" up_or_gone
fi
reap_if_exited
expect "credd refuses a socket whose grandparent other uids may write (exit status: $rc)" was_refused
expect "naming the directory, its owner and mode, and what it must be" grep -qF \
  "socket $b/run/credd.sock: directory $b (owner uid 0, mode 0777) is writable by other uids and not sticky; a directory on the way to $b/run must be owned by root and writable by no other uid, unless it is sticky" \
  "$work/b.log"
expect "credd made no chmod of the socket by path" test ! -e "$paused"
expect "credd's master key is still mode 0600 ($(stat -c %a "$key"))" test "$(stat -c %a "$key")" = 600
stop_if_running

# A directory of the other uid above the socket: it could swap in a directory
# and a socket of its own before the bind.
install -d -o "$hostile" -m 755 "$work/c"
config "$work/c.toml" "$work/c/run/credd.sock" 0o666 "$work/c-state"
export CREDD_SOCKET=$work/c/run/credd.sock
launch "$work/c.log" "$work/c.toml" root
reap_if_exited
expect "credd refuses a socket below a directory of another uid (exit status: $rc)" was_refused
expect "naming it and its owner" grep -qF \
  "socket $work/c/run/credd.sock: directory $work/c (owner uid $(id -u "$hostile"), mode 0755) is owned by another uid" \
  "$work/c.log"
stop_if_running

# --- safe layouts -----------------------------------------------------------------
# Root's credd with its directories root's, with the shim: it is never
# asked to chmod a socket.
s=$work/safe
install -d -m 755 "$s"
install -d -m 700 "$s/logs"
config "$s/credd.toml" "$s/run/credd.sock" 0o666 "$s/state" "[audit]" "file = \"$s/logs/audit.jsonl\""
export CREDD_SOCKET=$s/run/credd.sock
touch "$work/s-resume"
launch "$work/credd.log" "$s/credd.toml" root env LD_PRELOAD="$shim" CREDCTL_TEST_CHMOD_PAUSED="$work/s-paused" \
  CREDCTL_TEST_CHMOD_RESUME="$work/s-resume" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
expect "credd starts with its socket and audit log in root's directories" credd_answers
expect "the socket has mode 0666 ($(stat -c %a "$s/run/credd.sock" 2>/dev/null))" \
  test "$(stat -c %a "$s/run/credd.sock" 2>/dev/null)" = 666
expect "from bind(2) on: no chmod of it by path" test ! -e "$work/s-paused"
"$credctl" list >/dev/null 2>&1
expect "an audited request is written to the log" grep -q '"decision":"allow"' "$s/logs/audit.jsonl"
# A reload onto an audit log in a sticky, world-writable directory.
install -d -m 1777 "$work/shared-logs"
sed -i "s|^file = .*|file = \"$work/shared-logs/audit.jsonl\"|" "$s/credd.toml"
kill -HUP "$credd_pid"
expect "a reload onto an audit log in a sticky, world-writable directory is rejected" \
  wait_for 5 "the reload's rejection" grep -qF "reload rejected, keeping the current configuration: cannot open audit log $work/shared-logs/audit.jsonl: directory $work/shared-logs (owner uid 0, mode 1777) is writable by other uids" "$work/credd.log"
expect "and credd goes on serving" credd_answers
stop_if_running

# The daemon user's credd under a sticky directory, as the per-user
# /tmp/credd-UID fallback is: its own directory there passes.
install -d -m 1777 "$work/tmp"
install -d -o "$daemon" -m 700 "$work/tmp/credd-$daemon_uid"
u=$work/tmp/credd-$daemon_uid
config "$u/credd.toml" "$u/run/credd.sock" 0o600 "$u/state" "[audit]" "file = \"$u/audit.jsonl\""
chown "$daemon" "$u/credd.toml"
export CREDD_SOCKET=$u/run/credd.sock
launch "$work/u.log" "$u/credd.toml" "$daemon" "${as_daemon[@]}"
daemon_answers() { as_user "$daemon" "$credctl" status >/dev/null 2>&1; }
expect "the daemon user's credd starts in its own directory under a sticky one" daemon_answers
stop_if_running

finish

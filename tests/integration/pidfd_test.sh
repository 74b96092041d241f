#!/usr/bin/env bash
# End-to-end: how credd reads a failed getsockopt(SO_PEERPIDFD). Linux 6.5
# to 6.17 answer EINVAL when the peer has already exited (ESRCH and ENODATA
# also mean no live peer); only ENOPROTOOPT means a kernel without the
# option. Taking EINVAL for "unsupported" fell back to the
# start-time check, which a pid reused before the first read passes. An
# LD_PRELOAD library (tests/support/pidfd_errno_shim.cpp, path in
# $CREDCTL_TEST_PIDFD_SHIM) makes credd's call fail with a chosen errno.
# Usage: pidfd_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$(realpath "$1")
credctl=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
here=$root/tests/integration

if [ "$(id -u)" -ne 0 ]; then
  bad "the pidfd tests run callers under other uids and so must run as root (as CI does)"
  finish
fi
shim=${CREDCTL_TEST_PIDFD_SHIM:-}
if [ ! -f "$shim" ]; then
  bad "CREDCTL_TEST_PIDFD_SHIM does not name the built shim library: \"$shim\""
  finish
fi

alice=credctl-fa  # owns the credential
batch=credctl-fb  # granted by user + exe
for u in "$alice" "$batch"; do ensure_user "$u"; done
mkdir -p "$work/bin"
cp "$credctl" "$work/bin/sync"
# credctl loads its commands module from beside the copy (cli/front.cpp).
mkdir -p "$work/libexec/credctl"
cp "$(dirname "$credctl")/../libexec/credctl/credctl-commands.so" "$work/libexec/credctl/"
chmod 755 "$work/bin" "$work/bin/sync"

start_provider
write_config "$work/credd.toml"
grant_reader "$work/credd.toml" "sync binary" "credentials/$alice/demo" "{ user = \"$batch\", exe = \"$work/bin/sync\" }"

# credd with getsockopt(SO_PEERPIDFD) failing with ERRNO.
credd_failing_with() {  # ERRNO [CONFIG]
  [ -n "$credd_pid" ] && stop_credd
  # A sanitizer build wants its runtime first; the shim is loaded before it.
  start_credd "${2:-$work/credd.toml}" env LD_PRELOAD="$shim" CREDCTL_TEST_PEERPIDFD_ERRNO="$1" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}
batch_token() { as_user "$batch" "$work/bin/sync" token --user "$alice" demo; }

# --- a kernel without SO_PEERPIDFD: the start-time check applies -------------
expect "credd starts where SO_PEERPIDFD is unknown (ENOPROTOOPT)" credd_failing_with ENOPROTOOPT
as_user "$alice" env BROWSER="$oidc/browser" HOME="$work" "$credctl" login demo >/dev/null 2>"$work/login.err"
expect "alice logs in" test $? -eq 0
w=$(as_user "$batch" "$work/bin/sync" whoami -o json)
expect "whoami: verified by the start time" grep -q '"verified":true,"liveness":"start time"' <<<"$w"
t=$(batch_token 2>/dev/null); rc=$?
expect "batch running the granted binary gets alice's token" test $rc -eq 0 -a -n "$t"

# --- the caller is gone: deny, whatever the errno says -----------------------
for err in EINVAL ESRCH ENODATA; do
  expect "credd starts with SO_PEERPIDFD answering $err" credd_failing_with "$err"
  w=$(as_user "$batch" "$work/bin/sync" whoami -o json)
  expect "$err: whoami shows the caller unverified, with no executable" \
    bash -c "grep -q '\"exe\":null' <<<'$w' && grep -q '\"verified\":false,\"liveness\":\"pidfd\"' <<<'$w'"
  t=$(batch_token 2>"$work/$err.err"); rc=$?
  expect "$err: the granted binary is denied (exit 3, no token)" test $rc -eq 3 -a -z "$t"
  t=$(as_user "$alice" "$credctl" token --user "$alice" demo 2>/dev/null); rc=$?
  expect "$err: even the owner is denied" test $rc -eq 3 -a -z "$t"
done
expect "the audit log says why" \
  grep -q "\"uid\":$(id -u "$batch"),.*\"decision\":\"deny\",\"grant\":null,\"reason\":\"the calling process exited before it could be identified\"" "$work/audit.jsonl"

# --- a pid reused while the connection waits for its uid's slot ---------------
# Where the start time is the check, it is read when the connection is
# accepted. Read when the connection is identified, after a wait for its
# uid's slot (max_connections_per_uid), it let the caller exit during the
# wait and have its pid taken by a granted program; that program's start
# time was then read twice and matched, and the caller's child, which kept
# the socket, got alice's token.
cp /bin/sleep "$work/bin/sleeper"
sed 's/^\[limits\]$/[limits]\nmax_connections_per_uid = 1/; s/^idle_timeout_seconds = 5$/idle_timeout_seconds = 30/' \
  "$work/credd.toml" >"$work/reuse.toml"
cat >>"$work/reuse.toml" <<TOML

[[grants]]
name = "sleeper"
roles = ["reader"]
resources = ["credentials/$alice/demo"]
clients = [{ user = "$batch", exe = "$work/bin/sleeper" }]
TOML
expect "credd starts with one slot per uid, SO_PEERPIDFD unknown" credd_failing_with ENOPROTOOPT "$work/reuse.toml"
mkdir -p "$work/b" && chown "$batch" "$work/b"
as_user "$batch" python3 -c "
import os, socket, time
s = socket.socket(socket.AF_UNIX); s.connect('$CREDD_SOCKET')
while not os.path.exists('$work/b/reused'): time.sleep(0.05)
" &
holder=$!
slot_held() { [ "$(ss -x state connected src "$CREDD_SOCKET" 2>/dev/null | grep -c .)" -ge 2 ]; }
wait_for 5 "batch's one slot to be held" slot_held
as_user "$batch" python3 "$here/pid_reuse_attack.py" connect "$CREDD_SOCKET" "$alice" "$work/b/caller.pid" "$work/b/answer"
caller=$(cat "$work/b/caller.pid")
sleeper=$(python3 "$here/pid_reuse_attack.py" take "$caller" "$(id -u "$batch")" "$(id -g "$batch")" "$work/bin/sleeper" 60)
expect "the waiting caller's pid is now the granted program's" test "$sleeper" = "$caller"
touch "$work/b/reused"
wait "$holder"
wait_for 10 "the caller's child to read credd's answer" test -e "$work/b/answer"
expect "credd answered the waiting connection" grep -q '^HTTP/1.1 ' "$work/b/answer"
expect "with a refusal, not alice's token" \
  bash -c "head -1 '$work/b/answer' | grep -q '^HTTP/1.1 403' && ! grep -q access_token '$work/b/answer'"
expect "the audit line says the caller exited before it was identified" \
  grep -q "\"pid\":$caller,\"uid\":$(id -u "$batch"),.*\"decision\":\"deny\",\"grant\":null,\"reason\":\"the calling process exited before it could be identified\"" "$work/audit.jsonl"
kill "$sleeper" 2>/dev/null

# --- and a working pidfd again --------------------------------------------------
expect "credd starts with SO_PEERPIDFD working" credd_failing_with none
w=$(as_user "$batch" "$work/bin/sync" whoami -o json)
expect "whoami: verified by pidfd" grep -q '"verified":true,"liveness":"pidfd"' <<<"$w"
t=$(batch_token 2>/dev/null); rc=$?
expect "batch gets the token again" test $rc -eq 0 -a -n "$t"

finish

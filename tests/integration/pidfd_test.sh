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
credd_failing_with() {  # ERRNO
  [ -n "$credd_pid" ] && stop_credd
  # A sanitizer build wants its runtime first; the shim is loaded before it.
  start_credd "$work/credd.toml" env LD_PRELOAD="$shim" CREDCTL_TEST_PEERPIDFD_ERRNO="$1" \
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

# --- and a working pidfd again --------------------------------------------------
expect "credd starts with SO_PEERPIDFD working" credd_failing_with none
w=$(as_user "$batch" "$work/bin/sync" whoami -o json)
expect "whoami: verified by pidfd" grep -q '"verified":true,"liveness":"pidfd"' <<<"$w"
t=$(batch_token 2>/dev/null); rc=$?
expect "batch gets the token again" test $rc -eq 0 -a -n "$t"

finish

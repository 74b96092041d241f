#!/usr/bin/env bash
# End-to-end: text an OAuth provider sends (tests/support/hostile_provider.py,
# modes escape*) reaches no terminal and no log line unescaped. Its token
# endpoint's "error" and "token_type", and a device authorization's
# verification URIs and user code, carry ESC and BEL sequences (retitle,
# clear the screen) and "\r\n<0>FORGED-LOG-LINE": `credctl token`'s and
# `credctl login`'s stderr hold no ESC, BEL or CR byte and no line starting
# "<0>", and credd's log (what journald reads, "<N>" prefixes and all) has
# no line of the provider's own.
# Usage: oauth_hostile_text_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

python3 "$root/tests/support/hostile_provider.py" "$work/hostile" 2>"$work/hostile.log" &
extra_pids+=($!)
wait_for 10 "the hostile server to write its address" test -s "$work/hostile"
hostile=$(cat "$work/hostile")

export CREDD_SOCKET=$work/run/credd.sock
{
  echo "socket = \"$CREDD_SOCKET\""
  echo "state_dir = \"$work/state\""
  for m in escape escape400 escapetype; do
    cat <<TOML
[providers.h_$m]
authorization_endpoint        = "$hostile/$m/auth"
token_endpoint                = "$hostile/$m/token"
device_authorization_endpoint = "$hostile/$m/device"
client_id                     = "credctl-hostile"
scopes                        = ["read"]
timeout_seconds               = 2
retry_deadline_seconds        = 2
TOML
  done
} >"$work/credd.toml"
expect "credd starts" start_credd "$work/credd.toml"

# No raw ESC, BEL or CR, and no line that starts with the forged priority.
clean() {  # FILE
  ! grep -q $'[\x1b\x07\r]' "$1" && ! grep -q '^<0>' "$1"
}
for m in escape escape400 escapetype; do
  curl -sf --unix-socket "$CREDD_SOCKET" -X PUT -o /dev/null \
    --data "{\"refresh_token\":\"rt-$m\",\"access_token\":\"old\",\"access_expires_at\":1}" \
    "http://localhost/v1/users/$(id -un)/credentials/h_$m"
  expect "stored a credential for h_$m" test $? -eq 0
  "$credctl" token "h_$m" >"$work/$m.out" 2>"$work/$m.err"
  rc=$?
  expect "$m: credctl token fails with exit 5 (got $rc)" test "$rc" -eq 5
  expect "$m: its stderr names the provider's text, escaped [$(head -c 300 "$work/$m.err")]" \
    grep -qF 'bad\x1b]0;TITLE\x07\x1b[2J\x0d' "$work/$m.err"
  expect "$m: its stderr holds no ESC, BEL or CR and no line starting <0>" clean "$work/$m.err"
done
expect "the token endpoint's error is relayed: the stderr of 400 says so" \
  grep -qF 'token endpoint refused the request: bad' "$work/escape400.err"
expect "and the unsupported token_type is named" grep -qF 'unsupported token_type: "bad' "$work/escapetype.err"
expect "credd logged the 429's retries" grep -q 'refresh at provider h_escape failed (.*); retry' "$work/credd.log"

# --- the device flow's instructions ------------------------------------------------
"$credctl" login --device h_escape400 >"$work/device.out" 2>"$work/device.err"
rc=$?
expect "the device login fails on the token endpoint's error (exit $rc)" test "$rc" -ne 0
expect "it printed the verification URI and the code, escaped [$(head -c 400 "$work/device.err")]" \
  bash -c "grep -qF '$hostile/escape400/verifybad\\x1b]0;TITLE' '$work/device.err' &&
           grep -qF '  ABbad\\x1b]0;TITLE\\x07' '$work/device.err'"
expect "its stderr holds no ESC, BEL or CR and no line starting <0>" clean "$work/device.err"

# --- credd's log ---------------------------------------------------------------------
expect "credd's log has the provider's text escaped" grep -qF 'bad\x1b]0;TITLE\x07\x1b[2J\x0d\x0a<0>FORGED' "$work/credd.log"
expect "credd's log has no ESC, BEL or CR and no line starting <0>" clean "$work/credd.log"
expect "every line of credd's log starts with a priority credd chose (<3> to <7>)" \
  bash -c "! grep -qv '^<[3-7]>' '$work/credd.log'"
expect "credd still serves" "$credctl" status
finish

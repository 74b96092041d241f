#!/usr/bin/env bash
# Master key sources (docs/store-format.md "Master key"), with the real credd:
# $CREDENTIALS_DIRECTORY/credd.key first, then key_file (owner and mode
# checked), then a per-user key generated only for a new store. A wrong key
# is a clear error at start, never garbage and never a new key.
# Usage: store_keys_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
test_user=credctl-st

sock=$work/run/credd.sock
export CREDD_SOCKET=$sock
far=$(($(date +%s) + 86400))
config() {  # FILE STATE_DIR [extra top-level TOML]
  printf '%s\nsocket = "%s"\nstate_dir = "%s"\n[providers.demo]\nissuer = "http://127.0.0.1:9"\nclient_id = "keys"\n' \
    "${3:-}" "$sock" "$2" >"$1"
}
new_key() { head -c 32 /dev/urandom >"$1"; chmod "${2:-600}" "$1"; }
refused() {  # CONFIG EXPECTED-MESSAGE: credd exits non-zero saying it
  env "${envs[@]}" "$credd" --config "$1" 2>"$work/refused.err" &
  local pid=$!
  if ! wait_for 5 "credd to refuse to start" exited $pid; then kill $pid; wait $pid; return 1; fi
  wait $pid
  [ $? -ne 0 ] && grep -qF -- "$2" "$work/refused.err" || { cat "$work/refused.err"; return 1; }
}
put() {
  curl -s --unix-socket "$sock" -o /dev/null -w '%{http_code}' -X PUT \
    --data "{\"refresh_token\":\"RT-$1\",\"access_token\":\"AT-$1\",\"access_expires_at\":$far}" \
    http://localhost/v1/users/root/credentials/demo
}
token() { curl -s --unix-socket "$sock" "http://localhost/v1/users/root/credentials/demo/token" | sed -nE 's/.*"access_token":"([^"]*)".*/\1/p'; }
start_with_env() {  # CONFIG
  env "${envs[@]}" "$credd" --config "$1" 2>>"$work/credd.log" &
  credd_pid=$!
  wait_for 10 "credd to answer status on $sock" credd_answers
}
envs=(-u CREDENTIALS_DIRECTORY)

# --- a systemd credential wins -------------------------------------------------
mkdir -m 700 "$work/creds"
new_key "$work/creds/credd.key" 400
new_key "$work/other.key"
config "$work/sysd.toml" "$work/state" "key_file = \"$work/other.key\""
envs=(CREDENTIALS_DIRECTORY="$work/creds")
expect "credd starts with \$CREDENTIALS_DIRECTORY/credd.key" start_with_env "$work/sysd.toml"
expect "it logs where the key came from" grep -q "master key from $work/creds/credd.key (systemd credential)" "$work/credd.log"
expect "a write succeeds" test "$(put one)" = 204
stop_credd
expect "no key was generated in the state directory" test ! -e "$work/state/master.key"

# --- the same store with another key: clear error -----------------------------
envs=(-u CREDENTIALS_DIRECTORY)
expect "without the credential, key_file (another key) is refused: the key does not match" \
  refused "$work/sysd.toml" "store $work/state: master key does not match this store (key from $work/other.key)"
envs=(CREDENTIALS_DIRECTORY="$work/creds")
expect "with the credential again the store opens" start_with_env "$work/sysd.toml"
expect "and the credential decrypts" test "$(token)" = AT-one
stop_credd

# --- key_file ownership and mode ------------------------------------------------
envs=(-u CREDENTIALS_DIRECTORY)
cp "$work/creds/credd.key" "$work/file.key"
config "$work/file.toml" "$work/state" "key_file = \"$work/file.key\""
chmod 644 "$work/file.key"
expect "a key_file readable by others is refused" refused "$work/file.toml" \
  "master key $work/file.key is readable by group or others (mode 0644); chmod 600 it"
chmod 640 "$work/file.key"
expect "a group-readable key_file is refused" refused "$work/file.toml" "(mode 0640)"
chmod 400 "$work/file.key"
ensure_user "$test_user"
chown "$test_user" "$work/file.key"
expect "a key_file owned by another user is refused" refused "$work/file.toml" \
  "master key $work/file.key is not owned by uid 0"
chown root "$work/file.key"
ln -s "$work/file.key" "$work/link.key"
config "$work/link.toml" "$work/state" "key_file = \"$work/link.key\""
expect "a key_file that is a symlink is refused" refused "$work/link.toml" "cannot open master key $work/link.key"
expect "a 0400 key_file owned by the daemon's user opens the store" start_with_env "$work/file.toml"
expect "and the credential decrypts" test "$(token)" = AT-one
stop_credd
config "$work/missing.toml" "$work/state" "key_file = \"$work/missing.key\""
expect "a missing key_file is an error, not a new key" refused "$work/missing.toml" "cannot open master key $work/missing.key"
expect "no key file was created" test ! -e "$work/missing.key"

# --- replacing the master key ------------------------------------------------------
expect "credd starts with key_file" start_with_env "$work/file.toml"
new_key "$work/loose.key" 644
"$credctl" admin replace-master-key "$work/loose.key" 2>"$work/replace.err"
expect "a group/other-readable new master key is refused" \
  bash -c "[ $? -eq 2 ] && grep -q 'master key $work/loose.key is readable by group or others' '$work/replace.err'"
new_key "$work/new.key"
"$credctl" admin replace-master-key "$work/new.key" 2>"$work/replace.err"
expect "credctl admin replace-master-key re-seals the store's keys" grep -q "now sealed under $work/new.key" "$work/replace.err"
expect "the credential still decrypts in the running credd" test "$(token)" = AT-one
stop_credd
expect "after a restart the old master key is refused" refused "$work/file.toml" "master key does not match this store"
config "$work/new.toml" "$work/state" "key_file = \"$work/new.key\""
expect "the new master key opens the store" start_with_env "$work/new.toml"
expect "and the credential decrypts" test "$(token)" = AT-one
stop_credd

# --- per-user generated key -------------------------------------------------------
config "$work/user.toml" "$work/ustate"
expect "per-user mode generates a key for a new store" start_with_env "$work/user.toml"
expect "the generated key is 32 bytes, mode 0600" test "$(stat -c %s:%a "$work/ustate/master.key")" = 32:600
put two >/dev/null
stop_credd
mv "$work/ustate/master.key" "$work/saved.key"
expect "a missing generated key next to an existing store is an error" refused "$work/user.toml" \
  "store $work/ustate exists but its master key $work/ustate/master.key is missing"
expect "and no new key was written over the store" test ! -e "$work/ustate/master.key"
new_key "$work/ustate/master.key"
expect "a wrong generated key is refused: master key does not match this store" refused "$work/user.toml" \
  "master key does not match this store (key from $work/ustate/master.key)"
mv "$work/saved.key" "$work/ustate/master.key"
expect "the right key opens it again" start_with_env "$work/user.toml"
expect "and the credential decrypts" test "$(token)" = AT-two
stop_credd
printf 'socket = "%s"\nstate_dir = "%s"\n[store]\ngenerate_key = false\n' "$sock" "$work/nstate" >"$work/nogen.toml"
expect "with generate_key = false and no key source credd refuses to start" refused "$work/nogen.toml" "no master key:"
expect "and creates no key" test ! -e "$work/nstate/master.key"
finish

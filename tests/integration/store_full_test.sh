#!/usr/bin/env bash
# Full map and full disk (docs/store-format.md "Map size"): the map grows up to
# [store] max_map_bytes; at the cap, and when the file system of the state
# directory is full (a small tmpfs filled up), writes fail with 507
# store_full, reads go on, and writes succeed again once space returns,
# without a restart. Also: many concurrent readers never exhaust LMDB's
# reader slots. Usage: store_full_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

sock=$work/run/credd.sock
export CREDD_SOCKET=$sock
far=$(($(date +%s) + 86400))
big=$(head -c 30000 /dev/zero | tr '\0' r)
config() {  # FILE STATE_DIR [extra TOML]
  printf 'socket = "%s"\nstate_dir = "%s"\n%s\n[providers.demo]\nissuer = "http://127.0.0.1:9"\nclient_id = "full"\n' \
    "$sock" "$2" "${3:-}" >"$1"
}
# Each credential of root/demo replaces the last, so use one provider per
# name: the test config maps them to users' own providers below.
put_as() {  # PROVIDER NAME
  curl -s --unix-socket "$sock" -o "$work/put.out" -w '%{http_code}' -X PUT \
    --data "{\"refresh_token\":\"$big-$2\",\"access_token\":\"AT-$2\",\"access_expires_at\":$far}" \
    "http://localhost/v1/users/root/credentials/$1"
}
token_of() {  # PROVIDER
  curl -s --unix-socket "$sock" "http://localhost/v1/users/root/credentials/$1/token?min_valid=60" |
    sed -nE 's/.*"access_token":"([^"]*)".*/\1/p'
}
many_providers() {  # N: TOML for providers q1..qN
  for i in $(seq "$1"); do printf '[providers.q%s]\nissuer = "http://127.0.0.1:9"\nclient_id = "full"\n' "$i"; done
}

# --- the map grows ------------------------------------------------------------
config "$work/grow.toml" "$work/grow-state" "$(many_providers 700)"
expect "credd starts with the default map (16 MiB initial, 4 GiB cap)" start_credd "$work/grow.toml"
printf '{"refresh_token":"%s","access_token":"AT","access_expires_at":%s}' "$big" "$far" >"$work/big.json"
for i in $(seq 700); do printf 'url = "http://localhost/v1/users/root/credentials/q%s"\noutput = "/dev/null"\n' "$i"; done >"$work/puts"
curl -s --unix-socket "$sock" -K "$work/puts" -X PUT --data-binary @"$work/big.json" -w '%{http_code}\n' >"$work/codes"
expect "700 writes of 30 KB (21 MB in all) succeed" test "$(grep -c '^204$' "$work/codes")" -eq 700
"$credctl" admin status -o json >"$work/status.json"
expect "the map grew past its initial 16 MiB to 32 MiB" grep -q '"records":700,.*"map_bytes":33554432,' "$work/status.json"
stop_credd

# --- the map cap ------------------------------------------------------------
config "$work/cap.toml" "$work/cap-state" "[store]
max_map_bytes = 1048576
$(many_providers 60)"
expect "credd starts with a 1 MiB map cap" start_credd "$work/cap.toml"
n=0
code=204
while [ "$code" = 204 ] && [ $n -lt 60 ]; do n=$((n + 1)); code=$(put_as "q$n" "$n"); done
expect "writes stop at the cap after some succeeded ($((n - 1)) stored)" test "$n" -gt 3 -a "$n" -lt 60
expect "the failing write gets 507" test "$code" = 507
expect "with code store_full naming the cap" \
  grep -q '"code":"store_full".*reached its size cap of 1 MiB (\[store\] max_map_bytes)' "$work/put.out"
expect "reads go on at the cap" test "$(token_of q1)" = AT-1
expect "credctl admin check still opens every record" "$credctl" admin check
for i in $(seq 1 2 $((n - 1))); do "$credctl" logout --user root "q$i" >/dev/null 2>&1; done
expect "after deletes a write succeeds again without a restart" test "$(put_as "q$n" again)" = 204
expect "and reads back" test "$(token_of "q$n")" = AT-again
stop_credd

# --- a full disk ------------------------------------------------------------
mnt=$work/tmpfs-state
mkdir -p "$mnt"
if mount -t tmpfs -o size=3m,mode=0700 tmpfs "$mnt"; then
  trap 'umount "$mnt" 2>/dev/null; lib_cleanup' EXIT
  config "$work/disk.toml" "$mnt" "$(many_providers 40)"
  expect "credd starts on a 3 MiB tmpfs" start_credd "$work/disk.toml"
  for i in 1 2 3 4 5; do put_as "q$i" "$i" >/dev/null; done
  expect "writes succeed while there is space" test "$(token_of q5)" = AT-5
  dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null  # until ENOSPC
  code=$(put_as q6 6)
  expect "on a full disk a write gets 507" test "$code" = 507
  expect "with code store_full naming the directory" \
    grep -q "\"code\":\"store_full\".*no space left on the file system of $mnt" "$work/put.out"
  expect "reads go on with the disk full" test "$(token_of q3)" = AT-3
  expect "status still answers" "$credctl" status
  rm -f "$mnt/filler"
  expect "once space returns the write succeeds without a restart" test "$(put_as q6 6)" = 204
  expect "and reads back" test "$(token_of q6)" = AT-6
  expect "credctl admin check opens every record" "$credctl" admin check
  stop_credd
  umount "$mnt"
else
  bad "cannot mount a tmpfs (the test needs root, as CI runs it)"
fi

# --- reader slots -------------------------------------------------------------
config "$work/readers.toml" "$work/readers-state" "$(many_providers 2)"
start_credd "$work/readers.toml"
put_as q1 r >/dev/null
pids=()
for i in $(seq 300); do
  curl -s --unix-socket "$sock" -o "$work/reader.$i" "http://localhost/v1/users/root/credentials/q1/token?min_valid=60" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
served=$(grep -l '"access_token":"AT-r"' "$work"/reader.* | wc -l)
expect "300 concurrent reads (LMDB has 126 reader slots) are all served ($served)" test "$served" -eq 300
finish

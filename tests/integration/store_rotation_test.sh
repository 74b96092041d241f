#!/usr/bin/env bash
# Key rotation without downtime, a crash in the middle of it, and backup
# (docs/store-format.md "Operations"), on a store of 100,000 credentials made by
# bench/credd_store_bench. Usage: store_rotation_test.sh CREDD CREDCTL [COUNT]
set -uo pipefail
credd=$1
credctl=$2
count=${3:-100000}
. "$(dirname "$0")/lib.sh"
bench=$(cd "$(dirname "$credd")/.." && pwd)/bench/credd_store_bench

sock=$work/run/credd.sock
export CREDD_SOCKET=$sock
far=$(($(date +%s) + 86400))
head -c 32 /dev/urandom >"$work/credd.key"
chmod 600 "$work/credd.key"
config() {  # FILE STATE SOCKET KEY
  printf 'socket = "%s"\nsocket_mode = 0o666\nstate_dir = "%s"\nkey_file = "%s"\n[store]\ngenerate_key = false\n[providers.demo]\nissuer = "http://127.0.0.1:9"\nclient_id = "rot"\n' \
    "$3" "$2" "$4" >"$1"
}
config "$work/credd.toml" "$work/state" "$sock" "$work/credd.key"
token() { curl -s --unix-socket "$sock" "http://localhost/v1/users/root/credentials/demo/token" | sed -nE 's/.*"access_token":"([^"]*)".*/\1/p'; }
status_json() { "$credctl" admin status -o json; }
rotating() { status_json | grep -q '"rotating":true'; }
keys() { status_json | sed -nE 's/.*"keys":\[([0-9,]*)\].*/\1/p'; }
resealed() { status_json | sed -nE 's/.*"resealed":([0-9]+).*/\1/p'; }
resealed_past() { [ "$(resealed)" -gt "$1" ]; }  # N
rotation_over() { ! rotating; }

expect "credd_store_bench is built next to credd" test -x "$bench"
install -d -m 700 "$work/state"
expect "$count credentials written straight into the store" "$bench" fill "$work/state" "$work/credd.key" "$count"
expect "credd starts on them" start_credd "$work/credd.toml"
printf '{"refresh_token":"RT-root","access_token":"AT-root","access_expires_at":%s}' "$far" >"$work/put.json"
curl -s --unix-socket "$sock" -o /dev/null -X PUT --data-binary @"$work/put.json" http://localhost/v1/users/root/credentials/demo
total=$((count + 1))
expect "admin status counts $total records under data key 1" bash -c "\"$credctl\" admin status -o json | grep -q '\"records\":$total,.*\"keys\":\[1\]'"

# --- rotation while serving --------------------------------------------------------
"$credctl" admin rotate-key --no-wait 2>"$work/rotate.err"
expect "rotate-key starts a rotation to data key 2" grep -q "Rotating to data key 2 ($total records)" "$work/rotate.err"
printf '{"refresh_token":"RT-root-2","access_token":"AT-root-2","access_expires_at":%s}' "$far" >"$work/put.json"
code=$(curl -s --unix-socket "$sock" -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$work/put.json" \
  http://localhost/v1/users/root/credentials/demo)
expect "a write during the rotation succeeds" test "$code" = 204
expect "the rotation was still running after that write" rotating
served=0; failed=0; slowest=0
rotation_start=$(date +%s%N)
while rotating; do
  s=$(date +%s%N)
  if [ "$(token)" = AT-root-2 ]; then served=$((served + 1)); else failed=$((failed + 1)); fi
  ms=$((($(date +%s%N) - s) / 1000000)); [ $ms -gt $slowest ] && slowest=$ms
done
echo "rotation of $total records took $((($(date +%s%N) - rotation_start) / 1000000)) ms; served $served tokens meanwhile, slowest ${slowest} ms"
expect "tokens were served throughout the rotation ($served, slowest ${slowest} ms)" test "$served" -ge 3 -a "$failed" -eq 0
expect "afterwards only data key 2 is held: key 1 is retired" test "$(keys)" = 2
expect "credd logged the rotation's end" grep -q "key rotation done: $total records re-sealed, old keys retired" "$work/credd.log"
"$credctl" admin check >"$work/check.out" 2>&1 &
checker=$!
served=0; slowest=0
while kill -0 "$checker" 2>/dev/null; do
  s=$(date +%s%N)
  [ "$(token)" = AT-root-2 ] && served=$((served + 1))
  ms=$((($(date +%s%N) - s) / 1000000)); [ $ms -gt $slowest ] && slowest=$ms
done
wait "$checker"
echo "check of $total records: served $served tokens meanwhile, slowest ${slowest} ms"
expect "admin check: every record opens under the new key" grep -q "^$total of $total records open" "$work/check.out"
expect "tokens were served while the check ran ($served, slowest ${slowest} ms)" test "$served" -ge 3

# --- a crash in the middle of a rotation ---------------------------------------------
before=$(resealed)
"$credctl" admin rotate-key --no-wait 2>/dev/null
wait_for 10 "the rotation to key 3 to re-seal its first records" resealed_past "$before"
expect "a second rotation (to key 3) is under way" test "$(keys)" = 2,3
kill -KILL "$credd_pid"; wait "$credd_pid" 2>/dev/null; credd_pid=
expect "credd restarts after SIGKILL mid-rotation" start_credd "$work/credd.toml"
expect "the token still decrypts right after the restart" test "$(token)" = AT-root-2
# More crashes at random points of the resumed rotation.
kills=1; restarts_ok=0
for _ in 1 2 3 4; do
  sleep "0.$((RANDOM % 6 + 2))"  # a random kill moment, 0.2-0.7 s in: not a wait for an event
  rotating || break
  kill -KILL "$credd_pid"; wait "$credd_pid" 2>/dev/null; credd_pid=; kills=$((kills + 1))
  start_credd "$work/credd.toml" && [ "$(token)" = AT-root-2 ] && restarts_ok=$((restarts_ok + 1))
done
expect "credd restarted and served after each of $kills kills mid-rotation" test "$restarts_ok" -eq $((kills - 1))
wait_for 60 "the resumed rotation to finish" rotation_over
expect "the interrupted rotation resumed by itself" grep -q "resuming an interrupted key rotation" "$work/credd.log"
expect "and finished: only data key 3 is held" test "$(keys)" = 3
"$credctl" admin check >"$work/check.out" 2>&1
expect "admin check after the crash: every record opens" grep -q "^$total of $total records open" "$work/check.out"

# --- a rotation waited for ----------------------------------------------------------
"$credctl" admin rotate-key 2>"$work/rotate-wait.err"
expect "credctl admin rotate-key waits for the end and says so" \
  bash -c "[ $? -eq 0 ] && grep -q 'Done: every record is sealed under data key 4' '$work/rotate-wait.err'"
expect "only data key 4 is held afterwards" test "$(keys)" = 4

# --- backup and restore --------------------------------------------------------------
backup_start=$(date +%s%N)
"$credctl" admin backup "$work/backup.mdb" 2>"$work/backup.err"
echo "backup of $total records: $((($(date +%s%N) - backup_start) / 1000000)) ms, $(stat -c %s "$work/backup.mdb") bytes"
expect "credctl admin backup writes a file" test -s "$work/backup.mdb"
expect "the backup is 0600" test "$(stat -c %a "$work/backup.mdb")" = 600
expect "and is compacted (not bigger than the live file)" \
  test "$(stat -c %s "$work/backup.mdb")" -le "$(stat -c %s "$work/state/data.mdb")"
"$credctl" admin backup "$work/backup.mdb" 2>"$work/backup2.err"
expect "backup refuses to overwrite a file" grep -q "cannot create backup $work/backup.mdb: File exists" "$work/backup2.err"
ensure_user credctl-st
as_user credctl-st "$credctl" admin check >/dev/null 2>"$work/denied.err"
expect "another uid may not run admin commands (exit 3)" test $? -eq 3
expect "the denial names credentials:* on credentials/*/*" grep -q "credentials:\* on credentials/\*/\* denied" "$work/denied.err"
stop_credd
install -d -m 700 "$work/restored"
cp "$work/backup.mdb" "$work/restored/data.mdb"
config "$work/restored.toml" "$work/restored" "$sock" "$work/credd.key"
expect "a fresh credd with the same key opens the backup" start_credd "$work/restored.toml"
expect "the token from the backup decrypts" test "$(token)" = AT-root-2
"$credctl" admin check >"$work/check.out" 2>&1
expect "admin check on the restored store: every record opens" grep -q "^$total of $total records open" "$work/check.out"
stop_credd
head -c 32 /dev/urandom >"$work/other.key"; chmod 600 "$work/other.key"
config "$work/wrong.toml" "$work/restored" "$sock" "$work/other.key"
"$credd" --config "$work/wrong.toml" 2>"$work/wrong.err"
expect "the backup with another key is refused" grep -q "master key does not match this store" "$work/wrong.err"
finish

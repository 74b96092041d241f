#!/usr/bin/env bash
# Durability (docs/design.md "Commit before answer"): credd is killed with
# SIGKILL at a random moment during a stream of PUTs, 100 times. After every
# restart the store must open, every acknowledged write must be there and
# decrypt, and `credctl admin check` must find every record intact. Then, under
# strace, that a PUT is answered only after its commit was fdatasync'd.
# Usage: store_durability_test.sh CREDD CREDCTL [ROUNDS]
set -uo pipefail
credd=$1
credctl=$2
rounds=${3:-100}
. "$(dirname "$0")/lib.sh"

providers=(p0 p1 p2 p3)
sock=$work/run/credd.sock
{
  echo "socket = \"$sock\""
  echo "state_dir = \"$work/state\""
  for p in "${providers[@]}"; do
    printf '[providers.%s]\nissuer = "http://127.0.0.1:9"\nclient_id = "durability"\n' "$p"
  done
} >"$work/credd.toml"
export CREDD_SOCKET=$sock
far=$(($(date +%s) + 86400))

answers() { curl -sf --unix-socket "$sock" http://localhost/v1/status >/dev/null 2>&1; }
launch() {
  "$credd" --config "$work/credd.toml" 2>>"$work/credd.log" &
  credd_pid=$!
  wait_for 5 "credd to answer on $sock" answers
}

# Sequential PUTs over providers FIRST and FIRST+1; "start" before each
# request, "ack" only after a 204. Two writers run at once, so two commits
# can be in flight when credd dies, never two for the same credential.
writer() {  # ROUND FIRST
  local i=0 p code
  while :; do
    p=${providers[$(($2 + i % 2))]}
    echo "start $p AT-$1-$2-$i" >>"$work/writes.$2"
    code=$(curl -s --unix-socket "$sock" -o /dev/null -w '%{http_code}' -X PUT \
      --data "{\"refresh_token\":\"RT-$1-$2-$i\",\"access_token\":\"AT-$1-$2-$i\",\"access_expires_at\":$far}" \
      "http://localhost/v1/users/root/credentials/$p")
    [ "$code" = 204 ] || return 0
    echo "ack $p AT-$1-$2-$i" >>"$work/writes.$2"
    i=$((i + 1))
  done
}

declare -A acked inflight
lost=0
check_failed=0
start_failed=0
acks=0
for round in $(seq "$rounds"); do
  if ! launch; then start_failed=$((start_failed + 1)); echo "round $round: credd did not start"; break; fi
  # Every provider holds its last acknowledged value, or the one write
  # that was in flight when credd died (committed but not yet answered).
  urls=()
  for p in "${providers[@]}"; do urls+=("http://localhost/v1/users/root/credentials/$p/token?min_valid=60"); done
  got=$(curl -s --unix-socket "$sock" -w '\n' "${urls[@]}")
  n=0
  while IFS= read -r line; do
    p=${providers[$n]}; n=$((n + 1))
    have=$(sed -nE 's/.*"access_token":"([^"]*)".*/\1/p' <<<"$line")
    [ -z "$have" ] && have=absent
    want=${acked[$p]:-absent}
    if [ "$have" != "$want" ] && [ "$have" != "${inflight[$p]:-}" ]; then
      echo "round $round: $p holds $have, acknowledged was $want"; lost=$((lost + 1))
    fi
    [ "$have" != absent ] && acked[$p]=$have  # a committed in-flight write is now the value
  done <<<"$got"
  [ "$round" -eq "$rounds" ] && echo "last round read: ${acked[*]}"
  if ! "$credctl" admin check >"$work/check.out" 2>&1; then
    check_failed=$((check_failed + 1)); cat "$work/check.out"
  fi
  inflight=()
  : >"$work/writes.0"
  : >"$work/writes.2"
  writer "$round" 0 &
  writer_a=$!
  writer "$round" 2 &
  writer_b=$!
  sleep "0.0$((RANDOM % 9 + 1))$((RANDOM % 10))"  # a random kill moment, 10-99 ms in: not a wait for an event
  kill -KILL "$credd_pid"; wait "$credd_pid" 2>/dev/null
  credd_pid=
  wait "$writer_a" "$writer_b"
  while read -r what p value; do
    if [ "$what" = ack ]; then acked[$p]=$value; acks=$((acks + 1)); unset "inflight[$p]"; else inflight[$p]=$value; fi
  done < <(cat "$work/writes.0" "$work/writes.2")
done

expect "credd restarted after every one of $rounds SIGKILLs" test "$start_failed" -eq 0
# That the rounds had writes to lose: about one acknowledged write per round
# at the least, but a loaded machine has gone below that (92 in 100), so the
# bound is half of it.
expect "$acks acknowledged writes were made while being killed" test "$acks" -ge $(((rounds + 1) / 2))
expect "no acknowledged write was lost or replaced by an older one" test "$lost" -eq 0
expect "credctl admin check found every record intact after every restart" test "$check_failed" -eq 0
launch
"$credctl" admin check >"$work/check.out" 2>&1
expect "final check: 4 of 4 records open" grep -q "^4 of 4 records open" "$work/check.out"
kill -TERM "$credd_pid"; wait "$credd_pid"; credd_pid=

# SIGKILL keeps the page cache, so it cannot show that a commit reached the
# disk. The system calls can: the data pages are fdatasync'd after the
# request is read and before the 204 is sent, and the meta page goes through
# a descriptor opened with O_DSYNC.
# A sanitizer build's leak check at exit cannot work under ptrace (it fails
# the exit): off for this traced run only (as in systemd_units_test.sh).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  strace -f -e trace=openat,read,recvfrom,recvmsg,fdatasync,fsync,sendmsg,sendto,writev,write \
  -s 64 -o "$work/strace.out" "$credd" --config "$work/credd.toml" 2>>"$work/credd.log" &
tracer=$!
extra_pids+=("$tracer")
wait_for 10 "credd under strace to answer on $sock" answers
code=$(curl -s --unix-socket "$sock" -o /dev/null -w '%{http_code}' -X PUT \
  --data "{\"refresh_token\":\"RT-traced\",\"access_token\":\"AT-traced\",\"access_expires_at\":$far}" \
  http://localhost/v1/users/root/credentials/p0)
expect "a traced PUT is acknowledged" test "$code" = 204
kill -TERM "$(pgrep -P "$tracer" -x credd)"; wait "$tracer"
expect "the traced credd exits 0 on SIGTERM" test $? -eq 0
# strace -f splits a call that another thread's call interrupts into
# "fdatasync(4 <unfinished ...>" and "<... fdatasync resumed>) = 0": the
# store thread's fdatasync takes long enough for the I/O thread's calls to
# fall inside it now and then.
synced_before_reply() {  # TRACE
  awk '/PUT \/v1\/users\/root\/credentials\/p0/ {seen = 1}
       seen && !replied && /fdatasync(\(| resumed>).*= 0/ {synced = 1}
       seen && !replied && /HTTP\/1.1 204/ {replied = 1; ok = synced}
       END {exit !(replied && ok)}' "$1"
}
# When not, the calls from the PUT to its answer go to a log finish() shows.
synced_or_shown() {  # TRACE
  synced_before_reply "$1" && return
  awk '/PUT \/v1\/users\/root\/credentials\/p0/ {seen = 1} seen {print; if (/HTTP\/1.1 204/) exit}' \
    "$1" | cut -c1-200 | head -50 >"$work/strace-put.log"
  return 1
}
expect "the commit is fdatasync'd after the PUT is read and before its 204 is sent" synced_or_shown "$work/strace.out"
grep -v fdatasync "$work/strace.out" >"$work/strace.nosync"
unsynced_trace_fails() { ! synced_before_reply "$work/strace.nosync"; }
expect "(control) the same check fails on the trace without its fdatasync calls" unsynced_trace_fails
expect "data.mdb is also opened O_DSYNC (the meta page is written synchronously)" \
  grep -qE 'openat\(.*data\.mdb", [^)]*O_DSYNC' "$work/strace.out"
finish

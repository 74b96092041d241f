#!/usr/bin/env bash
# End-to-end: a user's subordinate uids (subuid(5)) share one budget of
# executable hashing. A grant pins a binary by exe_sha256 alone, for any uid
# that runs it: a copy of curl padded (sparse) to 120 MiB, so that a budget
# of 256 MiB a minute holds two hashes of it. The hostile user has the range
# 311000-311099 (usermod --add-subuids) and runs six distinct copies of the
# pinned binary at once, each as a subordinate uid of its own (setpriv gives
# credd the same peer credentials as the user's own namespace would): each
# copy is a file credd has not hashed, so each must be hashed to be allowed.
# Before, each subordinate uid had a budget and a queue of its own: all six
# were hashed (720 MiB) and allowed, and a user with the usual 65,536
# subordinate uids could keep the hasher busy for everyone. Now two are
# hashed and four denied, a seventh subordinate uid is denied too, while a
# bystander uid and the owner's own uid, each with a budget of its own (as
# with connections), still have their copies hashed and get the token.
# Usage: exe_hash_subordinate_test.sh CREDD CREDCTL (as root, as in CI)
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the test gives a user subordinate uids and runs them, and so must run as root (as CI does)"
  finish
fi
owner=credctl-hs-a
bystander=credctl-hs-b
for u in "$owner" "$bystander"; do ensure_user "$u"; done
range=311000-311099
# usermod(8) fails at once while another test's useradd holds /etc/passwd's lock.
subuids() { for _ in $(seq 50); do usermod "$1" "$range" "$owner" 2>/dev/null && return; sleep 0.2; done; false; }
subuids --add-subuids || bad "usermod --add-subuids $range $owner"
trap 'subuids --del-subuids; lib_cleanup' EXIT
expect "/etc/subuid gives $owner the range" grep -q "^$owner:311000:100\$" /etc/subuid

copies=6
pad=120M  # two fit in a budget of 256 MiB a minute, three do not
install -d -m 755 "$work/bin"
for i in $(seq $((copies + 3))); do
  cp /usr/bin/curl "$work/bin/copy$i"
  truncate -s "$pad" "$work/bin/copy$i"  # ELF ignores trailing bytes: it still runs
  chmod 755 "$work/bin/copy$i"
done
pinned_sha=$(sha256sum "$work/bin/copy1" | cut -d' ' -f1)

start_provider
write_config "$work/credd.toml"
role_grant "$work/credd.toml" reader '"credentials:token"' "padded curl" credentials/root/demo \
  "{ exe_sha256 = \"$pinned_sha\" }"
expect "credd starts with a grant that pins a binary by hash alone" start_credd "$work/credd.toml"
expect "root logs in" login_demo 2>"$work/login.err"
target=/v1/users/root/credentials/demo/token
get_as_uid() {  # UID BINARY -> HTTP status of the token request
  setpriv --reuid="$1" --regid="$1" --clear-groups "$2" -s -o /dev/null -w '%{http_code}\n' --max-time 60 \
    --unix-socket "$CREDD_SOCKET" "http://localhost$target"
}

pids=()
for i in $(seq "$copies"); do
  get_as_uid $((311000 + i - 1)) "$work/bin/copy$i" >"$work/flood.$i" 2>&1 &
  pids+=($!)
done
started=$(now_ms)
bystander_code=$(get_as_uid "$(id -u "$bystander")" "$work/bin/copy$((copies + 1))")
bystander_ms=$(($(now_ms) - started))
for pid in "${pids[@]}"; do wait "$pid"; done
answers=$(cat "$work"/flood.* | sort | uniq -c | tr -s ' \n' ' ')
echo "the subordinate uids' copies were answered: $answers"
expect "two of the $copies copies are hashed and allowed, the rest denied ($answers)" \
  test "$answers" = " 2 200 $((copies - 2)) 403 "
expect "the bystander's copy, hashed during the flood, gets the token ($bystander_code in $bystander_ms ms)" \
  test "$bystander_code" = 200
expect "a seventh subordinate uid is denied: the budget is its owner's subordinate uids'" \
  test "$(get_as_uid 311050 "$work/bin/copy$((copies + 2))")" = 403
over=$(grep -c "is not hashed: uid 3110[0-9]* is over the budget of executable hashing that the subordinate uids of uid $(
  id -u "$owner") share" "$work/credd.log")
expect "credd says which budget the denied ones ran into ($over lines)" test "$over" -eq $((copies - 2 + 1))
expect "the owner's own uid keeps a budget of its own" \
  test "$(get_as_uid "$(id -u "$owner")" "$work/bin/copy$((copies + 3))")" = 200
finish

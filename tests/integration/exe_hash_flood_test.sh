#!/usr/bin/env bash
# End-to-end: one uid forcing credd to hash executables must not stall the
# others. A grant pins a binary by exe_sha256 for a test uid; that uid then
# runs sixteen distinct copies of the binary, each padded (sparse) to just
# under the hashing cap, all at once, the way a hostile user defeats the
# digest cache. Meanwhile another uid's token requests are answered quickly,
# the pinned binary itself still gets its token, and other binaries are denied.
# Usage: exe_hash_flood_test.sh CREDD CREDCTL (as root, as in CI)
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
hostile=credctl-hf
bystander=credctl-hb
copies=16
pad=120M  # under the 128 MiB cap: each copy is worth hashing

if [ "$(id -u)" -ne 0 ]; then
  bad "this test runs callers as a test user and needs root (as CI runs it)"
  finish
fi
ensure_user "$hostile"
ensure_user "$bystander"
install -d -m 755 "$work/bin"
cp /usr/bin/curl "$work/bin/pinned"
chmod 755 "$work/bin/pinned"
pinned_sha=$(sha256sum "$work/bin/pinned" | cut -d' ' -f1)
for i in $(seq "$copies"); do
  cp /usr/bin/curl "$work/bin/copy$i"
  truncate -s "$pad" "$work/bin/copy$i"  # ELF ignores trailing bytes: it still runs
  chmod 755 "$work/bin/copy$i"
done

start_provider
write_config "$work/credd.toml"
role_grant "$work/credd.toml" reader '"credentials:token"' "pinned curl" credentials/root/demo \
  "{ uid = $(id -u "$hostile"), exe_sha256 = \"$pinned_sha\" }"
expect "credd starts with a grant that pins a binary by hash" start_credd "$work/credd.toml"
expect "root logs in" login_demo 2>"$work/login.err"
target=/v1/users/root/credentials/demo/token
get_as() {  # BINARY -> HTTP status of the token request as the hostile uid
  as_user "$hostile" "$1" -s -o /dev/null -w '%{http_code}\n' --max-time 60 --unix-socket "$CREDD_SOCKET" \
    "http://localhost$target"
}
expect "the pinned binary, run by the granted uid, gets the token" test "$(get_as "$work/bin/pinned")" = 200

pids=()
for i in $(seq "$copies"); do
  get_as "$work/bin/copy$i" >"$work/flood.$i" 2>&1 &
  pids+=($!)
done
probe=$(python3 "$root/tests/integration/latency_probe.py" "$CREDD_SOCKET" "$target" 3)
read -r count median p90 max refused <<<"$probe"
for pid in "${pids[@]}"; do wait "$pid"; done
echo "root's token while $hostile forces hashing: $count requests, median $median ms, p90 $p90 ms, max $max ms"
expect "root was answered every time (refused: $refused)" test "$refused" = "-"
expect "root is served quickly while another uid forces hashing (p90 $p90 ms < 100 ms)" \
  python3 -c "import sys; sys.exit(0 if $p90 < 100 else 1)"
expect "and never stalls (max $max ms < 1000 ms)" python3 -c "import sys; sys.exit(0 if $max < 1000 else 1)"
answers=$(cat "$work"/flood.* | sort | uniq -c | tr -s ' \n' ' ')
expect "every padded copy is denied ($answers)" test "$answers" = " $copies 403 "
expect "the hostile uid runs into its hashing budget" \
  grep -q "is not hashed: uid $(id -u "$hostile") is over its budget of executable hashing" "$work/credd.log"
expect "the pinned binary still gets the token (its digest is cached)" test "$(get_as "$work/bin/pinned")" = 200
expect "another uid that no pinned client names is denied without hashing" \
  test "$(as_user "$bystander" "$work/bin/copy1" -s -o /dev/null -w '%{http_code}' --unix-socket "$CREDD_SOCKET" \
    "http://localhost$target")" = 403
finish

#!/usr/bin/env bash
# A provider whose name does not resolve in time holds neither its own
# refresh past its deadline nor any other provider's. Asio resolved every
# name of credd's provider exchanges on one thread, one after another, with
# no deadline: while one name's lookup hung, every other provider's lookup
# waited behind it. An LD_PRELOAD library (tests/support/slow_dns_shim.cpp,
# path in $CREDCTL_TEST_SLOW_DNS_SHIM) makes credd's getaddrinfo(3) of
# slow.test wait 20 s. Provider `slow` is at that name, `demo` at the test
# provider's (localhost, looked up too); both have 2 s per exchange and 3 s
# for all attempts. Before, `credctl token demo`, asked while slow's lookup
# hung, failed after about 20 s, and `credctl token slow` took 20 s too.
# Usage: oauth_slow_dns_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

shim=${CREDCTL_TEST_SLOW_DNS_SHIM:-}
if [ ! -f "$shim" ]; then
  bad "CREDCTL_TEST_SLOW_DNS_SHIM does not name the built shim library: \"$shim\""
  finish
fi
start_provider --host localhost
expect "the test provider is named, not an address ($issuer)" grep -q '^http://localhost:' "$work/issuer"
write_config "$work/credd.toml"
port=${issuer##*:}
cat >>"$work/credd.toml" <<TOML
timeout_seconds        = 2
retry_deadline_seconds = 3

[providers.slow]
issuer                 = "https://slow.test:$port"
client_id              = "credctl-demo"
timeout_seconds        = 2
retry_deadline_seconds = 3
TOML
# ASan checks that its runtime comes first among the libraries; the shim
# goes before it (as in store_blocking_test.sh).
start_credd "$work/credd.toml" env LD_PRELOAD="$shim" CREDCTL_TEST_SLOW_DNS_NAME=slow.test \
  CREDCTL_TEST_SLOW_DNS_MS=20000 ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
expect "credd answers under the slow-DNS library" credd_answers
expect "login demo" login_demo
expect "a credential of slow, its access token expired" curl -sf --unix-socket "$CREDD_SOCKET" -X PUT -o /dev/null \
  --data '{"refresh_token":"rt-slow","access_token":"old","access_expires_at":1}' \
  "http://localhost/v1/users/$(id -un)/credentials/slow"

started=$(now_ms)
"$credctl" token slow >"$work/slow.out" 2>"$work/slow.err" &
slow_pid=$!
extra_pids+=("$slow_pid")
sleep 0.5
# The provider's 8 s tokens are under the 60 s min_valid: a refresh, which
# looks up localhost first (discovery, then the token endpoint).
demo_started=$(now_ms)
"$credctl" token demo >"$work/demo.out" 2>"$work/demo.err"
rc=$?
demo_ms=$(($(now_ms) - demo_started))
expect "demo's refresh while slow.test's lookup hangs: exit 0 (rc $rc) [$(head -c 300 "$work/demo.err")]" \
  test "$rc" -eq 0
expect "with a token" test -s "$work/demo.out"
expect "within its own deadlines, not behind slow's lookup (${demo_ms} ms < 6000)" test "$demo_ms" -lt 6000
wait "$slow_pid"
rc=$?
slow_ms=$(($(now_ms) - started))
expect "slow gives up by its retry deadline: exit 5 (rc $rc)" test "$rc" -eq 5
expect "within its deadlines, not the 20 s lookup (${slow_ms} ms < 10000)" test "$slow_ms" -lt 10000
expect "and says the lookup timed out [$(head -c 300 "$work/slow.err")]" grep -q 'resolving slow.test (timed out)' \
  "$work/slow.err"
expect "credd still serves" credd_answers
finish

#!/usr/bin/env bash
# End-to-end: transient provider failures are retried with backoff within the
# provider's retry deadline, then answered provider_unavailable without
# touching the credential; and a slow provider does not hold up callers of
# another provider. Usage: oauth_retry_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

# Two real providers: "slow" (its token endpoint delayed) and "fast".
start_provider --access-ttl 3600
fast=$issuer
provider_fast_pid=$provider_pid
rm -f "$work/issuer"
node "$oidc/provider.mjs" --port 0 --ready-file "$work/issuer" >/dev/null 2>"$work/slow-provider.log" &
extra_pids+=($!)
wait_for 10 "the slow provider to write its issuer" test -s "$work/issuer"
slow=$(cat "$work/issuer")

write_config "$work/credd.toml"
sed -i '/^\[providers.demo\]/,$d' "$work/credd.toml"
for name in fast slow1 slow2 slow3 slow4; do
  iss=$fast; [ "$name" = fast ] || iss=$slow
  cat >>"$work/credd.toml" <<TOML
[providers.$name]
issuer    = "$iss"
client_id = "credctl-demo"
scopes    = ["openid", "offline_access"]
timeout_seconds        = 2
retry_deadline_seconds = 6
TOML
done
expect "credd starts" start_credd "$work/credd.toml"
for name in fast slow1 slow2 slow3 slow4; do
  BROWSER=$oidc/browser "$credctl" login "$name" 2>>"$work/login.err"
  expect "login to $name" test $? -eq 0
done

# --- 5xx: retried, then success ------------------------------------------
issuer=$fast
reset_stats
curl -sf -X POST "$fast/_test/fail?count=2&status=503"
timed_refresh fast 2>"$work/retry.err"
expect "two 503s then success: a token ($elapsed ms)" test -n "$tok"
expect "three attempts reached the provider" test "$(pstat token_requests.refresh_token)" -eq 1 -a "$(pstat token_failures_injected)" -eq 2
expect "with backoff between them (>= 250 ms in all)" test "$elapsed" -ge 250
expect "credd logged the retries" grep -q "retry 2 in [0-9]* ms" "$work/credd.log"
expect "the new token works" userinfo_ok "$tok"

# --- 5xx for good: provider_unavailable within the deadline ---------------
curl -sf -X POST "$fast/_test/fail?count=1000&status=502"
start=$(now_ms)
"$credctl" token fast --min-valid 7200 >"$work/down.out" 2>"$work/down.err"
rc=$?
elapsed=$(($(now_ms) - start))
expect "a provider failing for good gives exit 5" test "$rc" -eq 5
expect "within the 6 s retry deadline ($elapsed ms)" test "$elapsed" -lt 6500
expect "after several attempts" test "$(pstat token_failures_injected)" -ge 4
expect "the message says so" grep -q "did not answer usably after [0-9]* attempt(s)" "$work/down.err"
expect "the credential is kept, not login_required (provider_unavailable)" test "$(cred_state fast)" = provider_unavailable
curl -sf -X POST "$fast/_test/fail?count=0"
expect "once the provider is back the same credential refreshes" test -n "$("$credctl" token fast --min-valid 7200)"

# --- a slow provider does not block another -------------------------------
curl -sf -X POST "$slow/_test/delay?ms=4000"
for name in slow1 slow2 slow3 slow4; do
  "$credctl" token "$name" --min-valid 7200 >"$work/$name.out" 2>&1 &
  extra_pids+=($!)
done
slow_in_flight() { for name in slow1 slow2 slow3 slow4; do cred_state_is "$name" refreshing || return 1; done; }
wait_for 10 "the four slow refreshes to be in flight" slow_in_flight
timed_refresh fast
expect "a refresh at the fast provider while four wait on the slow one takes < 1.5 s ($elapsed ms)" \
  test -n "$tok" -a "$elapsed" -lt 1500
expect "credd answers status meanwhile" "$credctl" status
wait_ok=0
for name in slow1 slow2 slow3 slow4; do
  wait_for 10 "the answer to $name" test -s "$work/$name.out"
  grep -q "did not answer usably\|timed out" "$work/$name.out" && wait_ok=$((wait_ok + 1))
done
expect "the slow refreshes end in provider_unavailable (2 s timeout < 4 s delay)" test "$wait_ok" -eq 4
finish

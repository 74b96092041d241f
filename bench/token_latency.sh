#!/usr/bin/env bash
# Median wall time of N runs of `credctl token demo` (cached token, no
# upstream call) next to N runs of /bin/true, against a real credd and the
# local OpenID provider. Usage: bench/token_latency.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=${1:-100}
credd=$root/build/default/daemon/credd
credctl=$root/build/default/cli/credctl
work=$(mktemp -d /tmp/credctl-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
node tests/oidc/provider.mjs --port 0 --ready-file "$work/issuer" --access-ttl 3600 >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/issuer" ] && break; sleep 0.1; done
printf 'socket = "%s"\nstate_dir = "%s"\n[providers.demo]\nissuer = "%s"\nclient_id = "credctl-demo"\nscopes = ["openid", "offline_access"]\n' \
  "$work/run/credd.sock" "$work/state" "$(cat "$work/issuer")" >"$work/credd.toml"
"$credd" --config "$work/credd.toml" 2>/dev/null &
pids+=($!)
export CREDD_SOCKET=$work/run/credd.sock
for _ in $(seq 100); do [ -S "$CREDD_SOCKET" ] && break; sleep 0.1; done
BROWSER=$root/tests/oidc/browser "$credctl" login demo 2>/dev/null

median_us() {  # command...
  local times=()
  for _ in $(seq "$n"); do
    local s=$(date +%s%N)
    "$@" >/dev/null
    times+=($((($(date +%s%N) - s) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((n + 1) / 2))p"
}
echo "runs: $n"
echo "credctl token demo: median $(median_us "$credctl" token demo) us"
echo "/bin/true:          median $(median_us /bin/true) us"

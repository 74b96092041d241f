#!/usr/bin/env bash
# The main job, end to end on this machine: build, start the bundled OpenID
# provider and a per-user credd on a temporary state directory, log in through
# a scripted browser, print a token and list the credential. Leaves nothing
# running when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
credd=$root/build/default/daemon/credd
credctl=$root/build/default/cli/credctl

work=$(mktemp -d /tmp/credctl-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

node tests/oidc/provider.mjs --port 0 --ready-file "$work/issuer" --access-ttl 300 >"$work/provider.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/issuer" ] && break; sleep 0.1; done
issuer=$(cat "$work/issuer")
echo "== OpenID provider at $issuer"

cat >"$work/credd.toml" <<TOML
socket    = "$work/run/credd.sock"
state_dir = "$work/state"

[providers.demo]
issuer    = "$issuer"
client_id = "credctl-demo"
scopes    = ["openid", "offline_access"]
TOML
"$credd" --config "$work/credd.toml" 2>"$work/credd.log" &
pids+=($!)
export CREDD_SOCKET=$work/run/credd.sock
for _ in $(seq 100); do [ -S "$CREDD_SOCKET" ] && break; sleep 0.1; done
echo "== credd listening on $CREDD_SOCKET"

echo "== credctl login demo   (the browser step is played by tests/oidc/browser)"
BROWSER=$root/tests/oidc/browser "$credctl" login demo
echo "== credctl token demo"
"$credctl" token demo
echo "== credctl list"
"$credctl" list
echo "== credd log"
cat "$work/credd.log"

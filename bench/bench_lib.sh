# Shared set-up of the refresh benchmarks: the local OpenID provider, a credd
# with generous connection limits (AUDIT=1: and an audit file, as packaged),
# and one logged-in credential `demo`. CREDD_STDERR=FILE keeps credd's log;
# CREDD_VERBOSE=1 adds its debug messages (--verbose).
# start_against_credd starts a second credd, of the build AGAINST_CREDD
# names, for the scripts that measure two builds side by side.
# Source it from bench/*.sh after `cd` to the repository root.
root=$PWD
credd=${CREDD:-$root/build/default/daemon/credd}
credctl=$root/build/default/cli/credctl
work=$(mktemp -d /tmp/credctl-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
node tests/oidc/provider.mjs --port 0 --ready-file "$work/issuer" --access-ttl "${ACCESS_TTL:-3600}" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/issuer" ] && break; sleep 0.1; done
issuer=$(cat "$work/issuer")
# The limits of every benchmarked credd and, with AUDIT=1, its audit file.
# Every decision is written (to the file, or to standard error): the rate
# limit of allow lines, which one benchmark client's own requests would
# pass in a second, is turned off (allow_burst = 0) where the build has it.
# So is the pace of refreshes (refresh_interval_seconds = 0): the
# benchmarks force a refresh per request with a min_valid over the token's
# lifetime, which a paced credd would answer from its cache.
bench_limits_toml() {  # AUDIT_FILE BINARY
  printf '[limits]\nmax_connections = 4096\nmax_connections_per_uid = 4096\nidle_timeout_seconds = 60\n'
  ! grep -qa 'limits.refresh_interval_seconds' "$2" || printf 'refresh_interval_seconds = 0\n'
  printf '[audit]\n'
  [ -z "${AUDIT:-}" ] || printf 'file = "%s"\n' "$1"
  ! grep -qa 'audit.allow_burst' "$2" || printf 'allow_burst = 0\n'
}
# Starts credd BINARY with its files under $work/DIR and logs `demo` in
# through it; sets `started_pid`. Its socket is $work/DIR/run/credd.sock.
start_logged_in_credd() {  # BINARY DIR
  mkdir -p "$work/$2"
  cat >"$work/$2/credd.toml" <<TOML
socket = "$work/$2/run/credd.sock"
state_dir = "$work/$2/state"
$(bench_limits_toml "$work/$2/audit.jsonl" "$1")
[providers.demo]
issuer = "$issuer"
client_id = "credctl-demo"
scopes = ["openid", "offline_access"]
TOML
  "$1" --config "$work/$2/credd.toml" ${CREDD_VERBOSE:+--verbose} 2>${CREDD_STDERR:-/dev/null} &
  started_pid=$!
  pids+=($started_pid)
  local socket=$work/$2/run/credd.sock
  for _ in $(seq 100); do CREDD_SOCKET=$socket "$credctl" status >/dev/null 2>&1 && break; sleep 0.1; done
  CREDD_SOCKET=$socket BROWSER=$root/tests/oidc/browser "$credctl" login demo 2>/dev/null
}
start_logged_in_credd "$credd" credd
credd_pid=$started_pid
export CREDD_SOCKET=$work/credd/run/credd.sock
# Starts credd $AGAINST_CREDD on the same provider, with its own socket,
# state and login; sets `against_pid` and `against_socket`.
start_against_credd() {
  start_logged_in_credd "$AGAINST_CREDD" against
  against_pid=$started_pid
  against_socket=$work/against/run/credd.sock
}
# The access token lives 3600 s, so min_valid=86400 forces a refresh.
token_path="/v1/users/$(id -un)/credentials/demo/token?min_valid=86400"
pstat() { curl -sf "$issuer/_test/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
refreshes() { curl -sf "$issuer/_test/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_requests"]["refresh_token"])'; }

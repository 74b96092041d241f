# Shared harness for the end-to-end scripts: checks, a work directory that is
# removed on exit, the real oidc-provider (tests/oidc) on loopback, and credd.
# Source it after setting `credd` and `credctl`:
#   . "$(dirname "$0")/lib.sh"
#   start_provider [provider.mjs options...]   # sets $issuer
#   write_config FILE                            # a credd.toml with provider demo
#   start_credd FILE [WRAPPER...]                # sets $credd_pid, waits for status
#   ...checks with expect, waits with wait_for...
#   finish                                       # prints the tally, exits 0 or 1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
oidc=$root/tests/oidc

[ -d "$oidc/node_modules/oidc-provider" ] || (cd "$oidc" && npm ci --no-audit --no-fund --loglevel=error)

# With the sanitizer build, a report of undefined behaviour gives its stack
# (other builds ignore this).
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1"

work=$(mktemp -d /tmp/credctl-e2e.XXXXXX)
chmod 711 "$work"  # other test uids must reach sockets below it
provider_pid=
credd_pid=
extra_pids=()
lib_cleanup() {
  [ -n "$credd_pid" ] && kill "$credd_pid" 2>/dev/null && wait "$credd_pid" 2>/dev/null
  [ -n "$provider_pid" ] && kill "$provider_pid" 2>/dev/null && wait "$provider_pid" 2>/dev/null
  for p in "${extra_pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap lib_cleanup EXIT

passed=0
failed=0
ok() { echo "PASS: $1"; passed=$((passed + 1)); }
bad() { echo "FAIL: $1"; failed=$((failed + 1)); }
expect() {  # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
finish() {
  if [ "$failed" -ne 0 ]; then
    # A sanitizer's report opens with the stack that matters; the last 50
    # lines alone would show only its shadow-memory map.
    local report='ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|: runtime error: '
    for f in "$work"/*.log; do
      [ -f "$f" ] || continue
      if grep -qE "$report" "$f"; then
        echo "--- $f: the sanitizer's report"
        sed -nE "/$report/,\$p" "$f" | head -n 80
      fi
      echo "--- $f"
      tail -n 50 "$f"
    done
  fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# The one way the scripts wait: polls COMMAND every 50 ms until it succeeds
# (0) or TIMEOUT seconds (decimals allowed) have passed; then it says on
# stderr what it waited for and returns 1. A script never sleeps to wait for
# something to happen; it waits for what it can observe (a file, a log line,
# a status answer, a provider counter, /proc). COMMAND may be a function.
wait_for() {  # TIMEOUT_SECONDS DESCRIPTION COMMAND...
  local timeout=$1 what=$2; shift 2
  local whole=${timeout%%.*} frac=
  [[ $timeout == *.* ]] && frac=${timeout#*.}
  frac=${frac}000000
  local deadline=$((${EPOCHREALTIME//[.,]/} + ${whole:-0} * 1000000 + 10#${frac:0:6}))
  until "$@"; do
    if [ "${EPOCHREALTIME//[.,]/}" -ge "$deadline" ]; then
      echo "wait_for: gave up after $timeout s waiting for $what" >&2
      return 1
    fi
    sleep 0.05
  done
}
# Whether process PID is gone (for wait_for).
exited() { ! kill -0 "$1" 2>/dev/null; }
# Whether a credd answers `credctl [OPTIONS...] status` (for wait_for).
credd_answers() { "$credctl" "$@" status >/dev/null 2>&1; }

start_provider() {
  node "$oidc/provider.mjs" --port 0 --ready-file "$work/issuer" "$@" >"$work/provider.out" 2>"$work/provider.log" &
  provider_pid=$!
  wait_for 10 "the provider to write its issuer to $work/issuer" test -s "$work/issuer"
  issuer=$(cat "$work/issuer")
  [ -n "$issuer" ]
}
stats() { curl -sf "$issuer/_test/stats"; }
refreshes() { stats | sed -E 's/.*"refresh_token":([0-9]+).*"token_errors".*/\1/'; }
reset_stats() { curl -sf -X POST "$issuer/_test/reset" >/dev/null; }
# The provider handles later refresh grants (rotates, counts) and holds
# their answers; `released N` sends them and holds true if N were held.
hold_refresh_answers() { curl -sf -X POST "$issuer/_test/hold?grant=refresh_token"; }
released() { [ "$(curl -sf -X POST "$issuer/_test/release" | python3 -c 'import json,sys; print(json.load(sys.stdin)["released"])')" = "$1" ]; }
userinfo_ok() { curl -sf -H "Authorization: Bearer $1" "$issuer/me" | grep -q '"sub":"demo-user"'; }

# A credd.toml at FILE with socket, state and provider `demo`; more TOML may
# be appended by the caller. The socket is 0666 so that policy, not file
# modes, decides what other uids may do.
write_config() {
  cat >"$1" <<TOML
socket      = "$work/run/credd.sock"
socket_mode = 0o666
state_dir   = "$work/state"

[limits]
idle_timeout_seconds = 5

$(demo_provider_toml)
TOML
  export CREDD_SOCKET=$work/run/credd.sock
}
# The provider NAME (default demo) of the test provider at $issuer, as a
# config table.
demo_provider_toml() {  # [NAME]
  printf '[providers.%s]\nissuer    = "%s"\nclient_id = "credctl-demo"\nscopes    = ["openid", "offline_access"]\n' \
    "${1:-demo}" "$issuer"
}

# A credd.toml at FILE whose provider demo is never contacted (the test asks
# for no token), for tests of the daemon alone.
write_offline_config() {  # FILE
  issuer=http://127.0.0.1:9
  write_config "$1"
}

start_credd() {  # CONFIG [WRAPPER...], e.g. prlimit --nofile=40:40
  "${@:2}" "$credd" --config "$1" 2>>"$work/credd.log" &
  credd_pid=$!
  wait_for 10 "credd to answer status on ${CREDD_SOCKET:-its socket}" credd_answers
}
stop_credd() {
  kill -TERM "$credd_pid"
  wait "$credd_pid"
  local rc=$?
  credd_pid=
  return $rc
}
# Sends credd SIGTERM and checks that it exits within BOUND_MS (WHAT says
# in what state, for the check's name: "with its sessions waiting").
expect_stop_within() {  # BOUND_MS WHAT
  local start elapsed
  start=$(now_ms)
  kill -TERM "$credd_pid"
  wait_for 10 "credd to stop $2" exited "$credd_pid"
  elapsed=$(($(now_ms) - start))
  expect "credd stopped in ${elapsed} ms $2 (bound: $1)" test "$elapsed" -lt "$1"
  wait "$credd_pid" 2>/dev/null
  credd_pid=
}

# The provider (with OPTIONS), a credd.toml of write_config at
# $work/credd.toml, and credd on it, checked as the test's first expectation.
start_demo_credd() {  # [provider.mjs options...]
  start_provider "$@"
  write_config "$work/credd.toml"
  expect "credd starts" start_credd "$work/credd.toml"
}

# Logs in to provider demo through the scripted browser.
login_demo() { BROWSER=$oidc/browser "$credctl" login demo "$@"; }

# Appends to the credd.toml at FILE an [audit] table writing to LOG
# (default $work/audit.jsonl).
audit_to() {  # FILE [LOG]
  printf '\n[audit]\nfile = "%s"\n' "${2:-$work/audit.jsonl}" >>"$1"
}

# Appends to the credd.toml at FILE a role ROLE holding PERMISSIONS (the
# inside of a TOML array) and one grant of it.
role_grant() {  # FILE ROLE PERMISSIONS GRANT_NAME RESOURCE CLIENT_INLINE_TABLES
  cat >>"$1" <<TOML

[roles.$2]
permissions = [$3]

[[grants]]
name = "$4"
roles = ["$2"]
resources = ["$5"]
clients = [$6]
TOML
}

# Appends to the credd.toml at FILE an audit log ($work/audit.jsonl), a role
# `reader` (credentials:token and :read) and one grant of it.
grant_reader() {  # FILE GRANT_NAME RESOURCE CLIENT_INLINE_TABLES
  audit_to "$1"
  role_grant "$1" reader '"credentials:token", "credentials:read"' "$2" "$3" "$4"
}

# A system test user (created once; CI runs as root).
ensure_user() {  # NAME [useradd options...]
  local name=$1; shift
  id "$name" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$@" "$name"
}
# Runs a command as NAME with its own groups (initgroups) and CREDD_SOCKET.
as_user() {  # NAME COMMAND...
  local name=$1; shift
  setpriv --reuid="$name" --regid="$name" --init-groups env CREDD_SOCKET="$CREDD_SOCKET" "$@"
}

# --- helpers of the OAuth tests (oauth_*_test.sh) ---------------------------
# A token of provider NAME valid for 2 h more (so a refresh) in $tok, and how
# long credctl took in $elapsed (ms).
timed_refresh() {  # NAME
  local start
  start=$(now_ms)
  tok=$("$credctl" token "$1" --min-valid 7200)
  elapsed=$(($(now_ms) - start))
}
# A field of the provider's /_test/stats, e.g. pstat token_requests.refresh_token.
pstat() {  # DOTTED.KEY [ISSUER]
  curl -sf "${2:-$issuer}/_test/stats" | python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"
}
# Milliseconds since the epoch.
now_ms() { date +%s%3N; }
# The state column of `credctl list` for PROVIDER.
cred_state() { "$credctl" list 2>/dev/null | awk -v p="$1" '$1 == p { print $2 }'; }
# Whether that state is STATE, e.g. wait_for 5 "..." cred_state_is demo refreshing.
cred_state_is() { [ "$(cred_state "$1")" = "$2" ]; }  # PROVIDER STATE

# A test PKI in $work/pki. test_ca NAME: a self-signed CA (NAME.pem,
# NAME.key). test_cert NAME CA EXTENSIONS: a leaf signed by CA, with
# EXTENSIONS as openssl extension lines (subjectAltName=..., ...).
test_ca() {
  mkdir -p "$work/pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=credctl test $1" \
    -keyout "$work/pki/$1.key" -out "$work/pki/$1.pem" 2>/dev/null
}
test_cert() {
  local d=$work/pki
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null &&
    printf '%s\n' "$3" >"$d/$1.ext" &&
    openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.pem" -CAkey "$d/$2.key" -CAcreateserial -days 2 \
      -extfile "$d/$1.ext" -out "$d/$1.pem" 2>/dev/null
}

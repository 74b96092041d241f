#!/usr/bin/env bash
# End-to-end: GET /v1/metrics against a real credd and the real provider,
# scraped over the socket and read with the Prometheus client's own text
# parser (metrics_parse.py).
# - after a scripted sequence (3 cached tokens, 1 refresh, 1 denial,
#   1 invalid_grant) every value is exactly what the test did;
# - no label holds a user name; counters do not reset on SIGHUP;
# - a real other uid without metrics:read is refused (403, audited and
#   counted); one with a grant of it on `metrics` reads them.
# Usage: metrics_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the metrics test runs other uids and so must run as root (as CI does)"
  finish
fi
# Debian's python3 (python3-prometheus-client), whatever else is on PATH.
py=/usr/bin/python3
other=credctl-mx    # granted nothing
scraper=credctl-ms  # granted metrics:read on metrics
for u in "$other" "$scraper"; do ensure_user "$u"; done

started=$(date +%s)
start_provider --access-ttl 3600
write_config "$work/credd.toml"
audit_to "$work/credd.toml"
role_grant "$work/credd.toml" metrics-reader '"metrics:read"' "the scraper reads metrics" metrics "{ user = \"$scraper\" }"
expect "credd starts with a grant of metrics:read" start_credd "$work/credd.toml"

# Scrapes as USER (root when empty) into FILE; prints the HTTP status. The
# body goes through this shell's redirection: other uids cannot write $work.
scrape() {  # FILE [USER]
  local cmd=(curl -s -w '%{stderr}%{http_code}' --unix-socket "$CREDD_SOCKET" http://localhost/v1/metrics)
  if [ -n "${2:-}" ]; then as_user "$2" "${cmd[@]}" 2>&1 >"$1"; else "${cmd[@]}" 2>&1 >"$1"; fi
}
metric() { "$py" "$(dirname "$0")/metrics_parse.py" "$1" value "$2"; }  # FILE SAMPLE
is() { [ "$(metric "$1" "$2")" = "$3" ] || { echo "  $2 is $(metric "$1" "$2"), not $3" >&2; return 1; }; }

# --- the scripted sequence ----------------------------------------------------
login_demo >/dev/null 2>>"$work/login.err"
expect "root logs in" test $? -eq 0
for i in 1 2 3; do "$credctl" token demo >/dev/null 2>>"$work/token.err" || bad "cached token $i"; done
"$credctl" token demo --min-valid 7200 >/dev/null 2>>"$work/token.err"
expect "a token valid longer than the cached one is refreshed" test "$(pstat token_requests.refresh_token)" -eq 1
as_user "$other" "$credctl" token --user root demo >/dev/null 2>"$work/denied.err"
expect "another uid is denied root's token (exit 3)" test $? -eq 3
curl -sf -X POST "$issuer/_test/revoke-all"
"$credctl" token demo --min-valid 7200 >/dev/null 2>"$work/ig.err"
expect "the revoked grant gives login_required (exit 4)" test $? -eq 4

# --- the scrape, by root --------------------------------------------------------
m=$work/m1.txt
expect "root scrapes: 200" test "$(scrape "$m")" = 200
expect "the Prometheus parser reads the whole answer" "$py" "$(dirname "$0")/metrics_parse.py" "$m" check
token_route='route="/v1/users/{user}/credentials/{provider}/token"'
expect "3 tokens from the cache" is "$m" 'credd_token_answers_total{source="cache"}' 3
expect "1 token from a refresh" is "$m" 'credd_token_answers_total{source="refresh"}' 1
expect "1 refresh ok" is "$m" 'credd_refreshes_total{provider="demo",outcome="ok"}' 1
expect "1 refresh invalid_grant" is "$m" 'credd_refreshes_total{provider="demo",outcome="invalid_grant"}' 1
expect "no other refresh outcome" is "$m" 'credd_refreshes_total{provider="demo",outcome="provider_unavailable"}' absent
expect "the histogram counted both refreshes" is "$m" 'credd_refresh_duration_seconds_count{provider="demo"}' 2
expect "every refresh is within the +Inf bucket" \
  is "$m" 'credd_refresh_duration_seconds_bucket{provider="demo",le="+Inf"}' 2
expect "5 token requests allowed (3 cached, 1 refresh, 1 invalid_grant)" \
  is "$m" "credd_requests_total{method=\"GET\",$token_route,decision=\"allowed\"}" 5
expect "1 token request denied" is "$m" "credd_requests_total{method=\"GET\",$token_route,decision=\"denied\"}" 1
expect "1 login stored" \
  is "$m" 'credd_requests_total{method="PUT",route="/v1/users/{user}/credentials/{provider}",decision="allowed"}' 1
expect "the scrape counts itself" is "$m" 'credd_requests_total{method="GET",route="/v1/metrics",decision="allowed"}' 1
expect "one credential, login_required" is "$m" 'credd_credentials{state="login_required"}' 1
expect "none valid" is "$m" 'credd_credentials{state="valid"}' 0
expect "the store was readable" is "$m" 'credd_store_readable' 1
expect "audit lines written match the audit file" \
  is "$m" 'credd_audit_lines_total{outcome="written"}' "$(wc -l <"$work/audit.jsonl")"
expect "no audit line suppressed" is "$m" 'credd_audit_lines_total{outcome="suppressed"}' 0
expect "no store failure" is "$m" 'credd_store_failures_total{operation="update"}' 0
expect "store writes counted" test "$(metric "$m" 'credd_store_operations_total{operation="update"}')" -ge 3
expect "one connection open: the scrape's" is "$m" 'credd_connections_open' 1
expect "none waiting" is "$m" 'credd_connections_waiting' 0
expect "none refused" is "$m" 'credd_connections_refused_total' 0
expect "build info carries the version" \
  bash -c "\"$credd\" --version | grep -qF \"\$(grep -o 'version=\"[^\"]*\"' '$m' | cut -d'\"' -f2)\""
start_time=$(metric "$m" credd_start_time_seconds)
expect "the start time is when credd started" test "$start_time" -ge "$started" -a "$start_time" -le "$(date +%s)"
expect "no label holds a user name" \
  bash -c "! '$py' '$(dirname "$0")/metrics_parse.py' '$m' labels | grep -qxE 'root|$other|$scraper'"

"$credctl" metrics >"$work/cli.txt" 2>"$work/cli.err"
expect "credctl metrics prints them to root" test $? -eq 0
expect "and its text parses" "$py" "$(dirname "$0")/metrics_parse.py" "$work/cli.txt" check
expect "with the same counts" is "$work/cli.txt" 'credd_token_answers_total{source="cache"}' 3

# --- who may read them ----------------------------------------------------------
expect "a uid without metrics:read is refused: 403" test "$(scrape "$work/refused.txt" "$other")" = 403
expect "with a forbidden problem" grep -q '"code":"forbidden"' "$work/refused.txt"
expect "naming the permission and the resource" grep -q 'metrics:read on metrics denied to' "$work/refused.txt"
expect "the refusal is audited" \
  grep -q "\"user\":\"$other\".*\"resource\":\"metrics\",\"permission\":\"metrics:read\",\"decision\":\"deny\"" \
  "$work/audit.jsonl"
as_user "$other" "$credctl" metrics >/dev/null 2>"$work/cli-refused.err"
expect "credctl metrics without metrics:read exits 3 (forbidden)" test $? -eq 3
expect "a uid granted metrics:read reads them: 200" test "$(scrape "$work/granted.txt" "$scraper")" = 200
expect "and its answer parses" "$py" "$(dirname "$0")/metrics_parse.py" "$work/granted.txt" check
as_user "$scraper" "$credctl" token --user root demo >/dev/null 2>&1
expect "the grant does not open root's credentials (exit 3)" test $? -eq 3

# --- counters never reset --------------------------------------------------------
kill -HUP "$credd_pid"
wait_for 10 "credd to log the reload" grep -q "configuration reloaded" "$work/credd.log"
m=$work/m2.txt
expect "root scrapes again after SIGHUP" test "$(scrape "$m")" = 200
expect "the cache count survives the reload" is "$m" 'credd_token_answers_total{source="cache"}' 3
expect "metrics requests: 4 allowed (root twice, credctl, the granted uid)" \
  is "$m" 'credd_requests_total{method="GET",route="/v1/metrics",decision="allowed"}' 4
expect "metrics requests: 2 denied (curl and credctl)" \
  is "$m" 'credd_requests_total{method="GET",route="/v1/metrics",decision="denied"}' 2
finish

#!/usr/bin/env bash
# credd paces the refreshes that one caller makes it ask for
# (limits.refresh_burst, limits.refresh_interval_seconds). Before, any uid
# allowed a token could make every request an upstream refresh at the
# provider: a --min-valid over the access token's lifetime, a new --scope
# set each time, or a scope the provider refuses. Each is a request to the
# provider's token endpoint under credd's client id (and a durable write),
# so one local user could make credd flood the provider, which may then
# throttle credd's client id for every user of the host. Now each caller
# account has a budget of refreshes of each credential (a burst, then one
# per interval); over it, the caller gets a still valid cached token of the
# scope set it asked for, or too_many_requests. Checked here, with real
# uids: a granted uid's refreshes of the owner's token stop at the burst
# whatever it asks for, and it keeps getting tokens; a refresh the provider
# refuses is charged too; the owner's own budget is untouched; a new login
# does not give the budget back; credd warns once, not once per request;
# and the budget refills at its interval.
# Usage: refresh_pace_test.sh CREDD CREDCTL (as root, as in CI).
# OLD_CONFIG=1: no pacing keys, for running against a credd from before them.
set -uo pipefail
credd=$(realpath "$1")
credctl=$(realpath "$2")
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the refresh pace test runs callers as test users and so must run as root (as CI does)"
  finish
fi

owner=credctl-ro    # owns the credential
hostile=credctl-rx  # granted her token; asks for refreshes of it
for u in "$owner" "$hostile"; do ensure_user "$u"; done
hostile_uid=$(id -u "$hostile")
owner_uid=$(id -u "$owner")
burst=4

# Access tokens live 1 h: --min-valid 7200 is a refresh on every request
# the budget lets through, and a token refreshed moments ago stays valid
# for the whole test.
start_provider --access-ttl 3600
write_config "$work/credd.toml"
pace() {  # BURST INTERVAL: the pacing keys under [limits] of $work/credd.toml
  [ "${OLD_CONFIG:-0}" = 1 ] && return
  sed -i -e '/^refresh_burst = /d' -e '/^refresh_interval_seconds = /d' \
    -e "s/^\[limits\]$/[limits]\nrefresh_burst = $1\nrefresh_interval_seconds = $2/" "$work/credd.toml"
}
# An hour between refills: no refill comes during the first part, however
# slow the machine (or a sanitizer build) makes its 56 asks and two logins.
pace "$burst" 3600
grant_reader "$work/credd.toml" "the hostile uid reads the owner's demo" "credentials/$owner/demo" \
  "{ user = \"$hostile\" }"
expect "credd starts" start_credd "$work/credd.toml"

owner_login() {
  as_user "$owner" env BROWSER="$oidc/browser" HOME="$work" "$credctl" login demo >/dev/null 2>"$work/login.err"
}
# Asks COUNT times, as USER, for the owner's demo token with OPTIONS (a
# "%d" in them is the ask's number) and tallies how the asks ended: $got
# (exit 0 with a token, each token a line of $work/got), $paced (exit 5
# saying "too many refreshes" of the credential), $other (anything else).
# The last paced ask's stderr stays in $work/paced.err.
asks() {  # COUNT USER OPTIONS...
  local count=$1 user=$2 i o rc t
  shift 2
  got=0 paced=0 other=0
  : >"$work/got"
  for i in $(seq "$count"); do
    local opts=()
    for o in "$@"; do opts+=("${o//%d/$i}"); done
    t=$(as_user "$user" "$credctl" token --user "$owner" demo "${opts[@]}" 2>"$work/ask.err")
    rc=$?
    if [ "$rc" -eq 0 ] && [ -n "$t" ]; then
      got=$((got + 1))
      printf '%s\n' "$t" >>"$work/got"
    elif [ "$rc" -eq 5 ] && grep -qF "too many refreshes of credentials/$owner/demo" "$work/ask.err"; then
      paced=$((paced + 1))
      cp "$work/ask.err" "$work/paced.err"
    else
      other=$((other + 1))
      [ "$other" -eq 1 ] && echo "ask $i by $user ended with $rc: $(head -c 300 "$work/ask.err")"
    fi
  done
}
# Every request to the provider's token endpoint with the refresh_token
# grant, those it refuses (invalid_scope) included.
upstream() { pstat token_requests.refresh_token; }

owner_login
expect "the owner logs in" test $? -eq 0

# --- a --min-valid over the token's lifetime, 30 times --------------------
reset_stats
asks 30 "$hostile" --min-valid 7200
n=$(upstream)
expect "30 asks of the hostile uid for 2 h of validity: $n upstream refreshes (the burst: $burst)" \
  test "$n" -eq "$burst"
expect "each of the 30 still got a token ($got; too_many_requests $paced, other $other)" test "$got" -eq 30

# --- a new scope set each time --------------------------------------------
reset_stats
asks 20 "$hostile" --scope "openid x%d"
n=$(upstream)
expect "20 asks with a new scope set each: $n upstream refreshes (the budget is spent)" test "$n" -eq 0
expect "each is answered too_many_requests, exit 5 ($paced of 20; tokens $got, other $other)" test "$paced" -eq 20
expect "and credctl says why, naming the credential" \
  grep -qF "too many refreshes of credentials/$owner/demo" "$work/paced.err"

# --- the owner's budget is her own ----------------------------------------
reset_stats
t=$(as_user "$owner" "$credctl" token demo --min-valid 7200 2>"$work/owner.err")
rc=$?
n=$(upstream)
expect "the owner's own ask for 2 h of validity is served (exit $rc)" test "$rc" -eq 0 -a -n "$t"
expect "with one upstream refresh of her own budget ($n)" test "$n" -eq 1

# --- a new login gives nothing back --------------------------------------
owner_login
expect "the owner logs in again" test $? -eq 0
reset_stats
login_token=$(as_user "$owner" "$credctl" token demo 2>/dev/null)
asks 5 "$hostile" --min-valid 7200
n=$(upstream)
expect "5 more asks of the hostile uid after the new login: $n upstream refreshes" test "$n" -eq 0
same=$(grep -cxF -- "$login_token" "$work/got")
expect "each got the new login's token, as the owner does ($same of 5; too_many_requests $paced, other $other)" \
  test -n "$login_token" -a "$got" -eq 5 -a "$same" -eq 5

# --- one warning, not one per request -------------------------------------
warned() {  # UID: credd's warnings about that uid's refreshes of the owner's demo
  grep -cF "uid $1 asks for refreshes of credentials/$owner/demo faster than" "$work/credd.log"
}
w=$(warned "$hostile_uid")
expect "credd warned of the hostile uid (uid $hostile_uid) for its 51 asks over the budget, not for each ($w lines)" \
  test "$w" -ge 1 -a "$w" -le 2
w=$(warned "$owner_uid")
expect "and never of the owner ($w lines)" test "$w" -eq 0
expect "credd stops cleanly" stop_credd

# --- the budget refills; a refused refresh is charged ----------------------
# A fresh credd (the budget is in its memory), one refresh at once, then one
# per 6 s.
interval=6
pace 1 "$interval"
expect "credd starts again, paced at 1 refresh per $interval s" start_credd "$work/credd.toml"
reset_stats
asks 1 "$hostile" --min-valid 7200
first=$(now_ms)
n1=$(upstream)
asks 1 "$hostile" --min-valid 7200
soon=$(($(now_ms) - first))
n2=$(upstream)
expect "a first ask refreshes ($n1), and one ${soon} ms later does not ($((n2 - n1)) more)" \
  test "$n1" -eq 1 -a "$n2" -eq 1
expect "and the second still got the token refreshed by the first" test "$got" -eq 1
# The one sleep of the test: the interval itself, from the end of the first
# ask (its refresh was charged before that), with a margin.
left=$((first + interval * 1000 + 300 - $(now_ms)))
[ "$left" -gt 0 ] && sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
# A scope the grant does not hold: the provider refuses the refresh.
as_user "$hostile" "$credctl" token --user "$owner" demo --scope "openid x0" >/dev/null 2>"$work/refused.err"
rc=$?
n3=$(upstream)
asks 1 "$hostile" --min-valid 7200
n4=$(upstream)
expect "after $interval s the budget has one refresh again ($((n3 - n2)) more), for one the provider refuses" \
  test "$n3" -eq 2 -a "$rc" -ne 0
expect "credctl says the provider refused it (exit $rc, invalid_scope)" grep -qF "invalid_scope" "$work/refused.err"
expect "which is charged: an ask at once after it does not refresh ($((n4 - n3)) more)" test "$n4" -eq 2
expect "and still gets a token ($got)" test "$got" -eq 1
expect "credd stops cleanly at the end" stop_credd

finish

#!/usr/bin/env bash
# Whose token `credctl token PROVIDER` asks for without --user: the caller's,
# as credd names the caller's uid (the path's {user} is `~`, docs/api.md),
# not as the caller's own /etc/passwd names it. A container or a mount
# namespace may bind another /etc/passwd, in which the caller's uid has
# another user's name or none; credd's view is the one its policy and store
# use. Real users, a real mount namespace, the real provider.
# Usage: cli_caller_name_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$(realpath "$1")
credctl=$(realpath "$2")
here=$(dirname "$0")
. "$here/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the caller-name tests create users and mount namespaces and so must run as root (as CI does)"
  finish
fi

carol=credctl-nc   # the caller
dave=credctl-nd    # the name carol's uid has in the other /etc/passwd
for u in "$carol" "$dave"; do ensure_user "$u"; done
chmod 755 "$work"

start_demo_credd --access-ttl 3600  # one token each, served from the cache: equal tokens are the same credential
for u in "$carol" "$dave"; do
  as_user "$u" env BROWSER="$oidc/browser" HOME="$work" "$credctl" login demo >/dev/null 2>"$work/login-$u.err"
  expect "$u logs in as their own uid" test $? -eq 0
done

# An /etc/passwd in which carol's uid is dave, and one without carol's uid.
carol_uid=$(id -u "$carol")
awk -F: -v u="$carol_uid" -v d="$dave" 'BEGIN { OFS = ":" } $3 == u { $1 = d } { print }' /etc/passwd >"$work/passwd.renamed"
awk -F: -v u="$carol_uid" '$3 != u' /etc/passwd >"$work/passwd.without"
chmod 644 "$work/passwd.renamed" "$work/passwd.without"

# Runs COMMAND as carol where PASSWD is /etc/passwd (a mount namespace of its
# own; credd, outside it, keeps the real one).
as_carol_with() {  # PASSWD COMMAND...
  local passwd=$1; shift
  unshare --mount --propagation private sh -c 'mount --bind "$1" /etc/passwd && shift && exec "$@"' sh \
    "$passwd" setpriv --reuid="$carol_uid" --regid="$(id -g "$carol")" --clear-groups \
    env CREDD_SOCKET="$CREDD_SOCKET" HOME="$work" "$@"
}
expect "in the namespace, carol's uid is named $dave" \
  test "$(as_carol_with "$work/passwd.renamed" id -un)" = "$dave"

own=$(as_user "$carol" "$credctl" token demo); rc=$?
expect "carol gets her token as usual" test $rc -eq 0 -a -n "$own"
expect "the provider accepts it" userinfo_ok "$own"

logged=$(wc -l <"$work/credd.log")
t=$(as_carol_with "$work/passwd.renamed" "$credctl" token demo 2>"$work/renamed.err"); rc=$?
expect "where her uid is named $dave, carol still gets her own token (exit $rc: $(head -c 300 "$work/renamed.err"))" \
  test $rc -eq 0 -a "$t" = "$own"
tail -n +$((logged + 1)) "$work/credd.log" >"$work/renamed.log"
expect "credd logged carol's resource for that request" \
  grep -q "\"uid\":$carol_uid,.*\"resource\":\"credentials/$carol/demo\",\"permission\":\"credentials:token\",\"decision\":\"allow\"" "$work/renamed.log"
expect "nothing asked for $dave's credential" \
  sh -c "! grep -q '\"uid\":$carol_uid,.*\"resource\":\"credentials/$dave/' '$work/credd.log'"

t=$(as_carol_with "$work/passwd.without" "$credctl" token demo 2>"$work/without.err"); rc=$?
expect "where her uid has no name, carol still gets her own token (exit $rc: $(head -c 300 "$work/without.err"))" \
  test $rc -eq 0 -a "$t" = "$own"
as_carol_with "$work/passwd.without" "$credctl" exec demo -- sh -c 'test "$CREDCTL_ACCESS_TOKEN" = "$1"' sh "$own"
expect "and so does credctl exec" test $? -eq 0

# The other commands, without --user, ask credd for the caller's name
# (GET /v1/whoami) and name the caller by it.
for passwd in renamed without; do
  listing=$(as_carol_with "$work/passwd.$passwd" "$credctl" list -o json 2>"$work/list-$passwd.err"); rc=$?
  expect "with the $passwd passwd, credctl list lists carol's credential (exit $rc: $(head -c 300 "$work/list-$passwd.err"))" \
    grep -q "\"user\":\"$carol\",\"provider\":\"demo\"" <<<"$listing"
  expect "and no one else's" sh -c '! grep -q "\"user\":\"$1\"" <<EOF
$2
EOF' sh "$dave" "$listing"
  as_carol_with "$work/passwd.$passwd" "$credctl" status >"$work/status-$passwd.out" 2>&1
  expect "with the $passwd passwd, credctl status shows carol's credentials" \
    grep -qx "Credentials of $carol:" "$work/status-$passwd.out"
done

# The API itself: ~ in the path is the caller.
t=$(as_user "$dave" curl -sf --unix-socket "$CREDD_SOCKET" 'http://localhost/v1/users/~/credentials/demo/token' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
dave_own=$(as_user "$dave" "$credctl" token demo)
expect "GET /v1/users/~/credentials/demo/token is dave's own token for dave" test -n "$t" -a "$t" = "$dave_own"
listing=$(as_user "$dave" curl -sf --unix-socket "$CREDD_SOCKET" 'http://localhost/v1/users/~/credentials')
expect "GET /v1/users/~/credentials lists dave's" grep -q "\"user\":\"$dave\"" <<<"$listing"

# A credd from before ~ (a per-user daemon an upgrade left running) refuses
# it as a name; credctl asks again by its own name. Played by a proxy in
# front of the real credd: it answers ~ as such a credd did and passes every
# other request on. It runs as carol, as her per-user daemon would, so
# credctl trusts it and credd sees carol.
install -d -o "$carol" -m 700 "$work/carol"
setpriv --reuid="$carol_uid" --regid="$(id -g "$carol")" --clear-groups \
  /usr/bin/python3 "$here/fake_daemon.py" "$work/carol/old.sock" "$work/carol/old.record" \
  --before-caller-alias "$CREDD_SOCKET" &
old_pid=$!
wait_for 5 "the old-credd proxy to listen" test -S "$work/carol/old.sock"
t=$(setpriv --reuid="$carol_uid" --regid="$(id -g "$carol")" --clear-groups \
  env CREDD_SOCKET="$work/carol/old.sock" HOME="$work" "$credctl" token demo 2>"$work/old.err"); rc=$?
expect "a credd that refuses ~ is asked again by name (exit $rc: $(head -c 300 "$work/old.err"))" \
  test $rc -eq 0 -a "$t" = "$own"
expect "first with ~, then with the name credd gives carol" \
  test "$(grep -a '^GET ' "$work/carol/old.record" | cut -d' ' -f2 | cut -d? -f1 | tr '\n' ' ')" = \
  "/v1/users/~/credentials/demo/token /v1/whoami /v1/users/$carol/credentials/demo/token "
# credctl status says that credd is not of credctl's version, and what to do.
setpriv --reuid="$carol_uid" --regid="$(id -g "$carol")" --clear-groups \
  env CREDD_SOCKET="$work/carol/old.sock" HOME="$work" "$credctl" status >"$work/old-status.out" 2>&1
expect "credctl status names the older credd's version" grep -q '^credd 0\.0\.1 at ' "$work/old-status.out"
version=$("$credctl" --version | head -1 | awk '{print $2}')
expect "and says it is older, to be restarted" \
  grep -q "^note: *this credctl is $version, credd 0\.0\.1 is older; restart credd" "$work/old-status.out"
as_user "$carol" env CREDD_SOCKET="$CREDD_SOCKET" "$credctl" status >"$work/same-status.out" 2>&1
rc=$?
expect "credctl status through credd itself works (exit $rc)" \
  grep -q "^credd $version at " "$work/same-status.out"
expect "and a credd of credctl's own version gets no note" sh -c "! grep -q '^note:' '$work/same-status.out'"
kill "$old_pid" 2>/dev/null; wait "$old_pid" 2>/dev/null

# A uid credd knows no name of: a clear error, no token.
nameless=4242
while getent passwd "$nameless" >/dev/null; do nameless=$((nameless + 1)); done
t=$(setpriv --reuid="$nameless" --regid="$nameless" --clear-groups env CREDD_SOCKET="$CREDD_SOCKET" HOME="$work" \
  "$credctl" token demo 2>"$work/nameless.err"); rc=$?
expect "a uid without a name is refused with exit 2" test $rc -eq 2 -a -z "$t"
expect "and told to name the user" \
  grep -qx "credctl: uid $nameless has no user name; name the user (credctl: --user)" "$work/nameless.err"

listing=$(setpriv --reuid="$nameless" --regid="$nameless" --clear-groups env CREDD_SOCKET="$CREDD_SOCKET" HOME="$work" \
  "$credctl" list 2>"$work/nameless-list.err"); rc=$?
expect "credctl list for such a uid fails with exit 2" test $rc -eq 2 -a -z "$listing"
expect "and is told to pass --user" \
  grep -qx "credctl: credd knows no user name for uid $nameless; pass --user" "$work/nameless-list.err"

# A provider name credd would refuse is refused before credd is asked.
t=$(as_user "$carol" "$credctl" token 'de/mo' 2>"$work/badname.err"); rc=$?
expect "an invalid provider name is a usage error (exit 2)" test $rc -eq 2 -a -z "$t"
expect "and named as such" grep -qx "credctl: invalid provider name: de/mo" "$work/badname.err"

# Logout and login, where carol's uid is named dave: carol's credential
# goes and comes back, dave's stays.
logged=$(wc -l <"$work/credd.log")
as_carol_with "$work/passwd.renamed" "$credctl" logout --no-revoke demo 2>"$work/logout.err"; rc=$?
expect "where her uid is named $dave, carol logs out (exit $rc: $(head -c 300 "$work/logout.err"))" test $rc -eq 0
expect "and is told it was her credential" grep -q "^Forgot credentials/$carol/demo " "$work/logout.err"
as_user "$carol" "$credctl" token demo >/dev/null 2>&1
expect "carol's credential is gone (not found)" test $? -eq 7
expect "$dave's is not" test "$(as_user "$dave" "$credctl" token demo)" = "$dave_own"
as_carol_with "$work/passwd.renamed" env BROWSER="$oidc/browser" "$credctl" login demo >/dev/null 2>"$work/relogin.err"
rc=$?
expect "where her uid is named $dave, carol logs in again (exit $rc: $(head -c 300 "$work/relogin.err"))" test $rc -eq 0
t=$(as_user "$carol" "$credctl" token demo); rc=$?
expect "as her own credential" test $rc -eq 0 -a -n "$t"
expect "and $dave's token is still his" test "$(as_user "$dave" "$credctl" token demo)" = "$dave_own"
tail -n +$((logged + 1)) "$work/credd.log" >"$work/relogin.log"
expect "credd logged carol's resource for the logout and the login" \
  test "$(grep -c "\"uid\":$carol_uid,.*\"resource\":\"credentials/$carol/demo\",\"permission\":\"credentials:\(delete\|login\)\",\"decision\":\"allow\"" "$work/relogin.log")" -eq 2
expect "and nothing of $dave's for carol" \
  sh -c "! grep -q '\"uid\":$carol_uid,.*\"resource\":\"credentials/$dave/' '$work/credd.log'"

finish

#!/usr/bin/env bash
# End-to-end policy: real users, groups, executables, a real cgroup named as
# a systemd unit, a user namespace, a caller that exits before it is
# identified, SIGHUP reload and the audit log, against a real credd and the
# real provider. Usage: policy_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$(realpath "$1")
credctl=$(realpath "$2")  # credd reports executables by absolute path
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the policy tests create users and cgroups and so must run as root (as CI does)"
  finish
fi

alice=credctl-pa   # owns the credential
batch=credctl-pb   # granted by user + exe
ops=credctl-po     # granted by supplementary group
other=credctl-px   # granted nothing
hasher=credctl-ph  # granted by uid + exe hash
group=credctl-pg
getent group "$group" >/dev/null || groupadd --system "$group"
for u in "$alice" "$batch" "$other" "$hasher"; do ensure_user "$u"; done
ensure_user "$ops" --groups "$group"
unit=credctl-nightly.service

mkdir -p "$work/bin"
cp "$credctl" "$work/bin/sync"
# credctl loads its commands module from beside the copy (cli/front.cpp).
mkdir -p "$work/libexec/credctl"
cp "$(dirname "$credctl")/../libexec/credctl/credctl-commands.so" "$work/libexec/credctl/"
# The binary pinned by hash is a copy of curl, not of credctl: a sanitizer
# build of credctl is over credd's 128 MiB executable-hashing cap, and a
# binary over it is never hashed, so never matches.
curl=$(command -v curl)
cp "$curl" "$work/bin/hashed"
printf 'x' >>"$work/bin/hashed"   # same program, other bytes, other hash
chmod 755 "$work/bin" "$work/bin/sync" "$work/bin/hashed"
hashed_sha=$(sha256sum "$work/bin/hashed" | cut -d' ' -f1)

start_provider
write_config "$work/credd.toml"
grant_reader "$work/grants.toml" "nightly sync" "credentials/$alice/demo" \
  "{ user = \"$batch\", exe = \"$work/bin/sync\" }, { systemd_unit = \"$unit\" }"
cat >>"$work/grants.toml" <<TOML

[[grants]]
name = "ops group"
roles = ["reader"]
resources = ["credentials/$alice/*"]
clients = [{ group = "$group" }]

[[grants]]
name = "pinned binary"
roles = ["reader"]
resources = ["credentials/*/demo"]
clients = [{ uid = $(id -u "$hasher"), exe_sha256 = "$hashed_sha" }]
TOML
cp "$work/credd.toml" "$work/base.toml"
cat "$work/grants.toml" >>"$work/credd.toml"
expect "credd starts with roles, grants and an audit log" start_credd "$work/credd.toml"

# alice logs in herself, through the scripted browser, as her own uid.
as_user "$alice" env BROWSER="$oidc/browser" HOME="$work" "$credctl" login demo >/dev/null 2>"$work/login.err"
expect "alice logs in as her own uid" test $? -eq 0

token_as() {  # USER [credctl path] -> prints token, returns credctl's status
  local who=$1 bin=${2:-$credctl}
  as_user "$who" "$bin" token --user "$alice" demo
}

# --- who may have alice's token ------------------------------------------
t=$(token_as "$alice"); expect "the owner gets her token" test -n "$t"
expect "the provider accepts it" userinfo_ok "$t"

t=$(token_as "$batch" "$work/bin/sync" 2>"$work/batch.err"); rc=$?
expect "batch running the granted executable gets alice's token" test $rc -eq 0 -a -n "$t"
t=$(token_as "$batch" 2>"$work/batch2.err"); rc=$?
expect "batch running another executable is denied (exit 3)" test $rc -eq 3 -a -z "$t"
expect "the denial names permission, resource, caller and the differing field" \
  grep -q "credentials:token on credentials/$alice/demo denied to $batch: .*grant \"nightly sync\" covers it but exe $credctl is not $work/bin/sync" "$work/batch2.err"

t=$(token_as "$ops" 2>/dev/null); rc=$?
expect "a member of the granted supplementary group gets it" test $rc -eq 0 -a -n "$t"
t=$(setpriv --reuid="$ops" --regid="$ops" --clear-groups env CREDD_SOCKET="$CREDD_SOCKET" "$credctl" token --user "$alice" demo 2>/dev/null); rc=$?
expect "the same uid without that group is denied" test $rc -eq 3 -a -z "$t"

curl_token_as() {  # USER CURL_BINARY -> prints the answer's body, a newline, its HTTP status
  as_user "$1" "$2" -s -w '\n%{http_code}' --unix-socket "$CREDD_SOCKET" \
    "http://localhost/v1/users/$alice/credentials/demo/token"
}
r=$(curl_token_as "$hasher" "$work/bin/hashed"); code=${r##*$'\n'}
t=$(sed -nE 's/.*"access_token": *"([^"]+)".*/\1/p' <<<"${r%$'\n'*}")
expect "the uid running the binary with the pinned hash gets it (200, not $code)" test "$code" = 200 -a -n "$t"
expect "the provider accepts that token" userinfo_ok "$t"
code=$(curl_token_as "$hasher" "$curl" | tail -n 1)
expect "the same uid running a binary with another hash is denied (403, not $code)" test "$code" = 403
# exe matches by path as the caller's mount namespace shows it (documented);
# exe_sha256 hashes the file actually running, so a bind mount over the
# pinned binary in a private namespace does not pass.
# The binary mounted over it is curl as installed (the pinned copy has one
# byte more); credctl itself does not talk to a daemon it sees as the
# overflow uid (cli_squat_test.sh).
code=$(as_user "$hasher" unshare -Urm sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
      sh "$curl" "$work/bin/hashed" "$work/bin/hashed" -s -o /dev/null -w '%{http_code}' \
      --unix-socket "$CREDD_SOCKET" "http://localhost/v1/users/$alice/credentials/demo/token" 2>"$work/bind.err")
expect "another binary bind-mounted over the pinned one (unshare -Urm) is denied (403, not $code)" test "$code" = 403
expect "though credd saw the pinned binary's path" \
  grep -q "\"uid\":$(id -u "$hasher"),.*\"exe\":\"$work/bin/hashed\",.*\"decision\":\"deny\"" "$work/audit.jsonl"

t=$(token_as "$other" 2>"$work/other.err"); rc=$?
expect "another uid is denied with exit 3 and no token" test $rc -eq 3 -a -z "$t"
expect "its message says why in one line" \
  bash -c "[ \$(wc -l <'$work/other.err') -eq 1 ] && grep -q '^credctl: credentials:token on credentials/$alice/demo denied to $other: no grant gives' '$work/other.err'"
as_user "$other" "$credctl" logout --user "$alice" demo >/dev/null 2>&1
expect "another uid cannot delete alice's credential" test $? -eq 3
as_user "$batch" "$work/bin/sync" logout --user "$alice" demo >/dev/null 2>&1
expect "a reader grant does not allow delete" test $? -eq 3

# credd's side, asked directly: credctl itself does not talk to a daemon it
# sees as the overflow uid (cli_squat_test.sh), so curl asks instead.
code=$(as_user "$other" unshare -Ur curl -s -o /dev/null -w '%{http_code}' --unix-socket "$CREDD_SOCKET" \
  "http://localhost/v1/users/$alice/credentials/demo/token")
expect "root inside a user namespace is still the outside uid and is denied (403, not $code)" test "$code" = 403
t=$(as_user "$other" unshare -Ur "$credctl" token --user "$alice" demo 2>"$work/userns.err"); rc=$?
expect "credctl in a user namespace does not trust a daemon it sees as unmapped (exit 6, no token)" \
  test $rc -eq 6 -a -z "$t"
expect "the audit log records that caller by its real uid" \
  grep -q "\"uid\":$(id -u "$other"),.*\"decision\":\"deny\"" "$work/audit.jsonl"

# --- a systemd unit, as a real cgroup where systemd puts one ----------------
# (a unit is the first component after the slices; see unit_identity_test.sh
# for cgroups named like a unit that are not one)
cgroot=$(findmnt -n -t cgroup2 -o TARGET | head -1)
[ -n "$cgroot" ] || cgroot=$(findmnt -n -o TARGET /sys/fs/cgroup/systemd 2>/dev/null)
cg=$cgroot/system.slice/$unit
[ -d "$cgroot/system.slice" ] || made_slice=1
if mkdir -p "$cg" 2>/dev/null; then
  t=$(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
        setpriv --reuid="$other" --regid="$other" --clear-groups env CREDD_SOCKET="$CREDD_SOCKET" \
        "$credctl" token --user "$alice" demo 2>"$work/unit.err"); rc=$?
  expect "a process in the granted unit's cgroup gets it, whatever its uid" test $rc -eq 0 -a -n "$t"
  expect "the audit line names the unit and the grant" \
    grep -q "\"unit\":\"$unit\",.*\"decision\":\"allow\",\"grant\":\"nightly sync\"" "$work/audit.jsonl"
  w=$(sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$credctl" whoami -o json)
  expect "whoami shows the unit" grep -q "\"systemd_unit\":\"$unit\"" <<<"$w"
  rmdir "$cg"
  [ -n "${made_slice:-}" ] && rmdir "$cgroot/system.slice" 2>/dev/null
else
  bad "cannot create a cgroup under $cgroot to stand for $unit"
fi

# --- whoami and policy check -------------------------------------------------
w=$(as_user "$batch" "$work/bin/sync" whoami -o json)
expect "whoami shows uid, exe and pidfd verification" \
  bash -c "grep -q '\"uid\":$(id -u "$batch"),' <<<'$w' && grep -q '\"exe\":\"$work/bin/sync\"' <<<'$w' && grep -q '\"verified\":true,\"liveness\":\"pidfd\"' <<<'$w'"
expect "whoami lists the grant that matches" grep -q '"name":"nightly sync"' <<<"$w"
as_user "$ops" "$credctl" whoami >"$work/whoami.txt"
expect "whoami text shows the group grant" grep -q '^ops group' "$work/whoami.txt"
expect "whoami text shows the supplementary group" grep -q "supplementary $(getent group "$group" | cut -d: -f3)" "$work/whoami.txt"

"$credctl" policy check --user "$alice" --provider demo --as-uid "$(id -u "$batch")" --exe "$work/bin/sync" >"$work/check.out"
expect "policy check allows batch with the sync binary (exit 0)" test $? -eq 0
expect "and names the grant" grep -q "^allow: credentials:token on credentials/$alice/demo for $batch (uid $(id -u "$batch")), exe $work/bin/sync by grant \"nightly sync\"" "$work/check.out"
"$credctl" policy check --user "$alice" --provider demo --as-uid "$(id -u "$batch")" >"$work/check2.out" 2>/dev/null
expect "policy check denies batch without the exe (exit 3)" test $? -eq 3
expect "and says which field differs" grep -q "^deny: .*exe not known for certain is not $work/bin/sync" "$work/check2.out"
"$credctl" policy check --user "$alice" --provider demo --unit "$unit" >/dev/null
expect "policy check with --unit allows by the unit client" test $? -eq 0
"$credctl" policy check --user "$alice" --provider demo --permission delete --as-uid "$(id -u "$ops")" >/dev/null 2>&1
expect "policy check: the group grant does not give delete" test $? -eq 3
mkfifo "$work/fifo"
timeout 10 "$credctl" policy check --user "$alice" --provider demo --exe "$work/fifo" >"$work/fifo.out" 2>&1
rc=$?
timeout 1 sh -c ': <>"$1"' sh "$work/fifo"  # releases credd if it did block
expect "policy check --exe on a FIFO answers at once (deny, exit 3)" \
  bash -c "[ $rc -eq 3 ] && grep -q '^deny: ' '$work/fifo.out'"
expect "and credd still serves" "$credctl" status
as_user "$other" "$credctl" policy check --user "$alice" --provider demo >/dev/null 2>"$work/check3.err"
expect "policy check itself needs credentials:* (exit 3 for others)" \
  bash -c "[ $? -eq 3 ] && grep -q 'credentials:\* on credentials/\*/\* denied' '$work/check3.err'"

# --- a caller that exits before it is identified ----------------------------
kill -STOP "$credd_pid"
as_user "$alice" python3 - "$CREDD_SOCKET" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])  # queued in the backlog: credd is stopped
s.sendall(b"GET /v1/users/credctl-pa/credentials/demo/token HTTP/1.1\r\nHost: localhost\r\n\r\n")
PY
kill -CONT "$credd_pid"
wait_for 5 "the audit line of the vanished caller" grep -q 'exited before it could be identified' "$work/audit.jsonl"
expect "the owner's own request is denied when her process exited before it was identified" \
  grep -q "\"uid\":$(id -u "$alice"),.*\"decision\":\"deny\",\"grant\":null,\"reason\":\"the calling process exited before it could be identified\"" "$work/audit.jsonl"

# --- reload ------------------------------------------------------------------
cp "$work/credd.toml" "$work/good.toml"
cat >>"$work/credd.toml" <<TOML

[[grants]]
name = "other now allowed"
roles = ["reader"]
resources = ["credentials/$alice/demo"]
clients = [{ user = "$other" }]
TOML
reloads_done() { [ "$(grep -c 'configuration reloaded' "$work/credd.log")" -ge "$1" ]; }  # N
kill -HUP "$credd_pid"
wait_for 5 "the reload with 4 grants" grep -q 'configuration reloaded: 4 grant' "$work/credd.log"
t=$(token_as "$other" 2>/dev/null); rc=$?
expect "after SIGHUP with a new grant the other uid is allowed" test $rc -eq 0 -a -n "$t"
echo 'this is [ not toml' >>"$work/credd.toml"
kill -HUP "$credd_pid"
wait_for 5 "the invalid config's rejection" grep -q 'reload rejected' "$work/credd.log"
expect "an invalid config is rejected with a logged reason naming the file and line" \
  grep -q "reload rejected, keeping the current configuration: .*credd.toml:[0-9]*:" "$work/credd.log"
t=$(token_as "$other" 2>/dev/null); rc=$?
expect "and the previous policy stays in force" test $rc -eq 0 -a -n "$t"
sed -i '$d' "$work/credd.toml"
sed -i "s|file = \"$work/audit.jsonl\"|file = \"/dev/full\"|" "$work/credd.toml"
kill -HUP "$credd_pid"
wait_for 5 "the second reload" reloads_done 2
t=$(token_as "$other" 2>"$work/full.err"); rc=$?
expect "when the audit log cannot be written, a cross-user grant is refused (fail closed)" \
  bash -c "[ $rc -eq 3 ] && grep -q 'the audit log cannot be written, so access across users is refused' '$work/full.err'"
t=$(token_as "$alice" 2>/dev/null); rc=$?
expect "while the owner still gets her own token" test $rc -eq 0 -a -n "$t"
cp "$work/good.toml" "$work/credd.toml"
kill -HUP "$credd_pid"
wait_for 5 "the third reload" reloads_done 3
t=$(token_as "$other" 2>/dev/null); rc=$?
expect "reloading the original config takes the grant away again" test $rc -eq 3 -a -z "$t"

# --- the audit log --------------------------------------------------------------
expect "the audit log is mode 0600" test "$(stat -c %a "$work/audit.jsonl")" = 600
expect "it has allow lines with the grant name" grep -q '"decision":"allow","grant":"nightly sync"' "$work/audit.jsonl"
expect "it has deny lines" grep -q '"decision":"deny","grant":null' "$work/audit.jsonl"
expect "every line is JSON with the documented fields" python3 -c '
import json, sys
keys = {"time","request_id","pid","uid","user","exe","unit","resource","permission","decision","grant","reason"}
for line in open(sys.argv[1]):
    if set(json.loads(line)) != keys: sys.exit(1)
' "$work/audit.jsonl"
issued=$(curl -sf "$issuer/_test/issued" | grep -oE '"[A-Za-z0-9_-]{20,}"' | tr -d '"')
leaks=0
while read -r tok; do
  [ -n "$tok" ] && grep -qF -- "$tok" "$work/audit.jsonl" "$work/credd.log" && leaks=1
done <<<"$issued"
expect "no token issued by the provider appears in the audit log or credd's log" test $leaks -eq 0

finish

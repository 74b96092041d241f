#!/usr/bin/env bash
# End-to-end: every `credctl token -o FORMAT` is read back by the program
# that consumes it (python's JSON parser, a shell eval, curl, `git credential
# fill` with credctl as the helper, the AWS credential_process and Kubernetes
# ExecCredential contracts), `credctl exec` hands the token to a command, and
# list/status -o json parse. Usage: cli_output_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"

start_demo_credd --access-ttl 600
login_demo >/dev/null 2>"$work/login.err"
expect "login succeeds" test $? -eq 0

raw=$("$credctl" token demo)
expect "-o raw (default) is a token the provider accepts" userinfo_ok "$raw"
expect "-o raw is exactly the token and a newline" \
  bash -c "test \"\$('$credctl' token -o raw demo | od -c | tail -2 | head -1 | awk '{print \$NF}')\" = '\\n'"

# --- json ---------------------------------------------------------------
"$credctl" token -o json demo >"$work/token.json"
expect "-o json parses and carries the token, Bearer, expires_at in the future" python3 - "$work/token.json" "$raw" <<'PY'
import json, sys, time
d = json.load(open(sys.argv[1]))
assert d["access_token"] == sys.argv[2], "token differs"
assert d["token_type"] == "Bearer"
assert isinstance(d["expires_at"], int) and d["expires_at"] > time.time(), d["expires_at"]
assert "openid" in d["scope"].split()
PY

# --- env ------------------------------------------------------------------
envout=$("$credctl" token -o env demo)
expect "-o env evaluates in sh to the token" \
  sh -c 'eval "$1"; test "$CREDCTL_ACCESS_TOKEN" = "$2" && test "$CREDCTL_EXPIRES_AT" -gt "$(date +%s)"' _ "$envout" "$raw"
envout=$("$credctl" token -o env --env GITHUB_TOKEN demo)
expect "-o env --env NAME exports that name to child processes" \
  bash -c 'eval "$1"; test "$(sh -c "printf %s \"\$GITHUB_TOKEN\"")" = "$2"' _ "$envout" "$raw"
"$credctl" token -o env --env 'BAD-NAME' demo >/dev/null 2>&1
expect "-o env --env with an invalid name is a usage error (2)" test $? -eq 2

# --- header ---------------------------------------------------------------
expect "-o header is a header curl sends and the provider accepts" \
  bash -c "curl -sf -H \"\$('$credctl' token -o header demo)\" '$issuer/me' | grep -q '\"sub\":\"demo-user\"'"

# --- credential-process (AWS contract, Version 1) -------------------------
"$credctl" token -o credential-process demo >"$work/cp.json"
expect "-o credential-process follows the AWS credential_process contract" python3 - "$work/cp.json" "$raw" "$(id -un)" <<'PY'
import json, sys, datetime
d = json.load(open(sys.argv[1]))
assert d["Version"] == 1
assert d["AccessKeyId"] == sys.argv[3] + "/demo"
assert d["SecretAccessKey"] == sys.argv[2]
exp = datetime.datetime.strptime(d["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
assert exp > datetime.datetime.now(datetime.timezone.utc)
PY

# --- exec-credential (Kubernetes client-go exec plugin) -------------------
"$credctl" token -o exec-credential demo >"$work/ec.json"
KUBERNETES_EXEC_INFO='{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false}}' \
  "$credctl" token -o exec-credential demo >"$work/ec1beta1.json"
expect "-o exec-credential is an ExecCredential in the version kubectl asks for" python3 - "$work/ec.json" "$work/ec1beta1.json" "$raw" <<'PY'
import json, sys, datetime
for path, version in ((sys.argv[1], "client.authentication.k8s.io/v1"), (sys.argv[2], "client.authentication.k8s.io/v1beta1")):
    d = json.load(open(path))
    assert d["apiVersion"] == version, d["apiVersion"]
    assert d["kind"] == "ExecCredential"
    assert d["status"]["token"] == sys.argv[3]
    datetime.datetime.strptime(d["status"]["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
PY

# --- git-credential (git's credential-helper protocol) --------------------
export GIT_CONFIG_GLOBAL=$work/gitconfig GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
git config --global credential.helper "!$credctl token -o git-credential demo"
printf 'protocol=https\nhost=git.example.com\n\n' | git credential fill >"$work/git.out" 2>"$work/git.err"
expect "git credential fill succeeds with credctl as the helper" test $? -eq 0
expect "git credential fill gets the token as the password" grep -qxF "password=$raw" "$work/git.out"
expect "git credential fill gets a username" grep -qx "username=oauth2" "$work/git.out"
printf 'protocol=https\nhost=git.example.com\nusername=alice\n\n' | git credential fill >"$work/git2.out" 2>&1
expect "a username git already knows is kept" grep -qx "username=alice" "$work/git2.out"
printf 'protocol=https\nhost=git.example.com\nusername=oauth2\npassword=x\n\n' | git credential approve
expect "git credential approve (helper store) succeeds and prints nothing" test $? -eq 0
printf 'protocol=https\nhost=git.example.com\nusername=oauth2\npassword=x\n\n' | git credential reject
expect "git credential reject (helper erase) succeeds" test $? -eq 0
# A helper set for every host is asked for each: never a token in the clear
# to another host, nor as a certificate's passphrase.
printf 'protocol=http\nhost=attacker.example\n\n' | git credential fill >"$work/git_http.out" 2>&1
expect "git gets no token for a plain-http host" bash -c "! grep -q '^password=' '$work/git_http.out'"
for request in 'protocol=http\nhost=attacker.example\n' 'protocol=http\nhost=127.attacker.example\n' \
  'protocol=cert\npath=/home/alice/client.p12\n'; do
  printf "$request\n" | "$credctl" token -o git-credential demo get >"$work/git_refused.out"
  expect "credctl answers '${request//\\n/ }' with nothing, exit 0 (git goes on)" \
    test $? -eq 0 -a ! -s "$work/git_refused.out"
done
# Plain http to this machine: only to a server of the user's own. Any local
# user may listen on a loopback port, and git's request to it would carry
# the token in the clear to whoever did.
mallory=credctl-co-mallory
ensure_user "$mallory"
mkdir -p "$work/m" && chown "$mallory" "$work/m"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
listening_on() { ss -ltnH "sport = :$1" | grep -q .; }
theirs=$(free_port)
as_user "$mallory" python3 "$root/tests/integration/http_401_server.py" "$theirs" "$work/m/taken" >/dev/null 2>&1 &
wait_for 5 "another user's server on 127.0.0.1:$theirs" listening_on "$theirs"
git ls-remote "http://127.0.0.1:$theirs/repo.git" >/dev/null 2>&1
expect "git asked another user's loopback server" grep -q '^request /repo.git/' "$work/m/taken"
expect "which got no token" bash -c "! grep -qF '$raw' '$work/m/taken'"
printf 'protocol=http\nhost=localhost:%s\n\n' "$theirs" | "$credctl" token -o git-credential demo get >"$work/git_theirs.out"
expect "credctl answers another user's loopback server with nothing" test $? -eq 0 -a ! -s "$work/git_theirs.out"
printf 'protocol=http\nhost=127.0.0.1:%s\n\n' "$(free_port)" | "$credctl" token -o git-credential demo get >"$work/git_none.out"
expect "nor a port that nobody listens on" test ! -s "$work/git_none.out"
ours=$(free_port)
python3 "$root/tests/integration/http_401_server.py" "$ours" "$work/ours-taken" >/dev/null 2>&1 &
wait_for 5 "our own server on 127.0.0.1:$ours" listening_on "$ours"
git ls-remote "http://127.0.0.1:$ours/repo.git" >/dev/null 2>&1
expect "git asked our own loopback server: it got the token" grep -qxF "oauth2:$raw" "$work/ours-taken"
kill "$(cat "$work/m/taken.pid")" "$(cat "$work/ours-taken.pid")"
unset GIT_CONFIG_GLOBAL GIT_CONFIG_NOSYSTEM

# --- a token that cannot be written -----------------------------------------
"$credctl" token demo >/dev/full 2>"$work/full.err"
expect "a token that cannot be written exits 1, not 0" test $? -eq 1
expect "the message says why, without the token" \
  bash -c "grep -q 'cannot write the token to standard output: No space left on device' '$work/full.err' &&
    ! grep -qF '$raw' '$work/full.err'"

# --- exec -------------------------------------------------------------------
got=$("$credctl" exec demo --env MY_TOKEN -- sh -c 'printf %s "$MY_TOKEN"')
expect "credctl exec puts the token in the named variable" test "$got" = "$raw"
got=$("$credctl" exec --user "$(id -un)" demo -- sh -c 'printf %s "$CREDCTL_ACCESS_TOKEN"')
expect "credctl exec --user U uses CREDCTL_ACCESS_TOKEN by default" test "$got" = "$raw"
# CLI11 reads a word in [brackets] as a list: "a" "b" for '[a,b]'.
got=$("$credctl" exec demo -- printf '%s|' '[a,b]' '[ -n x ]' 2>&1)
expect "credctl exec runs words in [brackets] as given (got: $got)" test "$got" = '[a,b]|[ -n x ]|'
"$credctl" exec demo -- sh -c 'exit 42'
expect "credctl exec passes the command's exit status through" test $? -eq 42
"$credctl" exec demo -- /nonexistent/cmd 2>"$work/exec.err"
expect "credctl exec of a missing command exits 127" test $? -eq 127
expect "and says why" grep -qx "credctl: cannot run /nonexistent/cmd: No such file or directory" "$work/exec.err"
"$credctl" exec demo 2>/dev/null
expect "credctl exec without a command is a usage error (2)" test $? -eq 2
"$credctl" exec nosuch -- true 2>/dev/null
expect "credctl exec does not run the command when no token is had" test $? -ne 0

# --- list and status ---------------------------------------------------------
"$credctl" list -o json >"$work/list.json"
expect "list -o json parses and lists demo as valid" python3 -c '
import json, sys; d = json.load(open(sys.argv[1]))
items = d if isinstance(d, list) else d.get("credentials", [])
assert any(c["provider"] == "demo" and c["state"] == "valid" for c in items), d' "$work/list.json"
"$credctl" status -o json >"$work/status.json"
expect "status -o json parses: store ok, the socket, demo's state valid" python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); assert d["store"] == "ok", d
assert d["socket"] == sys.argv[2], d
assert [(c["provider"], c["state"]) for c in d["credentials"]] == [("demo", "valid")], d' "$work/status.json" "$CREDD_SOCKET"
"$credctl" status >"$work/status.txt"
expect "status lists each credential with its state in a table" \
  bash -c "grep -q '^Credentials of $(id -un):' '$work/status.txt' && grep -qE '^demo +valid +[0-9]{4}-' '$work/status.txt'"
"$credctl" list >"$work/list.txt"
expect "list prints an aligned table with a header" \
  awk 'NR==1 && /^PROVIDER +STATE/ {h=index($0,"STATE")} NR==2 {exit !(index($0,"valid")==h)}' "$work/list.txt"

# --- no token in error output ------------------------------------------------
leak=0
grep -qF "$raw" "$work/git.err" "$work/exec.err" "$work/credd.log" && leak=1
expect "the token appears in no error output or log" test $leak -eq 0

finish

#!/usr/bin/env bash
# End-to-end: another local user squats where credctl looks for credd.
# Without $XDG_RUNTIME_DIR (cron, su, ssh without logind) the per-user socket
# is /tmp/credd-UID/credd.sock, a name any user can take first. The squatter
# (a real uid, a real listening socket answering like credd with its own
# token, a "revoked" removal and its own token_endpoint) must get nothing
# and be believed in nothing:
# - its /tmp/credd-UID (its own directory, or a symlink to one) is ignored
#   with a warning naming the system socket as the next location;
# - a symlinked socket inside the victim's own 0700 directory is ignored too;
# - so is its credd/ below an $XDG_RUNTIME_DIR that is not the victim's own
#   (a shared directory such as /tmp, as a container or an su may set);
# - a socket it serves that the victim names explicitly (CREDD_SOCKET) is
#   refused on every command before a byte is sent: token, exec, logout,
#   login (no browser opens).
# Usage: cli_squat_test.sh CREDD CREDCTL
set -uo pipefail
credd=$1
credctl=$2
. "$(dirname "$0")/lib.sh"
victim=credctl-sq-victim
squatter=credctl-sq-squat
other_python=/usr/bin/python3  # other uids cannot use an interpreter under /root (pyenv)

start_demo_credd --access-ttl 600
ensure_user "$victim"
ensure_user "$squatter"
victim_uid=$(id -u "$victim")
squatter_uid=$(id -u "$squatter")
mkdir -p "$work/victim-home" && chown "$victim" "$work/victim-home"

# The victim logs in for real, through the real daemon.
as_user "$victim" env HOME="$work/victim-home" BROWSER="$oidc/browser" "$credctl" login demo 2>"$work/login.err"
expect "the victim logs in through the real credd" test $? -eq 0
real=$(as_user "$victim" env HOME="$work/victim-home" "$credctl" token demo)
expect "and gets a working token from it" userinfo_ok "$real"

# --- the squatter's daemon -------------------------------------------------------
cat >"$work/squatter.py" <<'PY'
import json, os, socket, sys, time
path, record, issuer = sys.argv[1], sys.argv[2], sys.argv[3]
providers = json.dumps([{"name": "demo", "issuer": issuer, "client_id": "credctl-demo",
                         "authorization_endpoint": issuer + "/auth",
                         "token_endpoint": "http://127.0.0.1:1/steal", "scopes": ["openid", "offline_access"]}])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
os.chmod(path, 0o666)
srv.listen(16)
while True:
    conn, _ = srv.accept()
    with conn:
        conn.settimeout(2)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        with open(record, "ab") as f:
            f.write(data)
        line = data.split(b"\r\n", 1)[0]
        if line.startswith(b"GET /v1/providers"):
            body = providers.encode()
        elif b"/token" in line:
            body = json.dumps({"access_token": "SQUATTER-TOKEN", "token_type": "Bearer",
                               "expires_at": int(time.time()) + 3600, "scope": "openid"}).encode()
        elif line.startswith(b"DELETE"):
            body = b'{"revoked":true}'
        else:
            body = b"[]"
        try:  # a careful client hangs up without a word
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (len(body), body))
        except OSError:
            pass
PY
chmod 644 "$work/squatter.py"
mkdir -p "$work/squat" && chown "$squatter" "$work/squat"
squat() {  # SOCKET RECORD: the squatter listens at SOCKET
  setpriv --reuid="$squatter" --regid="$squatter" --init-groups \
    "$other_python" "$work/squatter.py" "$1" "$2" "$issuer" 2>>"$work/squatter.log" &
  extra_pids+=($!)
  wait_for 5 "the squatter to listen on $1" test -S "$1"
}
# As the victim, without XDG_RUNTIME_DIR and CREDD_SOCKET: the /tmp fallback.
victim_run() {  # OUT ERR COMMAND...
  local out=$1 err=$2; shift 2
  setpriv --reuid="$victim" --regid="$victim" --init-groups \
    env -u CREDD_SOCKET -u XDG_RUNTIME_DIR HOME="$work/victim-home" "$@" >"$out" 2>"$err"
}
squat_dir=/tmp/credd-$victim_uid
cleanup_squat() { rm -rf "$squat_dir" "$work/squat"/*; }
cleanup_squat
trap 'cleanup_squat; lib_cleanup' EXIT

# --- 1. the squatter's own /tmp/credd-UID ----------------------------------------
setpriv --reuid="$squatter" --regid="$squatter" --init-groups mkdir -m 755 "$squat_dir"
expect "the squatter listens on the victim's per-user socket path" squat "$squat_dir/credd.sock" "$work/squat/rec1"
victim_run "$work/t1.out" "$work/t1.err" "$credctl" token demo
rc=$?
expect "credctl token does not succeed (exit $rc)" test "$rc" -ne 0
expect "and does not print the squatter's token" bash -c "! grep -q SQUATTER-TOKEN '$work/t1.out'"
expect "it warns that the per-user directory belongs to the squatter's uid" \
  grep -q "warning: ignoring the per-user socket $squat_dir/credd.sock: $squat_dir belongs to uid $squatter_uid, not to you (uid $victim_uid)" "$work/t1.err"
expect "and names the system socket as the next location" grep -q "Trying /run/credd/credd.sock" "$work/t1.err"
victim_run "$work/e1.out" "$work/e1.err" "$credctl" exec demo -- sh -c 'printf %s "$CREDCTL_ACCESS_TOKEN"'
expect "credctl exec does not run the command with the squatter's token" \
  bash -c "! grep -q SQUATTER-TOKEN '$work/e1.out'"
victim_run "$work/l1.out" "$work/l1.err" "$credctl" logout demo
expect "credctl logout does not claim a revocation" bash -c "! grep -q Revoked '$work/l1.err'"
expect "the squatter received no request at all" test ! -s "$work/squat/rec1"

# --- 2. a symlink to the squatter's directory --------------------------------------
cleanup_squat
mkdir -m 755 "$work/squat/dir" && chown "$squatter" "$work/squat/dir"
expect "the squatter listens in a directory of its own" squat "$work/squat/dir/credd.sock" "$work/squat/rec2"
ln -s "$work/squat/dir" "$squat_dir" && chown -h "$squatter" "$squat_dir"
victim_run "$work/t2.out" "$work/t2.err" "$credctl" token demo
expect "a symlinked /tmp/credd-UID is not followed" bash -c "! grep -q SQUATTER-TOKEN '$work/t2.out'"
expect "it is named in the warning" grep -q "warning: ignoring the per-user socket $squat_dir/credd.sock: $squat_dir is a symlink" "$work/t2.err"
expect "the squatter received nothing" test ! -s "$work/squat/rec2"

# --- 3. the victim's own 0700 directory, but the socket inside is a symlink -------
rm -f "$squat_dir"
mkdir -m 700 "$squat_dir" && chown "$victim" "$squat_dir"
ln -s "$work/squat/dir/credd.sock" "$squat_dir/credd.sock"
victim_run "$work/t3.out" "$work/t3.err" "$credctl" token demo
expect "a symlinked socket in the victim's own directory is not followed" \
  bash -c "! grep -q SQUATTER-TOKEN '$work/t3.out'"
expect "it is named in the warning" grep -q "warning: ignoring the per-user socket $squat_dir/credd.sock: $squat_dir/credd.sock is a symlink" "$work/t3.err"
expect "the squatter still received nothing" test ! -s "$work/squat/rec2"

# --- 4. the squatter's socket named explicitly: every connection is checked --------
sq=$work/squat/dir/credd.sock
refused="refusing to talk to $sq: it is served by uid $squatter_uid ($squatter)"
victim_run "$work/t4.out" "$work/t4.err" env CREDD_SOCKET="$sq" "$credctl" token demo
expect "token towards the squatter fails with exit 6" test $? -eq 6
expect "naming the squatter's uid" grep -qF "$refused" "$work/t4.err"
expect "and prints no token" bash -c "! grep -q SQUATTER-TOKEN '$work/t4.out'"
victim_run "$work/l4.out" "$work/l4.err" env CREDD_SOCKET="$sq" "$credctl" logout demo
expect "logout towards the squatter fails with exit 6" test $? -eq 6
expect "without claiming a revocation" bash -c "! grep -q Revoked '$work/l4.err'"
cat >"$work/marking-browser" <<SH
#!/bin/sh
touch "$work/squat/browser-opened"
exec "$oidc/browser" "\$@"
SH
chmod 755 "$work/marking-browser"
victim_run "$work/g4.out" "$work/g4.err" env CREDD_SOCKET="$sq" BROWSER="$work/marking-browser" "$credctl" login demo
expect "login towards the squatter fails with exit 6" test $? -eq 6
expect "before any browser opens" test ! -e "$work/squat/browser-opened"
for c in status providers list whoami; do
  victim_run "$work/$c.out" "$work/$c.err" env CREDD_SOCKET="$sq" "$credctl" "$c"
  expect "$c towards the squatter is refused too" grep -qF "$refused" "$work/$c.err"
done
expect "the squatter received no request from any of them" test ! -s "$work/squat/rec2"

# --- 5. $XDG_RUNTIME_DIR pointed at a shared directory ------------------------------
# (a container, an su): the squatter owns credd/ below it, as in 1.
shared=$work/shared
mkdir -m 1777 "$shared"
setpriv --reuid="$squatter" --regid="$squatter" --init-groups mkdir -m 755 "$shared/credd"
expect "the squatter listens on \$XDG_RUNTIME_DIR/credd/credd.sock" squat "$shared/credd/credd.sock" "$work/squat/rec5"
victim_run "$work/t5.out" "$work/t5.err" env XDG_RUNTIME_DIR="$shared" "$credctl" token demo
expect "credctl token prints no token of the squatter" bash -c "! grep -q SQUATTER-TOKEN '$work/t5.out'"
expect "it ignores the socket, as in /tmp, naming the squatter's uid" \
  grep -q "warning: ignoring the per-user socket $shared/credd/credd.sock: $shared/credd belongs to uid $squatter_uid" \
  "$work/t5.err"
expect "and goes on to the system socket" grep -q "Trying /run/credd/credd.sock" "$work/t5.err"
expect "the squatter received nothing" test ! -s "$work/squat/rec5"
# The victim's own $XDG_RUNTIME_DIR (0700, theirs) is trusted as before.
mkdir -m 700 "$work/victim-run" && chown "$victim" "$work/victim-run"
victim_run "$work/t6.out" "$work/t6.err" env XDG_RUNTIME_DIR="$work/victim-run" "$credctl" token demo
expect "a private \$XDG_RUNTIME_DIR gives no warning" bash -c "! grep -q 'warning: ignoring' '$work/t6.err'"

# The victim's real credential is untouched.
after=$(as_user "$victim" env HOME="$work/victim-home" "$credctl" token demo)
expect "the victim's real credential still works" userinfo_ok "$after"
finish

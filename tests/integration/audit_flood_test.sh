#!/usr/bin/env bash
# Audit flood (docs/policy.md "Floods, and the size of the log"): a
# hostile uid sends denied requests as fast as it can for 5 s (10 s in a
# sanitizer build), with the audit log and the store on one small file
# system. Denial lines are rate-limited per uid and the rest counted in
# "suppressed" lines; a connection that keeps being denied is closed; the file
# grows by less than 1 MB; a granted caller is served during and after, a
# login still stores; no allow is lost and every denial is accounted for. Then
# the size cap: the file rotates, keeping keep_files old ones. Real uids, real
# credd.
# Usage: audit_flood_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$(realpath "$1")
credctl=$(realpath "$2")
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the audit flood test creates users and a tmpfs and so must run as root (as CI does)"
  finish
fi

owner=credctl-fo    # owns the credential
granted=credctl-fg  # granted her token
hostile=credctl-fh  # granted nothing, floods
for u in "$owner" "$granted" "$hostile"; do ensure_user "$u"; done
flood=$root/tests/integration/audit_flood.py
target=/v1/users/$owner/credentials/demo/token

# The store and the audit log share one small file system, as on a host
# where /var is one partition: 8 MiB, what an unthrottled flood fills in
# about a second.
mnt=$work/var
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=8m,mode=0700 tmpfs "$mnt"; then
  bad "cannot mount a tmpfs (the test needs root, as CI runs it)"
  finish
fi
trap 'umount "$mnt" 2>/dev/null; lib_cleanup' EXIT
audit=$mnt/audit.jsonl
audit_bytes() { cat "$audit"* 2>/dev/null | wc -c; }

start_provider
write_config "$work/credd.toml"
sed -i "s|^state_dir .*|state_dir   = \"$mnt/state\"|" "$work/credd.toml"
audit_to "$work/credd.toml" "$audit"
role_grant "$work/credd.toml" reader '"credentials:token"' "batch reads the owner's demo" "credentials/$owner/demo" \
  "{ user = \"$granted\" }"
expect "credd starts with its store and audit log on an 8 MiB file system" start_credd "$work/credd.toml"
as_user "$owner" env BROWSER="$oidc/browser" HOME="$work" "$credctl" login demo >/dev/null 2>"$work/login.err"
expect "the owner logs in" test $? -eq 0
t=$(as_user "$granted" "$credctl" token --user "$owner" demo 2>/dev/null)
expect "the granted caller gets the owner's token" test -n "$t"

# --- one keep-alive connection that keeps being denied -----------------------
# 20 denial lines in a row (denial_burst), 2 more a second: the answer over
# that closes the connection (a slow machine may see a few refills).
probe=$(as_user "$hostile" python3 "$flood" probe "$CREDD_SOCKET" "$target" 200)
echo "probe: $probe"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
expect "a keep-alive connection that keeps being denied is closed by credd (answers: $(field "$probe" answers) of 200)" \
  test "$(field "$probe" closed_by_server)" = True -a "$(field "$probe" answers)" -le 40
expect "its last answer said Connection: close" test "$(field "$probe" last_said_close)" = True

# --- the flood ---------------------------------------------------------------
# At least 5000 denials make it a flood: unthrottled, their lines alone would
# be over the 1 MB bound below. A sanitizer build of credd answers at about
# 900 a second here, so it is flooded for 10 s to get as many.
flood_seconds=5
if ldd "$credd" | grep -q 'libasan\.so'; then flood_seconds=10; fi
before=$(audit_bytes)
journal_before=$(stat -c %s "$work/credd.log")
install -d -o "$hostile" "$work/flood"
as_user "$hostile" python3 "$flood" flood "$CREDD_SOCKET" "$target" "$flood_seconds" 8 "$work/flood/started" >"$work/flood.json" &
flood_pid=$!
wait_for 10 "all 8 flooding processes to be answered" test -e "$work/flood/started"
sleep 2  # a real span of time: by now an unthrottled audit log would have filled the file system
t=$(as_user "$granted" "$credctl" token --user "$owner" demo 2>"$work/during.err")
expect "during the flood the granted caller is served" test -n "$t"
wait "$flood_pid"
echo "flood: $(cat "$work/flood.json")"
denials=$(field "$(cat "$work/flood.json")" denials)
expect "the hostile uid really flooded ($denials denials in $flood_seconds s)" test "$denials" -ge 5000
expect "and credd closed its connections ($(field "$(cat "$work/flood.json")" server_closes) times)" \
  test "$(field "$(cat "$work/flood.json")" server_closes)" -gt 0
grown=$(($(audit_bytes) - before))
expect "the audit log grew by less than 1 MB ($grown bytes)" test "$grown" -lt 1000000
journal_grown=$(($(stat -c %s "$work/credd.log") - journal_before))
expect "so did credd's standard error, the journal's copy ($journal_grown bytes)" test "$journal_grown" -lt 1000000
t=$(as_user "$granted" "$credctl" token --user "$owner" demo 2>"$work/after.err")
expect "after the flood the granted caller is served" test -n "$t"
as_user "$owner" env BROWSER="$oidc/browser" HOME="$work" "$credctl" login demo >/dev/null 2>"$work/login2.err"
expect "a login still stores its credential" test $? -eq 0
hostile_uid=$(id -u "$hostile")
wait_for 3 "a suppressed-count line" grep -q "\"event\":\"suppressed\",\"uid\":$hostile_uid," "$audit"
expect "a suppressed-count line for the hostile uid appears while credd runs" \
  grep -q "\"event\":\"suppressed\",\"uid\":$hostile_uid,\"denials\":[0-9]*,\"reason\":\"[0-9]* more denials of uid $hostile_uid suppressed" "$audit"

# Stopping credd writes the counts still pending: then every denial the
# hostile uid received is either a deny line or counted in a suppressed line.
expect "credd stops cleanly" stop_credd
python3 - "$audit" "$hostile_uid" "$(id -u "$granted")" >"$work/tally" <<'PY'
import json, sys
lines, written, counted, allows = 0, 0, 0, 0
for line in open(sys.argv[1]):
    v = json.loads(line)
    lines += 1
    if v.get("event") == "suppressed" and v["uid"] == int(sys.argv[2]):
        counted += v["denials"]
    elif v.get("uid") == int(sys.argv[2]) and v.get("decision") == "deny":
        written += 1
    elif v.get("uid") == int(sys.argv[3]) and v.get("decision") == "allow":
        allows += 1
print(written, counted, allows, lines)
PY
read -r written counted allows lines <"$work/tally"
echo "audit: $lines lines; hostile: $written deny lines, $counted denials counted; granted: $allows allow lines"
total=$((denials + $(field "$probe" denials)))
expect "every denial is a deny line or counted ($written + $counted = $total)" test $((written + counted)) -eq "$total"
expect "every allow of the granted caller is written (3 of 3)" test "$allows" -eq 3

# --- the size cap ------------------------------------------------------------
sed -i "s|^file = .*|file = \"$work/capped.jsonl\"\nmax_file_bytes = 4096\nkeep_files = 2|" "$work/credd.toml"
expect "credd starts with a 4 KiB cap and 2 rotated files" start_credd "$work/credd.toml"
for _ in $(seq 40); do as_user "$granted" "$credctl" token --user "$owner" demo >/dev/null 2>&1; done
sizes_ok=1
for f in "$work/capped.jsonl" "$work/capped.jsonl.1" "$work/capped.jsonl.2"; do
  [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 4096 ] && [ "$(stat -c %a "$f")" = 600 ] || sizes_ok=0
done
expect "the file is rotated at 4 KiB: itself and .1, .2, each at most 4096 bytes, mode 0600" test "$sizes_ok" -eq 1
expect "the oldest is dropped (no .3)" test ! -e "$work/capped.jsonl.3"
expect "the newest lines are allows of the granted caller" \
  grep -q "\"uid\":$(id -u "$granted"),.*\"decision\":\"allow\"" "$work/capped.jsonl"
stop_credd

finish

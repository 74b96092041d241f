#!/usr/bin/env bash
# A flood of allowed requests (docs/policy.md "Floods, and the size of the
# log"): under the owner rule any uid may ask for its own credentials as
# often as it likes, and each request was one audit line. At credd's rate,
# such a flood took the file through its size cap and rotated the rest of
# the history away: here, the line of another uid's read of the owner's
# token. Allow lines are now rate-limited per uid (default: 2000 in a row,
# then 20 a second), the rest counted, by executable, resource and
# permission, in "suppressed" lines; a request across users is always
# written. Real uids, real credd, its default limits.
# Usage: audit_allow_flood_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$(realpath "$1")
credctl=$(realpath "$2")
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the allow flood test creates users and so must run as root (as CI does)"
  finish
fi

owner=credctl-ao    # owns the credential
granted=credctl-ag  # granted her token
hostile=credctl-ah  # granted nothing; asks for its own credential, again and again
for u in "$owner" "$granted" "$hostile"; do ensure_user "$u"; done
flood=$root/tests/integration/audit_flood.py
own_target=/v1/users/$hostile/credentials/demo/token

# 512 KiB files, three rotated ones kept: 1.5 MiB of history at least. The
# hostile uid's lines under the default limits, for the 30 s the flood may
# last at most, are 2000 + 600 of about 290 bytes: they fit. Its 9000
# requests, each written, are 2.6 MB: more than the four files hold.
cap=524288
audit=$work/audit.jsonl
start_provider
write_config "$work/credd.toml"
audit_to "$work/credd.toml" "$audit"
printf 'max_file_bytes = %s\nkeep_files = 3\n' "$cap" >>"$work/credd.toml"
role_grant "$work/credd.toml" reader '"credentials:token"' "batch reads the owner's demo" "credentials/$owner/demo" \
  "{ user = \"$granted\" }"
expect "credd starts with its default limits of audit lines" start_credd "$work/credd.toml"
as_user "$owner" env BROWSER="$oidc/browser" HOME="$work" "$credctl" login demo >/dev/null 2>"$work/login.err"
expect "the owner logs in" test $? -eq 0
t=$(as_user "$granted" "$credctl" token --user "$owner" demo 2>/dev/null)
expect "the granted caller gets the owner's token" test -n "$t"
granted_uid=$(id -u "$granted")
hostile_uid=$(id -u "$hostile")
granted_lines() { cat "$audit"* | grep -c "\"uid\":$granted_uid,.*\"resource\":\"credentials/$owner/demo\",.*\"decision\":\"allow\""; }
expect "its read is in the audit log" test "$(granted_lines)" -eq 1

# --- the flood ---------------------------------------------------------------
# Rounds of 5 s from 4 processes, until 9000 requests or 30 s (a sanitizer
# build answers a thousand or so a second).
install -d -o "$hostile" "$work/flood"
requests=0 rounds=0 others=0
start=$SECONDS
while [ "$requests" -lt 9000 ] && [ $((SECONDS - start)) -lt 30 ]; do
  as_user "$hostile" python3 "$flood" flood "$CREDD_SOCKET" "$own_target" 5 4 >"$work/flood.json" &
  flood_pid=$!
  if [ "$rounds" -eq 0 ]; then
    sleep 2
    t=$(as_user "$granted" "$credctl" token --user "$owner" demo 2>"$work/during.err")
    expect "during the flood the granted caller is served" test -n "$t"
  fi
  wait "$flood_pid"
  n=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(v["requests"], v["denials"])' "$work/flood.json")
  requests=$((requests + ${n% *}))
  others=$((others + ${n#* }))
  rounds=$((rounds + 1))
done
echo "flood: $requests requests in $rounds rounds of 5 s, $others denied"
expect "the hostile uid really flooded ($requests requests of its own)" test "$requests" -ge 9000
expect "and none of them was denied: each is allowed by the owner rule" test "$others" -eq 0
expect "credd stops cleanly, writing the counts still pending" stop_credd

# --- what the log kept ---------------------------------------------------------
expect "the granted caller's reads of the owner's token are all still in the log (2 of 2)" \
  test "$(granted_lines)" -eq 2
python3 - "$hostile_uid" "$own_target" "$audit" "$audit".* >"$work/tally" <<'PY'
import json, sys
uid, target = int(sys.argv[1]), sys.argv[2]
written = counted = tallied = 0
resources = set()
for path in sys.argv[3:]:
    for line in open(path):
        v = json.loads(line)
        if v.get("event") == "suppressed" and v.get("uid") == uid and "allows" in v:
            counted += v["allows"]
            for t in v["tallies"]:
                tallied += t["allows"]
                resources.add((t["resource"], t["permission"], "python3" in (t["exe"] or "")))
        elif v.get("uid") == uid and v.get("decision") == "allow":
            written += 1
print(written, counted, tallied, len(resources),
      int(resources == {("credentials/%s" % target.split("/")[3] + "/demo", "credentials:token", True)}))
PY
read -r written counted tallied kinds right <"$work/tally"
echo "hostile: $written allow lines written, $counted counted ($tallied in tallies, $kinds kinds)"
expect "every request of the flood is an allow line or counted ($written + $counted = $requests)" \
  test $((written + counted)) -eq "$requests"
expect "its first 2000 (the burst) were written, and at most 20 a second after ($written)" \
  test "$written" -ge 2000 -a "$written" -le $((2000 + 20 * (SECONDS - start + 5)))
expect "the counts name its executable, its own resource and the permission, in one tally" \
  test "$tallied" -eq "$counted" -a "$kinds" -eq 1 -a "$right" -eq 1
bytes=$(cat "$audit"* | wc -c)
expect "the log took less than its four files' caps ($bytes bytes)" test "$bytes" -lt $((4 * cap))

finish

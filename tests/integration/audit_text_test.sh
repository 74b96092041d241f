#!/usr/bin/env bash
# The audit log stays readable whatever path a caller runs from
# (docs/policy.md "The audit log"). A caller chooses its executable's path,
# and credd writes it in every line about the caller: the bytes of a
# directory's name are the caller's to pick, valid UTF-8 or not. Before,
# they were written as they were: a line with a byte of no valid UTF-8
# sequence is not JSON that a reader checking its input takes (Python's
# json, serde_json, Boost.JSON), and Python refuses the whole file at the
# first such byte. A uid granted another user's token could so make the
# record of its reads, and of its suppressed allows, unreadable to the tools
# that watch the log; DEL and the C1 controls (CSI, U+009B) went out raw to
# a terminal showing the log; credd's answers quoting the path (a denial's
# reason, whoami) were refused by credctl's parser. Now such bytes are
# written as U+FFFD, DEL and C1 escaped. Real uids, real credd.
# Usage: audit_text_test.sh CREDD CREDCTL (as root, as in CI).
set -uo pipefail
credd=$(realpath "$1")
credctl=$(realpath "$2")
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the audit text test runs callers as test users and so must run as root (as CI does)"
  finish
fi

owner=credctl-to    # owns the credential
hostile=credctl-tx  # granted her token; runs credctl from paths of its choosing
for u in "$owner" "$hostile"; do ensure_user "$u"; done

# The hostile uid's copies of credctl: one under a directory named by the
# byte 0xff (no valid UTF-8), one under a name holding DEL and CSI (valid
# UTF-8, but controls a terminal acts on).
install -d -m 755 "$work/bin"
invalid_dir=$work/bin/$'\xff'
control_dir=$work/bin/$'d\x7fel\xc2\x9b31m'
install -d -m 755 -o "$hostile" "$invalid_dir" "$control_dir"
install -m 755 -o "$hostile" "$credctl" "$invalid_dir/credctl"
install -m 755 -o "$hostile" "$credctl" "$control_dir/credctl"
# Its commands module and credctl-login, where credctl looks for them
# (../libexec/credctl of its folder), for whoami.
cp -r "$(dirname "$credctl")/../libexec" "$work/bin/"

audit=$work/audit.jsonl
start_provider
write_config "$work/credd.toml"
audit_to "$work/credd.toml" "$audit"
# A small burst of allow lines, so that the hostile uid's own requests are
# soon counted in a "suppressed" line, whose tallies name its executable.
printf 'allow_burst = 3\nallows_per_second = 1\n' >>"$work/credd.toml"
role_grant "$work/credd.toml" reader '"credentials:token"' "the hostile uid reads the owner's demo" \
  "credentials/$owner/demo" "{ user = \"$hostile\" }"
expect "credd starts" start_credd "$work/credd.toml"
as_user "$owner" env BROWSER="$oidc/browser" HOME="$work" "$credctl" login demo >/dev/null 2>"$work/login.err"
expect "the owner logs in" test $? -eq 0

for dir in "$invalid_dir" "$control_dir"; do
  t=$(as_user "$hostile" "$dir/credctl" token --user "$owner" demo 2>"$work/read.err")
  expect "the granted uid gets the owner's token from a copy of credctl of its own" test -n "$t"
done
as_user "$hostile" "$invalid_dir/credctl" token --user root demo >/dev/null 2>"$work/denied.err"
expect "its request for root's token is denied" test $? -ne 0
expect "and credctl shows why, not an unreadable answer" grep -q "denied" "$work/denied.err"
# credd's other answers that quote the caller's executable: whoami.
as_user "$hostile" "$invalid_dir/credctl" whoami >"$work/whoami.out" 2>"$work/whoami.err"
expect "whoami from the 0xff directory answers" test $? -eq 0
expect "and names the path with U+FFFD in its place" grep -qF "/bin/$(printf '\xef\xbf\xbd')/credctl" "$work/whoami.out"
# Its own credential (none: not found, but allowed by the owner rule), ten
# at once: the burst of 3 is spent, and the rest counted whatever the
# machine's speed.
pids=()
for _ in $(seq 10); do
  as_user "$hostile" "$invalid_dir/credctl" token demo >/dev/null 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
expect "credd stops cleanly, writing the counts still pending" stop_credd

# --- what a strict reader makes of the log --------------------------------
python3 - "$(id -u "$hostile")" "$owner" "$invalid_dir/credctl" "$control_dir/credctl" "$audit" >"$work/read" <<'PY'
import json, sys
uid, owner = int(sys.argv[1]), sys.argv[2]
invalid_exe = sys.argv[3].encode("utf-8", "surrogateescape").replace(b"\xff", "\ufffd".encode()).decode()
control_exe = sys.argv[4].encode("utf-8", "surrogateescape").decode("utf-8")
raw = open(sys.argv[5], "rb").read()
unreadable = 0
lines = []
for line in raw.splitlines():
    try:
        lines.append(json.loads(line.decode("utf-8")))
    except ValueError:
        unreadable += 1
mine = [v for v in lines if v.get("uid") == uid]
reads = sum(1 for v in mine if v.get("resource") == "credentials/%s/demo" % owner and v.get("decision") == "allow")
invalid_reads = sum(1 for v in mine if v.get("exe") == invalid_exe and v.get("resource") == "credentials/%s/demo" % owner)
control_reads = sum(1 for v in mine if v.get("exe") == control_exe)
denials = sum(1 for v in mine if v.get("exe") == invalid_exe and v.get("decision") == "deny")
tallied = sum(t["allows"] for v in mine if v.get("event") == "suppressed" for t in v.get("tallies", [])
              if t.get("exe") == invalid_exe)
raw_controls = int(b"\x7f" in raw or b"\xc2\x9b" in raw)
print(len(raw.splitlines()), unreadable, reads, invalid_reads, control_reads, denials, tallied, raw_controls)
PY
read -r total unreadable reads invalid_reads control_reads denials tallied raw_controls <"$work/read"
echo "audit: $total lines, $unreadable unreadable; reads $reads ($invalid_reads, $control_reads by path)," \
  "denials $denials, tallied $tallied, raw controls $raw_controls"
expect "every line of the audit log is JSON of valid UTF-8 ($unreadable of $total are not)" \
  test "$total" -gt 0 -a "$unreadable" -eq 0
expect "both reads of the owner's token are there to read ($reads of 2)" test "$reads" -eq 2
expect "the read from the 0xff directory names the path with U+FFFD in its place" test "$invalid_reads" -eq 1
expect "the read from the DEL/CSI directory names the path exactly" test "$control_reads" -eq 1
expect "the denial of root's token names the path with U+FFFD" test "$denials" -eq 1
expect "the suppressed allows are counted under the path with U+FFFD ($tallied)" test "$tallied" -ge 1
expect "no DEL and no C1 control is written raw" test "$raw_controls" -eq 0

finish

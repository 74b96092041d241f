#!/usr/bin/env bash
# End-to-end: a `systemd_unit` grant is satisfied only by the system unit
# that owns the caller, found as systemd finds it. systemd delegates
# user.slice/user-UID.slice/user@UID.service to each logged-in user, who may
# then create cgroups of any name below it; a cgroup named like the granted
# unit in there must not pass for that unit. The layout is emulated on the
# real cgroup2 hierarchy with real uids (root creates and chowns the
# delegated subtree, as systemd does). Usage: unit_identity_test.sh CREDD
# CREDCTL (as root, as in CI).
set -uo pipefail
credd=$(realpath "$1")
credctl=$(realpath "$2")
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  bad "the unit tests create users and cgroups and so must run as root (as CI does)"
  finish
fi

alice=credctl-ua     # owns the credential
mallory=credctl-um   # a logged-in user with a delegated user manager
runner=credctl-ur    # the account the granted system unit runs as
for u in "$alice" "$mallory" "$runner"; do ensure_user "$u"; done
mallory_uid=$(id -u "$mallory")
unit=credctl-uid-sync.service

cgroot=$(findmnt -n -t cgroup2 -o TARGET | head -1)
if [ -z "$cgroot" ]; then
  bad "no cgroup2 hierarchy is mounted"
  finish
fi
# Everything created below is removed on exit, innermost first.
created=()
mkcg() { [ -d "$1" ] || { mkdir "$1" && created+=("$1"); }; }
cg_cleanup() {
  local i
  for ((i = ${#created[@]} - 1; i >= 0; i--)); do
    # Move whatever is left back to the root before removing the cgroup.
    [ -d "${created[$i]}" ] || continue
    while read -r p; do echo "$p" >"$cgroot/cgroup.procs"; done <"${created[$i]}/cgroup.procs" 2>/dev/null
    rmdir "${created[$i]}" 2>/dev/null
  done
  lib_cleanup
}
trap cg_cleanup EXIT

start_provider
write_config "$work/credd.toml"
grant_reader "$work/credd.toml" "the sync unit" "credentials/$alice/demo" "{ systemd_unit = \"$unit\" }"
expect "credd starts with a systemd_unit grant" start_credd "$work/credd.toml"
as_user "$alice" env BROWSER="$oidc/browser" HOME="$work" "$credctl" login demo >/dev/null 2>"$work/login.err"
expect "alice logs in as her own uid" test $? -eq 0

# Runs COMMAND... as USER after root has moved the shell into cgroup CG.
in_cgroup_as() {  # CG USER COMMAND...
  sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$1" \
    setpriv --reuid="$2" --regid="$2" --init-groups env CREDD_SOCKET="$CREDD_SOCKET" "${@:3}"
}

# --- the real unit, placed by root ------------------------------------------
mkcg "$cgroot/system.slice"
mkcg "$cgroot/system.slice/$unit"
t=$(in_cgroup_as "$cgroot/system.slice/$unit" "$runner" "$credctl" token --user "$alice" demo 2>"$work/sys.err"); rc=$?
expect "a process root placed in /system.slice/$unit gets alice's token" test $rc -eq 0 -a -n "$t"
w=$(in_cgroup_as "$cgroot/system.slice/$unit" "$runner" "$credctl" whoami -o json)
expect "whoami shows that unit" grep -q "\"systemd_unit\":\"$unit\"" <<<"$w"
mkcg "$cgroot/system.slice/$unit/worker"
t=$(in_cgroup_as "$cgroot/system.slice/$unit/worker" "$runner" "$credctl" token --user "$alice" demo 2>/dev/null); rc=$?
expect "a sub-cgroup of the unit (Delegate=) still belongs to the unit" test $rc -eq 0 -a -n "$t"

# --- the delegated user manager ----------------------------------------------
# As systemd does for a logged-in user: root creates user@UID.service and
# hands the directory and its cgroup.procs to the user.
usercg=$cgroot/user.slice/user-$mallory_uid.slice/user@$mallory_uid.service
mkcg "$cgroot/user.slice"
mkcg "$cgroot/user.slice/user-$mallory_uid.slice"
mkcg "$usercg"
chown "$mallory" "$usercg" "$usercg/cgroup.procs" "$usercg/cgroup.subtree_control" "$usercg/cgroup.threads"
created+=("$usercg/$unit")  # made by mallory below; removed by root on exit
mkdir "$work/m" && chown "$mallory" "$work/m"
# Root moves a shell into the user manager's cgroup; it drops to mallory,
# names a cgroup like the granted unit and moves itself into it.
# (DIR UNIT RECORD COMMAND...: RECORD receives its /proc/self/cgroup.)
attack='mkdir "$1/$2" && echo $$ >"$1/$2/cgroup.procs" && cat /proc/self/cgroup >"$3" && shift 3 && exec "$@"'
t=$(in_cgroup_as "$usercg" "$mallory" sh -c "$attack" sh "$usercg" "$unit" "$work/m/attack.cgroup" \
      "$credctl" token --user "$alice" demo 2>"$work/attack.err"); rc=$?
expect "mallory, as herself, named and entered a cgroup $unit in her subtree" \
  grep -qx "0::/user.slice/user-$mallory_uid.slice/user@$mallory_uid.service/$unit" "$work/m/attack.cgroup"
expect "but is denied alice's token there (exit 3, no token)" test $rc -eq 3 -a -z "$t"
expect "the denial names the unit credd saw: her user manager" \
  grep -q "systemd_unit user@$mallory_uid.service is not $unit" "$work/attack.err"
w=$(in_cgroup_as "$usercg/$unit" "$mallory" "$credctl" whoami -o json)
expect "whoami shows user@$mallory_uid.service, not the name she chose" \
  grep -q "\"systemd_unit\":\"user@$mallory_uid.service\"" <<<"$w"
expect "the audit log records the denial with the user manager as unit" \
  grep -q "\"uid\":$mallory_uid,.*\"unit\":\"user@$mallory_uid.service\",.*\"decision\":\"deny\"" "$work/audit.jsonl"

# The same below an app.slice, as systemd-run --user --unit=... would place it.
mkcg "$usercg/app.slice"  # by root; the user's manager owns it in real life
chown "$mallory" "$usercg/app.slice" "$usercg/app.slice/cgroup.procs"
created+=("$usercg/app.slice/$unit")
t=$(in_cgroup_as "$usercg" "$mallory" sh -c "$attack" sh "$usercg/app.slice" "$unit" "$work/m/app.cgroup" \
      "$credctl" token --user "$alice" demo 2>/dev/null); rc=$?
expect "a user unit of that name in app.slice is denied too" \
  test $rc -eq 3 -a -z "$t" -a -s "$work/m/app.cgroup"

finish

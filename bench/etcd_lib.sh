#!/usr/bin/env bash
# The etcd side of the benchmarks (docs/benchmarks.md, "etcd backend").
# Source it after bench_lib.sh (the provider, the LMDB-backed credd and
# `demo` logged in on it): starts a 3-member etcd cluster on loopback with
# tests/integration/etcd.sh, then FLEET (default 1) etcd-backed credds on it
# that share one master key and the prefix /bench/, with the same limits and
# audit file setting as the LMDB-backed credd, and logs `demo` in through
# the first. Sets fleet_sockets (comma-separated) and fleet_pid_list
# (comma-separated); credd I's socket is $work/runI/credd.sock.
# The etcd credential is a grant of its own: the two sides never share a
# refresh token.

# What etcd.sh takes from tests/integration/lib.sh.
extra_pids=()
wait_for() {  # TIMEOUT_SECONDS DESCRIPTION COMMAND...
  local tries=$(($1 * 20)) what=$2
  shift 2
  until "$@"; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || { echo "gave up waiting for $what" >&2; return 1; }
    sleep 0.05
  done
}
credd_answers() { "$credctl" "$@" status >/dev/null 2>&1; }
demo_provider_toml() {
  printf '[providers.demo]\nissuer    = "%s"\nclient_id = "credctl-demo"\nscopes    = ["openid", "offline_access"]\n' \
    "$issuer"
}
. "$root/tests/integration/etcd.sh"

# The fleet's processes stop before bench_lib.sh's cleanup removes $work:
# credds first (they may still talk to etcd), then the members.
etcd_cleanup() {
  local i
  for ((i = ${#extra_pids[@]} - 1; i >= 0; i--)); do
    kill "${extra_pids[i]}" 2>/dev/null || continue
    wait "${extra_pids[i]}" 2>/dev/null || true
  done
  cleanup
}
trap etcd_cleanup EXIT

start_etcd_cluster 3 >/dev/null 2>&1 || { echo "the etcd cluster did not start" >&2; exit 1; }
head -c 32 /dev/urandom >"$work/master.key"
chmod 600 "$work/master.key"
fleet_sockets=
fleet_pid_list=
for i in $(seq "${FLEET:-1}"); do
  etcd_credd_config "$i" /bench/ "" "$(bench_limits_toml "$work/audit$i.jsonl" "$credd")"
  start_fleet_credd "$i"
  fleet_sockets+="${fleet_sockets:+,}$work/run$i/credd.sock"
  fleet_pid_list+="${fleet_pid_list:+,}${fleet_pids[i]}"
done
on 1 env BROWSER="$root/tests/oidc/browser" "$credctl" login demo 2>/dev/null

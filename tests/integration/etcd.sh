# A real etcd cluster on loopback for the end-to-end scripts of the etcd
# store backend (docs/fleet.md). Sourcing it loads lib.sh first, unless the
# caller brings its own $work and helpers (bench/etcd_lib.sh):
#   start_etcd_cluster 3       # sets $etcd_endpoints (TOML list) and $etcd_urls
#   kill_etcd_member 2         # SIGKILL one member
#   restart_etcd_member 2      # starts a stopped member again on its data
#   etcd_get_prefix PREFIX     # every key and value below PREFIX, via etcdctl
#   etcd_leader_index          # which member leads now
#   etcd_credd_config I PREFIX STORE_LINES [MORE_TOML]
#                              # $work/credd$I.toml: credd I of a fleet on the
#                              # cluster below PREFIX, sharing $work/master.key
#   start_fleet_credd I        # starts credd I on it (pid in fleet_pids[I])
#   on I COMMAND...            # runs COMMAND as a client of credd I
# Each member has its own client and peer ports and its data directory under
# $work/etcd; lib.sh's cleanup stops them (extra_pids).

[ -n "${work:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

etcd_pids=()
etcd_client_urls=()
etcd_peer_urls=()

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_etcd_cluster() {  # MEMBERS
  local n=$1 i cluster= peers=()
  for ((i = 1; i <= n; i++)); do
    etcd_client_urls[i]=http://127.0.0.1:$(free_port)
    peers[i]=http://127.0.0.1:$(free_port)
    cluster+="${cluster:+,}m$i=${peers[i]}"
    etcd_peer_urls[i]=${peers[i]}
  done
  etcd_cluster=$cluster
  for ((i = 1; i <= n; i++)); do
    mkdir -p "$work/etcd/m$i"
    etcd --name "m$i" --data-dir "$work/etcd/m$i" \
      --listen-client-urls "${etcd_client_urls[i]}" --advertise-client-urls "${etcd_client_urls[i]}" \
      --listen-peer-urls "${peers[i]}" --initial-advertise-peer-urls "${peers[i]}" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "credctl-$$" \
      >"$work/etcd-m$i.out" 2>&1 &
    etcd_pids[i]=$!
    extra_pids+=("$!")
  done
  etcd_urls=$(IFS=,; echo "${etcd_client_urls[*]}")
  etcd_endpoints="[$(printf '"%s", ' "${etcd_client_urls[@]}" | sed 's/, $//')]"
  wait_for 30 "the etcd cluster to be healthy" etcdctl --endpoints "$etcd_urls" endpoint health
}

kill_etcd_member() {  # INDEX
  kill -KILL "${etcd_pids[$1]}" 2>/dev/null
  wait "${etcd_pids[$1]}" 2>/dev/null
}

# A member killed before, started again on its data directory (it rejoins the
# cluster; the initial-cluster flags only matter for a new data directory).
restart_etcd_member() {  # INDEX
  local i=$1
  etcd --name "m$i" --data-dir "$work/etcd/m$i" \
    --listen-client-urls "${etcd_client_urls[i]}" --advertise-client-urls "${etcd_client_urls[i]}" \
    --listen-peer-urls "${etcd_peer_urls[i]}" --initial-advertise-peer-urls "${etcd_peer_urls[i]}" \
    --initial-cluster "$etcd_cluster" --initial-cluster-state new --initial-cluster-token "credctl-$$" \
    >>"$work/etcd-m$i.out" 2>&1 &
  etcd_pids[i]=$!
  extra_pids+=("$!")
}

etcd_get_prefix() {  # PREFIX
  ETCDCTL_API=3 etcdctl --endpoints "$etcd_urls" get --prefix "$1"
}

etcd_leader_index() {  # prints the index of the member that leads now
  local url
  url=$(etcdctl --endpoints "$etcd_urls" endpoint status -w json 2>/dev/null | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    s = e["Status"]
    if s["header"]["member_id"] == s["leader"]:
        print(e["Endpoint"])
        break')
  for i in "${!etcd_client_urls[@]}"; do
    [ "${etcd_client_urls[i]}" = "$url" ] && echo "$i" && return 0
  done
  return 1
}

# The config of credd INDEX of a fleet: its own socket and state, the
# shared master key, the etcd store below PREFIX with STORE_LINES added to
# [store.etcd], the provider demo, then MORE_TOML (more tables).
etcd_credd_config() {  # INDEX PREFIX STORE_LINES [MORE_TOML]
  cat >"$work/credd$1.toml" <<TOML
socket    = "$work/run$1/credd.sock"
state_dir = "$work/state$1"
key_file  = "$work/master.key"

[store]
backend = "etcd"
[store.etcd]
endpoints = $etcd_endpoints
prefix = "$2"
$3

$(demo_provider_toml)
${4:-}
TOML
}

# The master key every credd of the fleet shares: 32 random bytes, mode 600.
new_master_key() {
  head -c 32 /dev/urandom >"$work/master.key"
  chmod 600 "$work/master.key"
}

fleet_pids=()
on() { local i=$1; shift; CREDD_SOCKET=$work/run$i/credd.sock "$@"; }
start_fleet_credd() {  # INDEX
  "$credd" --config "$work/credd$1.toml" 2>>"$work/credd$1.log" &
  fleet_pids[$1]=$!
  extra_pids+=("$!")
  wait_for 10 "credd $1 to answer" on "$1" credd_answers
}

#!/usr/bin/env bash
# Nodes for the local control plane: a sealed network of Linux network namespaces, and in it
# two nodes (containerd + runc + the CNI bridge, a kubelet, kube-proxy and kube-router's
# network policy controller each) and the test hosts that stand for the internet, the cloud
# metadata endpoint and private networks. No route leads out of the machine: the fabric
# namespace that joins the nodes has no default route, and the one link to the host carries
# only traffic to the API server's forwarder.
#
# Usage (start.sh and stop.sh call it; by hand only for debugging):
#   nodes.sh up CLUSTER_DIR     CLUSTER_DIR holds kubeconfig, pki/ and state.env of start.sh
#   nodes.sh down               stops and removes everything any earlier `up` made, even after a crash
#   nodes.sh check              exit 0 when nothing of an earlier `up` is left, else lists it
#   nodes.sh stop-node N        cuts node-N's power: its containers, containerd, kubelet,
#                               kube-proxy and kube-router are killed at once; its disk stays
#   nodes.sh start-node N       starts node-N again on that disk and waits until it is Ready
#
# Addresses (one node cluster per machine at a time; a lock says so):
#   host  10.250.255.1   the API server's forwarder (socat to kube-apiserver on loopback)
#   node-1 10.250.0.11 (pods 10.244.1.0/24), node-2 10.250.0.12 (pods 10.244.2.0/24)
#   Services 10.0.0.0/24: kubernetes 10.0.0.1, openshift-dns/dns-default 10.0.0.10
#   test hosts: 198.51.100.10 and 203.0.113.10 (internet), 169.254.169.254 (metadata),
#               10.99.0.10, 172.16.0.10, 192.168.0.10 (private), 100.64.0.10 (shared/CGNAT)
#
# kube-router v2.1.0 is the only version the Go module proxy serves and has published security
# advisories: it is test infrastructure for this sealed network only, never shipped.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$HERE/../lib.sh"
# shellcheck source=network.env
. "$HERE/network.env"

BASE=${ABEVALFLOW_NODES_DIR:-/var/tmp/abevalflow-nodes}
NETNS_DIR=/var/run/netns
LOCK=/run/abevalflow-nodes.lock

log() { printf '[nodes] %s\n' "$*" >&2; }
die() { printf '[nodes] ERROR: %s\n' "$*" >&2; exit 1; }

ns() { local n=$1; shift; nsenter --net="$NETNS_DIR/$n" -- "$@"; }
# Processes run in a node's network namespace by nsenter: `ip netns exec` remounts /sys, which
# hides the cgroup mounts from the kubelet.
ns_bg() { local n=$1 logf=$2; shift 2; setsid nsenter --net="$NETNS_DIR/$n" -- "$@" >"$logf" 2>&1 </dev/null 7>&- & echo $!; }
node_addr() { echo "$NODE_ADDR_PREFIX$1"; }
pod_cidr() { echo "$POD_CIDR_PREFIX$1.0/24"; }

# ---------------------------------------------------------------------------------------
# Tear-down: everything is found by name or by path, so a crashed run's leftovers go too.

our_netns() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${NETNS_PREFIX}" || true; }

down() {
  local n pid pids m left
  # Node processes (containerd, shims, kubelet, kube-proxy, kube-router) live in our
  # network namespaces.
  for n in $(our_netns); do
    pids=$(ip netns pids "$n" 2>/dev/null || true)
    [ -n "$pids" ] && kill -TERM $pids 2>/dev/null || true
  done
  sleep 1
  for n in $(our_netns); do
    pids=$(ip netns pids "$n" 2>/dev/null || true)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
  done
  # Containers (pause included) run in their own network and mount namespaces, but every one
  # of them is in a cgroup under CGROUP_PARENT, which only these nodes' containerds use.
  for _ in 1 2 3; do
    pids=$(find /sys/fs/cgroup/*/"$CGROUP_PARENT" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u || true)
    [ -z "$pids" ] && break
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
  done
  if [ -f "$BASE/forwarder.pid" ]; then
    pid=$(cat "$BASE/forwarder.pid")
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "$FORWARDER_ADDR" && kill -TERM "$pid" 2>/dev/null || true
  fi
  pkill -f "socat TCP-LISTEN:$API_FORWARD_PORT,bind=$FORWARDER_ADDR" 2>/dev/null || true
  # Mounts under BASE (snapshots, pod volumes, pod network namespaces), deepest first.
  for _ in 1 2 3; do
    m=$(awk -v b="$BASE/" 'index($2, b) == 1 {print $2}' /proc/self/mounts | sort -r)
    [ -z "$m" ] && break
    for p in $m; do umount -l "$p" 2>/dev/null || true; done
  done
  for n in $(our_netns); do ip netns del "$n" 2>/dev/null || true; done
  ip link del "$HOST_LINK" 2>/dev/null || true
  # Containers' cgroups, left when their runtime died before removing them; a cgroup can be
  # removed only once its last killed process has exited.
  for _ in $(seq 1 25); do
    left=0
    for c in /sys/fs/cgroup/*/"$CGROUP_PARENT"; do
      [ -d "$c" ] || continue
      find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ -d "$c" ] && left=1
    done
    [ "$left" = 0 ] && break
    sleep 0.2
  done
  if [ -d "$BASE" ]; then
    if awk -v b="$BASE/" 'index($2, b) == 1 {found=1} END {exit !found}' /proc/self/mounts; then
      log "mounts under $BASE remain; not deleting it"
    else
      rm -rf -- "$BASE"
    fi
  fi
}

check() {
  local left=()
  [ -n "$(our_netns)" ] && left+=("network namespaces: $(our_netns | tr '\n' ' ')")
  ip link show "$HOST_LINK" >/dev/null 2>&1 && left+=("host link $HOST_LINK")
  awk -v b="$BASE/" 'index($2, b) == 1 {found=1} END {exit !found}' /proc/self/mounts && left+=("mounts under $BASE")
  [ -e "$BASE" ] && left+=("directory $BASE")
  pgrep -f "socat TCP-LISTEN:$API_FORWARD_PORT,bind=$FORWARDER_ADDR" >/dev/null && left+=("the API server forwarder")
  ip route show | grep -q "$HOST_LINK" && left+=("host routes via $HOST_LINK")
  for c in /sys/fs/cgroup/*/"$CGROUP_PARENT"; do [ -d "$c" ] && left+=("cgroup $c"); done
  if [ ${#left[@]} -gt 0 ]; then
    printf 'left behind: %s\n' "${left[@]}"
    return 1
  fi
  echo "nothing left behind"
}

# ---------------------------------------------------------------------------------------
# Network

# veth NAME_A NS_A NAME_B NS_B ("" = the host): made under temporary names, since a name such
# as eth0 exists on the host already, and renamed once in its namespace.
veth() {
  local ta=abevt$$a tb=abevt$$b
  ip link add "$ta" type veth peer name "$tb"
  veth_end "$ta" "$1" "$2"
  veth_end "$tb" "$3" "$4"
}
veth_end() {
  if [ -n "$3" ]; then
    ip link set "$1" netns "$3"
    ns "$3" ip link set "$1" name "$2"
  else
    ip link set "$1" name "$2"
  fi
}

network_up() {
  local fabric=${NETNS_PREFIX}fabric hosts=${NETNS_PREFIX}hosts i node
  ip netns add "$fabric"
  ns "$fabric" ip link set lo up
  ns "$fabric" ip link add br-fabric type bridge
  ns "$fabric" ip addr add "$FABRIC_GATEWAY/24" dev br-fabric
  ns "$fabric" ip link set br-fabric up
  ns "$fabric" sysctl -qw net.ipv4.ip_forward=1

  # The host's one link: the API server's forwarder listens on its address.
  veth "$HOST_LINK" "" uplink "$fabric"
  ip addr add "$FORWARDER_ADDR/30" dev "$HOST_LINK"
  ip link set "$HOST_LINK" up
  ns "$fabric" ip addr add "$FABRIC_UPLINK_ADDR/30" dev uplink
  ns "$fabric" ip link set uplink up
  # Across the host link pass only the API server's forwarder (from nodes and pods) and the
  # kubelets' API (from the API server, for exec, logs and port-forward); the fabric routes
  # nowhere else: no default route exists in any of these namespaces.
  ns "$fabric" iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  ns "$fabric" iptables -A FORWARD -o uplink -d "$FORWARDER_ADDR" -p tcp --dport "$API_FORWARD_PORT" -j ACCEPT
  ns "$fabric" iptables -A FORWARD -o uplink -j DROP
  ns "$fabric" iptables -A FORWARD -i uplink -d "$NODE_NET" -p tcp --dport 10250 -j ACCEPT
  ns "$fabric" iptables -A FORWARD -i uplink -j DROP
  ip route add "$NODE_NET" via "$FABRIC_UPLINK_ADDR" dev "$HOST_LINK"
  ip route add "$POD_NET" via "$FABRIC_UPLINK_ADDR" dev "$HOST_LINK"

  for i in $(seq 1 "$NODE_COUNT"); do
    node=node-$i
    ip netns add "$NETNS_PREFIX$node"
    ns "$NETNS_PREFIX$node" ip link set lo up
    veth eth0 "$NETNS_PREFIX$node" "n$i" "$fabric"
    ns "$fabric" ip link set "n$i" master br-fabric up
    ns "$NETNS_PREFIX$node" ip addr add "$(node_addr "$i")/24" dev eth0
    ns "$NETNS_PREFIX$node" ip link set eth0 up
    ns "$NETNS_PREFIX$node" ip route add default via "$FABRIC_GATEWAY"
    ns "$NETNS_PREFIX$node" sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
    ns "$fabric" ip route add "$(pod_cidr "$i")" via "$(node_addr "$i")"
  done
  # Each node reaches the other nodes' pods directly over the fabric: no masquerade, so a
  # NetworkPolicy sees the real pod address.
  for i in $(seq 1 "$NODE_COUNT"); do
    for j in $(seq 1 "$NODE_COUNT"); do
      [ "$i" = "$j" ] || ns "${NETNS_PREFIX}node-$i" ip route add "$(pod_cidr "$j")" via "$(node_addr "$j")"
    done
  done

  ip netns add "$hosts"
  ns "$hosts" ip link set lo up
  veth eth0 "$hosts" hosts "$fabric"
  ns "$fabric" ip addr add "$HOSTS_GATEWAY/24" dev hosts
  ns "$fabric" ip link set hosts up
  ns "$hosts" ip addr add "$HOSTS_LINK_ADDR/24" dev eth0
  ns "$hosts" ip link set eth0 up
  ns "$hosts" ip route add default via "$HOSTS_GATEWAY"
  for a in $TEST_HOSTS; do
    ns "$hosts" ip addr add "$a/32" dev lo
    ns "$fabric" ip route add "$a/32" via "$HOSTS_LINK_ADDR"
  done
}

# ---------------------------------------------------------------------------------------
# One node

node_up() {
  local i=$1 cluster_dir=$2
  local node=node-$i dir=$BASE/node-$i nsname=${NETNS_PREFIX}node-$i
  mkdir -p "$dir"/{containerd/root,containerd/state,cni/conf,kubelet,pods-logs,volumes,run}
  cat > "$dir/cni/conf/10-bridge.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "abevalflow-pods",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$(pod_cidr "$i")" }]], "routes": [{ "dst": "0.0.0.0/0" }],
                "dataDir": "$dir/cni/ipam" }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "loopback" }
  ]
}
EOF
  cat > "$dir/containerd/config.toml" <<EOF
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
[grpc]
  address = "$dir/run/containerd.sock"
[ttrpc]
  address = "$dir/run/containerd.sock.ttrpc"
[debug]
  level = "warn"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This machine refuses a negative oom_score_adj, which the kubelet asks for the sandbox.
  restrict_oom_score_adj = true
  # The pods' network namespaces under the state directory, not the host's /var/run/netns.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/conf"
EOF
  ns_bg "$nsname" "$dir/containerd.log" containerd --config "$dir/containerd/config.toml" > "$dir/containerd.pid"
  local sock=$dir/run/containerd.sock
  for _ in $(seq 1 100); do [ -S "$sock" ] && ctr -a "$sock" version >/dev/null 2>&1 && break; sleep 0.2; done
  ctr -a "$sock" version >/dev/null 2>&1 || { tail -20 "$dir/containerd.log" >&2; die "$node: containerd did not start (log: $dir/containerd.log)"; }

  local ref archive
  while read -r ref archive; do
    ctr -a "$sock" -n k8s.io images import --no-unpack=false "$archive" >/dev/null 2>"$dir/import.err" \
      || { cat "$dir/import.err" >&2; die "$node: importing $archive failed"; }
    # A reference pinned by digest resolves only when the image carries that name too.
    ctr -a "$sock" -n k8s.io images tag --force "${ref%@*}" "${ref%%:*}@${ref#*@}" >/dev/null
    ctr -a "$sock" -n k8s.io images tag --force "${ref%@*}" "$ref" >/dev/null
  done < "$BASE/images.list"

  kubeconfig_for "$cluster_dir" > "$dir/kubeconfig"
  : > "$dir/resolv.conf"
  cat > "$dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $(node_addr "$i")
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
containerRuntimeEndpoint: unix://$sock
cgroupDriver: cgroupfs
cgroupsPerQOS: false
cgroupRoot: /
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
podLogsDir: $dir/pods-logs
resolvConf: $dir/resolv.conf
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: cluster.local
# Images exist only as imported here: nothing could pull them again.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {}
evictionPressureTransitionPeriod: 0s
localStorageCapacityIsolation: false
serializeImagePulls: false
maxPods: 60
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $cluster_dir/pki/ca.crt }
# Only the API server holds a client certificate of this CA, so only it reaches this API.
authorization: { mode: AlwaysAllow }
EOF
  ns_bg "$nsname" "$dir/kubelet.log" kubelet --config "$dir/kubelet.yaml" --kubeconfig "$dir/kubeconfig" \
    --root-dir "$dir/kubelet" --cert-dir "$dir/kubelet/pki" --hostname-override "$node" --node-ip "$(node_addr "$i")" \
    --v 1 > "$dir/kubelet.pid"
  ns_bg "$nsname" "$dir/kube-proxy.log" kube-proxy --kubeconfig "$dir/kubeconfig" --hostname-override "$node" \
    --proxy-mode iptables --cluster-cidr "$POD_NET" --conntrack-max-per-core 0 \
    --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256 > "$dir/kube-proxy.pid"
}

# kube-router reads the node's address from its Node object at start and exits without it, so
# it starts once the kubelet has registered the node.
policy_controller_up() {
  local i=$1 dir=$BASE/node-$1
  ns_bg "${NETNS_PREFIX}node-$i" "$dir/kube-router.log" kube-router --kubeconfig "$dir/kubeconfig" --hostname-override "node-$i" \
    --run-firewall=true --run-router=false --run-service-proxy=false --metrics-port 0 --health-port 20244 > "$dir/kube-router.pid"
}

# A power cut of one node: every process of it at once, its disk (images, pod volumes, the
# CNI's address leases) left as it is. Containers run in network namespaces of their own, so
# containerd is asked for their pids before it goes.
node_stop() {
  local i=$1 dir=$BASE/node-$1 pids
  [ -d "$dir" ] || die "node-$i does not exist (nodes.sh up first)"
  pids=$(ctr -a "$dir/run/containerd.sock" -n k8s.io tasks ls 2>/dev/null | awk 'NR > 1 && $2 > 0 {print $2}' || true)
  # shellcheck disable=SC2086
  [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
  pids=$(ip netns pids "${NETNS_PREFIX}node-$i" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
  log "node-$i: stopped (killed its containers and services)"
}

# The node's services again, on the disk node_stop left; the kubelet then restarts the pods
# still bound to it.
node_start() {
  local i=$1 cluster_dir start k
  cluster_dir=$(cat "$BASE/cluster-dir" 2>/dev/null) || die "no cluster owns the nodes (nodes.sh up first)"
  [ -d "$BASE/node-$i" ] || die "node-$i does not exist (nodes.sh up first)"
  if kill -0 "$(cat "$BASE/node-$i/kubelet.pid" 2>/dev/null)" 2>/dev/null; then
    die "node-$i is running (nodes.sh stop-node $i first)"
  fi
  k=(kubectl --kubeconfig "$cluster_dir/kubeconfig")
  # shellcheck source=/dev/null
  . "$BASE/images.env"
  start=$(date +%s)
  node_up "$i" "$cluster_dir"
  until [ "$("${k[@]}" get node "node-$i" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; do
    kill -0 "$(cat "$BASE/node-$i/kubelet.pid")" 2>/dev/null || { tail -20 "$BASE/node-$i/kubelet.log" >&2; die "node-$i: kubelet exited"; }
    [ $(( $(date +%s) - start )) -lt 120 ] || die "node-$i not Ready after 120s (logs in $BASE/node-$i/)"
    sleep 0.5
  done
  policy_controller_up "$i"
  log "node-$i: started, Ready after $(( $(date +%s) - start ))s"
}

node_number() {
  [[ ${1:-} =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODE_COUNT" ] || die "expected a node number from 1 to $NODE_COUNT, got '${1:-}'"
}

kubeconfig_for() {
  local cluster_dir=$1 token
  token=$(awk -F, 'NR == 1 {print $1}' "$cluster_dir/pki/tokens.csv")
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: abevalflow-local
    cluster:
      server: https://$FORWARDER_ADDR:$API_FORWARD_PORT
      certificate-authority: $cluster_dir/pki/ca.crt
      tls-server-name: localhost
users:
  - name: admin
    user: { token: $token }
contexts:
  - name: abevalflow-local
    context: { cluster: abevalflow-local, user: admin }
current-context: abevalflow-local
EOF
}

up() {
  local cluster_dir=$1 api_url i
  [ -f "$cluster_dir/state.env" ] || die "$cluster_dir/state.env missing: start the control plane first"
  [ "$(id -u)" = 0 ] || die "nodes need root (network namespaces, mounts, containerd)"
  for b in containerd ctr runc nsenter iptables ipset socat kubelet kube-proxy kube-router kubectl; do
    command -v "$b" >/dev/null 2>&1 || die "'$b' not found: run scripts/local-control-plane/nodes/packages.sh and scripts/toolchain/ensure.sh"
  done
  [ -x /usr/lib/cni/bridge ] || die "CNI plugins missing in /usr/lib/cni: run scripts/local-control-plane/nodes/packages.sh"
  exec 7>"$LOCK"
  flock -n 7 || die "another nodes.sh up or down is running (lock $LOCK)"
  local owner
  owner=$(cat "$BASE/cluster-dir" 2>/dev/null || true)
  if [ -n "$owner" ] && [ "$owner" != "$cluster_dir" ] && lc_pid_is_ours "$(sed -n 's/^APISERVER_PID=//p' "$owner/state.env" 2>/dev/null)" "$owner"; then
    die "the local cluster in $owner has the nodes of this machine; stop it first (scripts/local-control-plane/stop.sh)"
  fi
  if [ -n "$(our_netns)" ] || [ -e "$BASE" ]; then
    log "removing what an earlier run left behind"
    down
  fi
  mkdir -p "$BASE"
  echo "$cluster_dir" > "$BASE/cluster-dir"
  api_url=$(sed -n 's/^API_SERVER_URL=//p' "$cluster_dir/state.env")
  local k=(kubectl --kubeconfig "$cluster_dir/kubeconfig")

  log "images"
  "$HERE/images.sh" > "$BASE/images.env.partial"
  awk '{split($1, kv, "="); print kv[2], $2}' "$BASE/images.env.partial" > "$BASE/images.list"
  awk '{split($1, kv, "="); key = toupper(kv[1]); gsub("-", "_", key); print key "_IMAGE=" kv[2]}' "$BASE/images.env.partial" > "$BASE/images.env"
  rm -f "$BASE/images.env.partial"
  # shellcheck disable=SC1091
  . "$BASE/images.env"

  log "sealed network"
  network_up
  setsid socat "TCP-LISTEN:$API_FORWARD_PORT,bind=$FORWARDER_ADDR,reuseaddr,fork" "TCP:${api_url#https://}" \
    >"$BASE/forwarder.log" 2>&1 </dev/null 7>&- &
  echo $! > "$BASE/forwarder.pid"

  # Nodes exist before their kubelets, with the pod ranges the network routes.
  for i in $(seq 1 "$NODE_COUNT"); do
    "${k[@]}" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata: { name: node-$i, labels: { kubernetes.io/hostname: node-$i } }
spec: { podCIDR: "$(pod_cidr "$i")", podCIDRs: ["$(pod_cidr "$i")"] }
EOF
  done
  # The API server's own endpoint, as pods reach it through Service default/kubernetes.
  "${k[@]}" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Endpoints
metadata: { name: kubernetes, namespace: default }
subsets: [{ addresses: [{ ip: "$FORWARDER_ADDR" }], ports: [{ name: https, port: $API_FORWARD_PORT, protocol: TCP }] }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes
  namespace: default
  labels: { kubernetes.io/service-name: kubernetes, endpointslice.kubernetes.io/managed-by: abevalflow.local.nodes }
addressType: IPv4
endpoints: [{ addresses: ["$FORWARDER_ADDR"], conditions: { ready: true } }]
ports: [{ name: https, port: $API_FORWARD_PORT, protocol: TCP }]
EOF

  for i in $(seq 1 "$NODE_COUNT"); do
    log "node-$i: containerd, kubelet, kube-proxy"
    node_up "$i" "$cluster_dir"
  done
  start=$(date +%s)
  local ready=0
  until [ "$ready" = 1 ]; do
    ready=1
    for i in $(seq 1 "$NODE_COUNT"); do
      [ "$("${k[@]}" get node "node-$i" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.addresses[?(@.type=="InternalIP")].address}' 2>/dev/null)" = "True/$(node_addr "$i")" ] || ready=0
    done
    [ "$ready" = 1 ] && break
    for i in $(seq 1 "$NODE_COUNT"); do
      for p in containerd kubelet kube-proxy; do
        kill -0 "$(cat "$BASE/node-$i/$p.pid")" 2>/dev/null || { tail -20 "$BASE/node-$i/$p.log" >&2; die "node-$i: $p exited (log: $BASE/node-$i/$p.log)"; }
      done
    done
    [ $(( $(date +%s) - start )) -lt 120 ] || die "nodes not Ready after 120s (logs in $BASE/node-*/)"
    sleep 0.5
  done
  log "nodes Ready after $(( $(date +%s) - start ))s"
  for i in $(seq 1 "$NODE_COUNT"); do
    log "node-$i: kube-router's network policy controller"
    policy_controller_up "$i"
  done

  log "cluster DNS (openshift-dns) and the volume provisioner"
  for f in "$HERE"/addons/*.yaml; do
    sed -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" -e "s|@LOCAL_PATH_PROVISIONER_IMAGE@|$LOCAL_PATH_PROVISIONER_IMAGE|g" \
      -e "s|@PROBE_IMAGE@|$PROBE_IMAGE|g" -e "s|@DNS_SERVICE_IP@|$DNS_SERVICE_IP|g" -e "s|@BASE@|$BASE|g" "$f"
    echo "---"
  done | "${k[@]}" apply -f - >/dev/null || die "applying the cluster add-ons failed"
  "${k[@]}" -n openshift-dns rollout status daemonset/dns-default --timeout 120s >&2 || die "DNS pods not ready"
  "${k[@]}" -n local-path-storage rollout status deployment/local-path-provisioner --timeout 120s >&2 || die "volume provisioner not ready"
  for i in $(seq 1 "$NODE_COUNT"); do
    for p in containerd kubelet kube-proxy kube-router; do
      kill -0 "$(cat "$BASE/node-$i/$p.pid")" 2>/dev/null || { tail -20 "$BASE/node-$i/$p.log" >&2; die "node-$i: $p exited (log: $BASE/node-$i/$p.log)"; }
    done
  done
  {
    echo "NODES_DIR=$BASE"
    echo "NODE_COUNT=$NODE_COUNT"
    cat "$BASE/images.env"
  } >> "$cluster_dir/state.env"
  log "ready: $NODE_COUNT nodes, DNS at $DNS_SERVICE_IP (openshift-dns/dns-default:53 -> 5353)"
}

case "${1:-}" in
  up) [ $# -eq 2 ] || die "usage: nodes.sh up CLUSTER_DIR"; up "$2" ;;
  down) exec 7>"$LOCK"; flock 7; down; log "stopped; $(check || true)" ;;
  check) check ;;
  stop-node) node_number "${2:-}"; exec 7>"$LOCK"; flock 7; node_stop "$2" ;;
  start-node) node_number "${2:-}"; exec 7>"$LOCK"; flock 7; node_start "$2" ;;
  *) die "usage: nodes.sh up CLUSTER_DIR | down | check | stop-node N | start-node N" ;;
esac

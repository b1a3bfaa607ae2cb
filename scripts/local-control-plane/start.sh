#!/usr/bin/env bash
# Start a local Kubernetes control plane (etcd, kube-apiserver and kube-controller-manager
# on loopback, no nodes) for tests of the Pulumi program: it stores and validates objects,
# runs admission and RBAC, issues ServiceAccount tokens, and runs the controllers the
# Pulumi engine relies on (quota status, garbage collection, namespace deletion, default
# ServiceAccounts).
#
# Usage:
#   scripts/local-control-plane/start.sh                 foreground; Ctrl-C stops and cleans up
#   scripts/local-control-plane/start.sh -- CMD [ARG...] start, run CMD with KUBECONFIG set, stop;
#                                                   exits with CMD's status
#   eval "$(scripts/local-control-plane/start.sh --background)"
#                                                   start and return; prints export lines for
#                                                   KUBECONFIG and ABEVALFLOW_CLUSTER_STATE;
#                                                   stop with scripts/local-control-plane/stop.sh
# Options:
#   --nodes             also start kube-scheduler and two nodes that run pods, in a sealed
#                       network (nodes/nodes.sh: containerd, kubelet, kube-proxy, kube-router,
#                       cluster DNS in openshift-dns, a volume provisioner); needs root
#   --state-file PATH   also write the state file there (background mode)
#   --keep-dir          keep the temp dir (logs, certs) after stopping
#
# Environment:
#   ABEVALFLOW_TOOLCHAIN_ENV   env file from scripts/toolchain/ensure.sh, sourced when it
#                              exists (default: ~/.cache/abevalflow/toolchain/env.sh)
#   ABEVALFLOW_CLUSTER_TIMEOUT seconds to wait for readiness (default 120)
#
# Without --nodes (no scheduler, no kubelet) no pod ever runs, so no Deployment becomes ready
# and no Service gets endpoints; PVCs get the default StorageClass `local-wait-for-consumer`
# (WaitForFirstConsumer, no provisioner) and stay Pending. With --nodes pods run, Services
# have endpoints and claims bind (StorageClass `local-path`).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

mode=foreground
state_copy=
keep_dir=0
nodes=0
cmd=()
while [ $# -gt 0 ]; do
  case "$1" in
    --background) mode=background; shift ;;
    --state-file) [ $# -ge 2 ] || lc_die "--state-file needs a path"; state_copy=$2; shift 2 ;;
    --keep-dir) keep_dir=1; shift ;;
    --nodes) nodes=1; shift ;;
    --) shift; [ $# -gt 0 ] || lc_die "-- needs a command"; mode=command; cmd=("$@"); break ;;
    -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) lc_die "unknown argument '$1' (see --help)" ;;
  esac
done

# --- binaries ---------------------------------------------------------------
toolchain_env=${ABEVALFLOW_TOOLCHAIN_ENV:-${ABEVALFLOW_TOOLCHAIN_CACHE:-$HOME/.cache/abevalflow/toolchain}/env.sh}
if [ -f "$toolchain_env" ]; then
  # shellcheck disable=SC1090
  . "$toolchain_env"
fi
needed=(etcd kube-apiserver kube-controller-manager kubectl)
[ "$nodes" = 1 ] && needed+=(kube-scheduler kubelet kube-proxy kube-router coredns local-path-provisioner)
for b in "${needed[@]}" openssl; do
  command -v "$b" >/dev/null 2>&1 || lc_die "'$b' not found on PATH; run scripts/toolchain/ensure.sh ${needed[*]} (env file: $toolchain_env)"
done
# shellcheck source=nodes/network.env
. "$HERE/nodes/network.env"
KUBECTL=$(command -v kubectl)

# --- ports ------------------------------------------------------------------
# Holding all sockets open until every port is chosen keeps the three ports distinct;
# the short window before the servers bind them is accepted.
free_ports() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
  else
    node -e '
const net = require("net"); const n = +process.argv[1]; const servers = [];
(function next() {
  if (servers.length === n) { console.log(servers.map(s => s.address().port).join(" ")); servers.forEach(s => s.close()); return; }
  const s = net.createServer(); s.listen(0, "127.0.0.1", () => { servers.push(s); next(); });
})();' "$1"
  fi
}
read -r ETCD_CLIENT_PORT ETCD_PEER_PORT API_PORT <<<"$(free_ports 3)" || lc_die "could not find free loopback ports"
[ -n "${API_PORT:-}" ] || lc_die "could not find free loopback ports (neither python3 nor node worked)"

# --- directory and credentials ---------------------------------------------
DIR=$(mktemp -d "${TMPDIR:-/tmp}/abevalflow-cluster.XXXXXX")
chmod 700 "$DIR"
# The state file is read back as plain KEY=value lines (stop.sh never sources it), so
# its values must not need quoting.
case "$DIR" in *[!A-Za-z0-9_./-]*) rm -rf -- "$DIR"; lc_die "TMPDIR must be a path without spaces or special characters: $DIR" ;; esac
ETCD_PID=
APISERVER_PID=
CONTROLLER_MANAGER_PID=
SCHEDULER_PID=
started_ok=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$mode" = background ] && [ "$started_ok" = 1 ]; then exit "$rc"; fi
  # Signals (130, 143) are a normal stop; any other failure shows why before the logs go.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ "$rc" -ne 143 ] && [ "$mode" != command -o "$started_ok" = 0 ]; then
    for f in etcd apiserver controller-manager; do
      [ -s "$DIR/$f.log" ] && { lc_log "last lines of $f.log:"; tail -n 25 "$DIR/$f.log" >&2; }
    done
  fi
  lc_stop_cluster "$DIR" "$APISERVER_PID" "$ETCD_PID" "$keep_dir" "$CONTROLLER_MANAGER_PID" "$SCHEDULER_PID" "$nodes"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$DIR/pki" "$DIR/etcd-data"
lc_log "dir $DIR; etcd 127.0.0.1:$ETCD_CLIENT_PORT, apiserver https://127.0.0.1:$API_PORT"
(
  cd "$DIR/pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -keyout ca.key -out ca.crt -subj "/CN=abevalflow-local-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
  # 10.0.0.1 is Service default/kubernetes; the forwarder's address is where nodes reach it.
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.0.0.1,IP:$FORWARDER_ADDR" \
    "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" > apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
    -out apiserver.crt -extfile apiserver.ext
  # ServiceAccount tokens (TokenRequest) are signed with this key and verified with its public half.
  openssl genrsa -out sa.key 2048
  openssl rsa -in sa.key -pubout -out sa.pub
  # The API server's identity towards the kubelets (exec, logs, port-forward).
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout kubelet-client.key -out kubelet-client.csr -subj "/O=system:masters/CN=kube-apiserver-kubelet-client"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth" > kubelet-client.ext
  openssl x509 -req -in kubelet-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
    -out kubelet-client.crt -extfile kubelet-client.ext
) >"$DIR/pki/openssl.log" 2>&1 || { cat "$DIR/pki/openssl.log" >&2; lc_die "generating certificates failed"; }

# A fresh random admin token per cluster: nothing secret is stored in the repository.
ADMIN_TOKEN=$(openssl rand -hex 32)
umask 077
printf '%s,admin,admin,"system:masters"\n' "$ADMIN_TOKEN" > "$DIR/pki/tokens.csv"
KUBECONFIG_FILE=$DIR/kubeconfig
cat > "$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: abevalflow-local
    cluster:
      server: https://127.0.0.1:$API_PORT
      certificate-authority-data: $(base64 -w0 < "$DIR/pki/ca.crt")
users:
  - name: admin
    user:
      token: $ADMIN_TOKEN
contexts:
  - name: abevalflow-local
    context:
      cluster: abevalflow-local
      user: admin
      namespace: default
current-context: abevalflow-local
EOF
umask 022

# --- processes ----------------------------------------------------------------
# setsid: the servers leave the terminal's process group, so Ctrl-C reaches only this
# script, which then stops them in order (and background mode survives the shell).
setsid etcd \
  --name default \
  --data-dir "$DIR/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync \
  --log-level warn \
  >"$DIR/etcd.log" 2>&1 </dev/null &
ETCD_PID=$!

# Pod writes at Metadata level, the level that carries admission's annotations: the
# pod-security audit label's verdicts (pod-security.kubernetes.io/audit-violations) land there.
cat > "$DIR/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    resources: [{ group: "", resources: ["pods"] }]
    verbs: [create, update, patch]
  - level: None
POLICY

# --endpoint-reconciler-type=none: the `kubernetes` Service's endpoints would point at
# 127.0.0.1, which endpoint validation rejects on every reconcile.
setsid kube-apiserver \
  --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --bind-address 127.0.0.1 \
  --advertise-address 127.0.0.1 \
  --secure-port "$API_PORT" \
  --cert-dir "$DIR/pki" \
  --tls-cert-file "$DIR/pki/apiserver.crt" \
  --tls-private-key-file "$DIR/pki/apiserver.key" \
  --token-auth-file "$DIR/pki/tokens.csv" \
  --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$DIR/pki/sa.pub" \
  --service-account-signing-key-file "$DIR/pki/sa.key" \
  --service-cluster-ip-range "$SERVICE_NET" \
  --kubelet-client-certificate "$DIR/pki/kubelet-client.crt" \
  --kubelet-client-key "$DIR/pki/kubelet-client.key" \
  --kubelet-preferred-address-types InternalIP \
  --endpoint-reconciler-type none \
  --allow-privileged=true \
  --profiling=false \
  --audit-policy-file "$DIR/audit-policy.yaml" \
  --audit-log-path "$DIR/audit.log" \
  --audit-log-maxsize 100 \
  >"$DIR/apiserver.log" 2>&1 </dev/null &
APISERVER_PID=$!

# --- readiness ------------------------------------------------------------------
timeout=${ABEVALFLOW_CLUSTER_TIMEOUT:-120}
start=$(date +%s)
until "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" get --raw /readyz >/dev/null 2>&1; do
  kill -0 "$ETCD_PID" 2>/dev/null || lc_die "etcd exited during startup (log: $DIR/etcd.log)"
  kill -0 "$APISERVER_PID" 2>/dev/null || lc_die "kube-apiserver exited during startup (log: $DIR/apiserver.log)"
  if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
    "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" get --raw '/readyz?verbose' >&2 || true
    lc_die "kube-apiserver not ready after ${timeout}s (log: $DIR/apiserver.log)"
  fi
  sleep 0.5
done
lc_log "apiserver ready after $(( $(date +%s) - start ))s"

# The same admin credentials as the kubeconfig; no serving port (--secure-port 0), since
# nothing here scrapes its metrics. The ServiceAccount key and CA let it mint token Secrets
# and publish kube-root-ca.crt into each namespace, as on a cluster.
setsid kube-controller-manager \
  --kubeconfig "$KUBECONFIG_FILE" \
  --secure-port 0 \
  --leader-elect=false \
  --service-account-private-key-file "$DIR/pki/sa.key" \
  --root-ca-file "$DIR/pki/ca.crt" \
  --cluster-name abevalflow-local \
  --controllers '*' \
  >"$DIR/controller-manager.log" 2>&1 </dev/null &
CONTROLLER_MANAGER_PID=$!

k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
k apply -f "$HERE/crds/" >&2 || lc_die "registering the project's CRDs failed"
k wait --for condition=Established --timeout 60s \
  crd/pipelineruns.tekton.dev crd/imagestreams.image.openshift.io >&2 \
  || lc_die "CRDs did not become Established"
k create namespace openshift-dns >&2 || lc_die "creating namespace openshift-dns failed"
[ "$nodes" = 1 ] || k apply -f - >&2 <<'EOT' || lc_die "creating the default StorageClass failed"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-wait-for-consumer
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
EOT
# The controllers are up once the ServiceAccount controller has created `default` in a
# namespace created after it started.
until k get serviceaccount default -n openshift-dns >/dev/null 2>&1; do
  kill -0 "$CONTROLLER_MANAGER_PID" 2>/dev/null || lc_die "kube-controller-manager exited during startup (log: $DIR/controller-manager.log)"
  if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
    lc_die "kube-controller-manager did not create ServiceAccounts within ${timeout}s (log: $DIR/controller-manager.log)"
  fi
  sleep 0.5
done
lc_log "controllers running after $(( $(date +%s) - start ))s"
# Discovery for freshly established CRDs can lag a moment behind the Established
# condition; wait until clients can resolve the kinds.
for ((i = 0; i < 40; i++)); do
  k get pipelineruns.v1.tekton.dev,imagestreams.v1.image.openshift.io -A >/dev/null 2>&1 && break
  sleep 0.25
done

STATE_FILE=$DIR/state.env
if [ "$nodes" = 1 ]; then
  setsid kube-scheduler --kubeconfig "$KUBECONFIG_FILE" --leader-elect=false --secure-port 0 \
    >"$DIR/scheduler.log" 2>&1 </dev/null &
  SCHEDULER_PID=$!
fi
{
  echo "# Written by scripts/local-control-plane/start.sh. Plain KEY=value lines; safe to source."
  echo "CLUSTER_DIR=$DIR"
  echo "KUBECONFIG=$KUBECONFIG_FILE"
  echo "API_SERVER_URL=https://127.0.0.1:$API_PORT"
  echo "AUDIT_LOG=$DIR/audit.log"
  echo "ETCD_ENDPOINT=http://127.0.0.1:$ETCD_CLIENT_PORT"
  echo "ETCD_PID=$ETCD_PID"
  echo "APISERVER_PID=$APISERVER_PID"
  echo "CONTROLLER_MANAGER_PID=$CONTROLLER_MANAGER_PID"
  echo "SCHEDULER_PID=$SCHEDULER_PID"
  echo "NODES_REQUESTED=$nodes"
  echo "KEEP_DIR=$keep_dir"
} > "$STATE_FILE"
if [ "$nodes" = 1 ]; then
  nodes_start=$(date +%s)
  "$HERE/nodes/nodes.sh" up "$DIR" || lc_die "starting the nodes failed (logs under ${ABEVALFLOW_NODES_DIR:-/var/tmp/abevalflow-nodes})"
  lc_log "nodes ready after $(( $(date +%s) - nodes_start ))s"
fi
if [ -n "$state_copy" ]; then
  mkdir -p "$(dirname "$state_copy")"
  cp "$STATE_FILE" "$state_copy"
fi
started_ok=1
lc_log "ready: KUBECONFIG=$KUBECONFIG_FILE (state: $STATE_FILE)"

case "$mode" in
  background)
    printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_FILE"
    printf 'export ABEVALFLOW_CLUSTER_STATE=%q\n' "${state_copy:-$STATE_FILE}"
    lc_log "stop with: scripts/local-control-plane/stop.sh ${state_copy:-$STATE_FILE}"
    ;;
  command)
    set +e
    KUBECONFIG=$KUBECONFIG_FILE ABEVALFLOW_CLUSTER_STATE=$STATE_FILE "${cmd[@]}"
    rc=$?
    set -e
    exit "$rc"
    ;;
  foreground)
    lc_log "running in the foreground; Ctrl-C to stop. In another shell: export KUBECONFIG=$KUBECONFIG_FILE"
    # Returns when either server dies, or when a trapped signal interrupts it.
    wait -n "$ETCD_PID" "$APISERVER_PID" "$CONTROLLER_MANAGER_PID" || true
    lc_die "a control-plane process exited unexpectedly (logs in $DIR)"
    ;;
esac

#!/usr/bin/env bash
# From a fresh clone to a deployed stack on a local cluster with two nodes: npm ci when needed
# (else npm run build: Pulumi.yaml runs the compiled program, the pack its compiled rules), the
# toolchain, the nodes' packages and images, the cluster, a file backend, `pulumi up` with the
# policy pack and every readiness wait, then the outputs and the proxy's readiness as seen from
# the host shell. Needs root (the nodes' network namespaces and containerd).
# Usage: scripts/local-deploy/up.sh [dev|prod]      (default dev)
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

base=${1:-dev}
case "$base" in dev|prod) ;; *) local_die "unknown stack '$base'; expected dev or prod" ;; esac

if [ ! -d "$REPO_ROOT/node_modules/@pulumi/pulumi" ]; then
  local_log "step 0/5: npm ci (no node_modules yet; it also compiles the program and the policy pack)"
  (cd "$REPO_ROOT" && npm ci --no-audit --no-fund) >&2 || local_die "npm ci failed; nothing was deployed"
else
  local_log "step 0/5: npm run build (the program and the policy pack as JavaScript)"
  (cd "$REPO_ROOT" && npm run --silent build) >&2 || local_die "npm run build failed; nothing was deployed"
fi
[ "$(id -u)" = 0 ] || local_die "the local cluster's nodes need root (network namespaces, containerd); nothing was deployed"
local_log "step 1/5: toolchain (built once into ~/.cache/abevalflow/toolchain; about half an hour the first time)"
load_toolchain
local_log "step 2/5: the nodes' Debian packages and images (images built once, minutes the first time)"
"$REPO_ROOT/scripts/local-control-plane/nodes/packages.sh" || local_die "installing the nodes' packages failed; nothing was deployed"
"$REPO_ROOT/scripts/local-control-plane/nodes/images.sh" >/dev/null || local_die "building the nodes' images failed; nothing was deployed"
local_log "step 3/5: local cluster (control plane and two nodes)"
if load_cluster && grep -q '^NODES_DIR=' "$CLUSTER_STATE"; then
  local_log "cluster already running ($KUBECONFIG)"
else
  if [ -f "$CLUSTER_STATE" ]; then
    local_log "stopping the cluster of $CLUSTER_STATE first (it has no nodes, or does not answer)"
    "$REPO_ROOT/scripts/local-control-plane/stop.sh" "$CLUSTER_STATE" || true
  fi
  mkdir -p "$LOCAL_DIR"
  eval "$("$REPO_ROOT/scripts/local-control-plane/start.sh" --nodes --background --state-file "$CLUSTER_STATE")"
  load_cluster || local_die "the cluster started but is not ready; see its logs under the state file's dir: $CLUSTER_STATE"
fi
local_log "step 4/5: stack"
stack=$(prepare_local_stack "$base")
local_log "step 5/5: pulumi up -s $stack with the policy pack (policy/config/$base.json), waiting for every object to be ready"
pulumi up --yes --skip-preview=false -s "$stack" --cwd "$REPO_ROOT" \
  --policy-pack "$REPO_ROOT/policy" --policy-pack-config "$REPO_ROOT/policy/config/$base.json"
pulumi stack output -s "$stack" --cwd "$REPO_ROOT"
ns=$(pulumi stack output namespace -s "$stack" --cwd "$REPO_ROOT")
proxy=""
if kubectl get service litellm -n "$ns" >/dev/null 2>&1; then
  port=$(kubectl get service litellm -n "$ns" -o jsonpath='{.spec.ports[0].port}')
  # From the host shell the proxy is reached through the API server (the sealed network has no other way in).
  kubectl port-forward -n "$ns" service/litellm "$port:$port" >/dev/null 2>&1 &
  pf=$!
  ready=""
  for _ in $(seq 1 20); do
    ready=$(curl -fsS "http://127.0.0.1:$port/health/readiness" 2>/dev/null) && break
    sleep 0.5
  done
  kill "$pf" 2>/dev/null || true
  [ -n "$ready" ] || local_die "the proxy's /health/readiness did not answer through kubectl port-forward"
  proxy="
The LiteLLM proxy answers /health/readiness: $ready
Reach it from this shell with:
  kubectl port-forward -n $ns service/litellm $port:$port &
  curl http://127.0.0.1:$port/health/readiness"
fi
cat <<EOT

Deployed stack $stack to the local cluster. To look at it:
  export KUBECONFIG=$KUBECONFIG
  kubectl get all,networkpolicy,pvc,role,rolebinding -n $ns$proxy
Tear down with: npm run down:local
EOT

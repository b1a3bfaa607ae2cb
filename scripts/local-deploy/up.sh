#!/usr/bin/env bash
# From a fresh clone to a deployed stack on a local control plane: npm ci when needed, the
# toolchain, control plane, file backend, `pulumi up` with the policy pack, then the outputs.
# Usage: scripts/local-deploy/up.sh [dev|prod]      (default dev)
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

base=${1:-dev}
case "$base" in dev|prod) ;; *) local_die "unknown stack '$base'; expected dev or prod" ;; esac

if [ ! -d "$REPO_ROOT/node_modules/@pulumi/pulumi" ]; then
  local_log "step 0/4: npm ci (no node_modules yet)"
  (cd "$REPO_ROOT" && npm ci --no-audit --no-fund) >&2 || local_die "npm ci failed; nothing was deployed"
fi
local_log "step 1/4: toolchain (built once into ~/.cache/abevalflow/toolchain; about half an hour the first time)"
load_toolchain
local_log "step 2/4: local control plane"
if load_cluster; then
  local_log "control plane already running ($KUBECONFIG)"
else
  mkdir -p "$LOCAL_DIR"
  eval "$("$REPO_ROOT/scripts/local-control-plane/start.sh" --background --state-file "$CLUSTER_STATE")"
  load_cluster || local_die "the control plane started but is not ready; see its logs under the state file's dir: $CLUSTER_STATE"
fi
local_log "step 3/4: stack"
stack=$(prepare_local_stack "$base")
local_log "step 4/4: pulumi up -s $stack with the policy pack (policy/config/$base.json)"
pulumi up --yes --skip-preview=false -s "$stack" --cwd "$REPO_ROOT" \
  --policy-pack "$REPO_ROOT/policy" --policy-pack-config "$REPO_ROOT/policy/config/$base.json"
pulumi stack output -s "$stack" --cwd "$REPO_ROOT"
cat <<EOT

Deployed stack $stack to the local control plane. To look at it:
  export KUBECONFIG=$KUBECONFIG
  kubectl get all,networkpolicy,pvc,role,rolebinding -n \$(pulumi stack output namespace -s $stack)
Tear down with: npm run down:local
EOT

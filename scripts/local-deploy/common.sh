# Shared by the local deploy scripts: the toolchain on PATH, a file backend and the
# engine settings for a machine with no access to Pulumi's services.
# shellcheck shell=bash
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL_DIR=${ABEVALFLOW_LOCAL_DIR:-$REPO_ROOT/.pulumi-local}
CLUSTER_STATE=$LOCAL_DIR/cluster.state

local_log() { printf '[local] %s\n' "$*" >&2; }
local_die() { printf '[local] ERROR: %s\n' "$*" >&2; exit 1; }

load_toolchain() {
  local env_file
  env_file=$("$REPO_ROOT/scripts/toolchain/ensure.sh" --print-env-path)
  if ! "$REPO_ROOT/scripts/toolchain/ensure.sh" >&2; then
    local_die "the toolchain is incomplete (see the step named above); nothing was deployed"
  fi
  # shellcheck disable=SC1090
  . "$env_file"
  mkdir -p "$LOCAL_DIR/backend"
  export PULUMI_BACKEND_URL="file://$LOCAL_DIR/backend"
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  # The local stacks hold a throwaway cluster's state only; their passphrase is not a secret.
  export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-local-control-plane}
}

# Reads KUBECONFIG from the running local cluster's state file.
load_cluster() {
  [ -f "$CLUSTER_STATE" ] || return 1
  local kubeconfig
  kubeconfig=$(sed -n 's/^KUBECONFIG=//p' "$CLUSTER_STATE" | head -n1)
  [ -n "$kubeconfig" ] && [ -f "$kubeconfig" ] || return 1
  export KUBECONFIG=$kubeconfig
  kubectl get --raw /readyz >/dev/null 2>&1
}

# Creates (or refreshes) stack local-<base>: the committed Pulumi.<base>.yaml values with the
# images of the local cluster's nodes (scripts/local-deploy/stack-file.js), and what an
# operator creates before the first up: the Vertex key Secret the stack names, here a throwaway.
prepare_local_stack() {
  local base=$1 stack=local-$1 ns secret mode
  [ -f "$REPO_ROOT/Pulumi.$base.yaml" ] || local_die "no stack file Pulumi.$base.yaml (expected dev or prod)"
  if ! pulumi stack select "$stack" --cwd "$REPO_ROOT" >/dev/null 2>&1; then
    pulumi stack init "$stack" --secrets-provider passphrase --cwd "$REPO_ROOT" >&2
  fi
  node "$REPO_ROOT/scripts/local-deploy/stack-file.js" "$REPO_ROOT/Pulumi.$base.yaml" "$REPO_ROOT/Pulumi.$stack.yaml" "$CLUSTER_STATE" >&2 \
    || local_die "writing the local stack file failed; nothing was deployed"
  ns=$(pulumi config get abevalflow:namespace -s "$stack" --cwd "$REPO_ROOT")
  mode=$(pulumi config get abevalflow:llmMode -s "$stack" --cwd "$REPO_ROOT" 2>/dev/null || echo litellm)
  secret=$(pulumi config get abevalflow:litellmVertexCredentialsSecretName -s "$stack" --cwd "$REPO_ROOT" 2>/dev/null || true)
  if [ "$mode" = litellm ] && [ -n "$secret" ]; then
    (cd "$REPO_ROOT" && node_modules/.bin/ts-node --transpile-only scripts/local-deploy/vertex-secret.ts "$ns" "$secret") >&2 \
      || local_die "creating the Vertex key Secret $ns/$secret failed; nothing was deployed"
  fi
  echo "$stack"
}

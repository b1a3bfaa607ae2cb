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

# Creates (or refreshes) stack local-<base>: the committed Pulumi.<base>.yaml values plus
# localControlPlane, which only this path ever sets.
prepare_local_stack() {
  local base=$1 stack=local-$1
  [ -f "$REPO_ROOT/Pulumi.$base.yaml" ] || local_die "no stack file Pulumi.$base.yaml (expected dev or prod)"
  if ! pulumi stack select "$stack" --cwd "$REPO_ROOT" >/dev/null 2>&1; then
    pulumi stack init "$stack" --secrets-provider passphrase --cwd "$REPO_ROOT" >&2
  fi
  node "$REPO_ROOT/scripts/local-deploy/stack-file.js" "$REPO_ROOT/Pulumi.$base.yaml" "$REPO_ROOT/Pulumi.$stack.yaml"
  echo "$stack"
}

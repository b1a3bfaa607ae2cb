#!/usr/bin/env bash
# Destroys the local stacks and stops the local control plane.
# The volumes are retained on delete by design; they vanish with the control plane.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

load_toolchain
if load_cluster; then
  for stack in local-dev local-prod; do
    if pulumi stack select "$stack" --cwd "$REPO_ROOT" >/dev/null 2>&1; then
      local_log "destroying $stack"
      pulumi destroy --yes -s "$stack" --cwd "$REPO_ROOT"
      pulumi stack rm --yes -s "$stack" --cwd "$REPO_ROOT" >/dev/null
      rm -f "$REPO_ROOT/Pulumi.$stack.yaml"
    fi
  done
  "$REPO_ROOT/scripts/local-cluster/stop.sh" "$CLUSTER_STATE"
else
  local_log "no local control plane is running"
fi
rm -f "$CLUSTER_STATE"

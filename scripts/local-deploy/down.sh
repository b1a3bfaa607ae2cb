#!/usr/bin/env bash
# Destroys the local stacks, shows what the destroy kept (the Namespace and its volumes,
# retained on delete by design), then stops the local control plane, which takes them
# with it.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

load_toolchain
if load_cluster; then
  for stack in local-dev local-prod; do
    if pulumi stack select "$stack" --cwd "$REPO_ROOT" >/dev/null 2>&1; then
      local_log "destroying $stack"
      ns=$(pulumi config get abevalflow:namespace -s "$stack" --cwd "$REPO_ROOT" 2>/dev/null || true)
      # local-prod protects its volumes and Namespace, so a plain destroy is refused there;
      # --exclude-protected removes everything else, as an operator would.
      pulumi destroy --yes --exclude-protected -s "$stack" --cwd "$REPO_ROOT"
      if [ -n "$ns" ]; then
        local_log "kept by design (retainOnDelete): namespace $ns and its volumes:"
        kubectl get namespace "$ns" --no-headers >&2 || true
        kubectl get pvc -n "$ns" >&2 || true
      fi
      # --force: the retained (or protected) resources are left to the control plane below.
      pulumi stack rm --yes --force -s "$stack" --cwd "$REPO_ROOT" >/dev/null
      rm -f "$REPO_ROOT/Pulumi.$stack.yaml"
    fi
  done
  "$REPO_ROOT/scripts/local-control-plane/stop.sh" "$CLUSTER_STATE"
else
  local_log "no local control plane is running"
fi
rm -f "$CLUSTER_STATE"

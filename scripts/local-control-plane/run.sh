#!/usr/bin/env bash
# Run one command beside a fresh local cluster, with the whole real toolchain on PATH
# (Pulumi CLI, language host and providers, etcd, kube-apiserver, kube-controller-manager,
# kubectl, and the nodes' binaries; each built once into a cache when missing) and, as root,
# two nodes that run pods in a sealed network (nodes/nodes.sh). `npm run test:e2e` and
# `npm run bench:engine` go through here. After CMD the cluster is stopped and the run fails
# if the nodes left anything behind (a namespace, mount, interface, route or process).
#
# Usage: scripts/local-control-plane/run.sh CMD [ARG...]     exits with CMD's status
# Environment: ABEVALFLOW_NODES=0 runs without nodes (the control plane alone).
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO_ROOT"
[ $# -gt 0 ] || { echo "usage: $0 CMD [ARG...]" >&2; exit 2; }

start=$(date +%s)
echo "[run] toolchain (a cold build takes about an hour on 2 cores; progress below)" >&2
"$REPO_ROOT/scripts/toolchain/ensure.sh" >&2
env_file=$("$REPO_ROOT/scripts/toolchain/ensure.sh" --print-env-path)
# shellcheck disable=SC1090
. "$env_file"
echo "[run] toolchain ready after $(( $(date +%s) - start ))s" >&2

nodes=${ABEVALFLOW_NODES:-1}
if [ "$nodes" = 1 ] && [ "$(id -u)" != 0 ]; then
  echo "[run] nodes need root (network namespaces, containerd); set ABEVALFLOW_NODES=0 to run without them" >&2
  exit 2
fi
if [ "$nodes" != 1 ]; then
  exec "$REPO_ROOT/scripts/local-control-plane/start.sh" -- "$@"
fi
"$REPO_ROOT/scripts/local-control-plane/nodes/packages.sh" >&2
images_start=$(date +%s)
"$REPO_ROOT/scripts/local-control-plane/nodes/images.sh" >/dev/null
echo "[run] images ready after $(( $(date +%s) - images_start ))s" >&2
set +e
"$REPO_ROOT/scripts/local-control-plane/start.sh" --nodes -- "$@"
rc=$?
set -e
if ! leftovers=$("$REPO_ROOT/scripts/local-control-plane/nodes/nodes.sh" check); then
  echo "[run] the stopped cluster $leftovers" >&2
  [ "$rc" = 0 ] && rc=1
fi
exit "$rc"

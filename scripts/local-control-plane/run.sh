#!/usr/bin/env bash
# Run one command beside a fresh local control plane, with the whole real toolchain on PATH
# (Pulumi CLI, language host and providers, etcd, kube-apiserver, kube-controller-manager,
# kubectl; each built once into a cache when missing). `npm run test:e2e` and
# `npm run bench:engine` go through here.
#
# Usage: scripts/local-control-plane/run.sh CMD [ARG...]     exits with CMD's status
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

exec "$REPO_ROOT/scripts/local-control-plane/start.sh" -- "$@"

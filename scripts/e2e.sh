#!/usr/bin/env bash
# `npm run test:e2e`: provide the Pulumi CLI and the control-plane binaries (built once into a cache), start a
# local control plane, run the end-to-end suites against it, stop it. The suites build or
# install their own outside tools (netpolicy, litellm) through the project's scripts.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"

start=$(date +%s)
echo "[e2e] toolchain: pulumi, etcd, kube-apiserver, kubectl (a cold build takes 15-35 minutes; progress below)" >&2
"$REPO_ROOT/scripts/toolchain/ensure.sh" pulumi etcd kube-apiserver kubectl >&2
env_file=$("$REPO_ROOT/scripts/toolchain/ensure.sh" --print-env-path)
# shellcheck disable=SC1090
. "$env_file"
echo "[e2e] toolchain ready after $(( $(date +%s) - start ))s" >&2

exec "$REPO_ROOT/scripts/local-cluster/start.sh" -- \
  npx mocha --config "$REPO_ROOT/.mocharc.e2e.json" "$@"

#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built once from the Go module proxy into the
# toolchain cache (the workflows cannot run here; this is how they are checked).
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=toolchain/versions.env
. "$REPO_ROOT/scripts/toolchain/versions.env"
: "${ACTIONLINT_VERSION:?ACTIONLINT_VERSION missing from scripts/toolchain/versions.env}"
CACHE=${ABEVALFLOW_TOOLCHAIN_CACHE:-$HOME/.cache/abevalflow/toolchain}
bin_dir=$CACHE/actionlint-$ACTIONLINT_VERSION
if [ ! -x "$bin_dir/actionlint" ]; then
  echo "[lint-workflows] building actionlint $ACTIONLINT_VERSION (once)" >&2
  mkdir -p "$bin_dir"
  GOBIN=$bin_dir GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" \
    || { echo "[lint-workflows] ERROR: go install of actionlint $ACTIONLINT_VERSION failed" >&2; exit 1; }
fi
cd "$REPO_ROOT"
"$bin_dir/actionlint" -no-color "$@"
echo "[lint-workflows] $(ls .github/workflows/*.yml | wc -l) workflow file(s) clean" >&2

#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built once from the Go module proxy into the
# toolchain cache (the workflows cannot run here; this is how they are checked). actionlint
# checks every `run:` script with shellcheck, which it finds on PATH and otherwise skips
# without a word; so shellcheck is installed from Debian when missing, handed to actionlint
# by path, and a known-bad scratch workflow proves the integration before the real check.
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

cannot_install() {
  echo "[lint-workflows] ERROR: shellcheck is not on PATH and could not be installed ($1)." >&2
  echo "[lint-workflows] Install it (Debian/Ubuntu: apt-get install shellcheck) and run again." >&2
  exit 1
}
if ! command -v shellcheck >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || cannot_install "no apt-get: not a Debian-based system"
  [ "$(id -u)" -eq 0 ] || cannot_install "apt-get needs root"
  echo "[lint-workflows] installing shellcheck from Debian (once)" >&2
  apt-get update -qq >&2 || cannot_install "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >&2 || cannot_install "apt-get install shellcheck failed"
  command -v shellcheck >/dev/null 2>&1 || cannot_install "installed, but still not on PATH"
fi
shellcheck_bin=$(command -v shellcheck)

# The proof: SC2086 (an unquoted expansion) in a scratch workflow must be reported.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/.github/workflows"
cat > "$scratch/.github/workflows/probe.yml" <<'EOF'
on: push
jobs:
  probe:
    runs-on: ubuntu-latest
    steps:
      - run: echo $HOME
EOF
# actionlint exits 1 on the finding it is meant to make.
probe=$("$bin_dir/actionlint" -no-color -shellcheck "$shellcheck_bin" "$scratch/.github/workflows/probe.yml" 2>&1 || true)
if ! grep -q 'SC2086' <<<"$probe"; then
  echo "[lint-workflows] ERROR: actionlint did not report shellcheck's SC2086 in a probe workflow; $shellcheck_bin is not being run" >&2
  exit 1
fi

cd "$REPO_ROOT"
"$bin_dir/actionlint" -no-color -shellcheck "$shellcheck_bin" "$@"
workflows=(.github/workflows/*.yml)
echo "[lint-workflows] ${#workflows[@]} workflow file(s) clean (shellcheck $("$shellcheck_bin" --version | sed -n 's/^version: //p') on every run: script)" >&2

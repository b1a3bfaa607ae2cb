#!/usr/bin/env bash
# Benchmark of the cleanup program against `tkn pipelinerun delete --keep-since` on the
# local control plane. Usage:
#   bench/cleanup.sh            build tkn if missing, start a local control plane (unless
#                               KUBECONFIG points at one already) and run bench/cleanup.ts
#   bench/cleanup.sh build-tkn  only build tkn (prints its path)
# tkn is built from the Go module proxy into a cache outside the repository, keyed by
# version, so the second run costs nothing; TKN=/path/to/tkn skips the build. v0.43 is the
# newest release the proxy here serves whole (v0.44 replaces tektoncd/hub with a fork it does
# not serve, v0.42 needs a tektoncd/hub version it does not serve).
set -euo pipefail

TKN_VERSION="${TKN_VERSION:-v0.43.0}"
CACHE="${ABEVALFLOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/abevalflow}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_tkn() {
    local out="$CACHE/tkn/$TKN_VERSION/tkn"
    if [[ -x "$out" ]]; then
        echo "$out"
        return
    fi
    local work src
    work="$(mktemp -d)"
    export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
    # Build inside a copy of the released module rather than a wrapper: its own go.mod
    # carries the replace (the alibabacloud cr fork) and its go.sum vouches for every
    # dependency, several of which the checksum database reachable here does not know. The
    # checksum database has no record of the cli module itself either: it alone is exempted.
    export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/tektoncd/cli"
    src="$(go mod download -json "github.com/tektoncd/cli@$TKN_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -d "$src" ]] || { echo "bench: could not download github.com/tektoncd/cli@$TKN_VERSION" >&2; return 1; }
    cp -r "$src/." "$work"
    chmod -R u+w "$work"
    mkdir -p "$(dirname "$out")"
    (
        cd "$work"
        GOFLAGS=-mod=readonly go build -trimpath -pgo=off \
            -ldflags "-s -w -X github.com/tektoncd/cli/pkg/cmd/version.clientVersion=$TKN_VERSION" \
            -o "$out.tmp" ./cmd/tkn >&2
    )
    mv "$out.tmp" "$out"
    rm -rf "$work"
    echo "$out"
}

case "${1:-run}" in
    build-tkn) build_tkn ;;
    run)
        tkn_bin="${TKN:-}"
        if [[ -z "$tkn_bin" ]]; then
            tkn_bin="$(build_tkn)" || { echo "bench: could not build tkn $TKN_VERSION; running without the baseline" >&2; tkn_bin=""; }
        fi
        cd "$REPO_ROOT"
        export TKN="$tkn_bin"
        if [[ -n "${KUBECONFIG:-}" ]]; then
            exec npx ts-node --transpile-only bench/cleanup.ts
        fi
        # etcd and kube-apiserver come from the project's toolchain cache.
        scripts/toolchain/ensure.sh etcd kube-apiserver kubectl >&2
        exec scripts/local-control-plane/start.sh -- npx ts-node --transpile-only bench/cleanup.ts
        ;;
    *) echo "usage: $0 [run|build-tkn]" >&2; exit 2 ;;
esac

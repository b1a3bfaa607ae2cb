#!/usr/bin/env bash
# Provide the real toolchain binaries (Pulumi CLI and plugins, etcd, kube-apiserver,
# kubectl) without release downloads: a binary already on PATH at the right version is
# used as is, otherwise it is built from the Go module proxy into a cache outside the
# repository, keyed by name and version, so a second run costs nothing.
#
# Usage: scripts/toolchain/ensure.sh [--env-file PATH] [--quiet-env] [TOOL...]
#   TOOL  one or more of: pulumi pulumi-language-nodejs pulumi-resource-kubernetes
#         pulumi-resource-random etcd kube-apiserver kube-controller-manager kubectl
#         kube-scheduler kubelet kube-proxy kube-router coredns local-path-provisioner
#         (default: all)
#   --env-file PATH  where to write the shell env file (default: $CACHE/env.sh)
#
# Then:  source "$(scripts/toolchain/ensure.sh --print-env-path)"   (or the printed path)
#
# Environment:
#   ABEVALFLOW_TOOLCHAIN_CACHE  cache root (default: ~/.cache/abevalflow/toolchain)
#   GO                          go binary to use (default: go on PATH, else /usr/local/go/bin/go)
#
# Exit status: 0 when every requested tool is available; 1 when any step failed (the
# env file is still written for the tools that are available, and each failure names
# its step and cause).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${ABEVALFLOW_TOOLCHAIN_CACHE:-$HOME/.cache/abevalflow/toolchain}
ENV_FILE=$CACHE/env.sh
ALL_TOOLS=(pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random etcd kube-apiserver kube-controller-manager kubectl kube-scheduler kubelet kube-proxy kube-router coredns local-path-provisioner)
# The node components the local cluster's nodes run (scripts/local-control-plane/node/).
K8S_CMDS=(kube-apiserver kube-controller-manager kubectl kube-scheduler kubelet kube-proxy)

log() { printf '[toolchain] %s\n' "$*" >&2; }
die() { printf '[toolchain] ERROR: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

tools=()
print_env_path=0
while [ $# -gt 0 ]; do
  case "$1" in
    --env-file) [ $# -ge 2 ] || die "--env-file needs a path"; ENV_FILE=$2; shift 2 ;;
    --print-env-path) print_env_path=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *)
      case " ${ALL_TOOLS[*]} " in *" $1 "*) tools+=("$1") ;; *) die "unknown tool '$1'; known: ${ALL_TOOLS[*]}" ;; esac
      shift ;;
  esac
done
if [ "$print_env_path" = 1 ]; then echo "$ENV_FILE"; exit 0; fi
[ ${#tools[@]} -gt 0 ] || tools=("${ALL_TOOLS[@]}")

# ---------------------------------------------------------------------------
# Versions: Pulumi ones from package.json (the single source of truth for the SDKs the
# program loads), the rest from versions.env.
# shellcheck source=versions.env
. "$HERE/versions.env"
: "${ETCD_VERSION:?ETCD_VERSION missing from $HERE/versions.env}"
: "${KUBERNETES_VERSION:?KUBERNETES_VERSION missing from $HERE/versions.env}"
: "${KUBERNETES_PROVIDER_TAG:?KUBERNETES_PROVIDER_TAG missing from $HERE/versions.env}"
: "${KUBERNETES_PROVIDER_MODULE_VERSION:?KUBERNETES_PROVIDER_MODULE_VERSION missing from $HERE/versions.env}"
: "${KUBE_ROUTER_VERSION:?KUBE_ROUTER_VERSION missing from $HERE/versions.env}"
: "${COREDNS_VERSION:?COREDNS_VERSION missing from $HERE/versions.env}"
: "${LOCAL_PATH_PROVISIONER_VERSION:?LOCAL_PATH_PROVISIONER_VERSION missing from $HERE/versions.env}"

command -v node >/dev/null 2>&1 || die "step versions: node is needed to read $REPO_ROOT/package.json"
npm_dep_version() {
  node -e '
    const p = require(process.argv[1]); const n = process.argv[2];
    const v = (p.dependencies || {})[n] || (p.devDependencies || {})[n];
    if (!v) { console.error(n + " is not a dependency in " + process.argv[1]); process.exit(2); }
    // A range would leave the binary version ambiguous; the plugins must match exactly.
    if (!/^\d+\.\d+\.\d+$/.test(v)) { console.error(n + " must be pinned to an exact x.y.z version, found " + v); process.exit(2); }
    console.log(v);' "$REPO_ROOT/package.json" "$1"
}
PULUMI_VERSION=v$(npm_dep_version @pulumi/pulumi) || die "step versions: cannot read @pulumi/pulumi from package.json"
KUBERNETES_PROVIDER_VERSION=v$(npm_dep_version @pulumi/kubernetes) || die "step versions: cannot read @pulumi/kubernetes from package.json"
RANDOM_PROVIDER_VERSION=v$(npm_dep_version @pulumi/random) || die "step versions: cannot read @pulumi/random from package.json"

tool_version() {
  case "$1" in
    pulumi|pulumi-language-nodejs) echo "$PULUMI_VERSION" ;;
    pulumi-resource-kubernetes) echo "$KUBERNETES_PROVIDER_VERSION" ;;
    pulumi-resource-random) echo "$RANDOM_PROVIDER_VERSION" ;;
    etcd) echo "$ETCD_VERSION" ;;
    kube-apiserver|kube-controller-manager|kubectl|kube-scheduler|kubelet|kube-proxy) echo "$KUBERNETES_VERSION" ;;
    kube-router) echo "$KUBE_ROUTER_VERSION" ;;
    coredns) echo "$COREDNS_VERSION" ;;
    local-path-provisioner) echo "$LOCAL_PATH_PROVISIONER_VERSION" ;;
  esac
}

PULUMI_HOME_DIR=${PULUMI_HOME:-$HOME/.pulumi}
# Upstream sources of the plugins the proxy does not serve (read only; copied before a build).
THIRD_PARTY=${ABEVALFLOW_THIRD_PARTY:-$REPO_ROOT/../shared/third_party}

# ---------------------------------------------------------------------------
# Go environment, only resolved when something has to be built.
GO_BIN=
go_setup() {
  [ -n "$GO_BIN" ] && return 0
  GO_BIN=${GO:-$(command -v go || true)}
  [ -n "$GO_BIN" ] || GO_BIN=/usr/local/go/bin/go
  [ -x "$GO_BIN" ] || die "no Go toolchain: set GO=/path/to/go or put go on PATH"
  # -mod=mod lets the wrapper modules resolve their graph; CGO off gives static binaries
  # like the upstream releases and avoids a C toolchain dependency.
  export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
  # The proxy here serves a pkg/v3 zip whose hash sum.golang.org has no record of
  # (lookup answers 404), so the checksum database cannot vouch for it.
  export GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi/pulumi/pkg
  log "  go: $("$GO_BIN" version) (GOPROXY=$("$GO_BIN" env GOPROXY))"
}

# `go mod download -json` of one module version; prints the JSON, fails with the
# proxy's own reason when the version cannot be had.
mod_download() {
  local out err
  out=$(cd "$CACHE" && "$GO_BIN" mod download -json "$1" 2>/dev/null) || true
  err=$(printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const j=JSON.parse(s);if(j.Error){console.log(j.Error)}}catch(e){console.log("no JSON from go mod download")}})')
  if [ -n "$err" ]; then
    printf '%s\n' "$err" >&2
    return 1
  fi
  printf '%s' "$out"
}
json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v==null?undefined:v[k];console.log(v==null?"":v)})' "$1"; }

# Write a wrapper go.mod that requires an upstream main module. Upstream replaces that
# point at sibling directories (which are not in the module zip) are turned into the
# published module at $3; replaces to other modules are repeated because replaces of a
# dependency are ignored by Go.
write_wrapper_gomod() {
  local dir=$1 upstream_gomod=$2 local_version=$3 module=$4 version=$5
  "$GO_BIN" mod edit -json "$upstream_gomod" | node -e '
    let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{
      const j = JSON.parse(s); const [modName, mod, ver, localVer] = process.argv.slice(1);
      const out = ["module " + modName, "", "go " + j.Go, ""];
      for (const g of (j.GoDebug || [])) out.push("godebug " + g.Key + "=" + g.Value);
      out.push("", "require " + mod + " " + ver, "");
      for (const r of (j.Replace || [])) {
        const local = !r.New.Version && /^\.{1,2}\//.test(r.New.Path);
        if (local && /FORBIDDEN/.test(r.New.Path)) continue;
        const old = r.Old.Path + (r.Old.Version ? " " + r.Old.Version : "");
        out.push("replace " + old + " => " + (local ? r.Old.Path + " " + localVer : r.New.Path + (r.New.Version ? " " + r.New.Version : "")));
      }
      console.log(out.join("\n"));
    });' "abevalflow.local/toolchain/$(basename "$dir")" "$module" "$version" "$local_version" > "$dir/go.mod"
}

# Keep the main packages in the module graph for `go mod tidy`.
write_tools_go() {
  local dir=$1; shift
  { echo '//go:build tools'; echo; echo 'package tools'; echo; echo 'import ('
    for p in "$@"; do printf '\t_ "%s"\n' "$p"; done; echo ')'; } > "$dir/tools.go"
}


# Build into a temporary name and rename, so an interrupted build never leaves a
# half-written binary that the next run would trust.
go_build_to() {
  local out=$1 ldflags=$2 pkg=$3
  mkdir -p "$(dirname "$out")"
  "$GO_BIN" build -trimpath -pgo=off -ldflags "-s -w $ldflags" -o "$out.partial" "$pkg"
  mv -f "$out.partial" "$out"
}

# ---------------------------------------------------------------------------
# Builders. Each gets NAME VERSION OUT and builds OUT.

STEP=
build_pulumi() {
  local v=$1 out=$2 dir=$CACHE/.build/pulumi-$v json gomod
  mkdir -p "$dir"
  STEP="pulumi: fetch github.com/pulumi/pulumi/pkg/v3@$v"
  json=$(mod_download "github.com/pulumi/pulumi/pkg/v3@$v")
  gomod=$(printf '%s' "$json" | json_field GoMod)
  STEP="pulumi: write wrapper module"
  write_wrapper_gomod "$dir" "$gomod" "$v" github.com/pulumi/pulumi/pkg/v3 "$v"
  write_tools_go "$dir" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  STEP="pulumi: go mod tidy"
  (cd "$dir" && "$GO_BIN" mod tidy)
  STEP="pulumi: go build"
  (cd "$dir" && go_build_to "$out" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

# A writable copy of a source tree (the module cache and $THIRD_PARTY are read only).
writable_copy() {
  local src=$1 dir=$2
  rm -rf "$dir"; mkdir -p "$dir"; cp -R "$src/." "$dir/"; chmod -R u+w "$dir"
}

# The upstream provider recipe: tidy, embed the schema stamped with the version (the
# upstream generate.go), build ./cmd/NAME with the version linked in.
provider_tidy_generate_build() {
  local name=$1 v=$2 out=$3 dir=$4 mod=$5
  STEP="$name: go mod tidy"
  (cd "$dir" && "$GO_BIN" mod tidy)
  STEP="$name: generate schema-embed.json (VERSION=${v#v})"
  (cd "$dir/cmd/$name" && VERSION=${v#v} "$GO_BIN" run ./generate.go)
  STEP="$name: go build"
  (cd "$dir" && go_build_to "$out" "-X $mod/pkg/version.Version=$v" "./cmd/$name")
}

# The language host module is not served by the proxy: its upstream sources at the CLI's
# tag are kept, unmodified and read-only, in $THIRD_PARTY. Build from a writable copy whose
# sibling replaces (pkg/ and sdk/ of the pulumi repository) point at the published modules.
build_pulumi_language_nodejs() {
  local v=$1 out=$2 dir=$CACHE/.build/pulumi-language-nodejs-$v
  local src=$THIRD_PARTY/pulumi-language-nodejs-$v
  STEP="pulumi-language-nodejs: find the upstream source $src"
  [ -f "$src/go.mod" ] || { log "no $src/go.mod (set ABEVALFLOW_THIRD_PARTY to the folder holding pulumi-language-nodejs-$v)"; return 1; }
  STEP="pulumi-language-nodejs: copy $src"
  writable_copy "$src" "$dir"
  STEP="pulumi-language-nodejs: point pkg/v3 and sdk/v3 at the published $v"
  (cd "$dir" && "$GO_BIN" mod edit -dropreplace github.com/pulumi/pulumi/pkg/v3 \
    -dropreplace github.com/pulumi/pulumi/sdk/v3 \
    -require "github.com/pulumi/pulumi/pkg/v3@$v" -require "github.com/pulumi/pulumi/sdk/v3@$v")
  STEP="pulumi-language-nodejs: go mod tidy"
  (cd "$dir" && "$GO_BIN" mod tidy)
  STEP="pulumi-language-nodejs: go build"
  (cd "$dir" && go_build_to "$out" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" .)
}

# The proxy serves the provider module only at the pseudo-version of the commit tagged
# with the pinned release (versions.env). Its main package embeds files generated from
# the schema, so the module is copied out of the read-only module cache and generated
# in place.
build_pulumi_resource_kubernetes() {
  local v=$1 out=$2 dir=$CACHE/.build/pulumi-resource-kubernetes-$v json src modv
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  STEP="pulumi-resource-kubernetes: module version of $v"
  if [ "$v" != "$KUBERNETES_PROVIDER_TAG" ]; then
    log "versions.env maps $KUBERNETES_PROVIDER_TAG to $KUBERNETES_PROVIDER_MODULE_VERSION, but @pulumi/kubernetes is $v: update both together"
    return 1
  fi
  modv=$KUBERNETES_PROVIDER_MODULE_VERSION
  STEP="pulumi-resource-kubernetes: fetch $mod@$modv"
  json=$(mod_download "$mod@$modv")
  src=$(printf '%s' "$json" | json_field Dir)
  STEP="pulumi-resource-kubernetes: copy module source"
  writable_copy "$src" "$dir"
  # ../sdk is not part of the provider zip: the published sdk/v4 its go.mod requires is used.
  (cd "$dir" && "$GO_BIN" mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4)
  provider_tidy_generate_build pulumi-resource-kubernetes "$v" "$out" "$dir" "$mod"
}

# The proxy refuses the provider module; its upstream provider/ folder (with the nested
# shim/ module it replaces locally) is kept in $THIRD_PARTY, and its dependencies are served.
build_pulumi_resource_random() {
  local v=$1 out=$2 dir=$CACHE/.build/pulumi-resource-random-$v
  local src=$THIRD_PARTY/pulumi-random-$v/provider
  STEP="pulumi-resource-random: find the upstream source $src"
  [ -f "$src/go.mod" ] || { log "no $src/go.mod (set ABEVALFLOW_THIRD_PARTY to the folder holding pulumi-random-$v)"; return 1; }
  STEP="pulumi-resource-random: copy $src"
  writable_copy "$src" "$dir"
  provider_tidy_generate_build pulumi-resource-random "$v" "$out" "$dir" github.com/pulumi/pulumi-random/provider/v4
}

build_etcd() {
  local v=$1 out=$2 dir=$CACHE/.build/etcd-$v json gomod gover sha
  mkdir -p "$dir"
  STEP="etcd: fetch go.etcd.io/etcd/server/v3@$v"
  json=$(mod_download "go.etcd.io/etcd/server/v3@$v")
  gomod=$(printf '%s' "$json" | json_field GoMod)
  sha=$(printf '%s' "$json" | json_field Origin.Hash)
  gover=$("$GO_BIN" mod edit -json "$gomod" | json_field Go)
  STEP="etcd: write wrapper module"
  # The upstream etcd main (repo root module) is only this call; its siblings are all
  # tagged, so the wrapper needs no replaces.
  printf 'module abevalflow.local/toolchain/etcd\n\ngo %s\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$gover" "$v" > "$dir/go.mod"
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > "$dir/main.go"
  STEP="etcd: go mod tidy"
  (cd "$dir" && "$GO_BIN" mod tidy)
  STEP="etcd: go build"
  (cd "$dir" && go_build_to "$out" "${sha:+-X go.etcd.io/etcd/api/v3/version.GitSHA=${sha:0:12}}" .)
}

# kube-apiserver and kubectl share one wrapper module: k8s.io/kubernetes replaces every
# k8s.io staging module with ./staging/..., which maps to the published v0.MINOR.PATCH.
k8s_wrapper() {
  local v=$1 dir=$CACHE/.build/kubernetes-$v json gomod
  K8S_DIR=$dir
  [ -f "$dir/go.sum" ] && [ -f "$dir/.ok" ] && return 0
  mkdir -p "$dir"
  STEP="kubernetes: fetch k8s.io/kubernetes@$v"
  json=$(mod_download "k8s.io/kubernetes@$v")
  gomod=$(printf '%s' "$json" | json_field GoMod)
  K8S_COMMIT=$(printf '%s' "$json" | json_field Origin.Hash)
  STEP="kubernetes: write wrapper module"
  write_wrapper_gomod "$dir" "$gomod" "v0.${v#v1.}" k8s.io/kubernetes "$v"
  write_tools_go "$dir" "${K8S_CMDS[@]/#/k8s.io/kubernetes/cmd/}"
  STEP="kubernetes: go mod tidy"
  (cd "$dir" && "$GO_BIN" mod tidy)
  : > "$dir/.ok"
}
k8s_ldflags() {
  local v=$1 minor rest flags="" pkg
  minor=${v#v1.}; minor=${minor%%.*}
  # Same variables as upstream hack/lib/version.sh, or clients see v0.0.0-master.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    [ -n "${K8S_COMMIT:-}" ] && flags+=" -X $pkg.gitCommit=$K8S_COMMIT"
  done
  echo "$flags"
}
# One builder for every k8s.io/kubernetes command: build_kube_apiserver, build_kubelet, ...
build_k8s_cmd() {
  local name=$1 v=$2 out=$3
  k8s_wrapper "$v"
  STEP="$name: go build"
  (cd "$K8S_DIR" && go_build_to "$out" "$(k8s_ldflags "$v")" "k8s.io/kubernetes/cmd/$name")
}
for _cmd in "${K8S_CMDS[@]}"; do
  eval "build_${_cmd//-/_}() { build_k8s_cmd $_cmd \"\$@\"; }"
done
unset _cmd

# The local cluster's node add-ons: plain `go install` of a tagged main package (none has
# replace directives), into the cache by version.
go_install_to() {
  local name=$1 pkg=$2 ldflags=$3 out=$4 gobin
  gobin=$(mktemp -d "$CACHE/.gobin.XXXXXX")
  STEP="$name: go install $pkg"
  GOBIN=$gobin "$GO_BIN" install -trimpath -pgo=off -ldflags "-s -w $ldflags" "$pkg"
  mkdir -p "$(dirname "$out")"
  mv -f "$gobin/$(basename "${pkg%@*}")" "$out"
  rmdir "$gobin"
}
# Test infrastructure only (the sealed network of the local nodes): v2.1.0 is the one version
# the Go module proxy serves, and it has published security advisories. Never shipped.
build_kube_router() {
  go_install_to kube-router "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$1" \
    "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$1" "$2"
}
build_coredns() { go_install_to coredns "github.com/coredns/coredns@$1" "" "$2"; }
build_local_path_provisioner() {
  go_install_to local-path-provisioner "github.com/rancher/local-path-provisioner@$1" "-X main.VERSION=$1" "$2"
}

# ---------------------------------------------------------------------------
# Version probes for binaries found outside the cache. Each prints nothing and fails
# unless the binary reports exactly the wanted version.
probe_version() {
  local name=$1 bin=$2 want=$3 got=""
  case "$name" in
    pulumi) got=$(PULUMI_SKIP_UPDATE_CHECK=true "$bin" version 2>/dev/null | head -n1) ;;
    etcd) got=v$("$bin" --version 2>/dev/null | sed -n 's/^etcd Version: //p') ;;
    kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kube-proxy) got=$("$bin" --version 2>/dev/null | awk '{print $2}') ;;
    coredns) got=v$("$bin" -version 2>/dev/null | sed -n 's/^CoreDNS-//p' | head -n1) ;;
    kube-router|local-path-provisioner) if LC_ALL=C grep -aqF -- "$want" "$bin" 2>/dev/null; then got=$want; fi ;;
    kubectl) got=$("$bin" version --client -o json 2>/dev/null | json_field clientVersion.gitVersion 2>/dev/null || true) ;;
    pulumi-resource-*)
      # Providers have no version flag (they report it only over gRPC to the engine); the
      # release build links the version in as a string (pkg/version.Version), so look for it.
      if LC_ALL=C grep -aqF -- "$want" "$bin" 2>/dev/null; then got=$want; fi ;;
  esac
  [ "$got" = "$want" ]
}

# Where a usable binary already is, if anywhere: prints its directory.
find_existing() {
  local name=$1 v=$2 bin pulumi_dir
  case "$name" in
    pulumi-resource-*)
      # Pulumi's own plugin cache, where `pulumi plugin install` puts providers.
      local pdir=$PULUMI_HOME_DIR/plugins/resource-${name#pulumi-resource-}-$v
      if [ -x "$pdir/$name" ] && [ ! -e "$pdir.partial" ]; then echo "pulumi plugin cache:$pdir"; return 0; fi ;;
  esac
  case "$name" in
    pulumi-language-nodejs)
      # Installers put the language host beside the CLI, both from one release.
      pulumi_dir=${FOUND_DIR_pulumi:-}
      if [ -n "$pulumi_dir" ] && [ -x "$pulumi_dir/$name" ]; then echo "beside pulumi:$pulumi_dir"; return 0; fi ;;
  esac
  bin=$CACHE/$name-$v/bin/$name
  if [ -x "$bin" ]; then echo "cache:$(dirname "$bin")"; return 0; fi
  case "$name" in
    pulumi-language-nodejs)
      bin=$(command -v "$name" 2>/dev/null || true)
      if [ -n "$bin" ]; then
        log "  $name on PATH at $bin; its version cannot be checked, trusting it"
        echo "PATH:$(dirname "$bin")"; return 0
      fi
      return 1 ;;
  esac
  bin=$(command -v "$name" 2>/dev/null || true)
  if [ -n "$bin" ] && probe_version "$name" "$bin" "$v"; then echo "PATH:$(dirname "$bin")"; return 0; fi
  [ -n "$bin" ] && log "  $name on PATH at $bin is not $v; not using it"
  return 1
}

# ---------------------------------------------------------------------------
mkdir -p "$CACHE"
# Two ensure runs at once (two terminals, a test and a shell) must not build into the
# same directories.
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  log "another ensure.sh holds $CACHE/.lock; waiting"
  flock 9
fi

STATUS_DIR=$(mktemp -d)
trap 'rm -rf "$STATUS_DIR"' EXIT
failed=()
path_dirs=()
total_start=$(date +%s)

# Where each tool is built when nothing usable is found. The language host goes beside a
# CLI that this cache built, as an installation lays them out; providers are built into
# the cache and then installed into Pulumi's plugin cache.
build_target() {
  local name=$1 v=$2
  if [ "$name" = pulumi-language-nodejs ] && [ "${FOUND_DIR_pulumi:-}" = "$CACHE/pulumi-$v/bin" ]; then
    echo "$FOUND_DIR_pulumi/$name"
  else
    echo "$CACHE/$name-$v/bin/$name"
  fi
}

# `pulumi plugin install resource NAME VERSION --file BINARY`, so the engine loads the
# provider from its plugin cache exactly as it would a downloaded release.
install_plugin() {
  local name=$1 v=$2 bin=$3 short=${1#pulumi-resource-}
  local pulumi_bin=${FOUND_DIR_pulumi:+$FOUND_DIR_pulumi/pulumi}
  [ -n "$pulumi_bin" ] || pulumi_bin=$(command -v pulumi || true)
  [ -x "$pulumi_bin" ] || { log "  no pulumi CLI to install $name with (ensure pulumi first)"; return 1; }
  PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME=$PULUMI_HOME_DIR \
    "$pulumi_bin" plugin install resource "$short" "${v#v}" --file "$bin" >&2
}

# The CLI comes first whenever any Pulumi binary is asked for: plugins are installed with it,
# and the language host's location depends on where it is.
others=(); needs_cli=0
for t in "${tools[@]}"; do
  case "$t" in pulumi) needs_cli=1 ;; pulumi-*) needs_cli=1; others+=("$t") ;; *) others+=("$t") ;; esac
done
[ "$needs_cli" = 1 ] && tools=(pulumi ${others[@]+"${others[@]}"})

for name in "${tools[@]}"; do
  v=$(tool_version "$name")
  log "[$name $v]"
  if where=$(find_existing "$name" "$v"); then
    log "  ok: ${where%%:*} (${where#*:})"
  else
    out=$(build_target "$name" "$v")
    log "  building into $out"
    tool_start=$(date +%s)
    set +e
    (
      set -eE
      # errtrace makes the trap fire inside functions and command substitutions too;
      # report once, from this subshell's level only.
      level=$BASH_SUBSHELL
      trap 'rc=$?; if [ "$BASH_SUBSHELL" = "$level" ] && [ -z "${reported:-}" ]; then reported=1; printf "[toolchain] FAILED step: %s (exit %s)\n" "$STEP" "$rc" >&2; fi' ERR
      go_setup
      STEP="$name: start"
      "build_${name//-/_}" "$v" "$out"
      STEP="$name: check the built binary's version"
      if [ "$name" != pulumi-language-nodejs ] && ! probe_version "$name" "$out" "$v"; then
        log "  built $out does not report $v"; false
      fi
    )
    rc=$?
    set -e
    if [ $rc -ne 0 ] || [ ! -x "$out" ]; then
      log "  FAILED: $name $v is not available (see the step above)"
      failed+=("$name")
      continue
    fi
    where="cache:$(dirname "$out")"
    log "  ok: built in $(( $(date +%s) - tool_start ))s ($out)"
  fi
  d=${where#*:}
  [ "$name" = pulumi ] && FOUND_DIR_pulumi=$d
  case "$name:${where%%:*}" in
    pulumi-resource-*:cache)
      log "  installing into Pulumi's plugin cache ($PULUMI_HOME_DIR/plugins)"
      if ! install_plugin "$name" "$v" "$d/$name"; then
        log "  FAILED step: $name: pulumi plugin install"
        failed+=("$name")
      fi
      continue ;;
    pulumi-resource-*:"pulumi plugin cache") continue ;;
  esac
  case " ${path_dirs[*]-} " in *" $d "*) ;; *) path_dirs+=("$d") ;; esac
done

# ---------------------------------------------------------------------------
mkdir -p "$(dirname "$ENV_FILE")"
{
  echo "# Written by scripts/toolchain/ensure.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Source it."
  if [ ${#path_dirs[@]} -gt 0 ]; then
    printf 'export PATH=%q:"$PATH"\n' "$(IFS=:; echo "${path_dirs[*]}")"
  fi
  echo "export ABEVALFLOW_TOOLCHAIN_CACHE=$(printf %q "$CACHE")"
  echo "export PULUMI_SKIP_UPDATE_CHECK=true"
  echo "# Plugins come from PATH (ambient plugins) or the plugin cache, never from the network."
  echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
  echo "unset PULUMI_IGNORE_AMBIENT_PLUGINS"
} > "$ENV_FILE.partial"
mv -f "$ENV_FILE.partial" "$ENV_FILE"

log "done in $(( $(date +%s) - total_start ))s; env file: $ENV_FILE  (use: source $ENV_FILE)"
if [ ${#failed[@]} -gt 0 ]; then
  log "not available: ${failed[*]}"
  exit 1
fi

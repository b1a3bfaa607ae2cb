#!/usr/bin/env bash
# Smoke test of the toolchain and the local control plane: the binaries exist at the
# pinned versions, and a bare control plane serves namespaces, RBAC decisions for a
# ServiceAccount, TokenRequest tokens, and PipelineRun status through the status
# subresource.
#
# Usage: scripts/toolchain/smoke.sh
# Runs scripts/toolchain/ensure.sh first (instant when the cache is warm).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "unknown argument '$1'" >&2; exit 2 ;;
esac

passed=0 failed=0
WORK=$(mktemp -d)
STATE=
finish() {
  local rc=$?
  if [ -n "$STATE" ] && [ -f "$STATE" ]; then "$REPO_ROOT/scripts/local-control-plane/stop.sh" "$STATE" || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap finish EXIT

ok()   { passed=$((passed + 1)); echo "ok - $1"; }
bad()  { failed=$((failed + 1)); echo "not ok - $1"; [ -s "$WORK/out" ] && sed 's/^/    /' "$WORK/out"; return 0; }
# check NAME CMD...: passes when CMD exits 0; its output is shown only on failure.
check() {
  local name=$1; shift
  if "$@" >"$WORK/out" 2>&1; then ok "$name"; else bad "$name"; fi
}
# expect NAME WANT CMD...: passes when CMD's trimmed stdout equals WANT.
expect() {
  local name=$1 want=$2 got; shift 2
  got=$("$@" 2>"$WORK/out") || true
  if [ "$got" = "$want" ]; then ok "$name"; else echo "wanted '$want', got '$got'" >>"$WORK/out"; bad "$name"; fi
}

# --- toolchain ------------------------------------------------------------------
echo "# ensure.sh"
if "$HERE/ensure.sh" >"$WORK/ensure.log" 2>&1; then
  ok "ensure.sh provides every tool"
else
  cp "$WORK/ensure.log" "$WORK/out"
  bad "ensure.sh provides every tool"
fi
# shellcheck disable=SC1090
. "$("$HERE/ensure.sh" --print-env-path)"
# shellcheck source=versions.env
. "$HERE/versions.env"
pulumi_version=v$(node -p 'require(process.argv[1]).dependencies["@pulumi/pulumi"]' "$REPO_ROOT/package.json")

echo "# versions"
expect "pulumi version is $pulumi_version" "$pulumi_version" pulumi version
expect "etcd is $ETCD_VERSION" "$ETCD_VERSION" sh -c 'echo v$(etcd --version | sed -n "s/^etcd Version: //p")'
expect "kube-apiserver is $KUBERNETES_VERSION" "Kubernetes $KUBERNETES_VERSION" kube-apiserver --version
expect "kubectl is $KUBERNETES_VERSION" "$KUBERNETES_VERSION" sh -c 'kubectl version --client -o json | node -p "JSON.parse(require(\"fs\").readFileSync(0)).clientVersion.gitVersion"'
# The language host sits beside the CLI; the providers are in Pulumi's plugin cache (ensure.sh
# installs them there, so the engine never warns about an ambient plugin on PATH).
check "pulumi-language-nodejs is beside the CLI" test -x "$(dirname "$(command -v pulumi)")/pulumi-language-nodejs"
for pkg in kubernetes random; do
  want=$(node -p 'require(process.argv[1]).dependencies[process.argv[2]]' "$REPO_ROOT/package.json" "@pulumi/$pkg")
  expect "provider $pkg $want is in Pulumi's plugin cache" "$want" sh -c \
    "pulumi plugin ls --json | node -e 'const ps = JSON.parse(require(\"fs\").readFileSync(0)); console.log(ps.filter((p) => p.kind === \"resource\" && p.name === process.argv[1] && p.version === process.argv[2]).map((p) => p.version).join())' $pkg $want"
done

# --- control plane ----------------------------------------------------------------
echo "# local control plane"
eval "$("$REPO_ROOT/scripts/local-control-plane/start.sh" --background --state-file "$WORK/cluster.state" 2>"$WORK/start.log")" || {
  cp "$WORK/start.log" "$WORK/out"; bad "start.sh --background"; echo "$passed passed, $failed failed"; exit 1; }
STATE=$ABEVALFLOW_CLUSTER_STATE
ok "start.sh --background"

expect "server reports $KUBERNETES_VERSION" "$KUBERNETES_VERSION" sh -c 'kubectl version -o json | node -p "JSON.parse(require(\"fs\").readFileSync(0)).serverVersion.gitVersion"'
check "kubectl get ns lists openshift-dns" sh -c 'kubectl get ns -o name | grep -qx namespace/openshift-dns'
expect "namespaces get the kubernetes.io/metadata.name label" "openshift-dns" \
  kubectl get ns openshift-dns -o 'jsonpath={.metadata.labels.kubernetes\.io/metadata\.name}'

check "create namespace, ServiceAccount, Role, RoleBinding" sh -c '
  kubectl create namespace smoke &&
  kubectl -n smoke create serviceaccount runner &&
  kubectl -n smoke create role pr-reader --verb=get,list,watch --resource=pipelineruns.tekton.dev &&
  kubectl -n smoke create rolebinding runner-pr-reader --role=pr-reader --serviceaccount=smoke:runner'
expect "can-i list pipelineruns as the ServiceAccount" yes \
  kubectl auth can-i list pipelineruns.tekton.dev -n smoke --as system:serviceaccount:smoke:runner
expect "can-i create pipelineruns as the ServiceAccount is no" no \
  sh -c 'kubectl auth can-i create pipelineruns.tekton.dev -n smoke --as system:serviceaccount:smoke:runner || true'

# TokenRequest: a real signed token, then used to authenticate as the ServiceAccount.
if token=$(kubectl -n smoke create token runner --duration 10m 2>"$WORK/out") && [ -n "$token" ]; then
  ok "kubectl create token (TokenRequest API)"
  expect "the token authenticates as the ServiceAccount" "system:serviceaccount:smoke:runner" \
    sh -c 'kubectl --token "$1" auth whoami -o jsonpath="{.status.userInfo.username}"' _ "$token"
  expect "the token is allowed to list pipelineruns" yes \
    sh -c 'kubectl --token "$1" auth can-i list pipelineruns.tekton.dev -n smoke' _ "$token"
  check "the token is refused reading secrets" \
    sh -c '! kubectl --token "$1" -n smoke get secrets' _ "$token"
else
  bad "kubectl create token (TokenRequest API)"
fi

cat >"$WORK/pr.yaml" <<'EOF'
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: smoke-run
  namespace: smoke
spec:
  pipelineRef:
    name: does-not-need-to-exist
EOF
check "create a PipelineRun" kubectl apply -f "$WORK/pr.yaml"
check "patch PipelineRun status via the status subresource" kubectl -n smoke patch pipelinerun smoke-run \
  --subresource=status --type=merge \
  -p '{"status":{"startTime":"2026-01-01T00:00:00Z","completionTime":"2026-01-01T00:05:00Z","conditions":[{"type":"Succeeded","status":"True","reason":"Succeeded"}]}}'
expect "status.completionTime was stored" "2026-01-01T00:05:00Z" \
  kubectl -n smoke get pipelinerun smoke-run -o 'jsonpath={.status.completionTime}'
# With the status subresource enabled, status written through the main resource is dropped.
check "status in a main-resource patch is ignored" sh -c '
  kubectl -n smoke patch pipelinerun smoke-run --type=merge -p "{\"status\":{\"completionTime\":\"2030-01-01T00:00:00Z\"}}" >/dev/null &&
  [ "$(kubectl -n smoke get pipelinerun smoke-run -o jsonpath={.status.completionTime})" = 2026-01-01T00:05:00Z ]'
check "create an ImageStream" sh -c 'printf "%s\n" "apiVersion: image.openshift.io/v1" "kind: ImageStream" \
  "metadata: {name: smoke, namespace: smoke}" "spec: {lookupPolicy: {local: true}}" | kubectl apply -f -'

pids=$(sed -n 's/^\(ETCD\|APISERVER\)_PID=//p' "$STATE")
dir=$(sed -n 's/^CLUSTER_DIR=//p' "$STATE")
check "stop.sh stops the control plane" "$REPO_ROOT/scripts/local-control-plane/stop.sh" "$STATE"
STATE=
check "no control-plane process or temp dir is left" sh -c '
  for p in $1; do ! kill -0 "$p" 2>/dev/null || exit 1; done; [ ! -e "$2" ]' _ "$pids" "$dir"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

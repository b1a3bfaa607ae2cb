#!/usr/bin/env bash
# Stop a control plane started with `start.sh --background` and delete its temp dir.
#
# Usage: scripts/local-control-plane/stop.sh [STATE_FILE]
#   STATE_FILE defaults to $ABEVALFLOW_CLUSTER_STATE (exported by `eval "$(start.sh --background)"`).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

case "${1:-}" in -h|--help) sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
state=${1:-${ABEVALFLOW_CLUSTER_STATE:-}}
[ -n "$state" ] || lc_die "no state file given and ABEVALFLOW_CLUSTER_STATE is not set"
if [ ! -f "$state" ]; then
  lc_log "state file $state does not exist; nothing to stop"
  exit 0
fi

# Read the state file as data, not code: a copy may sit anywhere (--state-file).
get() { sed -n "s/^$1=//p" "$state" | head -n1; }
dir=$(get CLUSTER_DIR)
etcd_pid=$(get ETCD_PID)
apiserver_pid=$(get APISERVER_PID)
controller_manager_pid=$(get CONTROLLER_MANAGER_PID)
keep_dir=$(get KEEP_DIR)
scheduler_pid=$(get SCHEDULER_PID)
nodes=0; [ -n "$(get NODES_DIR)" ] || [ "$(get NODES_REQUESTED)" = 1 ] && nodes=1
[ -n "$dir" ] || lc_die "state file $state has no CLUSTER_DIR"
case "$etcd_pid$apiserver_pid$controller_manager_pid$scheduler_pid" in *[!0-9]*) lc_die "state file $state has malformed pids" ;; esac

lc_stop_cluster "$dir" "$apiserver_pid" "$etcd_pid" "${keep_dir:-0}" "$controller_manager_pid" "$scheduler_pid" "$nodes"
# A copy made with --state-file lives outside the cluster dir.
[ -f "$state" ] && rm -f -- "$state"
exit 0

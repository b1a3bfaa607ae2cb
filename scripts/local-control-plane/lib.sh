# shellcheck shell=bash
# Helpers shared by start.sh and stop.sh. Sourced, not executed.

lc_log() { printf '[control-plane] %s\n' "$*" >&2; }
lc_die() { printf '[control-plane] ERROR: %s\n' "$*" >&2; exit 1; }

# True when PID is alive and its command line mentions DIR: a pid from an old state
# file may have been reused by an unrelated process, which must never be signalled.
lc_pid_is_ours() {
  local pid=$1 dir=$2
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ -r "/proc/$pid/cmdline" ] || return 0
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$dir"
}

# Stop one process: TERM, wait up to $3 seconds, then KILL.
lc_stop_pid() {
  local pid=$1 dir=$2 grace=${3:-15} i
  lc_pid_is_ours "$pid" "$dir" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  lc_log "pid $pid did not stop within ${grace}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# Stop the nodes (while the API server still answers their last calls), the controllers, then
# the API server before etcd, so none spends its shutdown retrying the one behind it.
lc_stop_cluster() {
  local dir=$1 apiserver_pid=$2 etcd_pid=$3 keep_dir=${4:-0} controller_manager_pid=${5:-} scheduler_pid=${6:-} nodes=${7:-0}
  if [ "$nodes" = 1 ]; then
    "$(dirname "${BASH_SOURCE[0]}")/nodes/nodes.sh" down || lc_log "stopping the nodes failed; run scripts/local-control-plane/nodes/nodes.sh down"
  fi
  lc_stop_pid "$scheduler_pid" "$dir" 15
  lc_stop_pid "$controller_manager_pid" "$dir" 15
  lc_stop_pid "$apiserver_pid" "$dir" 20
  lc_stop_pid "$etcd_pid" "$dir" 15
  if [ "$keep_dir" = 1 ]; then
    lc_log "stopped; kept $dir"
  else
    case "$dir" in
      */abevalflow-cluster.*) rm -rf -- "$dir" ;;
      *) lc_log "not deleting unexpected directory '$dir'" ;;
    esac
    lc_log "stopped"
  fi
}

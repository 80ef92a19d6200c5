#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for testing neuroppa's Slurm
# executor (tests/sweep/slurm_test.sh). Needs root, and Debian's slurm-wlm and
# munge (bash scripts/setup.sh slurm installs them and calls this).
#
#   bash scripts/slurm_local.sh start   write the configuration, start munged,
#                                       slurmctld and slurmd; wait for the node
#   bash scripts/slurm_local.sh stop    stop what start started
#   bash scripts/slurm_local.sh env     print the export line clients need
#
# Everything lives in $NEUROPPA_SLURM_DIR (default /var/tmp/neuroppa-slurm):
# the configuration (clients find it through SLURM_CONF, so /etc/slurm is
# left alone), state, logs and pid files. The node is this host, with its
# cores and all but 1 GB of its memory.
set -euo pipefail

dir=${NEUROPPA_SLURM_DIR:-/var/tmp/neuroppa-slurm}
conf=$dir/slurm.conf
mode=${1:-}

die() { echo "slurm_local: $*" >&2; exit 2; }

# The first live process of that name (zombies left unreaped do not count).
running() { { ps -C "$1" -o pid=,stat= || true; } | awk '$2 !~ /^Z/ { print $1; exit }'; }

start() {
  [ "$(id -u)" -eq 0 ] || die "needs root (it starts munged, slurmctld and slurmd)"
  for tool in munged slurmctld slurmd sinfo; do
    command -v "$tool" >/dev/null || die "$tool not found: apt-get install slurm-wlm munge (or bash scripts/setup.sh slurm)"
  done
  for daemon in slurmctld slurmd; do
    local pid
    pid=$(running "$daemon")
    if [ -n "$pid" ]; then die "a $daemon is running already (pid $pid): stop it first"; fi
  done
  mkdir -p "$dir/ctld" "$dir/d" "$dir/log" "$dir/run"
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 - 1024 }' /proc/meminfo)
  cat > "$conf" <<CONF
# Written by neuroppa scripts/slurm_local.sh: one node, this host.
ClusterName=neuroppa
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/d
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$conf
  # munged: its own user, its socket folder; a running one is reused.
  if [ -z "$(running munged)" ]; then
    mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
    runuser -u munge -- /usr/sbin/munged
    touch "$dir/run/munged.ours"
  fi
  slurmctld -f "$conf"
  slurmd -f "$conf"
  for _ in $(seq 1 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
      echo "slurm_local: node $host idle ($cpus CPUs, $mem MB); export SLURM_CONF=$conf"
      return 0
    fi
    sleep 1
  done
  echo "slurm_local: the node did not come up within 60 s; logs:" >&2
  tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  stop
  exit 1
}

# Ends a process and waits until it has gone (10 s, then SIGKILL), so that
# a start right after finds its ports free.
end_process() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    ps -o stat= -p "$pid" 2>/dev/null | grep -qv '^Z' || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  for daemon in slurmd slurmctld; do
    local pidfile=$dir/run/$daemon.pid
    if [ -f "$pidfile" ]; then
      end_process "$(cat "$pidfile")"
      rm -f "$pidfile"
    fi
  done
  if [ -f "$dir/run/munged.ours" ]; then
    local pid
    pid=$(running munged)
    if [ -n "$pid" ]; then end_process "$pid"; fi
    rm -f "$dir/run/munged.ours"
  fi
  echo "slurm_local: stopped"
}

case "$mode" in
  start) start ;;
  stop) stop ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) die "usage: slurm_local.sh start|stop|env" ;;
esac

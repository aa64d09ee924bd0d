#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the cohort tests: munged and
# slurmctld/slurmd from Debian's slurm-wlm, everything (key, sockets, state,
# logs, configuration) inside DIR, on free ports. Needs root (slurmd starts
# jobs as their user).
#
#   local_slurm.sh start DIR   start it; prints "slurm ready" when a node is
#                              idle, or "slurm unavailable: WHY" and exits 3
#   local_slurm.sh stop DIR    stop what start started (by PID)
#
# Clients need SLURM_CONF=DIR/slurm.conf.
set -u
cmd=$1
dir=$(realpath -m "$2")

unavailable() {
  echo "slurm unavailable: $*"
  stop
  exit 3
}

stop() {
  for name in slurmd slurmctld munged; do
    if [ -f "$dir/$name.pid" ]; then
      pid=$(cat "$dir/$name.pid")
      kill "$pid" 2>/dev/null
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null
      rm -f "$dir/$name.pid"
    fi
  done
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  [ "$(id -u)" = 0 ] || unavailable "not root (slurmd must start jobs)"
  for tool in munged slurmctld slurmd sbatch; do
    command -v $tool >/dev/null || [ -x /usr/sbin/$tool ] || unavailable "no $tool (apt install slurm-wlm munge)"
  done
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  chmod 700 "$dir/munge"
  head -c 1024 /dev/urandom > "$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
  /usr/sbin/munged --force --key-file="$dir/munge/munge.key" \
    --socket="$dir/munge/munge.sock" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" \
    || unavailable "munged did not start: $(tail -2 "$dir/munged.log" 2>/dev/null)"
  host=$(hostname -s)
  cat > "$dir/slurm.conf" <<CONF
ClusterName=sstep-test
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
  export SLURM_CONF="$dir/slurm.conf"
  /usr/sbin/slurmctld -f "$dir/slurm.conf" || unavailable "slurmctld did not start: $(tail -3 "$dir/slurmctld.log")"
  /usr/sbin/slurmd -f "$dir/slurm.conf" || unavailable "slurmd did not start: $(tail -3 "$dir/slurmd.log")"
  for _ in $(seq 100); do
    if sinfo -h -o %t 2>/dev/null | grep -q idle; then
      echo "slurm ready"
      return 0
    fi
    sleep 0.2
  done
  unavailable "no idle node after 20 s: $(sinfo 2>&1 | tail -2); $(tail -3 "$dir/slurmd.log")"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR"; exit 2 ;;
esac

#!/usr/bin/env bash
# test_slurm.sh -- tools/slurm/ on a real single-node Slurm cluster on this
# machine: the test writes a slurm.conf (this host's name, its CPUs, free
# ports) and a munge key in a scratch directory, starts munged, slurmctld and
# slurmd (as root), submits a host-backend array of 4 shards plus the
# dependent merge-and-generate job through tools/slurm/submit.sh, waits, and
# checks that the merged db holds exactly the plan's measurements (shards
# 1..4, every shape x candidate once) and that a table was generated.  The
# daemons it started are stopped on every exit path (trap).
#
#   test_slurm.sh TUNE MERGE GEN GRID WORKDIR
#
# Exit 77 (skipped, with the reason) without Slurm or munge, or without root
# (it re-runs itself through passwordless sudo where there is one).
set -euo pipefail

[ $# -eq 5 ] || { echo "usage: $0 TUNE MERGE GEN GRID WORKDIR" >&2; exit 2; }
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
tune=$(abs "$1") merge=$(abs "$2") gen=$(abs "$3") grid=$(abs "$4") work=$(abs "$5")
here=$(cd "$(dirname "$0")" && pwd)
submit="$here/../../tools/slurm/submit.sh"

skip() { echo "SKIP: $*"; exit 77; }
for b in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
  command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || skip "$b not installed (Debian: apt-get install slurm-wlm munge)"
done
if [ "$(id -u)" != 0 ]; then
  # slurmd runs jobs as their users: it needs root.  Use passwordless sudo where there is one.
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n -E bash "$0" "$tune" "$merge" "$gen" "$grid" "$work"
  fi
  skip "starting slurmd needs root (or passwordless sudo)"
fi
PATH="$PATH:/usr/sbin"

rm -rf "$work"
mkdir -p "$work"/{state,spool,munge,out,log}
chmod 700 "$work/munge"
pids=()
cleanup() {
  local rc=$?
  # Stop only what this test started, by the pids it recorded.
  for f in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munged.pid"; do
    [ -s "$f" ] || continue
    local p
    p=$(cat "$f")
    kill "$p" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
    echo "--- logs (test failed, rc $rc) ---"
    tail -n 40 "$work"/log/* "$work"/out/*.out 2>/dev/null || true
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two free TCP ports for slurmctld and slurmd.
read -r ctld_port slurmd_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)

# munge: a fresh key, a private socket.
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
sock="$work/munge/munge.socket"
munged --force --key-file="$work/munge/munge.key" --socket="$sock" --pid-file="$work/munged.pid" \
  --log-file="$work/log/munged.log" --seed-file="$work/munge/seed" >"$work/log/munged.out" 2>&1 \
  || { cat "$work/log/munged.out" "$work/log/munged.log" 2>/dev/null; echo "FAIL: munged did not start"; exit 1; }

cat >"$work/slurm.conf" <<EOF
ClusterName=attnroute-test
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$work/slurm.conf"

slurmctld -f "$SLURM_CONF" >"$work/log/slurmctld.out" 2>&1 || { echo "FAIL: slurmctld did not start"; exit 1; }
slurmd -f "$SLURM_CONF" -N "$host" >"$work/log/slurmd.out" 2>&1 || { echo "FAIL: slurmd did not start"; exit 1; }

# Wait for the node to be idle.
state=""
for _ in $(seq 120); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || { echo "FAIL: node state '$state' after 60 s"; exit 1; }

# The plan: its measurements, from a dry run on an empty db.
fast="--backend host --seed 5 --warmup 0 --min-reps 1 --max-reps 1 --min-ms 0 --no-flush --grid $grid"
# shellcheck disable=SC2086
planned=$("$tune" $fast --dry-run --db "$work/none.db" | awk '/measurements:/ {print $2; exit}')
[ -n "$planned" ] && [ "$planned" -gt 0 ] || { echo "FAIL: no plan size from the dry run"; exit 1; }

export ATTNROUTE_TUNE="$tune" ATTNROUTE_MERGE="$merge" ATTNROUTE_GEN="$gen"
# shellcheck disable=SC2086
"$submit" --shards 4 --out "$work/out" --gpus-per-task 0 --time 10 -- $fast | tee "$work/log/submit.out"
jobs=$(awk '/tune array job/ {print $4, $NF}' "$work/log/submit.out")
merge_job=$(awk '/merge job/ {for (i = 1; i <= NF; i++) if ($i == "job" && $(i-1) == "merge") print $(i+1)}' "$work/log/submit.out")
[ -n "$merge_job" ] || { echo "FAIL: no merge job id in: $(cat "$work/log/submit.out")"; exit 1; }

# Wait for every job to leave the queue (5 minutes at most); a merge job
# whose shards failed waits forever (DependencyNeverSatisfied): fail then.
for _ in $(seq 600); do
  [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
  if squeue -h -j "$merge_job" -o %r 2>/dev/null | grep -q DependencyNeverSatisfied; then
    echo "FAIL: a shard task failed, the merge job cannot run ($jobs)"
    exit 1
  fi
  sleep 0.5
done
[ -z "$(squeue -h -o %i)" ] || { squeue; echo "FAIL: jobs still queued after 5 minutes"; exit 1; }
merge_state=$(scontrol -o show job "$merge_job" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
[ "$merge_state" = COMPLETED ] || { echo "FAIL: merge job $merge_job ended $merge_state ($jobs)"; exit 1; }

db="$work/out/merged.db"
[ -s "$db" ] || { echo "FAIL: no merged db"; exit 1; }
python3 - "$db" "$planned" <<'PY'
import sqlite3, sys
db, planned = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
n, = con.execute("SELECT count(*) FROM measurement").fetchone()
pairs, = con.execute("SELECT count(*) FROM (SELECT DISTINCT candidate_id, shape_id FROM measurement)").fetchone()
shards = sorted(r[0] for r in con.execute("SELECT shard_index FROM run WHERE shard_count = 4"))
hashes = {r[0] for r in con.execute("SELECT plan_hash FROM run")}
if n != planned or pairs != planned:
    sys.exit("FAIL: merged db holds %d measurements (%d distinct), the plan %d" % (n, pairs, planned))
if shards != [1, 2, 3, 4] or len(hashes) != 1:
    sys.exit("FAIL: runs of shards %r, plan hashes %r" % (shards, hashes))
print("merged db: %d measurements = the plan, shards %r" % (n, shards))
PY
grep -q "attnroute_table" "$work/out/attnroute_table.h" || { echo "FAIL: no table in attnroute_table.h"; exit 1; }
echo "ok: slurm array of 4 shards + merge job"

#!/usr/bin/env bash
# The slurm/ scripts on a real, private, single-node Slurm cluster started for this test:
# its own munged (own key and socket), slurmctld and slurmd on free ports, all state in a
# temporary folder, stopped on exit. Installs nothing: skips (77) where the Slurm/munge daemons
# are absent (scripts/install-deps.sh --with-tests installs slurm-wlm and munge) or not root.
#
#  1. slurm/sweep.sbatch on 2 ranks (srun --mpi=pmix): the unsharded reference of the tiny sweep.
#  2. slurm/submit.sh: a 4-task array (--shard auto) and the merge job after it; the merged file
#     must equal the reference bitwise (every metric and curve but timings) and be complete.
#  3. scontrol requeue of array task 1 after one of its shard's runs was reset to pending: the
#     task resumes (its log says 4 of 5 runs already finished, 1 to train), its other rows keep
#     their finished/wall_seconds bytes, and merging again still gives the reference.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
py=/usr/bin/python3
check="$py $src/tests/results_check.py"
sweep=$src/tests/data/run/tiny.cfg
t_start=$(date +%s)

for b in slurmctld slurmd munged sbatch scontrol squeue sinfo srun; do
    if ! command -v "$b" >/dev/null; then
        echo "test_slurm: SKIP: $b not found (install slurm-wlm and munge: scripts/install-deps.sh --with-tests)"
        exit 77
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    echo "test_slurm: SKIP: slurmd must run as root to start jobs"
    exit 77
fi

tmp=$(mktemp -d /tmp/dcsweep-slurm.XXXXXX)
chmod 755 "$tmp"   # munge's socket must be reachable through its directory
started=()
cleanup() {
    set +e
    if [ -n "${SLURM_CONF:-}" ] && [ -f "$tmp/slurmctld.pid" ]; then scancel --quiet --user=root 2>/dev/null; fi
    for pidfile in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munged.pid"; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    if [ "${keep:-0}" = 1 ]; then echo "test_slurm: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail() {
    echo "test_slurm: FAILED: $*" >&2
    for f in "$tmp"/*.out "$tmp"/slurmctld.log "$tmp"/slurmd.log; do
        [ -f "$f" ] && { echo "---- $f" >&2; tail -n 30 "$f" >&2; }
    done
    exit 1
}
free_port() { $py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- munge: a key of our own, our own socket ----
if command -v mungekey >/dev/null; then mungekey --create --keyfile="$tmp/munge.key"
else dd if=/dev/urandom of="$tmp/munge.key" bs=1 count=1024 status=none; fi
chmod 600 "$tmp/munge.key"
munged --force --socket="$tmp/munge.sock" --key-file="$tmp/munge.key" --pid-file="$tmp/munged.pid" \
       --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" || fail "munged did not start"

# ---- slurm.conf: one node (this machine, as slurmd -C sees it), one partition ----
host=$(hostname -s)
node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/")
mkdir -p "$tmp/state" "$tmp/spool"
: > "$tmp/plugstack.conf"
cat > "$tmp/slurm.conf" <<EOF
ClusterName=dctest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
PlugStackConfig=$tmp/plugstack.conf
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
InactiveLimit=0
MinJobAge=600
KillWait=10
$node State=UNKNOWN
PartitionName=dctest Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
for _ in $(seq 1 60); do
    [ "$(sinfo -h -n "$host" -o %t 2>/dev/null)" = idle ] && break
    sleep 0.5
done
[ "$(sinfo -h -n "$host" -o %t)" = idle ] || fail "node $host not idle: $(sinfo -h -n "$host" -o %t)"
echo "test_slurm: cluster up in $(( $(date +%s) - t_start ))s"

# Waits until every job in "$@" has left the queue (done, failed or cancelled), up to $timeout s.
wait_jobs() {
    local deadline=$(( $(date +%s) + ${timeout:-180} ))
    while [ -n "$(squeue -h -j "$(IFS=,; echo "$*")" -o %i 2>/dev/null)" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || { squeue; fail "jobs $* still queued"; }
        sleep 1
    done
}
job_state() { scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2; }

# The jobs inherit this environment (sbatch --export=ALL): the executable and mpirun-as-root.
export DCSWEEP=$exe OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$tmp/res"

# ---- 1. the whole sweep in one allocation: the reference ----
ref_id=$(sbatch --parsable -n 2 -D "$tmp" -o "$tmp/sweep-%j.out" "$src/slurm/sweep.sbatch" "$sweep" -o "$tmp/res/ref.h5")
timeout=120 wait_jobs "$ref_id"
[ "$(job_state "$ref_id")" = COMPLETED ] || fail "sweep job $ref_id: $(job_state "$ref_id")"
grep -q "sweep tiny: 20 runs: 20 done" "$tmp/sweep-$ref_id.out" || fail "sweep job output"
$check complete "$tmp/res/ref.h5" --ranks 0,1   # both ranks train
echo "test_slurm: sweep.sbatch done at $(( $(date +%s) - t_start ))s"

# ---- 2. array of 4 shards + merge ----
"$src/slurm/submit.sh" "$sweep" --shards 4 -D "$tmp" -- -o "$tmp/res/tiny.h5" > "$tmp/submit.txt" || fail "submit.sh"
cat "$tmp/submit.txt"
array_id=$(sed -n 's/^array job \([0-9]*\):.*/\1/p' "$tmp/submit.txt")
merge_id=$(sed -n 's/^merge job \([0-9]*\):.*/\1/p' "$tmp/submit.txt")
[ -n "$array_id" ] && [ -n "$merge_id" ] || fail "submit.sh did not print both job ids"
scontrol -o show job "$merge_id" | grep -q "Dependency=afterany:${array_id}" || fail "merge job has no afterany dependency"
timeout=180 wait_jobs "$array_id" "$merge_id"
for k in 0 1 2 3; do
    [ "$(job_state "${array_id}_$k")" = COMPLETED ] || fail "array task $k: $(job_state "${array_id}_$k")"
    [ -f "$tmp/res/tiny.shard-$((k + 1))-of-4.h5" ] || fail "no shard file $((k + 1))"
done
[ "$(job_state "$merge_id")" = COMPLETED ] || fail "merge job: $(job_state "$merge_id")"
grep -q "sweep tiny: 20 runs: 20 done, 0 diverged, 0 failed, 0 pending" "$tmp/dcsweep-merge-$merge_id.out" || fail "merge output"
$check complete "$tmp/res/tiny.h5"
$check same "$tmp/res/ref.h5" "$tmp/res/tiny.h5"
"$exe" status "$tmp/res/tiny.h5" > /dev/null || fail "status of the merged file is not 0"
echo "test_slurm: array + merge done at $(( $(date +%s) - t_start ))s"

# ---- 3. requeue task 1 (shard 2/4: runs 1, 5, 9, 13, 17) after resetting run 9 to pending ----
shard="$tmp/res/tiny.shard-2-of-4.h5"
cp "$shard" "$tmp/shard2-before.h5"
$py - "$shard" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    r = f["runs"][9:10]
    r["status"] = b"pending"; r["finished"] = 0.0; r["test_force_mae"] = 1e9
    f["runs"][9:10] = r
PY
scontrol requeue "${array_id}_1" || fail "scontrol requeue"
# A requeued job waits ~2 minutes before it is eligible again; do not wait here.
scontrol update jobid="${array_id}_1" StartTime=now || fail "scontrol update StartTime"
timeout=90 wait_jobs "${array_id}_1"
[ "$(job_state "${array_id}_1")" = COMPLETED ] || fail "requeued task: $(job_state "${array_id}_1")"
log="$tmp/dcsweep-${array_id}_1.out"
grep -q "restart 1" "$log" || fail "the requeued task did not run again"
grep -q "4 of 5 runs already finished, 1 to train" "$log" || fail "the requeued task did not resume"
[ "$(grep -c "^array.sbatch: dcsweep exited with status 0" "$log")" -eq 2 ] || fail "two attempts in the log"
$check unchanged "$tmp/shard2-before.h5" "$shard" 1,5,13,17
$py - "$tmp/shard2-before.h5" "$shard" <<'PY'
import sys, h5py
a, b = (h5py.File(p, "r")["runs"][()] for p in sys.argv[1:])
assert b[9]["status"] == b"done" and b[9]["finished"] > a[9]["finished"], (a[9], b[9])
PY
"$exe" merge --force "$tmp/res/tiny.h5" "$tmp"/res/tiny.shard-*-of-4.h5 > /dev/null || fail "merge after requeue"
$check same "$tmp/res/ref.h5" "$tmp/res/tiny.h5"
echo "test_slurm: ok in $(( $(date +%s) - t_start ))s"

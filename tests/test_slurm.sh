#!/usr/bin/env bash
# The slurm/ scripts on a real, private, single-node Slurm cluster started for this test
# (tests/slurm_lib.sh: its own munged, slurmctld and slurmd, all state in a temporary folder,
# stopped on exit). Installs nothing: skips (77) where the Slurm/munge daemons are absent
# (scripts/install-deps.sh --with-tests installs slurm-wlm and munge) or not root.
#
#  1. slurm/sweep.sbatch on 2 ranks (srun --mpi=pmix): the unsharded reference of the tiny sweep.
#  2. slurm/submit.sh: a 4-task array (--shard auto) and the merge job after it; the merged file
#     must equal the reference bitwise (every metric and curve but timings) and be complete.
#  3. scontrol requeue of array task 1 after one of its shard's runs was reset to pending: the
#     task resumes (its log says 4 of 5 runs already finished, 1 to train), its other rows keep
#     their finished/wall_seconds bytes, and merging again still gives the reference.
#  4. sweep.sbatch on a sweep that ends with failed runs: the job FAILED, its log naming
#     --retry-failed.
set -euo pipefail
name=test_slurm
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
t_start=$(date +%s)
source "$src/tests/slurm_lib.sh"   # the cluster: skips (77) without Slurm/munge or root
check="$py $src/tests/results_check.py"
sweep=$src/tests/data/run/tiny.cfg
slurm_start "PartitionName=dctest Nodes=@HOST@ Default=YES MaxTime=INFINITE State=UP"
echo "test_slurm: cluster up in $(( $(date +%s) - t_start ))s"

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

# ---- 4. a sweep that ends with failed runs (constant energies: 3 of 4 rescalings fail) ----
# The job fails (exit 1) and its log says why and what trains them again.
const_id=$(sbatch --parsable -n 1 -D "$tmp" -o "$tmp/const-%j.out" "$src/slurm/sweep.sbatch" \
    "$src/tests/data/bad/const_energy.cfg" -o "$tmp/res/const.h5")
timeout=120 wait_jobs "$const_id"
[ "$(job_state "$const_id")" = FAILED ] || fail "a sweep with failed runs: job $(job_state "$const_id"), not FAILED"
grep -q "4 runs: 1 done, 0 diverged, 3 failed, 0 pending" "$tmp/const-$const_id.out" || fail "failed sweep's summary"
grep -q "^sweep.sbatch: $tmp/res/const.h5 has no pending run but failed ones: the same command with --retry-failed trains them again (exit 1)$" \
    "$tmp/const-$const_id.out" || fail "failed sweep's log: $(tail -5 "$tmp/const-$const_id.out")"
echo "test_slurm: ok in $(( $(date +%s) - t_start ))s"

#!/usr/bin/env bash
# Preemption and requeue of running sweep jobs on a real, private, single-node Slurm cluster
# (tests/slurm_lib.sh) with preemption configured: PreemptType=preempt/partition_prio, a partition
# `low` (PreemptMode=REQUEUE), `lowcancel` (PreemptMode=CANCEL) and `high` (a higher PriorityTier)
# on the same node; cred_expire=10, so a requeued job may start again ~11 s after it stopped
# (Slurm's default is 120 s). The sweep: the quick start with 2 seeds (12 runs of about 1 s).
#
#  1. scontrol requeue of a running array task (slurm/submit.sh, 2 shards) once its shard has done
#     at least one run and not all: Slurm stops it (SIGTERM), requeues it and starts it again by
#     itself; it resumes (finished runs kept, the run in flight from its checkpoint); the merge
#     job waits for it; the merged file is complete and bitwise equal to an uninterrupted sweep
#     (metrics, curves and /models).
#  2. Preemption with PreemptMode=REQUEUE: slurm/sweep.sbatch on 2 ranks in `low`; a 2-core job in
#     `high` preempts it; it comes back after that job and ends bitwise equal.
#  3. PreemptMode=CANCEL: the same in `lowcancel`: the job is cancelled, not requeued (--requeue
#     does nothing there); its file is left resumable (pending runs, no lock); resubmitting the
#     same command finishes it, bitwise equal.
# In every case the job's log must show dcsweep's stop on SIGTERM ("SIGTERM received: stopping");
# a second SIGTERM that srun adds (see one_clean_stop) is counted. Nothing is left behind: no job,
# no job process, no daemon.
set -euo pipefail
name=slurm_requeue
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
t_start=$(date +%s)
auth_info_extra=",cred_expire=10"
source "$src/tests/slurm_lib.sh"
check="$py $src/tests/results_check.py"
sweep=$src/sweeps/quickstart.cfg
set_args=(--set 'grid.seeds=[0,1]')
elapsed() { echo "$(( $(date +%s) - t_start ))s"; }

slurm_start "PartitionName=low Nodes=@HOST@ Default=YES MaxTime=INFINITE State=UP PriorityTier=1 PreemptMode=REQUEUE
PartitionName=lowcancel Nodes=@HOST@ MaxTime=INFINITE State=UP PriorityTier=1 PreemptMode=CANCEL
PartitionName=high Nodes=@HOST@ MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF" \
"PreemptType=preempt/partition_prio
PreemptMode=REQUEUE"
echo "$name: cluster up in $(elapsed)"

export DCSWEEP=$exe OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$tmp/res"

# ---- the uninterrupted reference, one process outside Slurm ----
"$exe" run "$sweep" -o "$tmp/res/ref.h5" "${set_args[@]}" > "$tmp/ref.log" 2>&1 || fail "reference run: $(tail -n 3 "$tmp/ref.log")"
$check complete "$tmp/res/ref.h5" > /dev/null
n_runs=$($py -c 'import h5py, sys; print(h5py.File(sys.argv[1], "r").attrs["n_runs"])' "$tmp/res/ref.h5")
echo "$name: reference ($n_runs runs) at $(elapsed)"

# same_as_ref FILE: complete, and bitwise the reference's metrics, curves and kept models.
same_as_ref() {
    $check complete "$1" > /dev/null || fail "$1 is not complete"
    $check same "$tmp/res/ref.h5" "$1" > /dev/null || fail "$1 differs from the reference"
    $py - "$tmp/res/ref.h5" "$1" <<'PY' || fail "$1: /models differ from the reference"
import sys, h5py
a, b = (h5py.File(p, "r") for p in sys.argv[1:])
assert a["models/params"][()].tobytes() == b["models/params"][()].tobytes()
assert a["models/layout"][()].tobytes() == b["models/layout"][()].tobytes()
PY
    "$exe" status "$1" > /dev/null || fail "status of $1 is not 0"
    [ ! -e "$1.lock" ] || fail "$1.lock left behind"
}

# done_runs FILE: how many of the file's runs are done (0 while it does not exist yet).
done_runs() {
    local json
    json=$("$exe" status "$1" --format json 2>/dev/null) || true   # exit 1 while runs are pending
    $py -c 'import json, sys; print(json.loads(sys.argv[1])["counts"]["done"])' "$json" 2>/dev/null || echo 0
}

# wait_partly_done JOB FILE MIN MAX: until JOB runs and FILE has MIN..MAX runs done (120 s at most).
# Fails if the job finished or got past MAX first: the interruption would come too late.
wait_partly_done() {
    local job=$1 file=$2 lo=$3 hi=$4 deadline=$(( $(date +%s) + 120 )) d
    while [ "$(date +%s)" -lt "$deadline" ]; do
        d=$(done_runs "$file")
        if [ "$d" -ge "$lo" ]; then
            [ "$d" -le "$hi" ] && [ "$(job_state "$job")" = RUNNING ] && { echo "$d"; return 0; }
            fail "job $job: $d runs of $file done before it could be interrupted ($(job_state "$job"))"
        fi
        sleep 0.2
    done
    fail "job $job never had $lo runs of $file done ($(job_state "$job"))"
}

# wait_restarted JOB N: until Slurm has requeued JOB N times and started it again (90 s at most).
wait_restarted() {
    local deadline=$(( $(date +%s) + 90 ))
    until [ "$(job_field "$1" Restarts)" = "$2" ] && [ "$(job_state "$1")" != PENDING ] \
          && [ "$(job_state "$1")" != COMPLETING ]; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "job $1 not started again (Restarts=$(job_field "$1" Restarts), $(job_state "$1"))"
        sleep 0.5
    done
}

# one_clean_stop LOG: the attempt that was interrupted stopped on SIGTERM. On scancel, requeue and
# preemption slurmd signals every process of the job, srun among them, and srun then ends its step
# ("forcing job termination"), which signals the ranks a second time: when that second SIGTERM
# comes before the ranks are done, dcsweep ends at once ("received again") and the runs in flight
# resume from the checkpoint the first signal wrote, or start over. The result is the same bits;
# it is counted and reported, not failed.
double_signals=0
one_clean_stop() {
    grep -q "SIGTERM received: stopping" "$1" || fail "$1: no clean stop on SIGTERM"
    if grep -q "received again" "$1"; then
        double_signals=$(( double_signals + 1 ))
        echo "$name: note: $1: a second SIGTERM ended the stop early (see above)"
    fi
}

# The runs in flight at the stop left checkpoints (unless the signal came between two runs): then
# the next attempt must continue them, not start them over.
resumed_from_checkpoints() {   # LOG CKPT_DIR_LISTING
    local n
    n=$(wc -w <<< "$2")
    if [ "$n" -gt 0 ]; then
        [ "$(grep -c "resumes at epoch" "$1")" -ge "$n" ] || fail "$1: $n checkpoints ($2) but not every run resumed from one"
        resumed_total=$(( resumed_total + n ))
    fi
}
resumed_total=0

# ---- 1. scontrol requeue of a running array task ----
"$src/slurm/submit.sh" "$sweep" --shards 2 -p low -D "$tmp" -- -o "$tmp/res/a.h5" "${set_args[@]}" \
    > "$tmp/submit.txt" || fail "submit.sh"
array_id=$(sed -n 's/^array job \([0-9]*\):.*/\1/p' "$tmp/submit.txt")
merge_id=$(sed -n 's/^merge job \([0-9]*\):.*/\1/p' "$tmp/submit.txt")
[ -n "$array_id" ] && [ -n "$merge_id" ] || fail "submit.sh did not print both job ids"
shard=$tmp/res/a.shard-1-of-2.h5 task=${array_id}_0 shard_runs=$(( (n_runs + 1) / 2 ))
before=$(wait_partly_done "$task" "$shard" 1 $(( shard_runs - 2 )))
scontrol requeue "$task" || fail "scontrol requeue $task"
echo "$name: 1. requeued task $task with $before of $shard_runs runs done at $(elapsed)"
# Stopped and pending again: the checkpoints of the runs that were in flight are there now.
deadline=$(( $(date +%s) + 60 ))
until [ "$(job_state "$task")" = PENDING ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "task $task did not go back to pending: $(job_state "$task")"
    sleep 0.2
done
ckpts=$(cd "$tmp/res" && ls a.shard-1-of-2.h5.ckpt/ 2>/dev/null | tr '\n' ' ')
[ "$(job_state "$merge_id")" = PENDING ] || fail "the merge job did not wait for the requeued task: $(job_state "$merge_id")"
wait_restarted "$task" 1
timeout=120 wait_jobs "$array_id" "$merge_id"
for k in 0 1; do
    [ "$(job_state "${array_id}_$k")" = COMPLETED ] || fail "array task $k: $(job_state "${array_id}_$k")"
done
[ "$(job_state "$merge_id")" = COMPLETED ] || fail "merge job: $(job_state "$merge_id")"
log=$tmp/dcsweep-$task.out
one_clean_stop "$log"
grep -q "(restart 1)" "$log" || fail "$log: the requeued task did not run again"
grep -q "$before of $shard_runs runs already finished" "$log" || \
    grep -q "runs already finished" "$log" || fail "$log: the requeued task did not resume"
resumed_from_checkpoints "$log" "$ckpts"
same_as_ref "$tmp/res/a.h5"
echo "$name: 1. requeued task resumed (checkpoints: ${ckpts:-none}); merged file bitwise equal at $(elapsed)"

# preempt PARTITION OUT: sweep.sbatch on 2 ranks in PARTITION; once 1..n-4 runs are done a 2-core
# job in `high` preempts it. Prints the sweep job's id.
preempt() {
    local part=$1 out=$2 job high before
    job=$(sbatch --parsable -p "$part" -n 2 -D "$tmp" -o "$tmp/sweep-%j.out" "$src/slurm/sweep.sbatch" \
          "$sweep" -o "$out" "${set_args[@]}") || fail "sbatch sweep.sbatch -p $part"
    before=$(wait_partly_done "$job" "$out" 1 $(( n_runs - 4 )))
    high=$(sbatch --parsable -p high -n 2 -D "$tmp" -o "$tmp/high-%j.out" --wrap "echo high ran; sleep 2") || fail "sbatch -p high"
    echo "$name: job $high in high submitted with $before of $n_runs runs of job $job done at $(elapsed)" >&2
    timeout=60 wait_jobs "$high"
    [ "$(job_state "$high")" = COMPLETED ] || fail "high-priority job $high: $(job_state "$high")"
    grep -q "high ran" "$tmp/high-$high.out" || fail "high-priority job $high did not run"
    echo "$job"
}

# ---- 2. preemption, PreemptMode=REQUEUE ----
job=$(preempt low "$tmp/res/b.h5")
ckpts=$(cd "$tmp/res" && ls b.h5.ckpt/ 2>/dev/null | tr '\n' ' ')
grep -q "preempted JobId=$job " "$tmp/slurmctld.log" || fail "slurmctld did not preempt job $job"
wait_restarted "$job" 1
timeout=120 wait_jobs "$job"
[ "$(job_state "$job")" = COMPLETED ] || fail "preempted sweep job $job: $(job_state "$job")"
log=$tmp/sweep-$job.out
one_clean_stop "$log"
[ "$(grep -c "^sweep.sbatch: job $job," "$log")" -eq 2 ] || fail "$log: not two attempts"
grep -q "runs already finished" "$log" || fail "$log: the requeued job did not resume"
resumed_from_checkpoints "$log" "$ckpts"
same_as_ref "$tmp/res/b.h5"
echo "$name: 2. preempted (REQUEUE) job came back by itself (checkpoints: ${ckpts:-none}); bitwise equal at $(elapsed)"

# ---- 3. preemption, PreemptMode=CANCEL: --requeue does nothing, the user resubmits ----
job=$(preempt lowcancel "$tmp/res/c.h5")
case "$(job_state "$job")" in PREEMPTED|CANCELLED) ;; *) fail "job $job under PreemptMode=CANCEL: $(job_state "$job")" ;; esac
[ "$(job_field "$job" Restarts)" = 0 ] || fail "job $job under PreemptMode=CANCEL was requeued"
one_clean_stop "$tmp/sweep-$job.out"
ckpts=$(cd "$tmp/res" && ls c.h5.ckpt/ 2>/dev/null | tr '\n' ' ')
rc=0; "$exe" status "$tmp/res/c.h5" > "$tmp/c-status.txt" || rc=$?
[ $rc = 1 ] || fail "status of the cancelled job's file: exit $rc, expected 1 (pending runs)"
[ ! -e "$tmp/res/c.h5.lock" ] || fail "the cancelled job left its lock"
again=$(sbatch --parsable -p lowcancel -n 2 -D "$tmp" -o "$tmp/sweep-%j.out" "$src/slurm/sweep.sbatch" \
        "$sweep" -o "$tmp/res/c.h5" "${set_args[@]}") || fail "resubmission"
timeout=120 wait_jobs "$again"
[ "$(job_state "$again")" = COMPLETED ] || fail "resubmitted job $again: $(job_state "$again")"
grep -q "runs already finished" "$tmp/sweep-$again.out" || fail "the resubmitted job did not resume"
resumed_from_checkpoints "$tmp/sweep-$again.out" "$ckpts"
same_as_ref "$tmp/res/c.h5"
echo "$name: 3. preempted (CANCEL) job cancelled, file resumable; resubmitted: bitwise equal at $(elapsed)"

# ---- 4. the time limit's --signal=B:TERM@300 (sent here by hand: only the batch shell gets it) ----
# The script passes it on to the ranks, which stop cleanly (srun would turn its own SIGTERM into a
# SIGKILL of the ranks: no checkpoint, a stale lock).
job=$(sbatch --parsable -p low -n 2 -D "$tmp" -o "$tmp/sweep-%j.out" "$src/slurm/sweep.sbatch" \
      "$sweep" -o "$tmp/res/d.h5" "${set_args[@]}") || fail "sbatch sweep.sbatch"
wait_partly_done "$job" "$tmp/res/d.h5" 1 $(( n_runs - 4 )) > /dev/null
scancel --batch --signal=TERM "$job" || fail "scancel --batch --signal=TERM"
timeout=60 wait_jobs "$job"
log=$tmp/sweep-$job.out
one_clean_stop "$log"
grep -q "sweep.sbatch: SIGTERM: the runs in flight stop" "$log" || fail "$log: the batch shell did not pass SIGTERM on"
grep -q "still has pending runs" "$log" || fail "$log: the outcome was not read from the file"
[ ! -e "$tmp/res/d.h5.lock" ] || fail "the stopped job left its lock (its ranks were killed?)"
[ -n "$(ls "$tmp/res/d.h5.ckpt/" 2>/dev/null)" ] || fail "no checkpoint of the runs in flight"
echo "$name: 4. --signal=B:TERM passed on to the ranks: clean stop, checkpoints written at $(elapsed)"

echo "$name: interruptions ended by a second SIGTERM: $double_signals; runs resumed from a checkpoint: $resumed_total"
[ "$resumed_total" -gt 0 ] || echo "$name: note: no interruption caught a run in flight (all came between runs)"
[ -z "$(job_pids)" ] || fail "job processes left after every job ended: $(job_pids)"
echo "$name: ok in $(elapsed)"

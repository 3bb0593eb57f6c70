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
#  4. The time limit's --signal=B:USR1 (sent by hand: scancel --batch --signal=USR1) under
#     DC_LAUNCHER=mpirun, with epochs of seconds (a wider model): the batch shell passes it to rank 0
#     as SIGTERM (SIGTERM to mpirun would SIGKILL the ranks 1 s later, mid-epoch); every run in
#     flight is checkpointed and resumes from there when the same command is resubmitted; the
#     result is bitwise equal to an uninterrupted sweep of the same settings.
#  5. The same signal under srun (the quick start): the shell passes it on through scancel
#     --signal=TERM of the step (SIGTERM to srun would SIGKILL the ranks); a clean stop, no lock
#     left; the resubmitted job resumes from a checkpoint, bitwise equal.
# In every case the job's log must show one clean stop on SIGTERM ("SIGTERM received: stopping",
# never "received again": the scripts pass no SIGTERM on, and the ranks take srun's own copy within
# a second as the same request), and where a run was in flight at the stop, the next attempt must
# resume from a checkpoint. Nothing is left behind: no job, no job process, no daemon.
set -euo pipefail
name=slurm_requeue
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
t_start=$(date +%s)
auth_info_extra=",cred_expire=10"
source "$src/tests/slurm_lib.sh"
check="$py $src/tests/results_check.py"
sweep=$src/sweeps/quickstart.cfg
set_args=(--set 'grid.seeds=[0,1]')
# Case 4's sweep: 2 runs whose epochs take seconds, longer than mpirun's 1 s from SIGTERM to SIGKILL.
wide_args=(--set 'grid.seeds=[0]' --set 'grid.extent=["none"]' --set model.features=512
           --set model.filters=512 --set train.epochs=2)
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
"$exe" run "$sweep" -o "$tmp/res/wide-ref.h5" "${wide_args[@]}" > "$tmp/wide-ref.log" 2>&1 || fail "case 4's reference run: $(tail -n 3 "$tmp/wide-ref.log")"
echo "$name: case 4's reference at $(elapsed)"

# same_as_ref FILE [REF]: complete, and bitwise the reference's metrics, curves and kept models.
same_as_ref() {
    local ref=${2:-$tmp/res/ref.h5}
    $check complete "$1" > /dev/null || fail "$1 is not complete"
    $check same "$ref" "$1" > /dev/null || fail "$1 differs from the reference"
    $py - "$ref" "$1" <<'PY' || fail "$1: /models differ from the reference"
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

# one_clean_stop LOG: the attempt that was interrupted stopped on SIGTERM, once. On scancel, requeue
# and preemption slurmd signals every process of the job, srun among them, and srun then ends its
# step ("forcing job termination"), which signals the ranks a second time within milliseconds:
# dcsweep takes that as the same request (src/sweep/stop.c). A "received again" means a second
# request a second or more later (the batch shell passed one on, as it once did): the stop was cut
# short, the runs in flight not checkpointed at its end.
one_clean_stop() {
    grep -q "SIGTERM received: stopping" "$1" || fail "$1: no clean stop on SIGTERM"
    ! grep -q "received again" "$1" || fail "$1: a second SIGTERM ended the stop early: $(grep "received again" "$1")"
}

# attempt LOG K: the lines of LOG's K-th attempt (the scripts print one header line per attempt).
attempt() { awk -v k="$2" '/^(sweep|array)\.sbatch: job /{ n++ } n == k' "$1"; }

# resumed_from_checkpoints STOPPED RERUN RANKS CKPTS [all]: STOPPED and RERUN are the interrupted
# attempt's and the next attempt's log lines, RANKS its number of ranks, CKPTS the checkpoints left
# by the stop. Every checkpoint must be resumed from, and when a run was in flight at the stop, at
# least one run must resume from its checkpoint (with `all`: one per rank, the caller having seen
# every rank train). Sets `resumed`. Each rank had a run in flight unless that run finished after
# the signal (the signal came in its last epoch or its test evaluation: it is done, nothing to
# resume) or the rank was between two runs (a window of milliseconds, and a rank that asks for a
# run after the stop gets none): only then can no run resume.
resumed_total=0 resumed=0
resumed_from_checkpoints() {
    local stopped=$1 rerun=$2 ranks=$3 ckpts=$4 strict=${5:-} finished in_flight n
    finished=$(sed -n '/SIGTERM received: stopping/,$p' <<< "$stopped" | grep -c '^\[ *[0-9]*/[0-9]*\] run ' || true)
    in_flight=$(( ranks - finished ))
    resumed=$(grep -c " resumes at epoch .* (checkpoint " <<< "$rerun" || true)
    n=$(wc -w <<< "$ckpts")
    [ "$resumed" -ge "$n" ] || fail "$n checkpoints ($ckpts) but only $resumed runs resumed from one"
    if [ "$strict" = all ]; then
        [ "$resumed" -ge "$ranks" ] || fail "$ranks runs in flight at the stop, $resumed resumed from a checkpoint"
    elif [ "$in_flight" -le 0 ]; then
        echo "$name: note: every rank's run finished after the signal: no run was in flight to resume"
    else
        [ "$resumed" -ge 1 ] || fail "$in_flight runs in flight at the stop, none resumed from a checkpoint"
    fi
    resumed_total=$(( resumed_total + resumed ))
}

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
resumed_from_checkpoints "$(attempt "$log" 1)" "$(attempt "$log" 2)" 1 "$ckpts"
same_as_ref "$tmp/res/a.h5"
echo "$name: 1. requeued task resumed ($resumed runs from checkpoints: ${ckpts:-none}); merged file bitwise equal at $(elapsed)"

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
resumed_from_checkpoints "$(attempt "$log" 1)" "$(attempt "$log" 2)" 2 "$ckpts"
same_as_ref "$tmp/res/b.h5"
echo "$name: 2. preempted (REQUEUE) job came back by itself ($resumed runs from checkpoints: ${ckpts:-none}); bitwise equal at $(elapsed)"

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
resumed_from_checkpoints "$(cat "$tmp/sweep-$job.out")" "$(cat "$tmp/sweep-$again.out")" 2 "$ckpts"
same_as_ref "$tmp/res/c.h5"
echo "$name: 3. preempted (CANCEL) job cancelled, file resumable; resubmitted ($resumed runs from checkpoints): bitwise equal at $(elapsed)"

# ---- 4. the time limit's --signal=B:USR1@300 under mpirun (sent here by hand: only the batch shell gets it) ----
# The script passes it to rank 0 as SIGTERM; rank 0 stops the sweep and has rank 1 checkpoint its
# run over MPI. (SIGTERM to mpirun, as the script once sent, has Open MPI SIGKILL the ranks 1 s
# later: these epochs take seconds, so no checkpoint would be written.)
# job_rank_ticks JOB: the CPU time (clock ticks) of each dcsweep process of JOB, one a line.
job_rank_ticks() {
    local p
    for p in $(job_pids); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = dcsweep ] || continue
        tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "SLURM_JOB_ID=$1" || continue
        awk '{ print $14 + $15 }' /proc/$p/stat 2>/dev/null || true
    done
}
job=$(DC_LAUNCHER=mpirun sbatch --parsable -p low -n 2 -D "$tmp" -o "$tmp/sweep-%j.out" \
      "$src/slurm/sweep.sbatch" "$sweep" -o "$tmp/res/d.h5" "${wide_args[@]}") || fail "sbatch sweep.sbatch"
# Both ranks training (0.8 s of CPU each, setup takes about 0.2), well before the end of the first
# epoch (about 2 s of CPU), so both runs are in flight.
deadline=$(( $(date +%s) + 120 ))
until [ -e "$tmp/res/d.h5" ] && [ "$(job_rank_ticks "$job" | awk '$1 >= 80' | wc -l)" -ge 2 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "job $job: two ranks never trained ($(job_state "$job"))"
    [ "$(job_state "$job")" = RUNNING ] || [ "$(job_state "$job")" = PENDING ] || fail "job $job ended before it could be interrupted: $(job_state "$job")"
    sleep 0.2
done
scancel --batch --signal=USR1 "$job" || fail "scancel --batch --signal=USR1"
timeout=120 wait_jobs "$job"
log=$tmp/sweep-$job.out
grep -q "sweep.sbatch: SIGUSR1 (the time limit is near)" "$log" || fail "$log: the batch shell did not take SIGUSR1"
! grep -q "rank 0 not found" "$log" || fail "$log: the batch shell did not find rank 0"
one_clean_stop "$log"
grep -q "still has pending runs" "$log" || fail "$log: the outcome was not read from the file"
[ ! -e "$tmp/res/d.h5.lock" ] || fail "the stopped job left its lock (its ranks were killed?)"
ckpts=$(cd "$tmp/res" && ls d.h5.ckpt/ 2>/dev/null | tr '\n' ' ')
[ -n "$ckpts" ] || fail "no checkpoint of the runs in flight (the ranks were killed mid-epoch?)"
again=$(DC_LAUNCHER=mpirun sbatch --parsable -p low -n 2 -D "$tmp" -o "$tmp/sweep-%j.out" \
        "$src/slurm/sweep.sbatch" "$sweep" -o "$tmp/res/d.h5" "${wide_args[@]}") || fail "resubmission"
timeout=120 wait_jobs "$again"
[ "$(job_state "$again")" = COMPLETED ] || fail "resubmitted job $again: $(job_state "$again")"
resumed_from_checkpoints "$(cat "$log")" "$(cat "$tmp/sweep-$again.out")" 2 "$ckpts" all
same_as_ref "$tmp/res/d.h5" "$tmp/res/wide-ref.h5"
echo "$name: 4. B:USR1 under mpirun passed to rank 0: clean stop, $resumed runs resumed from their checkpoints; bitwise equal at $(elapsed)"

# ---- 5. the same under srun ----
job=$(sbatch --parsable -p low -n 2 -D "$tmp" -o "$tmp/sweep-%j.out" "$src/slurm/sweep.sbatch" \
      "$sweep" -o "$tmp/res/e.h5" "${set_args[@]}") || fail "sbatch sweep.sbatch"
wait_partly_done "$job" "$tmp/res/e.h5" 1 $(( n_runs - 4 )) > /dev/null
scancel --batch --signal=USR1 "$job" || fail "scancel --batch --signal=USR1"
timeout=60 wait_jobs "$job"
log=$tmp/sweep-$job.out
grep -q "sweep.sbatch: SIGUSR1 (the time limit is near)" "$log" || fail "$log: the batch shell did not take SIGUSR1"
! grep -q "scancel --signal=TERM failed" "$log" || fail "$log: scancel --signal=TERM failed"
one_clean_stop "$log"
grep -q "still has pending runs" "$log" || fail "$log: the outcome was not read from the file"
[ ! -e "$tmp/res/e.h5.lock" ] || fail "the stopped job left its lock (its ranks were killed?)"
ckpts=$(cd "$tmp/res" && ls e.h5.ckpt/ 2>/dev/null | tr '\n' ' ')
again=$(sbatch --parsable -p low -n 2 -D "$tmp" -o "$tmp/sweep-%j.out" "$src/slurm/sweep.sbatch" \
        "$sweep" -o "$tmp/res/e.h5" "${set_args[@]}") || fail "resubmission"
timeout=120 wait_jobs "$again"
[ "$(job_state "$again")" = COMPLETED ] || fail "resubmitted job $again: $(job_state "$again")"
resumed_from_checkpoints "$(cat "$log")" "$(cat "$tmp/sweep-$again.out")" 2 "$ckpts"
same_as_ref "$tmp/res/e.h5"
echo "$name: 5. B:USR1 under srun passed to the step: clean stop, $resumed runs resumed from their checkpoints; bitwise equal at $(elapsed)"

echo "$name: runs resumed from a checkpoint: $resumed_total"
[ -z "$(job_pids)" ] || fail "job processes left after every job ended: $(job_pids)"
echo "$name: ok in $(elapsed)"

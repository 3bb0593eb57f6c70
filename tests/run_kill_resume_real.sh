#!/usr/bin/env bash
# run_kill_resume.sh with the REAL trainer and the real `dcsweep run`: SIGKILL one worker of a
# 3-rank sweep (tests/data/run/kill_real.cfg, 10 runs of ~0.5-1 s) while some runs are done and
# some are not, which ends the whole MPI job. Then the file must open (h5dump, h5py) and every row
# it shows as done must have finite metrics; running the same command again must train exactly
# the runs that were not done, leave the done rows as they were (finished, wall_seconds, rank
# bitwise), and end bitwise identical to an uninterrupted sweep in every metric and curve (except
# the timing curve epoch_seconds). Prints "N passed, 0 failed"; exits 1 on the first failure.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
py=/usr/bin/python3
sweep=$src/tests/data/run/kill_real.cfg
n_runs=10
mpirun_cmd=(mpirun -n 3 --oversubscribe)

passed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { echo "run_kill_resume_real: FAIL: $*" >&2; echo "$passed passed, 1 failed"; exit 1; }

tmp=$(mktemp -d)
job=""        # the mpirun running now (always started in the background, then waited for)
ranks=""      # pids of the dcsweep processes of the interrupted job
# ours PID: PID is a live (not zombie) dcsweep process. Ranks of an ended job are reparented to
# init and stay zombies until it reaps them.
ours() {
    [ "$(cat /proc/$1/comm 2> /dev/null)" = dcsweep ] || return 1
    local state; state=$(sed 's/.*) //' /proc/$1/stat 2> /dev/null | cut -d' ' -f1)
    [ -n "$state" ] && [ "$state" != Z ]
}
cleanup() {
    local p
    if [ -n "$job" ] && kill -0 "$job" 2> /dev/null; then
        kill -TERM "$job" 2> /dev/null || true; sleep 1; kill -KILL "$job" 2> /dev/null || true
    fi
    [ -n "$job" ] && ranks="$ranks $(pgrep -P "$job" 2> /dev/null || true)"
    for p in $ranks; do   # only our own processes
        if ours "$p"; then kill -KILL "$p" 2> /dev/null || true; fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# run_mpi OUT ARGS...: mpirun -n 3 dcsweep run ARGS > OUT (in the background, so the trap can
# clean up if the test is stopped); returns mpirun's exit status.
run_mpi() {
    local out=$1; shift
    "${mpirun_cmd[@]}" "$exe" run "$@" > "$out" 2>&1 &
    job=$!
    local st=0; wait "$job" || st=$?
    job=""
    return $st
}

# counts FILE: "DONE PENDING" of `dcsweep status --format json` (empty if not readable yet).
counts() {
    local js
    js=$("$exe" status "$1" --format json 2> /dev/null) || [ $? -eq 1 ] || return 0
    local d p
    d=$(echo "$js" | grep -o '"done": [0-9]*' | head -1 | awk '{print $2}')
    p=$(echo "$js" | grep -o '"pending": [0-9]*' | head -1 | awk '{print $2}')
    [ -n "$d" ] && [ -n "$p" ] && echo "$d $p"
    return 0
}

# One interrupted attempt with EPOCHS epochs; returns 0 if the kill landed mid-sweep, 3 if the
# sweep finished before it could be killed (too fast: retry longer), fails on anything else.
attempt() {
    local epochs=$1 k=$tmp/killed.h5 c=""
    rm -f "$k"
    "${mpirun_cmd[@]}" "$exe" run "$sweep" --set train.epochs="$epochs" -o "$k" > "$tmp/out1" 2>&1 &
    job=$!
    local t0=$SECONDS
    while :; do   # until >= 2 runs are done and >= 1 is not (at most 90 s)
        if ! kill -0 "$job" 2> /dev/null; then
            local st=0; wait "$job" || st=$?; job=""
            cat "$tmp/out1"
            if [ $st -eq 0 ] && [ "$(counts "$k")" = "$n_runs 0" ]; then
                echo "the sweep ($epochs epochs) finished before a worker could be killed"
                return 3
            fi
            fail "the sweep ended (exit $st) before a worker was killed"
        fi
        c=$(counts "$k")
        if [ -n "$c" ]; then
            set -- $c
            [ "$1" -ge 2 ] && [ "$2" -ge 1 ] && break
        fi
        [ $((SECONDS - t0)) -lt 90 ] || fail "no 2 runs done after 90 s (status: ${c:-none})"
        sleep 0.1
    done
    # The dcsweep processes of this mpirun, by MPI rank; the victim is one worker (rank 1 or 2).
    local p r victim="" want=$((RANDOM % 2 + 1))
    ranks=""
    for p in $(pgrep -P "$job"); do
        [ "$(cat /proc/$p/comm 2> /dev/null)" = dcsweep ] || continue
        ranks="$ranks $p"
        r=$(tr '\0' '\n' < /proc/$p/environ | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
        [ "$r" = "$want" ] && victim=$p
    done
    [ "$(echo $ranks | wc -w)" -eq 3 ] || fail "expected 3 dcsweep processes under mpirun, found [$ranks]"
    [ -n "$victim" ] || fail "no dcsweep process with OMPI_COMM_WORLD_RANK=$want"
    echo "status before the kill: $c (done pending); SIGKILL rank $want (pid $victim)"
    kill -KILL "$victim"
    t0=$SECONDS
    while kill -0 "$job" 2> /dev/null; do
        [ $((SECONDS - t0)) -lt 60 ] || fail "the MPI job did not end within 60 s of the SIGKILL"
        sleep 0.1
    done
    local st=0; wait "$job" || st=$?; job=""
    cat "$tmp/out1"
    if [ $st -eq 0 ]; then   # the victim had already ended (a zombie ignores SIGKILL)
        [ "$(counts "$k")" = "$n_runs 0" ] || fail "the killed job exited 0 with runs not done"
        echo "the sweep ($epochs epochs) finished before the SIGKILL landed"
        return 3
    fi
    pass "the MPI job ended after SIGKILL of rank $want (mpirun exit $st, $((SECONDS - t0)) s)"
    sleep 1
    for p in $ranks; do
        if ours "$p"; then fail "dcsweep pid $p of the killed job still running"; fi
    done
    ranks=""
    pass "no dcsweep process of the killed job is left"
    c=$(counts "$k")
    if [ "$c" = "$n_runs 0" ]; then
        echo "every run was done when the kill landed ($epochs epochs)"
        return 3
    fi
    return 0
}

# Reference, then the interrupted sweep; if runs are too short to be killed, retry them longer.
epochs=""
for e in 4000 16000; do
    run_mpi "$tmp/ref.out" "$sweep" --set train.epochs="$e" -o "$tmp/ref.h5" \
        || { cat "$tmp/ref.out"; fail "reference sweep failed"; }
    grep -q "$n_runs runs: $n_runs done, 0 diverged, 0 failed, 0 pending" "$tmp/ref.out" \
        || { cat "$tmp/ref.out"; fail "reference sweep not complete"; }
    grep "this session" "$tmp/ref.out"
    pass "reference sweep ($e epochs): $n_runs runs done"
    st=0; attempt "$e" || st=$?
    if [ $st -eq 0 ]; then epochs=$e; break; fi
    rm -f "$tmp/ref.h5"
done
[ -n "$epochs" ] || fail "the sweep always finished before a worker could be killed, even with 16000 epochs"
k=$tmp/killed.h5

# The file after SIGKILL: h5dump reads it, h5py opens it, done rows are complete.
h5dump -H "$k" > /dev/null || fail "h5dump -H cannot read the file after SIGKILL"
pass "h5dump -H reads the file after SIGKILL"
out=$($py - "$k" "$tmp/done.npz" <<'PY'
import sys, h5py, numpy as np
METRICS = [f"{s}_{m}" for s in ("val", "test")
           for m in ("energy_mae", "energy_rmse", "force_mae", "force_rmse", "efwt")]
with h5py.File(sys.argv[1], "r") as f:
    runs, epochs = f["runs"][()], int(f.attrs["epochs"])
    curves = {n: f["curves"][n][()] for n in f["curves"]}
print("ok: h5py opens the file after SIGKILL")
status = np.array([s.rstrip(b"\0") for s in runs["status"]])
bad = sorted(set(status.tolist()) - {b"done", b"pending"})
assert not bad, f"unexpected statuses after SIGKILL: {bad}"
done = np.flatnonzero(status == b"done")
left = np.flatnonzero(status != b"done")
assert len(done) >= 2 and len(left) >= 1, f"done {done}, not done {left}"
for i in done:
    for m in METRICS:
        assert np.isfinite(runs[m][i]), f"done run {i}: {m} = {runs[m][i]}"
    assert runs["epochs_completed"][i] == epochs, f"done run {i}: {runs['epochs_completed'][i]} epochs"
    assert runs["rank"][i] in (0, 1, 2) and runs["finished"][i] > 0, f"done run {i}: rank/finished"
    for n, c in curves.items():
        assert np.all(np.isfinite(c[i])), f"done run {i}: curves/{n} not finite"
# A pending row may hold metrics: a worker writes the row (status still pending), flushes, then
# the status, so a kill in between leaves a pending row with metrics (trained again on resume).
with_metrics = [f"{i} (rank {runs['rank'][i]})" for i in left
                if not np.isnan(runs["test_force_mae"][i])]
print(f"ok: {len(done)} done rows have finite metrics and curves; {len(left)} rows pending"
      + (f" (runs {', '.join(with_metrics)} with metrics: killed between row and status write)"
         if with_metrics else ""))
np.savez(sys.argv[2], done=done, left=left, finished=runs["finished"][done],
         wall_seconds=runs["wall_seconds"][done], rank=runs["rank"][done])
for i in done:
    print(f"  done run {i}: rank {runs['rank'][i]}, finished {runs['finished'][i]!r}, "
          f"wall_seconds {runs['wall_seconds'][i]!r}")
print("LEFT " + " ".join(map(str, left)))
PY
) || { echo "$out"; fail "the file after SIGKILL"; }
echo "$out" | grep -v '^LEFT'
passed=$((passed + $(echo "$out" | grep -c '^ok:')))
left=$(echo "$out" | sed -n 's/^LEFT //p')
n_left=$(echo $left | wc -w); n_done=$((n_runs - n_left))

# Resume: the same command trains exactly the runs that were not done.
run_mpi "$tmp/out2" "$sweep" --set train.epochs="$epochs" -o "$k" \
    || { cat "$tmp/out2"; fail "the resumed sweep failed"; }
cat "$tmp/out2"
grep -q "resuming $k: $n_done of $n_runs runs already finished, $n_left to train" "$tmp/out2" \
    || fail "the rerun does not say it skips the $n_done done runs and trains $n_left"
pass "the rerun skipped $n_done done runs, $n_left to train"
trained=$(sed -n 's/^\[ *[0-9]*\/[0-9]*\] run \([0-9]*\) .*/\1/p' "$tmp/out2" | sort -n | tr '\n' ' ' | sed 's/ $//')
[ "$trained" = "$left" ] || fail "the rerun trained runs [$trained], expected exactly [$left]"
pass "the rerun trained exactly runs [$left]"
grep -q "$n_runs runs: $n_runs done, 0 diverged, 0 failed, 0 pending" "$tmp/out2" \
    || fail "the rerun did not end with every run done"
"$exe" status "$k" > /dev/null || fail "dcsweep status: the resumed file is not complete"
pass "dcsweep status: every run done"

out=$($py - "$tmp/ref.h5" "$k" "$tmp/done.npz" <<'PY'
import sys, h5py, numpy as np
METRICS = [f"{s}_{m}" for s in ("val", "test")
           for m in ("energy_mae", "energy_rmse", "force_mae", "force_rmse", "efwt")]
def bits(a):   # float64 bit patterns: NaN == NaN, -0.0 != 0.0
    return a.view("u8") if a.dtype.kind == "f" else a
def same(a, b):
    return (a.shape == b.shape and np.array_equal(bits(a), bits(b))
            and (a.dtype.kind != "f" or np.array_equal(a, b, equal_nan=True)))
ref, k, rec = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), np.load(sys.argv[3])
ra, rb = ref["runs"][()], k["runs"][()]
done = rec["done"]
for col in ("finished", "wall_seconds", "rank"):
    now = np.ascontiguousarray(rb[col][done])
    assert same(now, rec[col]), f"done rows {done}: {col} changed: {rec[col]} -> {now}"
print(f"ok: the {len(done)} rows done before the kill kept finished, wall_seconds, rank bitwise")
assert rb["finished"][rec["left"]].min() > rec["finished"].max(), "a resumed row is not newer"
print("ok: the resumed rows were written after the kill")
for col in ["run", "irelu_scale", "extent", "rescaling", "status", "seed", "error",
            "epochs_completed", "diverged_epoch"] + METRICS:
    a, b = np.ascontiguousarray(ra[col]), np.ascontiguousarray(rb[col])
    if not same(a, b):
        bad = [i for i in range(len(a)) if a[i:i + 1].tobytes() != b[i:i + 1].tobytes()]
        raise AssertionError(f"column {col} differs from the reference in runs {bad}")
print("ok: every metric column bitwise equal to the uninterrupted sweep")
assert sorted(ref["curves"]) == sorted(k["curves"]), "different curves"
for n in ref["curves"]:
    a, b = ref["curves"][n][()], k["curves"][n][()]
    if n == "epoch_seconds":   # wall time per epoch: never reproducible, only its shape and NaNs
        assert a.shape == b.shape and np.array_equal(np.isnan(a), np.isnan(b)), n
        continue
    assert same(a, b), f"curves/{n} differs from the reference"
print("ok: every /curves/* array bitwise equal to the uninterrupted sweep (epoch_seconds: shape)")
PY
) || { echo "$out"; fail "the resumed file against the reference"; }
echo "$out"
passed=$((passed + $(echo "$out" | grep -c '^ok:')))
echo "run_kill_resume_real: $epochs epochs per run"
echo "$passed passed, 0 failed"

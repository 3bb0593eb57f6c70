#!/usr/bin/env bash
# Mid-run checkpoints with the real trainer on 3 ranks (docs/results-format.md, "Checkpoints"):
#   1. SIGKILL of one rank mid-sweep, then the same command: runs in flight continue from their
#      checkpoints ("run k resumes at epoch e") and the file ends bitwise equal to an uninterrupted
#      sweep (every metric and curve but the timing curve);
#   2. SIGTERM to the job: every run in flight is checkpointed, the job exits with "interrupted",
#      and the rerun again ends bitwise equal;
#   3. a damaged checkpoint and one of another sweep are set aside with a warning, their runs start
#      over, and the result is still the same; no checkpoint, and no empty <output>.ckpt/ folder, is
#      left once every run is done.
# The protocol of the converged sweeps (plateau, EMA, best epoch) is on, so that every part of the
# run's state has to come back from the checkpoint.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
check="/usr/bin/python3 $src/tests/results_check.py"
sweep=$src/tests/data/run/tiny.cfg
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "run_checkpoint: $*" >&2; exit 1; }
sets=(--set train.epochs=300 --set train.checkpoint_seconds=0 --set 'train.schedule="plateau"'
      --set train.plateau.patience=3 --set train.plateau.factor=0.5 --set train.ema_decay=0.9
      --set 'train.select="best"' --set train.eval_every=2)
run3() { mpirun -n 3 --oversubscribe "$exe" run "$sweep" "${sets[@]}" "$@"; }

run3 -o "$tmp/ref.h5" > "$tmp/ref.out"
$check complete "$tmp/ref.h5"
[ ! -e "$tmp/ref.h5.ckpt" ] || fail "a checkpoint folder left after a finished sweep: $(ls -A "$tmp/ref.h5.ckpt")"

. "$src/tests/sweep_lib.sh"

# Waits until the file has at least $2 done rows and a checkpoint of a run in flight exists.
wait_mid_sweep() {
    for _ in $(seq 300); do
        n=$($check rows "$1" done 2> /dev/null | wc -w || true)
        if [ "${n:-0}" -ge "$2" ] && ls "$1.ckpt"/run-*.h5 > /dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    fail "no run in flight with a checkpoint in $1"
}

# ---- 1. SIGKILL of one rank ----
mpirun -n 3 --oversubscribe "$exe" run "$sweep" "${sets[@]}" -o "$tmp/k.h5" > "$tmp/k1.out" 2>&1 &
job=$!
wait_mid_sweep "$tmp/k.h5" 3
victim=$(rank_pid $job 2) || fail "no rank 2"
kill -KILL "$victim"
set +e; wait $job; status=$?; set -e
[ $status -ne 0 ] || fail "the killed job exited 0"
ls "$tmp/k.h5.ckpt"/run-*.h5 > /dev/null || fail "no checkpoint after SIGKILL"
run3 -o "$tmp/k.h5" > "$tmp/k2.out"
grep -q "resumes at epoch" "$tmp/k2.out" || { cat "$tmp/k2.out"; fail "no run resumed from its checkpoint"; }
grep "resumes at epoch" "$tmp/k2.out" | head -n 3
$check same "$tmp/ref.h5" "$tmp/k.h5"
[ ! -e "$tmp/k.h5.ckpt" ] || fail "a checkpoint folder left after the resumed sweep: $(ls -A "$tmp/k.h5.ckpt")"

# ---- 2. SIGTERM to the job ----
mpirun -n 3 --oversubscribe "$exe" run "$sweep" "${sets[@]}" -o "$tmp/t.h5" > "$tmp/t1.out" 2>&1 &
job=$!
wait_mid_sweep "$tmp/t.h5" 3
kill -TERM $job
set +e; wait $job; status=$?; set -e
cat "$tmp/t1.out" | grep -v '^\[' || true
[ $status -ne 0 ] || fail "the job stopped by SIGTERM exited 0"
grep -q "interrupted by SIGTERM" "$tmp/t1.out" || fail "no 'interrupted' message"
left=$($check rows "$tmp/t.h5" pending)
[ -n "$left" ] || fail "SIGTERM came too late: nothing left pending"
n_ckpt=$(ls "$tmp/t.h5.ckpt" | grep -c '^run-[0-9]*\.h5$' || true)
[ "$n_ckpt" -ge 1 ] || fail "SIGTERM left no checkpoint"
cp "$(ls "$tmp/t.h5.ckpt"/run-*.h5 | head -n 1)" "$tmp/foreign.h5"   # for part 3
run3 -o "$tmp/t.h5" > "$tmp/t2.out"
[ "$(grep -c "resumes at epoch" "$tmp/t2.out")" -ge 1 ] || fail "no run resumed after SIGTERM"
$check same "$tmp/ref.h5" "$tmp/t.h5"
[ ! -e "$tmp/t.h5.ckpt" ] || fail "a checkpoint folder left after the resumed sweep: $(ls -A "$tmp/t.h5.ckpt")"

# ---- 3. damaged and foreign checkpoints ----
"$exe" run "$sweep" "${sets[@]}" -o "$tmp/d.h5" --set 'grid.seeds=[0]' > /dev/null
/usr/bin/python3 - "$tmp/d.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:     # runs 1 and 2 look interrupted
    runs = f["runs"][()]
    for i in (1, 2):
        runs[i]["status"] = b"pending"
    f["runs"][...] = runs
PY
mkdir -p "$tmp/d.h5.ckpt"
head -c 3000 /dev/urandom > "$tmp/d.h5.ckpt/run-1.h5"   # damaged
cp "$tmp/foreign.h5" "$tmp/d.h5.ckpt/run-2.h5"           # of the 2-seed sweep of part 2
"$exe" run "$sweep" "${sets[@]}" -o "$tmp/d.h5" --set 'grid.seeds=[0]' > "$tmp/d.out"
cat "$tmp/d.out" | grep -i "warning" || true
grep -q "warning: .*run-1.h5.*set aside as .*run 1 starts over" "$tmp/d.out" || fail "the damaged checkpoint was not set aside"
grep -q "warning: .*run-2.h5: a checkpoint of another sweep.*run 2 starts over" "$tmp/d.out" ||
    fail "the foreign checkpoint was not set aside"
ls "$tmp/d.h5.ckpt" | grep -q "run-1.h5.refused-" || fail "no refused file kept"   # (so the folder stays)
run3 -o "$tmp/dref.h5" --set 'grid.seeds=[0]' > /dev/null
$check same "$tmp/dref.h5" "$tmp/d.h5"
echo "run_checkpoint: ok"

#!/usr/bin/env bash
# `dcsweep run` with the real trainer on a tiny sweep (20 runs): on 3 ranks, on 2 and alone (every
# rank trains; rank 0 also coordinates between its steps); every row must be complete, and the
# files bitwise identical (a run is a pure function of the sweep and its index, whichever rank
# trains it). Running the
# same command again on the finished file must train nothing and change nothing.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
check="/usr/bin/python3 $src/tests/results_check.py"
sweep=$src/tests/data/run/tiny.cfg
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

mpirun -n 3 --oversubscribe "$exe" run "$sweep" -o "$tmp/mpi.h5" > "$tmp/mpi.out"
cat "$tmp/mpi.out"
grep -q "sweep tiny: 20 runs: 20 done, 0 diverged, 0 failed, 0 pending" "$tmp/mpi.out"
grep -q "coordinator .* of rank 0's time, answered ranks within [0-9]* ms" "$tmp/mpi.out"
[ "$(grep -c '^\[[ 0-9]*/20\] run ' "$tmp/mpi.out")" -eq 20 ]   # one line per run (no tty bar)
$check complete "$tmp/mpi.h5" --ranks 0,1,2
# every rank trained a share (rank 0 too)
for r in 0 1 2; do grep -q "on rank $r;" "$tmp/mpi.out"; done
h5dump -H "$tmp/mpi.h5" > /dev/null

mpirun -n 2 --oversubscribe "$exe" run "$sweep" -o "$tmp/two.h5" > "$tmp/two.out"
$check complete "$tmp/two.h5" --ranks 0,1
$check same "$tmp/mpi.h5" "$tmp/two.h5"
h5dump -H "$tmp/mpi.h5" > /dev/null

"$exe" run "$sweep" -o "$tmp/one.h5" > "$tmp/one.out"
$check complete "$tmp/one.h5" --ranks 0
$check same "$tmp/mpi.h5" "$tmp/one.h5"

cp "$tmp/mpi.h5" "$tmp/before.h5"
mpirun -n 3 --oversubscribe "$exe" run "$sweep" -o "$tmp/mpi.h5" > "$tmp/again.out"
cat "$tmp/again.out"
grep -q "20 of 20 runs already finished, 0 to train" "$tmp/again.out"
$check unchanged "$tmp/before.h5" "$tmp/mpi.h5" "$(seq -s, 0 19)"
# Resume with the real trainer, deterministically: make rows 3, 7 and 12 look like runs a crash
# interrupted (status pending, metrics and curves garbage), rerun on 3 ranks: exactly those are
# trained again, the others stay byte for byte, and the result is bitwise the uninterrupted one.
/usr/bin/python3 - "$tmp/mpi.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    runs = f["runs"][()]
    for i in (3, 7, 12):
        runs[i]["status"] = b"pending"
        runs[i]["test_force_mae"] = 1e9
        runs[i]["finished"] = 0.0
        for c in f["curves"].values():
            c[i, :] = -1.0
    f["runs"][...] = runs
PY
mpirun -n 3 --oversubscribe "$exe" run "$sweep" -o "$tmp/mpi.h5" > "$tmp/resume.out"
grep -q "17 of 20 runs already finished, 3 to train" "$tmp/resume.out"
$check unchanged "$tmp/before.h5" "$tmp/mpi.h5" "$(seq 0 19 | grep -vx '3\|7\|12' | paste -sd,)"
/usr/bin/python3 -c "
import sys, h5py
r = h5py.File(sys.argv[1])['runs'][()]
assert all(r['finished'][i] > 1e9 for i in (3, 7, 12)), r['finished']" "$tmp/mpi.h5"
$check same "$tmp/one.h5" "$tmp/mpi.h5"
echo "run_mpi: ok"

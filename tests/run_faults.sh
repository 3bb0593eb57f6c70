#!/usr/bin/env bash
# Faults are results, not crashes: a failed run (status failed + message), a diverged run (status
# diverged + epoch + message) and a worker whose trainer becomes unusable (its run recorded as
# failed, the worker stops, the other worker finishes the sweep) are all recorded and the sweep
# goes on. A rerun keeps them (exit 1 while runs failed); --retry-failed trains the failed ones
# again, never the diverged, and exits 0 once none has failed.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; fake=${FAKE_SWEEP:?}
check="/usr/bin/python3 $src/tests/results_check.py"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "run_faults: $*" >&2; exit 1; }
args="--seeds 2 --epochs 3"   # 12 runs

mpirun -n 3 --oversubscribe "$fake" "$tmp/ref.h5" $args > /dev/null

set +e
FAKE_FAIL_RUNS=3 FAKE_DIVERGE_RUNS=4 FAKE_FATAL_RUNS=7 \
    mpirun -n 3 --oversubscribe "$fake" "$tmp/f.h5" $args > "$tmp/out" 2> "$tmp/err"
status=$?
set -e
cat "$tmp/out" "$tmp/err"
[ $status -ne 0 ] || fail "a worker failed fatally but the job exited 0"
grep -q "worker rank [012] failed on run 7: fake fatal error on run 7" "$tmp/err" || fail "no fatal message"
grep -q "run 4 .*diverged at epoch 2" "$tmp/out" || fail "no diverged line"
grep -q "run 3 .*failed: fake failure of run 3" "$tmp/out" || fail "no failed line"
[ "$($check rows "$tmp/f.h5" failed)" = "3 7" ] || fail "failed rows: $($check rows "$tmp/f.h5" failed)"
[ "$($check rows "$tmp/f.h5" diverged)" = "4" ] || fail "diverged rows"
[ -z "$($check rows "$tmp/f.h5" pending)" ] || fail "the sweep did not go on after the fatal worker"
/usr/bin/python3 - "$tmp/f.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1]); r = f["runs"][()]
assert r["error"][3] == b"fake failure of run 3", r["error"][3]
assert r["error"][7] == b"fake fatal error on run 7", r["error"][7]
assert r["diverged_epoch"][4] == 2 and r["epochs_completed"][4] == 1, r[4]
assert r["error"][4].startswith(b"loss became NaN"), r["error"][4]
assert np.isnan(r["test_force_mae"][4]) and np.isnan(r["val_energy_mae"][3])
c = f["curves/val_force_mae"][()]
assert np.isfinite(c[4, 0]) and np.isnan(c[4, 1:]).all(), c[4]   # curve of the diverged run
print("faults recorded")
PY

# A plain rerun keeps failed and diverged runs, and exits 1 with one line: runs failed.
set +e
FAKE_LOG=$tmp/log1 mpirun -n 3 --oversubscribe "$fake" "$tmp/f.h5" $args > /dev/null 2> "$tmp/err1"
status=$?
set -e
if grep -q '^start' "$tmp/log1"; then fail "a plain rerun trained runs again"; fi
[ $status -eq 1 ] || fail "a sweep that ends with failed runs exited $status, not 1"
grep -q "^fake_sweep: $tmp/f.h5: 2 runs failed (their reasons are in /runs" "$tmp/err1" ||
    fail "no 'runs failed' line: $(cat "$tmp/err1")"
# --retry-failed trains exactly the failed runs.
FAKE_LOG=$tmp/log2 mpirun -n 3 --oversubscribe "$fake" "$tmp/f.h5" $args --retry-failed > /dev/null
[ "$(awk '$1 == "start" {print $2}' "$tmp/log2" | sort -n | tr '\n' ' ')" = "3 7 " ] || fail "--retry-failed trained: $(cat "$tmp/log2")"
[ "$($check rows "$tmp/f.h5" diverged)" = "4" ] || fail "the diverged run was retried"
[ "$($check rows "$tmp/f.h5" done | wc -w)" = 11 ] || fail "not 11 done runs after --retry-failed"
echo "run_faults: ok"

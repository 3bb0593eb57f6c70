#!/usr/bin/env bash
# The advection PINN end to end under mpirun (docs/pinn.md), with the real trainer on a tiny
# PINN sweep (tests/data/run/pinn_tiny.cfg, 20 runs): the guarantees a SchNet sweep has hold for
# a PINN sweep too.
#   - 3 ranks, 2 ranks and 1 rank give bitwise identical results files;
#   - SIGKILL of one rank mid-sweep (runs in flight checkpointed), then the same command again:
#     exactly the runs not done are trained, done rows stay byte for byte, and the file ends
#     bitwise identical to the uninterrupted sweep;
#   - 2 shards (one on 2 ranks) merged are bitwise the unsharded file;
#   - status, report --metric u_nrmse (checked against numpy by tests/test_report.py --file),
#     merge work on it, and plot_sweep.py draws it;
#   - dcsweep predict and the C API of libdcsweep.so refuse a PINN file with one error line.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}; build=${DC_BUILD_DIR:?}
py=/usr/bin/python3
check="$py $src/tests/results_check.py"
sweep=$src/tests/data/run/pinn_tiny.cfg
n_runs=20
name=pinn_tiny
tmp=$(mktemp -d)
job=""   # the mpirun running in the background, if any
cleanup() {
    if [ -n "$job" ] && kill -0 "$job" 2> /dev/null; then kill -KILL "$job" 2> /dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
cd "$tmp"
fail() { echo "run_pinn: FAILED: $*" >&2; exit 1; }
# Runs a command expected to exit with $1; keeps stdout/stderr in out.txt/err.txt.
expect() { local want=$1; shift; set +e; "$@" > out.txt 2> err.txt; local got=$?; set -e
           [ "$got" -eq "$want" ] || { cat out.txt err.txt; fail "exit $got, expected $want: $*"; }; }
one_line() { [ "$(wc -l < err.txt)" -eq 1 ] && grep -q '^dcsweep: ' err.txt || { cat err.txt; fail "not one error line"; }; }
. "$src/tests/sweep_lib.sh"
. "$src/tests/family_sweep_lib.sh"

# ---- 3, 2 and 1 ranks: bitwise the same ----
family_ranks
grep -q "u_nrmse [0-9.]*, ux_nrmse [0-9.]*" three.out || fail "the progress lines show no PINN metric"
$py - <<'PY'
import h5py, json
with h5py.File("one.h5", "r") as f:
    assert f.attrs["model_kind"] == "advection", f.attrs["model_kind"]
    rec = json.loads(f.attrs["model_record"])
    assert rec["task"] == "advection" and rec["beta"] == 0.4 and rec["ic_seed"] == 0, rec
    names = [m.split(b"\0")[0].decode() for m in f["metrics"]["name"]]
    assert names == ["u_nrmse", "u_rmse", "u_max_err", "ux_nrmse", "residual_rms"], names
    assert {"train_residual_loss", "train_initial_loss", "train_boundary_loss"} <= set(f["curves"])
    assert f["models/params"].shape == (20, 8 * 2 + 8 + 2 * (8 * 8 + 8) + 8 + 1)
PY

# ---- SIGKILL of rank 2 mid-sweep, then resume ----
# Longer runs (about 0.5 s) so that the kill lands while some are done and some in flight, and a
# checkpoint every 0.1 s so that the runs in flight resume from mid-run checkpoints.
family_kill_resume --set train.epochs=8000 --set train.checkpoint_seconds=0.1

# ---- 2 shards (the second on 2 ranks), merged: bitwise the unsharded file ----
family_shards model_kind model_record sweep_sha256
# The exact solution on the metrics' grid (/task), bitwise in every file; plot_sweep.py's numpy
# forward pass gives every run's u_rmse and u_max_err.
$py "$src/tests/task_field_check.py" one.h5 three.h5 merged.h5

# ---- status ----
family_status

# ---- report ----
expect 0 "$exe" report one.h5 --metric u_nrmse
cat out.txt
grep -q "Main effects on u_nrmse" out.txt || fail "report: no main effects on u_nrmse"
grep -q "Paired differences on u_nrmse vs baseline extent=none,rescaling=power10" out.txt \
    || fail "report: no paired section against the default baseline"
grep -q "u_nrmse, ux_nrmse dimensionless" out.txt || fail "report: units not from the file"
expect 0 "$exe" report one.h5 --metric ux_nrmse --baseline extent=none,rescaling=none --format json
$py -c 'import json; d = json.load(open("out.txt")); assert d["model_kind"] == "advection" and len(d["configurations"]) == 10 and d["paired"], d.keys()'
expect 2 "$exe" report one.h5 --metric test_force_mae
one_line; grep -q "u_nrmse" err.txt || fail "the unknown-metric error does not list the PINN metrics"
DC_REPORT_FIXTURE=/nonexistent $py "$src/tests/test_report.py" --file one.h5

# ---- plots ----
if $py -c 'import matplotlib' 2> /dev/null; then
    $py "$src/scripts/plot_sweep.py" one.h5 figures > plot.out || { cat plot.out; fail "plot_sweep.py"; }
    [ "$(ls figures/*.png | wc -l)" -ge 2 ] || { ls figures; fail "plot_sweep.py drew fewer than 2 figures"; }
    grep -q "figures/u_vs_reference.png" plot.out && [ -s figures/u_vs_reference.png ] \
        || { cat plot.out; fail "plot_sweep.py drew no u_vs_reference.png"; }
fi

# ---- predict and the C API refuse a PINN file, in one line ----
expect 2 "$exe" predict one.h5 --run 0 "$src/tests/data/sweeps/water4.xyz" -o pred.xyz
one_line; grep -q 'advection' err.txt && grep -q 'predict no energies or forces' err.txt || fail "predict's refusal does not say why"
[ ! -e pred.xyz ] || fail "predict wrote an output file for a PINN model"
# The ASan build's library (scripts/test-sanitize.sh) loads into Python only with ASan's runtime
# preloaded; leak checking would report Python's own allocations.
lib=$build/src/predict/libdcsweep.so
asan_rt=$(ldd "$lib" | awk '/libasan/ { print $3 }')
LD_PRELOAD=$asan_rt ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 $py - "$lib" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.dcsweep_model_load.restype = ctypes.c_void_p
lib.dcsweep_model_load.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
err = ctypes.create_string_buffer(512)
model = lib.dcsweep_model_load(b"one.h5", 0, err, 512)
msg = err.value.decode()
assert model is None, "the C API loaded a PINN model"
assert "advection" in msg and "predict no energies or forces" in msg and "\n" not in msg, msg
print("C API refuses:", msg)
PY
echo "run_pinn: ok"

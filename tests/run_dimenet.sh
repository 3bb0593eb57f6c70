#!/usr/bin/env bash
# DimeNet++ end to end under mpirun (docs/dimenet.md, issue 23), with the real trainer on a tiny
# DimeNet++ sweep (tests/data/run/dimenet_tiny.cfg, 12 runs): what a SchNet sweep guarantees holds
# for a DimeNet++ sweep too.
#   - 3 ranks, 2 ranks and 1 rank give bitwise identical results files, /models named by PyG's
#     state_dict keys;
#   - SIGKILL of one rank mid-sweep (runs in flight checkpointed), then the same command again:
#     exactly the runs not done are trained, done rows stay byte for byte, and the file ends
#     bitwise identical to the uninterrupted sweep;
#   - 2 shards (one on 2 ranks) merged are bitwise the unsharded file;
#   - status, report, plot_sweep.py work on it;
#   - predict on a run's own test split reproduces its stored test metrics, and the ASE calculator's
#     forces are minus the finite-difference gradient of its energy;
#   - a dataset with coincident atoms is one error line naming the file and frame.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}; build=${DC_BUILD_DIR:?}
py=/usr/bin/python3
check="$py $src/tests/results_check.py"
sweep=$src/tests/data/run/dimenet_tiny.cfg
n_runs=12
name=dimenet_tiny
tmp=$(mktemp -d)
job=""   # the mpirun running in the background, if any
cleanup() {
    if [ -n "$job" ] && kill -0 "$job" 2> /dev/null; then kill -KILL "$job" 2> /dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
cd "$tmp"
fail() { echo "run_dimenet: FAILED: $*" >&2; exit 1; }
# Runs a command expected to exit with $1; keeps stdout/stderr in out.txt/err.txt.
expect() { local want=$1; shift; set +e; "$@" > out.txt 2> err.txt; local got=$?; set -e
           [ "$got" -eq "$want" ] || { cat out.txt err.txt; fail "exit $got, expected $want: $*"; }; }
one_line() { [ "$(wc -l < err.txt)" -eq 1 ] && grep -q '^dcsweep: ' err.txt || { cat err.txt; fail "not one error line"; }; }
. "$src/tests/sweep_lib.sh"
. "$src/tests/family_sweep_lib.sh"

# ---- 3, 2 and 1 ranks: bitwise the same ----
family_ranks
$py - <<'PY'
import h5py
with h5py.File("one.h5", "r") as f:
    assert f.attrs["model_kind"] == "dimenet++", f.attrs["model_kind"]
    names = [r["name"].split(b"\0")[0].decode() for r in f["models/layout"][()]]
    assert names[:3] == ["rbf.freq", "emb.emb.weight", "emb.lin_rbf.weight"], names[:3]
    assert "interaction_blocks.0.lin_sbf1.weight" in names and "output_blocks.1.lin.weight" in names, names
    metrics = [m.split(b"\0")[0].decode() for m in f["metrics"]["name"]]
    assert "test_force_mae" in metrics, metrics
PY

# ---- SIGKILL of rank 2 mid-sweep, then resume ----
# Longer runs (about 0.5 s) so that the kill lands while some are done and some in flight, and a
# checkpoint every 0.1 s so that the runs in flight resume from mid-run checkpoints.
family_kill_resume --set train.epochs=1500 --set train.checkpoint_seconds=0.1

# ---- 2 shards (the second on 2 ranks), merged: bitwise the unsharded file ----
family_shards model_kind sweep_sha256
# ---- status ----
family_status

# ---- report ----
expect 0 "$exe" report one.h5
cat out.txt
grep -q "Main effects on test_force_mae" out.txt || fail "report: no main effects on test_force_mae"
grep -q "Paired differences on test_force_mae vs baseline" out.txt || fail "report: no paired section"
expect 0 "$exe" report one.h5 --metric test_energy_mae --format json
$py -c 'import json; d = json.load(open("out.txt")); assert d["model_kind"] == "dimenet++" and len(d["configurations"]) == 6, d.keys()'

# ---- plots ----
if $py -c 'import matplotlib' 2> /dev/null; then
    $py "$src/scripts/plot_sweep.py" one.h5 figures > plot.out || { cat plot.out; fail "plot_sweep.py"; }
    [ "$(ls figures/*.png | wc -l)" -ge 2 ] || { ls figures; fail "plot_sweep.py drew fewer than 2 figures"; }
fi

# ---- predict reproduces the stored test metrics; the calculator's forces are -dE/dr ----
water=$src/tests/data/sweeps/water12.xyz
run=$($check rows one.h5 done | awk '{ print $2 }')  # an IReLU run (extent output)
expect 0 "$exe" predict one.h5 --run "$run" "$water" -o pred.xyz --format json
lib=$build/src/predict/libdcsweep.so
asan_rt=$(ldd "$lib" | awk '/libasan/ { print $3 }')
LD_PRELOAD=$asan_rt ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 DCSWEEP_LIB=$lib \
    $py - "$src" "$run" <<'PY'
import sys, warnings
import numpy as np
sys.path.insert(0, sys.argv[1] + "/python")
warnings.simplefilter("ignore")
import ase.io
from dcsweep_ase import DcsweepCalculator
calc = DcsweepCalculator("one.h5", run=int(sys.argv[2]))
pred = ase.io.read("pred.xyz", ":")
atoms = ase.io.read(sys.argv[1] + "/tests/data/sweeps/water12.xyz", "0")
atoms.calc = calc
assert abs(atoms.get_potential_energy() - pred[0].get_potential_energy()) < 1e-6, "calculator vs predict"
forces = atoms.get_forces()
h, worst = 1e-4, 0.0
for i in range(len(atoms)):
    for c in range(3):
        pos = atoms.positions.copy(); pos[i, c] += h; atoms.positions = pos; ep = atoms.get_potential_energy()
        pos[i, c] -= 2 * h; atoms.positions = pos; em = atoms.get_potential_energy()
        pos[i, c] += h; atoms.positions = pos
        worst = max(worst, abs(-(ep - em) / (2 * h) - forces[i, c]))
scale = max(np.abs(forces).max(), 1e-3)
print(f"calculator forces vs -dE/dr by central differences: max error {worst:.2e} (max |F| {scale:.2e})")
assert worst < 5e-3 * scale + 1e-4, worst
PY

# ---- bad geometry: coincident atoms are one line naming the file and frame ----
$py - "$water" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
lines[14] = lines[13]   # frame 3 (lines 11-15): its second H on top of its first
open("coincident.xyz", "w").write("\n".join(lines) + "\n")
PY
sed "s|file = \"../sweeps/water12.xyz\";|file = \"$tmp/coincident.xyz\";|" "$sweep" > coincident.cfg
expect 2 "$exe" train coincident.cfg --run 0
one_line
grep -q "coincident.xyz" err.txt && grep -q "coincide" err.txt || { cat err.txt; fail "the coincident-atoms error names no file"; }
echo "run_dimenet: ok"

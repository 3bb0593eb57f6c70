#!/usr/bin/env bash
# What a batch log and `dcsweep status` show of runs in flight (issue 25), with the real trainer:
#   1. `mpirun -n 2 dcsweep run ... --progress-seconds 1 > log.txt` on 2 runs of a few seconds:
#      rank 0's log has progress lines of both runs (rank 1's reached it through the coordinator)
#      with every field (epoch/max, lr, monitored value, best and its epoch, ETA and how it is
#      computed, rank), no more than one per run per second of the run, none from a run shorter
#      than the interval, none by default (60 s), then the usual done lines and summary;
#      `dcsweep train --progress-seconds 1` prints the same lines on stderr, `ETA <=` with early
#      stopping on; a bad --progress-seconds is one error line, exit 2;
#   2. a sweep killed mid-run (SIGKILL to both ranks): `dcsweep status` lists both runs in flight
#      with the epoch, last monitored value and best (with its epoch) of their checkpoints, in
#      table and json (checked against the checkpoint files read with h5py); a finished file has
#      none;
#   3. a PINN results file (advection, diffusion-sorption, a merge of advection shards) carries no
#      energy_unit/length_unit (a SchNet file still does); status and report of it work.
# The runs' lengths come from train.epochs (thousands of epochs of tiny.cfg's 6 molecules, batch
# size 1: a few seconds); nothing asserts a duration.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
py=/usr/bin/python3
check="$py $src/tests/results_check.py"
sweep=$src/tests/data/run/tiny.cfg
tmp=$(mktemp -d)
job=""
cleanup() {
    if [ -n "$job" ] && kill -0 "$job" 2> /dev/null; then kill -KILL "$job" 2> /dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
cd "$tmp"
fail() { echo "run_progress: FAILED: $*" >&2; exit 1; }
. "$src/tests/sweep_lib.sh"
# 2 runs (extent none and output, one seed, one scale, one rescaling), one per rank.
two_runs=(--set 'grid.seeds=[0]' --set 'grid.extent=["none","output"]' --set 'grid.irelu_scale=[1.0]'
          --set 'grid.rescaling=["power10"]' --set train.batch_size=1)
num='-?[0-9.]+(e[-+]?[0-9]+)?'

# ---- 1. progress lines in a log ----
mpirun -n 2 "$exe" run "$sweep" "${two_runs[@]}" --set train.epochs=15000 -o p.h5 \
    --progress-seconds 1 > log.txt
cat log.txt
$check complete p.h5 --ranks 0,1
grep -q "sweep tiny: 2 runs: 2 done" log.txt || fail "no summary"
line_re="^progress: run ([01]) epoch [0-9]+/15000: lr $num, loss $num \(epoch [0-9]+\), best $num at epoch [0-9]+; ETA [0-9.]+s \($num s/epoch x [0-9]+ epochs left\); on rank [01]\$"
for run in 0 1; do
    done_line=$(grep -E "^\[[12]/2\] run $run \(.*\) done " log.txt) || fail "no done line of run $run"
    wall=$(sed -E 's/.*; ([0-9.]+)s on rank.*/\1/' <<< "$done_line")
    n=$(grep -cE "^progress: run $run epoch " log.txt || true)
    n_full=$(grep -E "$line_re" log.txt | grep -cE "^progress: run $run epoch " || true)
    [ "$n" -eq "$n_full" ] || fail "run $run: $n progress lines, only $n_full with every field"
    # at most one per second of the run, the first after one second; none from a shorter run
    max=$(awk -v w="$wall" 'BEGIN { print int(w) }')
    [ "$n" -le "$max" ] || fail "run $run: $n progress lines in $wall s (at most one per second)"
    if awk -v w="$wall" 'BEGIN { exit !(w >= 2.5) }'; then
        [ "$n" -ge 1 ] || fail "run $run trained $wall s and printed no progress line"
    fi
    echo "run $run: $n progress lines in $wall s"
done
# The lines carry the rank that trains the run: rank 1's line came through rank 0's coordinator.
r1=$(grep -E "^\[[12]/2\] run [01] .* done .* on rank 1;" log.txt | sed -E 's/^\[[12]\/2\] run ([01]) .*/\1/')
if grep -qE "^progress: run $r1 epoch " log.txt; then
    grep -E "^progress: run $r1 epoch " log.txt | grep -qv "on rank 1$" && fail "run $r1 of rank 1 named another rank"
fi
# best <= every monitored value shown, and the best epoch not after the line's epoch
grep -E "$line_re" log.txt | $py -c '
import re, sys
for line in sys.stdin:
    m = re.search(r"epoch (\d+)/\d+: lr \S+, loss (\S+) \(epoch (\d+)\), best (\S+) at epoch (\d+)", line)
    epoch, mon, mon_epoch, best, best_epoch = int(m[1]), float(m[2]), int(m[3]), float(m[4]), int(m[5])
    assert best <= mon and best_epoch <= epoch and mon_epoch <= epoch, line
'
# The default interval (60 s) prints nothing for runs of a few seconds; a run shorter than the
# interval prints none either.
mpirun -n 2 "$exe" run "$sweep" "${two_runs[@]}" --set train.epochs=200 -o q.h5 > q.txt
mpirun -n 2 "$exe" run "$sweep" "${two_runs[@]}" --set train.epochs=200 -o r.h5 --progress-seconds 30 > r.txt
! grep -E "^progress: " q.txt r.txt || fail "a progress line from a run shorter than the interval"
# dcsweep train: the same lines on stderr (a file here); early stopping that cannot trigger within
# the run turns the ETA into an upper bound.
"$exe" train "$sweep" --run 0 --set train.batch_size=1 --set train.epochs=15000 \
    --set train.early_stopping.patience=1000000 --progress-seconds 1 > train.out 2> train.err
cat train.err
grep -q "status done after 15000 epochs" train.out || fail "train did not finish"
grep -qE "^progress: run 0 epoch [0-9]+/15000: lr $num, loss $num \(epoch [0-9]+\), best $num at epoch [0-9]+; ETA <= [0-9.]+s \($num s/epoch x [0-9]+ epochs left; early stopping may end it sooner\)\$" train.err \
    || fail "train printed no progress line with an upper-bound ETA"
set +e; "$exe" run "$sweep" --progress-seconds -1 -o x.h5 > bad.out 2> bad.err; got=$?; set -e
[ $got -eq 2 ] && [ "$(wc -l < bad.err)" -eq 1 ] && grep -q "progress-seconds needs a number of seconds" bad.err \
    || { cat bad.err; fail "--progress-seconds -1: exit $got"; }

# ---- 2. status of a sweep killed mid-run ----
mpirun -n 2 "$exe" run "$sweep" "${two_runs[@]}" --set train.epochs=60000 \
    --set train.checkpoint_seconds=0.3 -o k.h5 > k.txt 2>&1 &
job=$!
for _ in $(seq 600); do
    [ -f k.h5.ckpt/run-0.h5 ] && [ -f k.h5.ckpt/run-1.h5 ] && break
    sleep 0.1
done
[ -f k.h5.ckpt/run-0.h5 ] && [ -f k.h5.ckpt/run-1.h5 ] || { cat k.txt; fail "no checkpoints of both runs"; }
sleep 0.5
r0=$(rank_pid $job 0) || fail "no rank 0"
r1=$(rank_pid $job 1) || fail "no rank 1"
kill -KILL "$r0" "$r1"
set +e; wait $job; set -e
job=""
set +e; "$exe" status k.h5 > st.txt; got=$?; set -e
cat st.txt
[ $got -eq 1 ] || fail "status of a killed sweep: exit $got, expected 1"
grep -q "^in flight (2), as of their last checkpoint in k.h5.ckpt/:" st.txt || fail "status lists no runs in flight"
"$exe" status k.h5 --format json > st.json || [ $? -eq 1 ]
$py - <<'PY'
import json, math, re, h5py
st = json.load(open("st.json"))
table = open("st.txt").read()
assert st["monitor"] == "loss", st["monitor"]
assert [f["run"] for f in st["in_flight"]] == [0, 1], st["in_flight"]
for f in st["in_flight"]:
    with h5py.File(f["checkpoint"], "r") as c:
        a = c.attrs
        epoch, best, best_epoch = int(a["epoch"]), float(a["best_value"]), int(a["best_epoch"])
        curves = c["curves"][()]
        lr = float(a["lr"])
    with h5py.File("k.h5", "r") as r:
        names = r.attrs["curve_names"].splitlines()
    mon = curves[names.index("monitor")][:epoch]
    last = max(i for i in range(epoch) if not math.isnan(mon[i]))
    assert 0 < epoch < 60000 and f["epoch"] == epoch and f["epochs"] == 60000, (f, epoch)
    assert f["best"] == best and f["best_epoch"] == best_epoch > 0, (f, best, best_epoch)
    assert f["monitor"] == mon[last] and f["monitor_epoch"] == last + 1, (f, mon[last])
    assert f["lr"] == lr and f["checkpoint_age_seconds"] >= 0, f
    row = re.search(rf"^\s+{f['run']}\s+{epoch}/60000\s+(\S+)\s+(\S+) \(epoch (\d+)\)\s+(\S+) \(epoch (\d+)\)", table, re.M)
    assert row, f"no table row of run {f['run']} at epoch {epoch}"
    assert math.isclose(float(row[2]), mon[last], rel_tol=1e-5) and int(row[3]) == last + 1, row[0]
    assert math.isclose(float(row[4]), best, rel_tol=1e-5) and int(row[5]) == best_epoch, row[0]
print("status: in flight", [(f["run"], f["epoch"], f["best"], f["best_epoch"]) for f in st["in_flight"]])
PY
"$exe" status p.h5 --format json > done.json
$py -c 'import json; s = json.load(open("done.json")); assert s["in_flight"] == [] and s["complete"], s'
grep -q "in flight" <("$exe" status p.h5) && fail "a finished file has runs in flight"

# ---- 3. a PINN file has no energy or length units ----
pinn=(--set 'grid.seeds=[0]' --set 'grid.extent=["none","output"]' --set 'grid.irelu_scale=[1.0]'
      --set 'grid.rescaling=["none"]' --set train.epochs=50)
"$exe" run "$src/tests/data/run/pinn_tiny.cfg" "${pinn[@]}" -o pinn.h5 > pinn.txt
"$exe" run "$src/tests/data/run/pinn_tiny.cfg" "${pinn[@]}" --shard 1/2 -o pinn_s.h5 > /dev/null
"$exe" run "$src/tests/data/run/pinn_tiny.cfg" "${pinn[@]}" --shard 2/2 -o pinn_s.h5 > /dev/null
"$exe" merge merged.h5 pinn_s.shard-1-of-2.h5 pinn_s.shard-2-of-2.h5 > /dev/null
"$exe" run "$src/tests/data/run/diffsorp_tiny.cfg" --set 'grid.seeds=[0]' --set 'grid.extent=["none"]' \
    --set 'grid.rescaling=["none"]' --set train.epochs=50 -o ds.h5 > /dev/null
$py - <<'PY'
import h5py
for path, kind in (("pinn.h5", "advection"), ("merged.h5", "advection"), ("ds.h5", "diffsorp")):
    with h5py.File(path, "r") as f:
        assert f.attrs["model_kind"] == kind, f.attrs["model_kind"]
        for unit in ("energy_unit", "length_unit"):
            assert unit not in f.attrs, f"{path}: {unit} = {f.attrs[unit]}"
with h5py.File("p.h5", "r") as f:
    assert f.attrs["energy_unit"] == "eV" and f.attrs["length_unit"] == "Angstrom"
PY
"$exe" status pinn.h5 > /dev/null
"$exe" report pinn.h5 > pinn_report.txt
grep -qiE "units:.*(energy|eV)" pinn_report.txt && fail "the PINN report has energy units"
"$exe" report p.h5 | grep -q "Units: energy eV, force eV/Angstrom" || fail "the SchNet report lost its units line"
echo "run_progress: OK"

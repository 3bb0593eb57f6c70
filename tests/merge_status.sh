#!/usr/bin/env bash
# Shards, merge and status with the real trainer on the tiny sweep (20 runs, about a second each
# pass): `run --shard K/N` (alone and on 2 ranks) writes K's rows only, into <out>.shard-K-of-N.h5;
# `merge` of the 3 shards is bitwise the unsharded sweep; missing, duplicate, conflicting (metrics,
# curves, kept parameters: each named) and foreign inputs (the differing settings named); the same
# shard given twice (path, link, copy) refused; --force; `status` exit codes, table and JSON;
# resuming a shard.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
py=/usr/bin/python3
check="$py $src/tests/results_check.py"
sweep=$src/tests/data/run/tiny.cfg
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "merge_status: FAILED: $*" >&2; exit 1; }
# Runs a command expected to exit with $1; keeps stdout/stderr in out.txt/err.txt.
expect() { local want=$1; shift; set +e; "$@" > out.txt 2> err.txt; local got=$?; set -e
           [ "$got" -eq "$want" ] || { cat out.txt err.txt; fail "exit $got, expected $want: $*"; }; }
one_line() { [ "$(wc -l < err.txt)" -eq 1 ] && grep -q '^dcsweep: ' err.txt || { cat err.txt; fail "not one error line"; }; }

"$exe" run "$sweep" -o full.h5 > /dev/null

# ---- shards: 3 of them, one on 2 MPI ranks ----
"$exe" run "$sweep" -o sh.h5 --shard 1/3 > run1.out
mpirun -n 2 --oversubscribe "$exe" run "$sweep" -o sh.h5 --shard=2/3 > run2.out
"$exe" run "$sweep" -o sh.h5 --shard 3/3 > run3.out
cat run1.out
for k in 1 2 3; do [ -f "sh.shard-$k-of-3.h5" ] || fail "no sh.shard-$k-of-3.h5"; done
[ ! -e sh.h5 ] || fail "a shard wrote the unsharded file"
grep -q "shard 1/3: 7 of 20 runs" run1.out || fail "run1.out does not announce the shard"
grep -q "7 runs: 7 done, 0 diverged, 0 failed, 0 pending" run1.out || fail "shard 1 summary"
$py - <<'PY'
import h5py
for k, owned in ((1, range(0, 20, 3)), (2, range(1, 20, 3)), (3, range(2, 20, 3))):
    with h5py.File(f"sh.shard-{k}-of-3.h5", "r") as f:
        assert f.attrs["shard"] == f"{k}/3", f.attrs["shard"]
        st = [s.decode() for s in f["runs"]["status"]]
        assert len(st) == 20
        for i in range(20):
            assert st[i] == ("done" if i in owned else "pending"), (k, i, st[i])
PY

# ---- status on a shard, on the full file ----
expect 0 "$exe" status sh.shard-2-of-3.h5
grep -q "shard 2/3: 7 of the 20 runs" out.txt || { cat out.txt; fail "status shard line"; }
expect 0 "$exe" status sh.shard-3-of-3.h5 --format json
$py -c 'import json; d = json.load(open("out.txt")); assert d["shard"] == "3/3" and d["runs"] == 6 and d["complete"] and d["counts"]["done"] == 6 and d["not_done"] == [], d'
expect 0 "$exe" status full.h5 --format=json
$py -c 'import json; d = json.load(open("out.txt")); assert d["shard"] is None and d["runs"] == 20 and d["n_runs"] == 20 and d["epochs"] == 2 and d["sweep_name"] == "tiny" and d["complete"] and d["finished"], d'

# ---- merge: bitwise the unsharded sweep ----
expect 0 "$exe" merge merged.h5 sh.shard-3-of-3.h5 sh.shard-1-of-3.h5 sh.shard-2-of-3.h5
grep -q "sweep tiny: 20 runs: 20 done, 0 diverged, 0 failed, 0 pending" out.txt || { cat out.txt; fail "merge summary"; }
$check complete merged.h5
$check same full.h5 merged.h5
$py - <<'PY'
import h5py
with h5py.File("merged.h5", "r") as m, h5py.File("full.h5", "r") as full:
    assert "shard" not in m.attrs
    # Layout of an unsharded file: the same datasets, types, shapes and attributes.
    for name in ("runs", "rescaling", *("curves/" + c for c in full["curves"])):
        assert m[name].dtype == full[name].dtype and m[name].shape == full[name].shape, name
    assert set(m.attrs) == set(full.attrs), set(m.attrs) ^ set(full.attrs)
    assert m["rescaling"][()].tobytes() == full["rescaling"][()].tobytes()
    # Every row and curve row bitwise from its shard, timings and rank/host included.
    for k in (1, 2, 3):
        with h5py.File(f"sh.shard-{k}-of-3.h5", "r") as s:
            first = s.attrs["created"] if k == 3 else None
            if first is not None:
                assert m.attrs["created"] == first  # metadata from the first input
            for i in range(k - 1, 20, 3):
                assert m["runs"][i].tobytes() == s["runs"][i].tobytes(), (k, i)
                for c in m["curves"]:
                    assert m["curves"][c][i].tobytes() == s["curves"][c][i].tobytes(), (k, i, c)
PY
$py -c 'import h5py; h5py.File("merged.h5", "r")["runs"][()]'   # readable with h5py

# ---- never overwrite without --force ----
before=$(stat -c %Y.%s merged.h5)
expect 2 "$exe" merge merged.h5 sh.shard-1-of-3.h5 sh.shard-2-of-3.h5 sh.shard-3-of-3.h5
one_line; grep -q -- "--force" err.txt || fail "no --force hint"
[ "$(stat -c %Y.%s merged.h5)" = "$before" ] || fail "merged.h5 changed without --force"
expect 0 "$exe" merge --force merged.h5 sh.shard-1-of-3.h5 sh.shard-2-of-3.h5 sh.shard-3-of-3.h5
$check same full.h5 merged.h5
ls | grep -q merging && fail "a temporary file was left behind"

# ---- missing runs: shard 3 absent ----
expect 1 "$exe" merge part.h5 sh.shard-1-of-3.h5 sh.shard-2-of-3.h5
grep -q "6 runs are pending in every input: 2, 5, 8, 11, 14, 17" err.txt || { cat err.txt; fail "missing runs"; }
expect 1 "$exe" status part.h5 --format json
$py -c '
import json; d = json.load(open("out.txt"))
assert d["counts"] == {"done": 14, "diverged": 0, "failed": 0, "pending": 6}, d["counts"]
assert not d["complete"] and not d["finished"]
assert [r["run"] for r in d["not_done"]] == [2, 5, 8, 11, 14, 17], d["not_done"]
r = d["not_done"][2]
assert r["status"] == "pending" and r["seed"] == 0 and r["extent"] == "full" and r["rescaling"] == "standard" and r["irelu_scale"] == 0.5, r
'
expect 1 "$exe" status part.h5
grep -q "pending *6" out.txt && grep -q "not done (6)" out.txt || { cat out.txt; fail "status table"; }
# The partial merge is an ordinary results file of the sweep: run trains exactly the missing runs.
"$exe" run "$sweep" -o part.h5 > resume.out
grep -q "14 of 20 runs already finished, 6 to train" resume.out || { cat resume.out; fail "resume of a partial merge"; }
$check same full.h5 part.h5

# ---- duplicates: identical results are accepted once, different ones refused ----
expect 0 "$exe" merge dup.h5 sh.shard-1-of-3.h5 sh.shard-2-of-3.h5 sh.shard-3-of-3.h5 full.h5
grep -q "20 runs finished in several inputs with identical results" out.txt || { cat out.txt; fail "duplicates"; }
$check same full.h5 dup.h5
# ... but the same shard given twice (by its path, another name of the file, a copy) is refused
# before anything is written: it would count as two inputs agreeing with each other.
expect 2 "$exe" merge twice.h5 sh.shard-1-of-3.h5 sh.shard-2-of-3.h5 sh.shard-1-of-3.h5
one_line; grep -q "^dcsweep: merge: sh.shard-1-of-3.h5 is given twice (inputs 1 and 3): give each shard once$" err.txt ||
    fail "same path twice"
ln -s sh.shard-2-of-3.h5 link.h5
expect 2 "$exe" merge twice.h5 sh.shard-1-of-3.h5 sh.shard-2-of-3.h5 ./link.h5
one_line; grep -q "^dcsweep: merge: sh.shard-2-of-3.h5 and ./link.h5 are the same file (inputs 2 and 3)" err.txt ||
    fail "the same file under two names"
cp sh.shard-3-of-3.h5 copy3.h5
expect 2 "$exe" merge twice.h5 sh.shard-3-of-3.h5 sh.shard-1-of-3.h5 copy3.h5
one_line; grep -q "^dcsweep: merge: copy3.h5 is a copy of sh.shard-3-of-3.h5 (the same bytes; inputs 1 and 3)" err.txt ||
    fail "a copy of a shard"
[ ! -e twice.h5 ] || fail "a refused merge wrote its output"
ls | grep -q merging && fail "a temporary file was left behind"
cp sh.shard-1-of-3.h5 bad1.h5
$py - <<'PY'
import h5py
with h5py.File("bad1.h5", "r+") as f:
    r = f["runs"][3:4]
    r["test_force_mae"] = r["test_force_mae"] * (1 + 1e-15) + 1e-300
    f["runs"][3:4] = r
PY
expect 2 "$exe" merge bad.h5 sh.shard-1-of-3.h5 bad1.h5
one_line; grep -q "run 3 was trained in both .*(test_force_mae differs" err.txt || fail "conflict message"
[ ! -e bad.h5 ] || fail "a refused merge wrote its output"
cp sh.shard-1-of-3.h5 bad2.h5
$py -c '
import h5py
with h5py.File("bad2.h5", "r+") as f:
    f["curves/val_force_mae"][0, 1] += 1.0'
expect 2 "$exe" merge bad.h5 bad2.h5 sh.shard-1-of-3.h5
one_line; grep -q "different val_force_mae curves" err.txt || fail "curve conflict message"
# the same metrics and curves, but one kept parameter one ulp off: refused, naming run and parameter
cp sh.shard-1-of-3.h5 bad3.h5
$py - <<'PY'
import h5py, numpy as np
with h5py.File("bad3.h5", "r+") as f:
    p = f["models/params"]
    row = p[3]
    row[7] = np.nextafter(row[7], np.float32(np.inf), dtype=np.float32)
    p[3] = row
PY
expect 2 "$exe" merge bad.h5 sh.shard-1-of-3.h5 bad3.h5
one_line; grep -q "run 3 was trained in both .*sh.shard-1-of-3.h5 and bad3.h5 with different kept parameters (/models/params, first at parameter 7 of" err.txt ||
    fail "parameter conflict message"
[ ! -e bad.h5 ] || fail "a refused merge wrote its output"
expect 2 "$exe" merge bad.h5 bad3.h5 full.h5
one_line; grep -q "run 3 was trained in both bad3.h5 and full.h5 with different kept parameters" err.txt ||
    fail "parameter conflict message (other order)"

# ---- foreign inputs ----
"$exe" run "$sweep" -o other.h5 --shard 1/3 --set train.learning_rate=0.002 > /dev/null
expect 2 "$exe" merge bad.h5 sh.shard-1-of-3.h5 other.shard-1-of-3.h5
# the settings that differ are named, as `run` names them on a file of another sweep
one_line; grep -q "^dcsweep: other.shard-1-of-3.h5 is not from the same sweep as sh.shard-1-of-3.h5: train.learning_rate (0.001 -> 0.002)$" err.txt ||
    fail "foreign sweep message"
"$exe" run "$sweep" -o other2.h5 --shard 2/3 --set train.learning_rate=0.002 --set train.epochs=1 --set 'grid.seeds=[0, 1, 2]' > /dev/null
expect 2 "$exe" merge bad.h5 other.shard-1-of-3.h5 other2.shard-2-of-3.h5
one_line; grep -q "is not from the same sweep as other.shard-1-of-3.h5: train.epochs (2 -> 1), grid.seeds (\[0, 1\] -> \[0, 1, 2\])$" err.txt ||
    fail "foreign sweep message, two keys"
echo "not hdf5" > junk.h5
expect 2 "$exe" merge bad.h5 sh.shard-1-of-3.h5 junk.h5
one_line
expect 2 "$exe" merge bad.h5 sh.shard-1-of-3.h5 nonexistent.h5
one_line
[ ! -e bad.h5 ] || fail "a refused merge wrote its output"
expect 2 "$exe" merge bad.h5
one_line
expect 2 "$exe" merge --frobnicate bad.h5 sh.shard-1-of-3.h5
one_line

# ---- status: failed/diverged rows, bad files, bad options ----
cp full.h5 mixed.h5
$py - <<'PY'
import h5py
with h5py.File("mixed.h5", "r+") as f:
    r = f["runs"][()]
    r[4]["status"] = b"failed"; r[4]["error"] = b'out of "memory"'
    r[9]["status"] = b"diverged"; r[9]["error"] = b"loss became NaN"
    f["runs"][...] = r
PY
expect 1 "$exe" status mixed.h5 --format json
$py -c '
import json; d = json.load(open("out.txt"))
assert d["counts"] == {"done": 18, "diverged": 1, "failed": 1, "pending": 0}, d["counts"]
assert not d["complete"] and d["finished"]
assert [(r["run"], r["status"], r["error"]) for r in d["not_done"]] == [(4, "failed", "out of \"memory\""), (9, "diverged", "loss became NaN")], d
'
expect 1 "$exe" status mixed.h5
grep -q "out of \"memory\"" out.txt || fail "status table error column"
expect 2 "$exe" status junk.h5
one_line
expect 2 "$exe" status nonexistent.h5
one_line
expect 2 "$exe" status
one_line; grep -q "results file" err.txt || fail "status usage message"
expect 2 "$exe" status full.h5 --format yaml
one_line
expect 0 "$exe" status --help

# ---- resuming a shard; a shard file is only resumed as the same shard ----
cp sh.shard-2-of-3.h5 before2.h5
$py -c '
import h5py
with h5py.File("sh.shard-2-of-3.h5", "r+") as f:
    r = f["runs"][4:5]; r["status"] = b"pending"; r["finished"] = 0.0; f["runs"][4:5] = r'
"$exe" run "$sweep" -o sh.h5 --shard 2/3 > resume2.out
grep -q "6 of 7 runs already finished, 1 to train" resume2.out || { cat resume2.out; fail "shard resume"; }
$check unchanged before2.h5 sh.shard-2-of-3.h5 1,7,10,13,16,19
cp sh.shard-1-of-3.h5 wrong.shard-2-of-3.h5
expect 2 "$exe" run "$sweep" -o wrong.h5 --shard 2/3
one_line; grep -q "holds shard 1/3, not shard 2/3" err.txt || fail "wrong shard message"
cp full.h5 whole.shard-1-of-3.h5
expect 2 "$exe" run "$sweep" -o whole.h5 --shard 1/3
one_line
expect 2 "$exe" run "$sweep" -o sh.h5 --shard 0/3
one_line
# auto: from Slurm's array variables; refused outside an array task
expect 2 env -u SLURM_ARRAY_TASK_ID "$exe" run "$sweep" -o sh.h5 --shard auto
one_line; grep -q "SLURM_ARRAY_TASK_ID" err.txt || fail "auto message"
SLURM_ARRAY_TASK_ID=7 SLURM_ARRAY_TASK_MIN=5 SLURM_ARRAY_TASK_MAX=7 SLURM_ARRAY_TASK_COUNT=3 \
    "$exe" run "$sweep" -o sh.h5 --shard auto > auto.out
grep -q "shard 3/3" auto.out && grep -q "6 of 6 runs already finished, 0 to train" auto.out || { cat auto.out; fail "auto"; }
echo "merge_status: ok"

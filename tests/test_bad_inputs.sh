#!/usr/bin/env bash
# Corrupt and foreign inputs each get one error line naming the file and the problem, the right
# exit status, and no crash (docs/reliability.md lists them):
#   results files: truncated to half, of another sweep, foreign HDF5, not HDF5 at all (run, status,
#   report, merge); merge of a shard of another sweep;
#   datasets (tests/data/bad/): NaN energy, NaN force, empty file, an empty split, constant
#   energies (scale 0 for minmax/standard/robust: those runs fail with the reason, power10 trains);
#   sweep files found by the fuzzers (tests/data/regress/config-*.cfg).
# Every assertion runs or counts a failure: no `|| true`, no assertion behind a condition, and the
# outputs an assertion reads come from commands whose own failure is an assertion too.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
py=/usr/bin/python3
tiny=$src/tests/data/run/tiny.cfg
bad=$src/tests/data/bad
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
pass=0; failed=0

# expect STATUS MESSAGE CMD...: stderr is exactly "dcsweep: MESSAGE" (one line; nothing when
# MESSAGE is empty), exit STATUS.
expect() {
    local want_status=$1 want=$2; shift 2
    # (out/err under $tmp: some commands run from tests/data/bad, which must stay clean)
    set +e; "$@" > "$tmp/out.txt" 2> "$tmp/err.txt"; local got=$?; set -e
    [ -z "$want" ] || want="dcsweep: $want"
    if [ "$got" = "$want_status" ] && [ "$(cat "$tmp/err.txt")" = "$want" ]; then
        pass=$((pass + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL: %s\n  status %s (want %s)\n  got:  %s\n  want: %s\n' "$*" "$got" \
            "$want_status" "$(cat "$tmp/err.txt")" "$want"
    fi
}
ok() { if "$@"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: $*"; fi; }

# ---- results files ----
"$exe" run "$tiny" -o good.h5 --set train.epochs=1 > /dev/null
size=$(stat -c %s good.h5)
cp good.h5 half.h5
truncate -s $((size / 2)) half.h5
cp half.h5 half.orig.h5
expect 2 "half.h5: cannot open as an HDF5 file; refusing to overwrite it: use --restart to replace it, or -o PATH" \
    "$exe" run "$tiny" -o half.h5 --set train.epochs=1
ok cmp -s half.h5 half.orig.h5    # refused: not touched
expect 2 "half.h5: cannot open as an HDF5 file" "$exe" status half.h5
expect 2 "half.h5: cannot open as an HDF5 file" "$exe" report half.h5   # one wording in every command
expect 2 "half.h5: cannot open as an HDF5 file" "$exe" merge m.h5 good.h5 half.h5
ok test ! -e m.h5

# The results file of another sweep (other epochs): refused, untouched, still complete.
cp good.h5 good.orig.h5
set +e; "$exe" run "$tiny" -o good.h5 --set train.epochs=2 > out.txt 2> err.txt; status=$?; set -e
ok test "$status" = 2
ok test "$(wc -l < err.txt)" = 1
ok grep -q "^dcsweep: good.h5 holds results of a different sweep: train.epochs (1 -> 2); use --restart to replace it, or -o PATH$" err.txt
# ... and rightly so: good.h5 records the hash of the 1-epoch sweep, not of the 2-epoch one (as
# `validate` prints them), and `plan --format json` gives the 2-epoch sweep the same 20 runs, so
# the epochs are the one difference to name. A command that fails or prints no value fails here.
sweep_sha() { "$exe" validate "$tiny" --set train.epochs="$1" | awk '$1 == "sha256" { print $2 }'; }
json_field() { $py -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
same_sweep_sha() {
    local recorded one two
    recorded=$("$exe" status good.h5 --format json | json_field sweep_sha256) &&
        one=$(sweep_sha 1) && two=$(sweep_sha 2) &&
        [[ $recorded =~ ^[0-9a-f]{64}$ && $recorded = "$one" && $two =~ ^[0-9a-f]{64}$ && $two != "$one" ]]
}
ok same_sweep_sha
same_run_count() {
    local planned recorded
    planned=$("$exe" plan "$tiny" --set train.epochs=2 --format json | json_field total) &&
        recorded=$("$exe" status good.h5 --format json | json_field n_runs) &&
        [ "$planned" = 20 ] && [ "$recorded" = 20 ]
}
ok same_run_count
ok cmp -s good.h5 good.orig.h5
ok $py "$src/tests/results_check.py" complete good.h5

# An HDF5 file that is not ours, and a file that is not HDF5.
$py -c 'import h5py; h5py.File("foreign.h5", "w")["x"] = [1, 2, 3]'
echo "not hdf5" > text.h5
expect 2 "foreign.h5: not a dcsweep results file (no attribute format_version); refusing to overwrite it: use --restart to replace it, or -o PATH" \
    "$exe" run "$tiny" -o foreign.h5 --set train.epochs=1
expect 2 "foreign.h5: not a dcsweep results file (no attribute format_version)" "$exe" status foreign.h5
expect 2 "foreign.h5: not a dcsweep results file (no attribute format_version)" "$exe" merge m.h5 good.h5 foreign.h5
expect 2 "text.h5: not a dcsweep results file (not HDF5)" "$exe" status text.h5
expect 2 "text.h5: not a dcsweep results file (not HDF5)" "$exe" report text.h5
ok test ! -e m.h5

# ---- merge: a shard of another sweep ----
"$exe" run "$tiny" -o a.h5 --shard 1/2 --set train.epochs=1 > /dev/null
"$exe" run "$tiny" -o b.h5 --shard 2/2 --set train.epochs=1 --set model.cutoff=3.5 > /dev/null
set +e; "$exe" merge m.h5 a.shard-1-of-2.h5 b.shard-2-of-2.h5 > out.txt 2> err.txt; status=$?; set -e
ok test "$status" = 2
ok test "$(wc -l < err.txt)" = 1
ok grep -q "^dcsweep: b.shard-2-of-2.h5 is not from the same sweep as a.shard-1-of-2.h5: model.cutoff (4 -> 3.5)$" err.txt
ok test ! -e m.h5

# ---- datasets ----
cd "$bad"
for cmd in validate "train --run 0"; do
    # shellcheck disable=SC2086
    expect 2 '../xyz/nan_energy.xyz:2: frame 1: non-finite value "nan" in energy (key "energy")' "$exe" $cmd nan_energy.cfg
    # shellcheck disable=SC2086
    expect 2 '../xyz/nan_force.xyz:14: frame 2: non-finite value "nan" in column forces' "$exe" $cmd nan_force.cfg
    # shellcheck disable=SC2086
    expect 2 '../xyz/empty.xyz: empty file (no frames)' "$exe" $cmd empty_file.cfg
    # shellcheck disable=SC2086
    expect 2 'empty_split.cfg: dataset.split.validation: 0.05 of the 12 frames of ../sweeps/water12.xyz is an empty split' "$exe" $cmd empty_split.cfg
done
expect 2 'rank 0: preparing the trainer: ../xyz/nan_force.xyz:14: frame 2: non-finite value "nan" in column forces' \
    "$exe" run nan_force.cfg -o "$tmp/nan.h5"
expect 2 'rank 0: preparing the trainer: empty_split.cfg: dataset.split.validation: 0.05 of the 12 frames of ../sweeps/water12.xyz is an empty split' \
    "$exe" run empty_split.cfg -o "$tmp/split.h5"
ok test ! -e "$tmp/nan.h5"
ok test ! -e "$tmp/split.h5"
expect 0 "" "$exe" plan empty_split.cfg   # plan does not read the data: no message
# Constant energies: `train` of a minmax run fails with the reason (exit 1); `run` records the
# three degenerate runs as failed with their reasons, trains the power10 one, and exits 1 with
# one line saying so (the exit-status contract: a failed run is a runtime failure).
expect 1 'train: run 1 failed: rescaling minmax: the training energies are all equal (scale 0)' \
    "$exe" train const_energy.cfg --run 1
set +e; "$exe" run const_energy.cfg -o "$tmp/const.h5" > "$tmp/out.txt" 2> "$tmp/err.txt"; status=$?; set -e
ok test "$status" = 1
ok grep -q "4 runs: 1 done, 0 diverged, 3 failed, 0 pending" "$tmp/out.txt"
ok test "$(wc -l < "$tmp/err.txt")" = 1
ok grep -q "^dcsweep: $tmp/const.h5: 3 runs failed (their reasons are in /runs, column error; the same command with --retry-failed trains them again)$" "$tmp/err.txt"
ok $py - "$tmp/const.h5" <<'PY'
import sys, h5py
r = h5py.File(sys.argv[1], "r")["runs"][()]
got = [(s.decode(), e.decode()) for s, e in zip(r["status"], r["error"])]
want = [("done", ""),
        ("failed", "rescaling minmax: the training energies are all equal (scale 0)"),
        ("failed", "rescaling standard: the training energies are all equal (standard deviation 0)"),
        ("failed", "rescaling robust: the interquartile range of the training energies is 0 (scale 0)")]
sys.exit(0 if got == want else f"const_energy rows: {got}")
PY
cd "$tmp"

# ---- sweep files found by fuzzing (tests/data/regress/config-*.cfg): one clean line each ----
regress=("$src"/tests/data/regress/config-*.cfg)
ok test -e "${regress[0]}"   # an unmatched glob would run the loop on the pattern itself
for f in "${regress[@]}"; do
    set +e; "$exe" plan "$f" > out.txt 2> err.txt; status=$?; set -e
    if [ "$status" = 2 ] && [ "$(wc -l < err.txt)" = 1 ] && grep -q '^dcsweep: ' err.txt; then
        pass=$((pass + 1))
    else
        failed=$((failed + 1)); echo "FAIL: plan $f: status $status"; cat err.txt
    fi
done
# A newline inside a quoted path is shown as '?', keeping the message on one line.
set +e; "$exe" plan "$src/tests/data/regress/config-newline-in-path.cfg" 2> err.txt > /dev/null; status=$?; set -e
ok test "$status" = 2
ok test "$(wc -l < err.txt)" = 1
ok grep -q 'file not found: .*data/nope\.xent extent x every label rescaling, s\.?# Train' err.txt

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]

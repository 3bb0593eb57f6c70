#!/usr/bin/env bash
# A results file of another sweep is refused (exit 2, one line naming the file and the settings
# that differ) and left untouched; --restart replaces it. Something that is not a results file is
# refused too. A sweep refused on its data leaves no directory behind that -o would have created.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
check="/usr/bin/python3 $src/tests/results_check.py"
sweep=$src/tests/data/run/tiny.cfg
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "run_refuse: $*" >&2; exit 1; }

"$exe" run "$sweep" -o "$tmp/r.h5" --set 'grid.seeds=[0]' > /dev/null
old_sha=$(/usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1])['/'].attrs['sweep_sha256'])" "$tmp/r.h5")
cp "$tmp/r.h5" "$tmp/keep.h5"

# Another sweep: one more epoch (same grid).
set +e
"$exe" run "$sweep" -o "$tmp/r.h5" --set 'grid.seeds=[0]' --set train.epochs=3 > "$tmp/out" 2> "$tmp/err"
status=$?
set -e
cat "$tmp/err"
[ $status -eq 2 ] || fail "exit status $status, expected 2"
[ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "expected a one-line error"
grep -q "$tmp/r.h5" "$tmp/err" || fail "the message does not name the file"
grep -q "different sweep: train.epochs (2 -> 3); use --restart" "$tmp/err" ||
    fail "the message does not name the setting that changed"
[ -n "$old_sha" ] || fail "no sweep_sha256 in the file"
cmp -s "$tmp/r.h5" "$tmp/keep.h5" || fail "the refused file was modified"

# The same refusal under mpirun: every rank stops, exit status 2 from the job.
set +e
mpirun -n 3 --oversubscribe "$exe" run "$sweep" -o "$tmp/r.h5" --set 'grid.seeds=[0]' \
    --set train.epochs=3 > "$tmp/out" 2> "$tmp/err"
status=$?
set -e
[ $status -ne 0 ] || fail "mpirun: exit status 0 for a foreign file"
[ "$(grep -c 'holds results of a different sweep' "$tmp/err")" -eq 1 ] || fail "mpirun: expected the message once"
cmp -s "$tmp/r.h5" "$tmp/keep.h5" || fail "the refused file was modified under mpirun"

# --restart replaces it with the new sweep.
mpirun -n 3 --oversubscribe "$exe" run "$sweep" -o "$tmp/r.h5" --set 'grid.seeds=[0]' \
    --set train.epochs=3 --restart > "$tmp/out"
$check complete "$tmp/r.h5"
[ "$(/usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1])['/'].attrs['epochs'])" "$tmp/r.h5")" = 3 ]

# Not a results file at all: refused, untouched; --restart overwrites it.
echo "not hdf5" > "$tmp/text.h5"
set +e
"$exe" run "$sweep" -o "$tmp/text.h5" --set 'grid.seeds=[0]' > /dev/null 2> "$tmp/err"
status=$?
set -e
cat "$tmp/err"
[ $status -eq 2 ] || fail "non-HDF5 file: exit status $status"
grep -q "not hdf5" "$tmp/text.h5" || fail "the non-HDF5 file was modified"
"$exe" run "$sweep" -o "$tmp/text.h5" --set 'grid.seeds=[0]' --restart > /dev/null
$check complete "$tmp/text.h5"

# Refused on its data (a cutoff with no pair): the directories -o would have made are gone again,
# and a directory that existed before is kept.
mkdir -p "$tmp/kept"
for out in "$tmp/new/deeper/r.h5" "$tmp/kept/sub/r.h5" "$tmp/new/./deeper/r.h5"; do
    set +e
    "$exe" run "$sweep" -o "$out" --set model.cutoff=0.1 > /dev/null 2> "$tmp/err"
    status=$?
    set -e
    [ $status -eq 2 ] || fail "cutoff 0.1 with -o $out: exit status $status"
done
[ ! -e "$tmp/new" ] || fail "a refused run left $tmp/new behind"
# -o naming a directory: refused before anything is made
set +e
"$exe" run "$sweep" -o "$tmp/new/dir/" > /dev/null 2> "$tmp/err"
status=$?
set -e
[ $status -eq 2 ] && grep -q "names a directory" "$tmp/err" && [ ! -e "$tmp/new" ] ||
    fail "-o ending in /: status $status, $(cat "$tmp/err")"
[ -d "$tmp/kept" ] && [ ! -e "$tmp/kept/sub" ] || fail "a refused run removed kept/ or left kept/sub"
"$exe" run "$sweep" -o "$tmp/new/deeper/r.h5" --set 'grid.seeds=[0]' > /dev/null
$check complete "$tmp/new/deeper/r.h5"
echo "run_refuse: ok"

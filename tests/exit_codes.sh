#!/usr/bin/env bash
# One exit-status contract for every command (`dcsweep --help` lists them): 0 success, 1 runtime
# failure, 2 bad input, each failure with one "dcsweep: " line on stderr. Per command: a success,
# bad inputs (missing file, not HDF5, foreign HDF5, a directory, bad options, an unknown run index,
# untrained elements...) and a runtime failure where one exists (stdout on /dev/full; `predict -o`
# on a full tmpfs, root only, else that part is skipped with a message). Also: the wording of a
# results file that is not one is the same in status, report, merge and predict; `predict -o` is
# atomic (an existing OUT survives a full disk, no temporary file is left); the "0 with labels"
# hint. With --mpi (suite mpi): a bad input under mpirun ends with our line, then a hint line that
# what follows is Open MPI's.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
py=/usr/bin/python3
tiny=$src/tests/data/run/tiny.cfg
water=$src/tests/data/sweeps/water12.xyz
tmp=$(mktemp -d); mnt=
cleanup() { [ -z "$mnt" ] || umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp"
pass=0; failed=0

# expect STATUS PATTERN CMD...: exit STATUS; with PATTERN (an ERE), stderr is exactly one line
# "dcsweep: ..." matching it; with an empty PATTERN, stderr is empty.
expect() {
    local want=$1 pattern=$2; shift 2
    set +e; "$@" > out.txt 2> err.txt; local got=$?; set -e
    local why=
    [ "$got" = "$want" ] || why="exit $got, want $want"
    if [ -z "$why" ] && [ -n "$pattern" ]; then
        [ "$(wc -l < err.txt)" = 1 ] && grep -Eq "^dcsweep: ($pattern)" err.txt || why="stderr is not one line matching '$pattern'"
    elif [ -z "$why" ] && [ -s err.txt ]; then
        why="unexpected stderr"
    fi
    if [ -z "$why" ]; then
        pass=$((pass + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL: %s\n  %s\n  stderr: %s\n' "$*" "$why" "$(head -c 600 err.txt)"
    fi
}
ok() { if "$@"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: $*"; fi; }
finish() { echo "exit_codes: $pass passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

if [ "${1:-}" = --mpi ]; then
    # ---- under mpirun: our line, then the hint, then Open MPI's lines ----
    set +e; mpirun -n 2 --oversubscribe "$exe" run missing.cfg > out.txt 2> err.txt; st=$?; set -e
    ok test "$st" = 2
    ok test "$(grep -c '^dcsweep: ' err.txt)" = 1
    ours=$(grep -n '^dcsweep: ' err.txt | cut -d: -f1)
    ok grep -q '^dcsweep: missing.cfg: cannot open' err.txt
    ok test "$(sed -n "$((ours + 1))p" err.txt)" = "(exit status 2; the lines after this one, if any, are Open MPI's report of it)"
    ok test "$(sed -n "$((ours + 2)),\$p" err.txt | grep -c 'dcsweep\|exit status 2;')" = 0   # the rest: Open MPI's
    ok test "$(wc -l < err.txt)" -gt $((ours + 1))     # ... which mpirun did print
    set +e; mpirun -n 2 --oversubscribe "$exe" run "$tiny" -o ok.h5 --set train.epochs=1 > out.txt 2> err.txt; st=$?; set -e
    ok test "$st" = 0
    ok test ! -s err.txt                                # success: no hint
    # Every other command works alone, on every rank (a script may give each its own work): each
    # failing process ends with its error line, then a hint naming its rank.
    set +e; mpirun -n 2 --oversubscribe "$exe" validate missing.cfg > out.txt 2> err.txt; st=$?; set -e
    ok test "$st" = 2
    ok test "$(grep -c '^dcsweep: missing.cfg: cannot open' err.txt)" = 2
    for r in 0 1; do
        line=$(grep -n "^(exit status 2 on rank $r of 2, which ran validate alone: it does not use MPI; Open MPI's report of it may follow)$" err.txt | cut -d: -f1)
        ok test -n "$line"
        ok test "$(sed -n "$((${line:-1} - 1))p" err.txt | cut -c1-31)" = "dcsweep: missing.cfg: cannot op"
    done
    set +e; mpirun -n 1 "$exe" validate missing.cfg > out.txt 2> err.txt; st=$?; set -e
    ok test "$st" = 2
    ok test "$(sed -n 2p err.txt)" = "(exit status 2; the lines after this one, if any, are Open MPI's report of it)"
    finish
fi

# ---- fixtures ----
"$exe" run "$tiny" -o good.h5 --set train.epochs=1 > /dev/null
echo "not hdf5" > junk.h5
$py -c 'import h5py; h5py.File("foreign.h5", "w")["x"] = [1, 2, 3]'
mkdir dir.h5
head -10 "$water" > two.xyz
sed -e 's/forces:R:3/REF_forces:R:3/' -e 's/ energy=/ REF_energy=/' two.xyz > ref.xyz
$py - "$water" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()[:5]
lines[2] = "C" + lines[2][1:]          # frame 1's O becomes a C: not in the model (H, O)
open("carbon.xyz", "w").write("\n".join(lines) + "\n")
PY
cat > ref.cfg <<EOF
dataset = { train = "ref.xyz"; validation = "ref.xyz"; test = "ref.xyz"; };
model = { features = 8; filters = 8; interactions = 1; gaussians = 6; cutoff = 4.0; };
train = { epochs = 1; batch_size = 1; };
grid = { irelu_scale = [0.5]; extent = ["none"]; rescaling = ["power10"]; seeds = [0]; };
EOF

# ---- the top level ----
set +e; "$exe" > out.txt 2> err.txt; st=$?; set -e
ok test "$st" = 2
ok test "$(head -1 err.txt)" = "usage: dcsweep <command> [options]"   # no command: the usage
expect 2 "unknown command 'frobnicate'" "$exe" frobnicate
expect 0 "" "$exe" --help
ok grep -q "SchNet on molecules" out.txt
ok grep -q "the advection PINN" out.txt
ok grep -q "0 success, 1 runtime failure" out.txt
expect 0 "" "$exe" --version
expect 1 "--help: cannot write the output: No space left on device" sh -c "'$exe' --help > /dev/full"
# every command's --help: exit 0, an options section with one line per option
for cmd in plan validate train run status merge report predict bench; do
    expect 0 "" "$exe" $cmd --help
    ok grep -q "^options:" out.txt
    ok grep -q "^  --help  *print this text" out.txt
done
"$exe" train --help > out.txt
for o in --run --set --format; do ok grep -q "^  $o " out.txt; done
"$exe" predict --help > out.txt
for o in --run -o --format --energy-key --forces-key; do ok grep -Eq "^  ($o|-o, --output) " out.txt; done
ok grep -q "best configuration" out.txt

# ---- plan ----
expect 0 "" "$exe" plan "$tiny"
expect 2 "missing.cfg: cannot open" "$exe" plan missing.cfg
expect 2 "junk.h5:1: syntax error" "$exe" plan junk.h5
expect 2 "plan: unknown option '--frobnicate'" "$exe" plan "$tiny" --frobnicate
expect 2 "plan: unknown format 'yaml'" "$exe" plan "$tiny" --format yaml
expect 1 "plan: cannot write the output" sh -c "'$exe' plan '$tiny' > /dev/full"

# ---- validate ----
expect 0 "" "$exe" validate "$tiny"
expect 2 "missing.cfg: cannot open" "$exe" validate missing.cfg
expect 2 "validate: unknown option" "$exe" validate "$tiny" --frobnicate
expect 2 "ref.xyz:2: frame 1: no energy \(key \"energy\"\) on the comment line; the file has energy key REF_energy and forces column REF_forces: the sweep's dataset.energy_key and dataset.forces_key name the labels \(docs/sweep-format.md\)$" \
    "$exe" validate ref.cfg
expect 1 "validate: cannot write the output" sh -c "'$exe' validate '$tiny' > /dev/full"

# ---- train ----
expect 0 "" "$exe" train "$tiny" --run 1 --set train.epochs=1
expect 2 "train: --run 99 is out of range \(the sweep has 20 runs: 0..19\)" "$exe" train "$tiny" --run 99
expect 2 "train: --run N is required" "$exe" train "$tiny"
expect 2 "missing.cfg: cannot open" "$exe" train missing.cfg --run 0
expect 1 "train: cannot write the output" sh -c "'$exe' train '$tiny' --run 0 --set train.epochs=1 > /dev/full"

# ---- run ----
expect 0 "" "$exe" run "$tiny" -o run.h5 --set train.epochs=1
expect 2 "missing.cfg: cannot open" "$exe" run missing.cfg -o x.h5
expect 2 "run: unknown option '--frobnicate'" "$exe" run "$tiny" --frobnicate
expect 2 "foreign.h5: not a dcsweep results file \(no attribute format_version\); refusing to overwrite it" \
    "$exe" run "$tiny" -o foreign.h5
expect 2 "run.h5 holds results of a different sweep: train.epochs \(1 -> 2\)" "$exe" run "$tiny" -o run.h5
expect 1 "/dev/null/x.h5.lock: cannot create the lock file: Not a directory" "$exe" run "$tiny" -o /dev/null/x.h5

# ---- results files that are not (one wording in status, report, merge, predict) ----
for f in missing.h5 junk.h5 foreign.h5 dir.h5; do
    case $f in
        missing.h5) msg="missing.h5: no such file" ;;
        junk.h5) msg="junk.h5: not a dcsweep results file \(not HDF5\)" ;;
        foreign.h5) msg="foreign.h5: not a dcsweep results file \(no attribute format_version\)" ;;
        dir.h5) msg="dir.h5: not a dcsweep results file \(a directory\)" ;;
    esac
    expect 2 "$msg$" "$exe" status "$f"
    expect 2 "$msg$" "$exe" report "$f"
    expect 2 "$msg$" "$exe" merge m.h5 good.h5 "$f"
    expect 2 "$msg$" "$exe" predict "$f" --run 0 two.xyz
done
ok test ! -e m.h5

# ---- status (1: runs not done, its documented meaning) ----
expect 0 "" "$exe" status good.h5
expect 2 "status: unknown format 'yaml'" "$exe" status good.h5 --format yaml
expect 2 "status: unknown option" "$exe" status good.h5 --frobnicate
expect 2 "status: missing the results file" "$exe" status
"$exe" run "$tiny" -o part.h5 --shard 1/2 --set train.epochs=1 > /dev/null
cp part.shard-1-of-2.h5 part.h5
$py -c '
import h5py
with h5py.File("part.h5", "r+") as f:
    del f.attrs["shard"]'
expect 1 "" "$exe" status part.h5
expect 1 "status: cannot write the output" sh -c "'$exe' status good.h5 > /dev/full"

# ---- merge (1: runs pending in every input, its documented meaning) ----
expect 0 "" "$exe" merge merged.h5 good.h5
expect 2 "merged.h5 exists: refusing to overwrite it" "$exe" merge merged.h5 good.h5
expect 2 "/dev/null is not a file: give a file path as OUT" "$exe" merge /dev/null good.h5 --force
ok test -c /dev/null
expect 2 "merge: good.h5 is given twice" "$exe" merge m.h5 good.h5 good.h5
expect 2 "merge: unknown option" "$exe" merge --frobnicate m.h5 good.h5
"$exe" run "$tiny" -o other.h5 --set train.epochs=1 --set model.cutoff=3.5 > /dev/null
expect 2 "other.h5 is not from the same sweep as good.h5: model.cutoff \(4 -> 3.5\)$" "$exe" merge m.h5 good.h5 other.h5
expect 1 "merge: 10 runs are pending in every input" "$exe" merge m1.h5 part.shard-1-of-2.h5

# ---- report ----
expect 0 "" "$exe" report good.h5
expect 2 "good.h5: unknown metric 'nope'" "$exe" report good.h5 --metric nope
expect 2 "report: unknown format 'yaml'" "$exe" report good.h5 --format yaml
expect 2 "report: unknown option" "$exe" report good.h5 --frobnicate
expect 1 "report: cannot write the output" sh -c "'$exe' report good.h5 > /dev/full"

# ---- predict ----
expect 0 "" "$exe" predict good.h5 --run 0 two.xyz -o pred.xyz
ok test "$(grep -c energy= pred.xyz)" = 2
ok test -z "$(ls | grep '\.tmp-')"
expect 2 "good.h5: no run 20 \(the file has runs 0..19\)" "$exe" predict good.h5 --run 20 two.xyz
expect 2 "predict: --run N is required" "$exe" predict good.h5 two.xyz
expect 2 "predict: --run needs a non-negative integer" "$exe" predict good.h5 --run x two.xyz
expect 2 "predict: unknown option '--frobnicate'" "$exe" predict good.h5 --run 0 two.xyz --frobnicate
expect 2 "predict: --format must be table or json" "$exe" predict good.h5 --run 0 two.xyz --format yaml
expect 2 "missing.xyz: cannot open" "$exe" predict good.h5 --run 0 missing.xyz
expect 2 "carbon.xyz:3: frame 1: element C is not one the model was trained on \(H, O\)$" \
    "$exe" predict good.h5 --run 0 carbon.xyz
expect 1 "predict: cannot write the output" sh -c "'$exe' predict good.h5 --run 0 two.xyz > /dev/full"
expect 1 "nodir/p.xyz: cannot create: No such file or directory" "$exe" predict good.h5 --run 0 two.xyz -o nodir/p.xyz
# -o never replaces what is not an XYZ file (the rename would): a directory, a device, a FIFO,
# the results file, any HDF5 file; a symbolic link is written through, as a shell's > does
expect 2 "\. is a directory, not a file" "$exe" predict good.h5 --run 0 two.xyz -o .
expect 2 "/dev/null is a device, FIFO or socket, not a file" "$exe" predict good.h5 --run 0 two.xyz -o /dev/null
ok test -c /dev/null
mkfifo fifo.xyz
expect 2 "fifo.xyz is a device, FIFO or socket, not a file" "$exe" predict good.h5 --run 0 two.xyz -o fifo.xyz
ok test -p fifo.xyz
cp good.h5 copy.h5
expect 2 "copy.h5 is the results file itself" "$exe" predict copy.h5 --run 0 two.xyz -o copy.h5
expect 2 "good.h5 is an HDF5 file \(a results file\?\), not an XYZ" "$exe" predict copy.h5 --run 0 two.xyz -o good.h5
ok cmp -s good.h5 copy.h5
expect 0 "" "$exe" status copy.h5
echo "old" > target.xyz
ln -s target.xyz link.xyz
expect 0 "" "$exe" predict good.h5 --run 0 two.xyz -o link.xyz
ok test -L link.xyz
ok test "$(grep -c energy= target.xyz)" = 2
ln -s nowhere.xyz dangling.xyz
expect 2 "dangling.xyz: a symbolic link to nothing that exists" "$exe" predict good.h5 --run 0 two.xyz -o dangling.xyz
# labels under other keys: the hint names the options that read them
expect 0 "" "$exe" predict good.h5 --run 0 ref.xyz
ok grep -q "^run 0 on ref.xyz: 2 frames, 0 with labels$" out.txt
ok grep -q "^(the file has energy key REF_energy and forces column REF_forces: --energy-key REF_energy --forces-key REF_forces read them as the labels)$" out.txt
expect 0 "" "$exe" predict good.h5 --run 0 ref.xyz --energy-key REF_energy --forces-key REF_forces
ok grep -q "2 frames, 2 with labels" out.txt
# -o on a full disk: exit 1, the OUT that was there survives whole, no temporary file left
if [ "$(id -u)" -ne 0 ]; then
    echo "exit_codes: SKIP the full-disk part of predict -o: needs root to mount a small tmpfs"
elif mkdir full && mount -t tmpfs -o size=64k dcsweep-exit-codes full 2>/dev/null; then
    mnt=$tmp/full
    echo "the old predictions" > full/pred.xyz
    dd if=/dev/zero of=full/fill bs=4k 2>/dev/null || true
    expect 1 "$mnt/pred.xyz: write failed: No space left on device" \
        "$exe" predict good.h5 --run 0 two.xyz -o "$mnt/pred.xyz"
    ok test "$(cat full/pred.xyz)" = "the old predictions"
    ok test -z "$(ls full | grep -v -x -e fill -e pred.xyz)"
    rm full/fill
    expect 0 "" "$exe" predict good.h5 --run 0 two.xyz -o "$mnt/pred.xyz"
    ok test "$(grep -c energy= full/pred.xyz)" = 2
else
    echo "exit_codes: SKIP the full-disk part of predict -o: mount -t tmpfs not permitted here"
fi

# ---- bench ----
expect 0 "" "$exe" bench "$tiny" --steps 1
expect 2 "bench: --steps must be at least 1" "$exe" bench "$tiny" --steps 0
expect 2 "bench: --run 99 is out of range" "$exe" bench "$tiny" --run 99 --steps 1
expect 2 "missing.cfg: cannot open" "$exe" bench missing.cfg
expect 1 "bench: cannot write the output" sh -c "'$exe' bench '$tiny' --steps 1 > /dev/full"

finish

#!/usr/bin/env bash
# A full disk under the results file (a 1 MiB tmpfs mounted for the test; root only, else skipped):
#   1. the disk is full before the run: `dcsweep run` (alone and on 2 ranks) fails with one line
#      naming the path and the cause, exit 1, no crash, nothing left behind; a finished results
#      file already on that disk stays readable and untouched;
#   2. the disk fills up during the run: the sweep still finishes and every run is recorded (the
#      results file is allocated in full when it is created and never grows);
#   3. `merge` onto the full disk fails the same clean way;
#   4. the results file fits but the checkpoints do not (1 and 2 ranks): one line naming the
#      checkpoint and errno, exit 1, no crash, every run recorded; with space again it completes.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}; fake=${FAKE_SWEEP:?}
py=/usr/bin/python3
check="$py $src/tests/results_check.py"
sweep=$src/tests/data/run/tiny.cfg
skip() { echo "test_full_disk: SKIP: $*"; exit 77; }
fail() { echo "test_full_disk: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
tmp=$(mktemp -d)
mnt=$tmp/mnt
mkdir "$mnt"
mount -t tmpfs -o size=1m dcsweep-full-disk "$mnt" 2>/dev/null || { rm -rf "$tmp"; skip "mount -t tmpfs not permitted here"; }
trap 'umount "$mnt" 2>/dev/null || umount -l "$mnt"; rm -rf "$tmp"' EXIT
cd "$tmp"
fill() { dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null || true; }

# expect_full CMD...: exit 1 (not a crash), stderr one line "dcsweep: <path>: ... No space left ...".
expect_full() {
    local path=$1; shift
    set +e; "$@" > out.txt 2> err.txt; local got=$?; set -e
    [ "$got" -eq 1 ] || { cat out.txt err.txt; fail "exit $got, expected 1: $*"; }
    local lines; lines=$(grep -c '^dcsweep: ' err.txt || true)
    [ "$lines" -eq 1 ] || { cat err.txt; fail "expected exactly one error line: $*"; }
    # (merge writes OUT.merging-PID, renamed to OUT once complete; run first takes OUT.lock)
    grep -Eq "^dcsweep: $path(\.merging-[0-9]+|\.lock)?: cannot (create the results file|create the lock file|write the lock file): No space left on device" err.txt \
        || { cat err.txt; fail "the error does not name $path and the cause: $*"; }
}

# A finished results file on the disk before it fills up.
"$exe" run "$sweep" -o "$mnt/done.h5" > /dev/null
cp "$mnt/done.h5" done.copy.h5
fill
[ "$(df --output=avail "$mnt" | tail -1 | tr -d ' ')" -eq 0 ] || fail "the tmpfs is not full"

# ---- 1. full before the run ----
expect_full "$mnt/new.h5" "$exe" run "$sweep" -o "$mnt/new.h5" --set train.epochs=1
expect_full "$mnt/new.h5" mpirun -n 2 --oversubscribe "$exe" run "$sweep" -o "$mnt/new.h5" --set train.epochs=1
[ ! -e "$mnt/new.h5" ] || fail "a failed run left $mnt/new.h5 behind"
ls "$mnt" | grep -q space-check && fail "the space probe was left behind"
cmp -s "$mnt/done.h5" done.copy.h5 || fail "the finished results file changed"
$check complete "$mnt/done.h5"
"$exe" status "$mnt/done.h5" > out.txt || fail "status of the finished file on the full disk"
grep -q "20 runs" out.txt || { cat out.txt; fail "status output"; }

# ---- 3. merge onto the full disk ----
expect_full "$mnt/merged.h5" "$exe" merge "$mnt/merged.h5" "$mnt/done.h5"
[ -z "$(ls "$mnt" | grep -v -x -e fill -e done.h5)" ] || { ls -la "$mnt"; fail "merge left files behind"; }

# ---- 2. the disk fills up during the run ----
rm -f "$mnt/fill" "$mnt/done.h5"
# Runs of 0.6 s (12 on 2 ranks: about 4 s); the first finished run is seen in the progress output (a
# cheap poll: starting Python to read the file takes longer than a run on a loaded machine).
FAKE_EPOCH_MS=200 mpirun -n 2 --oversubscribe "$fake" "$mnt/during.h5" --seeds 2 --epochs 3 \
    > during.out 2> during.err &
pid=$!
deadline=$((SECONDS + 60))
until grep -Eq '^\[ *[0-9]+/12\]' during.out 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { cat during.out during.err; fail "no run finished within 60 s"; }
    sleep 0.02
done
fill
done_at_fill=$($check rows "$mnt/during.h5" done | wc -w)
[ "$done_at_fill" -lt 12 ] || fail "the sweep finished before the disk filled up (test too slow?)"
[ "$(df --output=avail "$mnt" | tail -1 | tr -d ' ')" -eq 0 ] || fail "the tmpfs is not full (during)"
status=0; wait $pid || status=$?
[ $status -eq 0 ] || { cat during.out during.err; fail "the sweep failed when the disk filled up (exit $status)"; }
[ -z "$($check rows "$mnt/during.h5" pending failed)" ] || fail "runs missing after the disk filled up"
[ "$($check rows "$mnt/during.h5" done | wc -w)" = 12 ] || fail "not 12 done runs"
echo "test_full_disk: ok (the disk filled up with $done_at_fill of 12 runs done)"

# ---- 4. the results file fits, the checkpoints do not ----
# <output>.ckpt links to a folder on the tmpfs, filled to 4 kB short of full: enough for HDF5 to
# create a checkpoint, not to flush it (that used to print an HDF5 source line and then segfault in
# MPI_Finalize, exit 139, although every result was in). Now: one line naming the checkpoint and
# errno, exit 1, every run done and readable; with space again the same command completes.
rm -f "$mnt/fill" "$mnt/during.h5"
mkdir "$mnt/ckpt"
avail_kb=$(df --output=avail "$mnt" | tail -1 | tr -d ' ')
dd if=/dev/zero of="$mnt/fill" bs=4k count=$(( avail_kb / 4 - 1 )) 2>/dev/null
ck_sets=(--set train.epochs=20 --set train.checkpoint_seconds=0 --set 'grid.seeds=[0]')
for ranks in 1 2; do
    out=$tmp/ck$ranks.h5
    ln -s "$mnt/ckpt" "$out.ckpt"
    launch=("$exe"); [ $ranks -eq 1 ] || launch=(mpirun -n $ranks --oversubscribe "$exe")
    set +e; "${launch[@]}" run "$sweep" -o "$out" "${ck_sets[@]}" > ck.out 2> ck.err; st=$?; set -e
    [ $st -eq 1 ] || { cat ck.out ck.err; fail "$ranks ranks, checkpoints on a full disk: exit $st, expected 1"; }
    [ "$(grep -c '^dcsweep: ' ck.err)" -eq 1 ] || { cat ck.err; fail "$ranks ranks: expected exactly one error line"; }
    grep -Eq "^dcsweep: $out\.ckpt/run-[0-9]+\.h5: cannot write the checkpoint: No space left on device" ck.err ||
        { cat ck.err; fail "$ranks ranks: the error does not name the checkpoint and errno"; }
    if grep -Eqi 'segmentation|signal 11|H5F|checkpoint\.c:' ck.out ck.err; then
        cat ck.out ck.err; fail "$ranks ranks: a crash or an HDF5 source line"
    fi
    $check complete "$out"
    [ "$($check rows "$out" done | wc -w)" = 10 ] || fail "$ranks ranks: not 10 done runs"
    [ -z "$(ls -A "$mnt/ckpt")" ] || { ls -la "$mnt/ckpt"; fail "$ranks ranks: files left in the checkpoint folder"; }
    echo "test_full_disk: ok ($ranks ranks, checkpoints on a full disk: $(cat ck.err))"
done
rm -f "$mnt/fill"
"${launch[@]}" run "$sweep" -o "$tmp/ck2.h5" "${ck_sets[@]}" > ck.out || fail "the rerun with space failed"
grep -q "10 done" ck.out || { cat ck.out; fail "the rerun with space"; }
"${launch[@]}" run "$sweep" -o "$tmp/ck3.h5" "${ck_sets[@]}" > ck.out 2> ck.err || { cat ck.out ck.err; fail "a sweep with space failed"; }
$check complete "$tmp/ck3.h5"
! grep -q warning ck.out || { cat ck.out; fail "a checkpoint warning with space"; }
[ ! -e "$tmp/ck3.h5.ckpt" ] || fail "the checkpoint folder is left after a finished sweep"
$check same "$tmp/ck1.h5" "$tmp/ck3.h5"

# ---- 3. a read-only file system: the reason (errno), not just "cannot open" ----
rm -f "$mnt/fill"
mount -o remount,ro "$mnt"
set +e; "$exe" run "$sweep" -o "$mnt/during.h5" --set train.epochs=1 > ro.out 2> ro.err; st=$?; set -e
mount -o remount,rw "$mnt"
grep -q "during.h5.*Read-only file system" ro.err || { cat ro.err; fail "no reason for a read-only file system"; }
[ $st -ne 0 ] || fail "a run on a read-only file system exited 0"
echo "test_full_disk: ok (read-only: $(cat ro.err))"

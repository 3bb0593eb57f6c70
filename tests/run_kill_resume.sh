#!/usr/bin/env bash
# SIGKILL of one worker in the middle of a 3-rank sweep (which ends the whole MPI job): the file
# must still open with h5py and h5dump, every run it shows as done must be complete, and running
# the same command again must train exactly the runs that were not done, leave the done rows
# byte for byte as they were, and end bitwise identical to an uninterrupted sweep.
# Uses the fake trainer (tests/fake_trainer.h) so that runs last long enough to be killed.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; fake=${FAKE_SWEEP:?}
check="/usr/bin/python3 $src/tests/results_check.py"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "run_kill_resume: $*" >&2; exit 1; }
args="--seeds 4 --epochs 3"   # 24 runs

mpirun -n 3 --oversubscribe "$fake" "$tmp/ref.h5" $args > /dev/null
$check complete "$tmp/ref.h5"

# (epochs of 300 ms: 7 s on 3 ranks, while each poll below may take a second on a loaded machine)
FAKE_LOG=$tmp/log1 FAKE_EPOCH_MS=300 mpirun -n 3 --oversubscribe "$fake" "$tmp/k.h5" $args \
    > "$tmp/out1" 2>&1 &
job=$!
done_runs=""
for _ in $(seq 600); do   # until a few runs are done (at most a minute)
    [ -f "$tmp/k.h5" ] && done_runs=$($check rows "$tmp/k.h5" done 2> /dev/null || true)
    [ "$(echo $done_runs | wc -w)" -ge 4 ] && break
    sleep 0.1
done
victim=$(awk '$1 == "rank" && $2 == 2 {print $4}' "$tmp/log1")
[ -n "$victim" ] || fail "no pid for rank 2"
kill -KILL "$victim"
set +e; wait $job; status=$?; set -e
cat "$tmp/out1"
[ $status -ne 0 ] || fail "the killed job exited 0"

h5dump "$tmp/k.h5" > /dev/null || fail "h5dump cannot read the file after SIGKILL"
done1=$($check rows "$tmp/k.h5" done)
left=$($check rows "$tmp/k.h5" pending failed diverged)
echo "after SIGKILL: done: $done1; left: $left"
[ -n "$done1" ] && [ -n "$left" ] || fail "the kill did not land mid-sweep"
# Every row reported done is complete: compare just those rows' metrics with the reference.
/usr/bin/python3 - "$tmp/ref.h5" "$tmp/k.h5" <<'PY'
import sys, h5py
a, b = h5py.File(sys.argv[1])["runs"][()], h5py.File(sys.argv[2])["runs"][()]
cols = [c for c in a.dtype.names if c.startswith(("val_", "test_"))] + ["epochs_completed"]
for i in range(len(b)):
    if b["status"][i] == b"done":
        for c in cols:
            assert a[c][i:i+1].tobytes() == b[c][i:i+1].tobytes(), (i, c, a[c][i], b[c][i])
print("every done row is complete")
PY
cp "$tmp/k.h5" "$tmp/killed.h5"

FAKE_LOG=$tmp/log2 mpirun -n 3 --oversubscribe "$fake" "$tmp/k.h5" $args > "$tmp/out2"
cat "$tmp/out2"
trained=$(awk '$1 == "start" {print $2}' "$tmp/log2" | sort -n | tr '\n' ' ' | sed 's/ $//')
[ "$trained" = "$left" ] || fail "rerun trained [$trained], expected exactly [$left]"
$check unchanged "$tmp/killed.h5" "$tmp/k.h5" "$(echo $done1 | tr ' ' ,)"
$check complete "$tmp/k.h5"
$check same "$tmp/ref.h5" "$tmp/k.h5"
echo "run_kill_resume: ok"

#!/usr/bin/env bash
# SIGTERM/SIGINT stop a sweep cleanly: no more runs are handed out, runs in progress are abandoned
# and stay pending, the file is closed properly, the exit status is non-zero with a message; the
# same command then finishes the sweep, bitwise identical to an uninterrupted one.
# Three ways: SIGTERM to a single process, SIGTERM to rank 0 alone under mpirun (the workers are
# told to abandon their runs), SIGINT to mpirun (which forwards it to every rank).
set -euo pipefail
src=${DC_SOURCE_DIR:?}; fake=${FAKE_SWEEP:?}
check="/usr/bin/python3 $src/tests/results_check.py"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "run_signals: $*" >&2; exit 1; }
args="--seeds 3 --epochs 4"   # 18 runs; with epochs of 250 ms, 6 s on 3 ranks: reading the file
                              # to see runs done takes up to a second on a loaded machine

mpirun -n 3 --oversubscribe "$fake" "$tmp/ref.h5" $args > /dev/null

. "$src/tests/sweep_lib.sh"

# expect_stopped NAME STATUS OUT ERR FILE: the interrupted sweep's outcome, then resume it.
expect_stopped() {
    local name=$1 status=$2 err=$3 file=$4
    cat "$err"
    [ "$status" -ne 0 ] || fail "$name: exit status 0 after a signal"
    grep -q "interrupted by SIG.*run the same command again to resume" "$err" || fail "$name: no message"
    h5dump -H "$file" > /dev/null || fail "$name: h5dump cannot read the file"
    local left; left=$($check rows "$file" pending)
    [ -n "$left" ] || fail "$name: the signal came too late to test anything"
    [ -z "$($check rows "$file" failed diverged)" ] || fail "$name: abandoned runs were recorded as failed"
    echo "$name: stopped with runs [$left] pending"
    mpirun -n 3 --oversubscribe "$fake" "$file" $args > /dev/null
    $check same "$tmp/ref.h5" "$file"
}

# 1. One process (no mpirun): SIGTERM.
FAKE_EPOCH_MS=250 "$fake" "$tmp/one.h5" $args > "$tmp/one.out" 2> "$tmp/one.err" &
pid=$!
wait_done "$tmp/one.h5" 2
kill -TERM $pid
set +e; wait $pid; status=$?; set -e
expect_stopped single "$status" "$tmp/one.err" "$tmp/one.h5"

# 2. SIGTERM to rank 0 only: it stops handing out runs and tells busy workers to abandon theirs.
FAKE_LOG=$tmp/log FAKE_EPOCH_MS=250 mpirun -n 3 --oversubscribe "$fake" "$tmp/rank0.h5" $args \
    > "$tmp/rank0.out" 2> "$tmp/rank0.err" &
job=$!
wait_done "$tmp/rank0.h5" 3
kill -TERM "$(awk '$1 == "rank" && $2 == 0 {print $4}' "$tmp/log")"
set +e; wait $job; status=$?; set -e
grep -q "SIGTERM received: stopping" "$tmp/rank0.out" || fail "rank0: no stopping note"
expect_stopped rank0 "$status" "$tmp/rank0.err" "$tmp/rank0.h5"

# 3. SIGINT to mpirun.
FAKE_EPOCH_MS=250 mpirun -n 3 --oversubscribe "$fake" "$tmp/int.h5" $args \
    > "$tmp/int.out" 2> "$tmp/int.err" &
job=$!
wait_done "$tmp/int.h5" 3
kill -INT $job
set +e; wait $job; status=$?; set -e
expect_stopped mpirun-sigint "$status" "$tmp/int.err" "$tmp/int.h5"
# 4. SIGTERM to one worker only (a node being shut down): the sweep stops in an orderly way, the
# other worker's run in flight is aborted too (checkpointed, pending), and no rank is blamed.
FAKE_EPOCH_MS=250 FAKE_STOP_TIMEOUT=5 mpirun -n 3 --oversubscribe "$fake" "$tmp/w.h5" $args \
    > "$tmp/w.out" 2> "$tmp/w.err" &
job=$!
wait_done "$tmp/w.h5" 3
kill -TERM "$(rank_pid $job 1)"
set +e; timeout 60 tail --pid=$job -f /dev/null; wait $job; status=$?; set -e
cat "$tmp/w.err"
[ "$status" -ne 0 ] || fail "worker-sigterm: exit status 0"
grep -q "a worker was interrupted: [0-9]* runs left pending.*run the same command again to resume" "$tmp/w.err" ||
    fail "worker-sigterm: no message"
grep -q "did not stop\|has been silent" "$tmp/w.err" && fail "worker-sigterm: a rank was blamed"
[ -n "$($check rows "$tmp/w.h5" pending)" ] || fail "worker-sigterm: the signal came too late"
mpirun -n 3 --oversubscribe "$fake" "$tmp/w.h5" $args > /dev/null
$check same "$tmp/ref.h5" "$tmp/w.h5"
echo "worker-sigterm: stopped cleanly, resumed bitwise"
echo "run_signals: ok"

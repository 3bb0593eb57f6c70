#!/usr/bin/env bash
# The second reliability round (docs/reliability.md): one writer per results file, resume checks
# the data and the engine, hung ranks end the job, SIGTERM ends it in bounded time whatever a rank
# does, a kill while the file is being created leaves nothing in the way, and special files are
# refused before HDF5 opens them. Fake trainer (tests/fake_trainer.h) and the real `dcsweep run`.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; fake=${FAKE_SWEEP:?}; exe=${DCSWEEP:?}
check="/usr/bin/python3 $src/tests/results_check.py"
tmp=$(mktemp -d)
jobs_to_kill=""
cleanup() {
    for p in $jobs_to_kill; do kill -CONT "$p" 2> /dev/null || true; kill -KILL "$p" 2> /dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "run_reliability: FAIL: $*" >&2; exit 1; }
ok() { echo "run_reliability: ok: $*"; }
# stop_rank_and_wait JOB RANK: SIGSTOP one rank, wait (at most a minute) for the job to end; sets
# st (its exit status) and victim.
stop_rank_and_wait() {
    victim=$(rank_pid "$1" "$2") || fail "no rank $2"
    jobs_to_kill="$jobs_to_kill $victim"
    kill -STOP "$victim"
    [ -z "${3:-}" ] || kill -TERM "$(rank_pid "$1" 0)"
    if ! timeout 60 tail --pid="$1" -f /dev/null; then
        kill -CONT "$victim" 2> /dev/null || true
        kill -KILL "$1" 2> /dev/null || true
        fail "rank $2 stopped${3:+, rank 0 sent SIGTERM}: the job did not end within 60 s"
    fi
    set +e; wait "$1"; st=$?; set -e
    kill -CONT "$victim" 2> /dev/null || true
}
args="--seeds 3 --epochs 4"   # 18 runs

. "$src/tests/sweep_lib.sh"

mpirun -n 3 --oversubscribe "$fake" "$tmp/ref.h5" $args > /dev/null

# ---- 1. one writer per results file ----
# (epochs of 400 ms: the holder runs about 10 s, longer than the checks below take on a loaded machine)
FAKE_EPOCH_MS=400 mpirun -n 3 --oversubscribe "$fake" "$tmp/a.h5" $args > "$tmp/a.out" 2>&1 &
first=$!
wait_done "$tmp/a.h5" 1
for extra in "" "--restart"; do
    set +e; "$fake" "$tmp/a.h5" $args $extra > "$tmp/b.out" 2> "$tmp/b.err"; st=$?; set -e
    [ $st -eq 2 ] || fail "a second run$extra on a busy file: exit $st"
    grep -q "a.h5 is in use by dcsweep run on host $(hostname) (pid [0-9]*" "$tmp/b.err" ||
        { cat "$tmp/b.err"; fail "the refusal does not name the holder"; }
done
"$exe" status "$tmp/a.h5" > /dev/null || [ $? -eq 1 ] || fail "status does not work on a locked file"
"$exe" report "$tmp/a.h5" > /dev/null || fail "report does not work on a locked file"
set +e; "$exe" merge --force "$tmp/a.h5" "$tmp/ref.h5" > /dev/null 2> "$tmp/m.err"; st=$?; set -e
[ $st -eq 2 ] && grep -q "in use by" "$tmp/m.err" || { cat "$tmp/m.err"; fail "merge --force onto a locked file"; }
wait $first
$check same "$tmp/ref.h5" "$tmp/a.h5"
[ ! -e "$tmp/a.h5.lock" ] || fail "the lock outlived its run"
ok "a second run, --restart and merge --force are refused while a run holds the file"

# A stale lock: its holder's process is gone (same host), or it was last refreshed long ago.
printf 'host=%s\npid=999999\njob=\nstarted=2026-01-01T00:00:00Z\nwhat=dcsweep run\n' "$(hostname)" > "$tmp/a.h5.lock"
"$fake" "$tmp/a.h5" $args > /dev/null || fail "a dead process's lock was not taken over"
printf 'host=elsewhere\npid=1\njob=123\nstarted=2026-01-01T00:00:00Z\nwhat=dcsweep run\n' > "$tmp/a.h5.lock"
set +e; "$fake" "$tmp/a.h5" $args > /dev/null 2> "$tmp/b.err"; st=$?; set -e
[ $st -eq 2 ] && grep -q "host elsewhere (pid 1, Slurm job 123" "$tmp/b.err" || fail "a fresh lock of another host was not respected"
touch -d '10 minutes ago' "$tmp/a.h5.lock"
"$fake" "$tmp/a.h5" $args > /dev/null || fail "a lock not refreshed for 10 minutes was not taken over"
ok "stale locks are taken over; a live one of another host is not"

# ---- 2. resume checks the data and the engine ----
mkdir "$tmp/d"
cp "$src/tests/data/sweeps/water12.xyz" "$tmp/d/water.xyz"
sed 's|file = "../sweeps/water12.xyz";|file = "water.xyz";|' "$src/tests/data/run/tiny.cfg" > "$tmp/d/tiny.cfg"
"$exe" run "$tmp/d/tiny.cfg" -o "$tmp/d/r.h5" > /dev/null
/usr/bin/python3 - "$tmp/d/r.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:   # runs 5..7 look interrupted
    runs = f["runs"][()]
    for i in (5, 6, 7):
        runs[i]["status"] = b"pending"
    f["runs"][...] = runs
PY
cp "$tmp/d/r.h5" "$tmp/d/keep.h5"
sed -i '0,/energy=/s/energy=\([-0-9.]*\)/energy=\10001/' "$tmp/d/water.xyz"   # one energy edited
set +e; "$exe" run "$tmp/d/tiny.cfg" -o "$tmp/d/r.h5" > /dev/null 2> "$tmp/d/err"; st=$?; set -e
[ $st -eq 2 ] && grep -q "r.h5 was trained on other data: .*water.xyz changed since" "$tmp/d/err" ||
    { cat "$tmp/d/err"; fail "a changed dataset was not refused on resume"; }
cmp -s "$tmp/d/r.h5" "$tmp/d/keep.h5" || fail "the refused file changed"
ok "resume refuses changed data, naming the file"

set +e; FAKE_NUMERICS=2 "$fake" "$tmp/ref.h5" $args > /dev/null 2> "$tmp/n.err"; st=$?; set -e
[ $st -eq 2 ] && grep -q "ref.h5 was trained by engine numerics version 1, this dcsweep's is 2" "$tmp/n.err" ||
    { cat "$tmp/n.err"; fail "resume across engine numerics versions"; }
FAKE_NUMERICS=2 "$fake" "$tmp/v2.h5" --seeds 1 --epochs 4 > /dev/null
"$fake" "$tmp/v1.h5" --seeds 1 --epochs 4 > /dev/null
set +e; "$exe" merge "$tmp/mv.h5" "$tmp/v1.h5" "$tmp/v2.h5" > /dev/null 2> "$tmp/n.err"; st=$?; set -e
[ $st -eq 2 ] && grep -q "numerics version" "$tmp/n.err" || { cat "$tmp/n.err"; fail "merge across numerics versions"; }
ok "resume and merge across engine numerics versions are refused"

# ---- 3. a hung rank ends the job, finished runs kept ----
t0=$SECONDS
FAKE_EPOCH_MS=400 FAKE_HEARTBEAT_TIMEOUT=3 mpirun -n 3 --oversubscribe "$fake" "$tmp/h.h5" $args \
    > "$tmp/h.out" 2> "$tmp/h.err" &
job=$!
wait_done "$tmp/h.h5" 2
stop_rank_and_wait $job 2
took=$((SECONDS - t0))
[ $st -ne 0 ] || fail "a hung rank's job exited 0"
grep -q "rank 2 (\\(run [0-9]*\\|idle\\)) has been silent for [0-9]* s (run.heartbeat_timeout = 3 s): ending the job" "$tmp/h.err" ||
    { cat "$tmp/h.err"; fail "no message naming the silent rank"; }
[ $took -lt 40 ] || fail "the hung job took $took s to end"
h5dump -H "$tmp/h.h5" > /dev/null || fail "the file of the ended job is not readable"
"$fake" "$tmp/h.h5" $args > /dev/null 2>&1 || mpirun -n 3 --oversubscribe "$fake" "$tmp/h.h5" $args > /dev/null
$check same "$tmp/ref.h5" "$tmp/h.h5"
ok "a stopped rank ends the job after the heartbeat timeout ($took s), the rerun completes the file"

# A rank with no run left waits for the close while rank 0 still trains its own last run (40
# epochs of 300 ms, 12 s: polls of the file take up to a second each on a loaded machine; the
# other runs take rank 1 about 1 s): alive, it survives the heartbeat
# timeout there (it beats while it waits); stopped there, it ends the job at the close instead of
# blocking the closing collectives.
idle_args="--seeds 1 --epochs 40"
FAKE_EPOCH_MS=1 FAKE_RANK0_EPOCH_MS=300 FAKE_HEARTBEAT_TIMEOUT=2 mpirun -n 2 --oversubscribe "$fake" \
    "$tmp/i0.h5" $idle_args > /dev/null 2> "$tmp/i0.err" || { cat "$tmp/i0.err"; fail "an idle rank was taken for hung"; }
"$fake" "$tmp/i1.h5" $idle_args > /dev/null
$check same "$tmp/i1.h5" "$tmp/i0.h5"
t0=$SECONDS
FAKE_EPOCH_MS=1 FAKE_RANK0_EPOCH_MS=300 FAKE_HEARTBEAT_TIMEOUT=2 mpirun -n 2 --oversubscribe "$fake" \
    "$tmp/i.h5" $idle_args > "$tmp/i.out" 2> "$tmp/i.err" &
job=$!
wait_done "$tmp/i.h5" 5
sleep 2   # rank 0 answers once per 300 ms step: rank 1 is now told to stop, waiting for the close
stop_rank_and_wait $job 1
took=$((SECONDS - t0))
[ $st -ne 0 ] || fail "a hung idle rank's job exited 0"
grep -q "rank 1 (idle) has been silent for [0-9]* s (run.heartbeat_timeout = 2 s): ending the job" "$tmp/i.err" ||
    { cat "$tmp/i.err"; fail "no message naming the silent idle rank"; }
mpirun -n 2 --oversubscribe "$fake" "$tmp/i.h5" $idle_args > /dev/null
$check same "$tmp/i1.h5" "$tmp/i.h5"
ok "an idle rank outlives the heartbeat timeout; stopped, it ends the job at the close ($took s); the rerun completes the file"

# ---- 4. SIGTERM ends the job within run.stop_timeout, whatever a rank does ----
t0=$SECONDS
FAKE_EPOCH_MS=400 FAKE_STOP_TIMEOUT=3 mpirun -n 3 --oversubscribe "$fake" "$tmp/s.h5" $args \
    > "$tmp/s.out" 2> "$tmp/s.err" &
job=$!
wait_done "$tmp/s.h5" 2
stop_rank_and_wait $job 1 term   # and SIGTERM to rank 0
took=$((SECONDS - t0))
[ $st -ne 0 ] || fail "SIGTERM: exit 0"
grep -q "rank 1 (\\(run [0-9]*\\|idle\\)) did not stop within 3 s after SIGTERM" "$tmp/s.err" || { cat "$tmp/s.err"; fail "no stop-timeout message"; }
[ $took -lt 40 ] || fail "SIGTERM took $took s to end the job"
mpirun -n 3 --oversubscribe "$fake" "$tmp/s.h5" $args > /dev/null
$check same "$tmp/ref.h5" "$tmp/s.h5"
ok "SIGTERM with a stopped rank ended the job in $took s"

# ---- 5. a kill while the file is being created ----
for ms in 5 20 40 80 150; do
    rm -f "$tmp/c.h5"*
    "$fake" "$tmp/c.h5" --seeds 3000 --epochs 1 > /dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $ms)"
    kill -KILL $pid 2> /dev/null || true
    wait $pid 2> /dev/null || true
    if [ -e "$tmp/c.h5" ]; then
        "$exe" status "$tmp/c.h5" > /dev/null 2> "$tmp/c.err" || [ $? -eq 1 ] ||
            { cat "$tmp/c.err"; fail "after a kill at $ms ms the file at the output path is not a results file"; }
    fi
    set +e; FAKE_EPOCH_MS=0 timeout 5 "$fake" "$tmp/c.h5" --seeds 3000 --epochs 1 > /dev/null 2> "$tmp/c.err"; st=$?; set -e
    grep -q "refusing\|in use" "$tmp/c.err" && { cat "$tmp/c.err"; fail "after a kill at $ms ms the rerun was refused"; }
done
ok "a kill at any moment of creation leaves no partial file at the output path"

# ---- 6. outputs that are not regular files ----
mkfifo "$tmp/fifo"
for target in /dev/null "$tmp/fifo" "$tmp"; do
    for extra in "" --restart; do
        set +e; timeout 20 "$exe" run "$src/tests/data/run/tiny.cfg" -o "$target" $extra > /dev/null 2> "$tmp/x.err"; st=$?; set -e
        [ $st -eq 2 ] && [ "$(wc -l < "$tmp/x.err")" -eq 1 ] && grep -q "not a results file" "$tmp/x.err" ||
            { cat "$tmp/x.err"; fail "-o $target $extra: exit $st"; }
        grep -q -- "--restart" "$tmp/x.err" && fail "-o $target suggests --restart"
    done
    set +e; timeout 20 "$exe" status "$target" > /dev/null 2> "$tmp/x.err"; st=$?; set -e
    [ $st -eq 2 ] && grep -q "not a dcsweep results file" "$tmp/x.err" || { cat "$tmp/x.err"; fail "status $target: exit $st"; }
done
set +e; "$exe" status "$tmp/missing.h5" > /dev/null 2> "$tmp/x.err"; st=$?; set -e
[ $st -eq 2 ] && grep -q "missing.h5: no such file" "$tmp/x.err" || fail "status of a missing file"
set +e; "$exe" run "$src/tests/data/run/tiny.cfg" -o '' > /dev/null 2> "$tmp/x.err"; st=$?; set -e
[ $st -eq 2 ] && grep -q "empty" "$tmp/x.err" || fail "-o ''"
ok "devices, FIFOs, directories, missing files and empty paths get one-line errors"
echo "run_reliability: ok"

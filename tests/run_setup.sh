#!/usr/bin/env bash
# Startup and teardown (docs/reliability.md, "Startup and teardown", issue 26): a rank that hangs
# during setup ends the job within run.heartbeat_timeout, naming the rank (or, inside MPI_Init and
# the collective MPI-IO steps, which no rank can tell, the step); SIGTERM during startup is a clean
# interrupted exit; after SIGKILL of mpirun no orphan rank records runs or holds the lock, so a
# requeue right after succeeds. After each fault the results file is absent or complete, and a
# rerun ends bitwise equal to an uninterrupted sweep. A slow but healthy setup is not ended (5), and
# a rank stopped past its own watchdog's deadline and continued does not exit silently (6). The
# real `dcsweep run` (its startup is the one under test) on the tiny sweep, and the fake trainer
# for the orphans.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; fake=${FAKE_SWEEP:?}; exe=${DCSWEEP:?}
check="/usr/bin/python3 $src/tests/results_check.py"
tmp=$(mktemp -d)
stopped=""
cleanup() {
    for p in $stopped; do kill -CONT "$p" 2> /dev/null || true; kill -KILL "$p" 2> /dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "run_setup: FAIL: $*" >&2; exit 1; }
ok() { echo "run_setup: ok: $*"; }
. "$src/tests/sweep_lib.sh"

parts=${RUN_SETUP_PARTS:-1 2 3 4 5 6 7}  # the sections below to run (all by default)
part() { [[ " $parts " == *" $1 "* ]]; }
T=3                                   # run.heartbeat_timeout of these runs
# The tiny sweep (20 runs) on its 12 molecules repeated 3000 times: reading them makes setup last
# about a second, as on real data (the split uses the first 12 frames).
for _ in $(seq 3000); do cat "$src/tests/data/sweeps/water12.xyz"; done > "$tmp/water.xyz"
cfg=$tmp/tiny.cfg
sed 's|file = "../sweeps/water12.xyz";|file = "water.xyz";|' "$src/tests/data/run/tiny.cfg" > "$cfg"
# 6000 epochs of the tiny model: about 1 s of training after the 1 s of setup on a quiet machine,
# so that every rank is still alive at the 1 s mark (with tiny.cfg's 2 epochs the whole sweep took
# 0.8-1.0 s on a quiet machine, and a stop at 1 s found rank 1 gone: a fresh-clone CI failure).
set_args=(--set run.heartbeat_timeout=$T --set train.epochs=6000)
# The watchdogs of the steps that block in MPI (MPI_Init, the results file's collective MPI-IO)
# allow max(10 T, 600 s) plus the file at 20 MB/s; parts 1-4 shorten that to T (test-only), as
# before issue 26's review, so that a rank stopped inside them ends the job in seconds.
export DC_TEST_WATCHDOG_S=$T
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

mpirun -n 3 --oversubscribe "$exe" run "$cfg" -o "$tmp/ref.h5" "${set_args[@]}" > /dev/null

# launch NAME: the 3-rank sweep into $tmp/NAME.h5 in the background (sets job, t0).
launch() {
    t0=$(now)
    mpirun -n 3 --oversubscribe "$exe" run "$cfg" -o "$tmp/$1.h5" "${set_args[@]}" \
        > "$tmp/$1.out" 2> "$tmp/$1.err" &
    job=$!
}

# pid_of RANK: that rank's pid, once the launcher has started it (at most 20 s).
pid_of() {
    for _ in $(seq 2000); do rank_pid "$job" "$1" && return 0; sleep 0.01; done
    fail "rank $1 never started"
}

# ended NAME LIMIT: the job ended within LIMIT seconds of its launch (sets st, took).
ended() {
    timeout 60 tail --pid="$job" -f /dev/null || fail "$1: the job did not end within 60 s"
    set +e; wait "$job"; st=$?; set -e
    took=$(since "$t0")
    [ "$(echo "$took < $2" | bc)" = 1 ] || fail "$1: the job took $took s (limit $2 s)"
}

# first_line NAME: the first `dcsweep:` line of the job's stderr.
# -a: a singleton's orted may write a NUL into the error file as the process ends
first_line() { grep -a -m1 '^dcsweep: ' "$tmp/$1.err" || true; }

# intact_then_rerun NAME: no file or a complete one at the output, nothing that blocks a rerun
# (the rerun right away must succeed), and the rerun's file bitwise equal to the reference.
intact_then_rerun() {
    local f=$tmp/$1.h5
    if [ -e "$f" ]; then
        h5dump -H "$f" > /dev/null 2>&1 || fail "$1: $f is not a complete HDF5 file"
        $check rows "$f" pending > /dev/null || fail "$1: $f cannot be read"
    fi
    mpirun -n 3 --oversubscribe "$exe" run "$cfg" -o "$f" "${set_args[@]}" > "$tmp/$1.rerun" 2>&1 ||
        { cat "$tmp/$1.rerun"; fail "$1: the rerun right after failed"; }
    $check same "$tmp/ref.h5" "$f" > /dev/null || fail "$1: the rerun's file differs from the reference"
    [ ! -e "$f.lock" ] && [ ! -e "$f.creating" ] || fail "$1: a lock or .creating file is left"
}

# ---- 1. a rank stopped (SIGSTOP) during startup ----
# At a time after launch (0.25 s: in MPI_Init on this machine; 1 s: setup or the first runs), or
# when the lock appears (rank 0 has taken it: the ranks are in setup's agreements, which name the
# silent rank). Rank 0 gives up after T, rank 1 after 1.5 T, others after 2 T; mpirun then needs
# a few seconds to end the job.
limit=$(echo "2 * $T + 15" | bc)
part 1 && for when in 0.25 1 lock; do
    for victim in 1 0; do
        name=stop-$when-$victim
        launch "$name"
        p=$(pid_of "$victim")
        if [ "$when" = lock ]; then
            for _ in $(seq 2000); do [ -e "$tmp/$name.h5.lock" ] && break; sleep 0.002; done
            [ -e "$tmp/$name.h5.lock" ] || fail "$name: no lock appeared"
        else
            sleep "$(echo "x = $when - $(since "$t0"); if (x > 0) x else 0" | bc)"
        fi
        kill -STOP "$p" || { cat "$tmp/$name.out" "$tmp/$name.err"; fail "$name: rank $victim had ended before $when"; }
        stopped="$stopped $p"
        at=$(since "$t0")
        ended "$name" "$limit"
        kill -CONT "$p" 2> /dev/null || true
        [ "$st" -ne 0 ] || fail "$name: exit 0 with rank $victim stopped at $at s"
        line=$(first_line "$name")
        case "$when:$line" in
            lock:"dcsweep: rank $victim (setup: "*") has been silent for "*"run.heartbeat_timeout = $T s)"*) ;;
            lock:*) cat "$tmp/$name.err"; fail "$name: the error does not name rank $victim in setup: $line" ;;
            *:"dcsweep: rank $victim ("*") has been silent for "*) ;;
            *:"dcsweep: rank "[0-9]": setup: "*" took more than "*"(DC_TEST_WATCHDOG_S = $T s"*) ;;
            *:"dcsweep: rank "[0-9]": closing the results file took more than "*"(DC_TEST_WATCHDOG_S = $T s"*) ;;
            *) cat "$tmp/$name.err"; fail "$name: unexpected error: $line" ;;
        esac
        [ "$(grep -ac '^dcsweep: ' "$tmp/$name.err")" -le 2 ] || fail "$name: more than two error lines"
        intact_then_rerun "$name"
        ok "rank $victim stopped at $at s: the job ended after $took s: ${line:0:110}"
    done
done

# ---- 2. SIGTERM to every rank during startup (as Slurm's --signal does) ----
part 2 && for when in 0.25 lock; do
    name=term-$when
    launch "$name"
    pids="$(pid_of 0) $(pid_of 1) $(pid_of 2)"
    if [ "$when" = lock ]; then
        for _ in $(seq 2000); do [ -e "$tmp/$name.h5.lock" ] && break; sleep 0.002; done
        [ -e "$tmp/$name.h5.lock" ] || fail "$name: no lock appeared"
    else
        sleep "$(echo "x = 0.25 - $(since "$t0"); if (x > 0) x else 0" | bc)"
    fi
    kill -TERM $pids || fail "$name: a rank had ended before $when"
    at=$(since "$t0")
    ended "$name" 30
    [ "$st" -eq 1 ] || { cat "$tmp/$name.err"; fail "$name: exit $st, not 1 (143: killed by the signal)"; }
    line=$(first_line "$name")
    # With the lock taken, setup has about a second of agreements left (reading the data): the
    # signal lands in it. At 0.25 s it may land in MPI_Init, or (on a fast machine) after setup.
    case "$when:$line" in
        *:"dcsweep: interrupted by SIGTERM during setup: "*"run the same command again"*) ;;
        0.25:"dcsweep: interrupted by SIGTERM: "*"run the same command again to resume") ;;
        *) cat "$tmp/$name.err"; fail "$name: not the interrupted-during-setup message: $line" ;;
    esac
    [ "$(grep -ac '^dcsweep: ' "$tmp/$name.err")" -eq 1 ] || fail "$name: not one error line"
    [ ! -e "$tmp/$name.h5.creating" ] || fail "$name: .creating left by a clean stop"
    intact_then_rerun "$name"
    ok "SIGTERM to every rank at $at s: exit 1: ${line:0:100}"
done

# ---- 3. SIGKILL of mpirun: the orphans die with it, a requeue right after succeeds ----
args="--seeds 3 --epochs 4"   # 18 runs
mpirun -n 3 --oversubscribe "$fake" "$tmp/fref.h5" $args > /dev/null
part 3 && for round in 1 2; do
    FAKE_EPOCH_MS=100 mpirun -n 3 --oversubscribe "$fake" "$tmp/k.h5" $args > /dev/null 2>&1 &
    job=$!
    wait_done "$tmp/k.h5" $((round * 3))
    ranks=$(pgrep -P "$job" | tr '\n' ' ')
    kill -KILL "$job"
    set +e; wait "$job"; set -e
    t0=$(now)
    done_at_kill=$($check rows "$tmp/k.h5" done | wc -w)
    for p in $ranks; do  # gone, or a zombie waiting to be reaped
        while [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2> /dev/null; do
            [ "$(echo "$(since "$t0") < 1" | bc)" = 1 ] || fail "rank pid $p outlived mpirun by 1 s"
            sleep 0.005
        done
    done
    gone=$(since "$t0")
    sleep 1.5                  # the old orphans recorded runs for about 1.2 s
    done_after=$($check rows "$tmp/k.h5" done | wc -w)
    [ "$done_after" -eq "$done_at_kill" ] ||
        fail "runs were recorded after mpirun died ($done_at_kill done at the kill, $done_after after)"
    ok "SIGKILL of mpirun (round $round): its ranks were gone after $gone s, $done_at_kill runs done"
done
# The requeue right after: no waiting, no second attempt.
part 3 && {
FAKE_EPOCH_MS=100 mpirun -n 3 --oversubscribe "$fake" "$tmp/q.h5" $args > /dev/null 2>&1 &
job=$!
wait_done "$tmp/q.h5" 3
kill -KILL "$job"
set +e; wait "$job"; set -e
mpirun -n 3 --oversubscribe "$fake" "$tmp/q.h5" $args > "$tmp/q.out" 2>&1 ||
    { cat "$tmp/q.out"; fail "the requeue right after SIGKILL of mpirun failed"; }
$check same "$tmp/fref.h5" "$tmp/q.h5" > /dev/null || fail "the requeued file differs from the reference"
mpirun -n 3 --oversubscribe "$fake" "$tmp/k.h5" $args > /dev/null ||
    fail "the rerun of the file killed twice failed"
$check same "$tmp/fref.h5" "$tmp/k.h5" > /dev/null || fail "the file killed twice differs from the reference"
ok "a requeue right after SIGKILL of mpirun succeeds and ends bitwise equal"
}

# ---- 4. a lone run (no launcher) is not tied to its parent ----
part 4 && {
( "$fake" "$tmp/lone.h5" $args > /dev/null 2>&1 & echo $! > "$tmp/lone.pid" )  # parent exits at once
lone=$(cat "$tmp/lone.pid")
for _ in $(seq 600); do kill -0 "$lone" 2> /dev/null || break; sleep 0.05; done
$check same "$tmp/fref.h5" "$tmp/lone.h5" > /dev/null || fail "a lone run whose parent exited did not finish"
ok "a lone run outlives its parent and finishes"
}
# ---- 5. a slow but healthy setup is not ended, and keeps its lock fresh ----
# The collective create takes 33 s more on rank 0 (test-only DC_TEST_SLOW_CREATE_MS), the others
# wait in a collective: far beyond run.heartbeat_timeout = 2 s (the old watchdog's 2-4 s), well
# within the real limit (600 s). The lock is refreshed meanwhile (every 30 s), or another host
# would take it for a dead job's after 300 s.
part 5 && {
name=slow
t0=$(now)
env -u DC_TEST_WATCHDOG_S DC_TEST_SLOW_CREATE_MS=33000 mpirun -n 3 --oversubscribe "$exe" run "$cfg" \
    -o "$tmp/$name.h5" --set run.heartbeat_timeout=2 --set train.epochs=6000 > "$tmp/$name.out" 2> "$tmp/$name.err" &
job=$!
for _ in $(seq 3000); do [ -e "$tmp/$name.h5.creating" ] && break; sleep 0.01; done
[ -e "$tmp/$name.h5.creating" ] || fail "$name: no .creating file within 30 s"
first=$(stat -c %Y "$tmp/$name.h5.lock")
fresh=$first
while [ -e "$tmp/$name.h5.creating" ] && kill -0 "$job" 2> /dev/null; do
    fresh=$(stat -c %Y "$tmp/$name.h5.lock" 2> /dev/null || echo "$fresh"); sleep 0.2
done
timeout 120 tail --pid="$job" -f /dev/null || fail "$name: the job did not end within 120 s"
set +e; wait "$job"; st=$?; set -e
took=$(since "$t0")
[ "$st" -eq 0 ] || { cat "$tmp/$name.err"; fail "$name: a slow healthy create ended the job (exit $st)"; }
! grep -aq '^dcsweep: ' "$tmp/$name.err" || { cat "$tmp/$name.err"; fail "$name: an error line"; }
[ "$(echo "$took > 33" | bc)" = 1 ] || fail "$name: took $took s: the slow create did not happen"
[ $((fresh - first)) -ge 20 ] || fail "$name: the lock was not refreshed during a 33 s create ($first, $fresh)"
$check same "$tmp/ref.h5" "$tmp/$name.h5" > /dev/null || fail "$name: the file differs from the reference"
[ ! -e "$tmp/$name.h5.lock" ] || fail "$name: the lock is left"
ok "a 33 s create with run.heartbeat_timeout = 2 s completed in $took s; lock refreshed $((fresh - first)) s later"
}

# ---- 6. a rank stopped inside the create past its own watchdog's deadline, then continued ----
# Watchdog deadlines shortened to 12 s (rank 0; rank 1 18 s, rank 2 24 s); the create takes 2 s
# more on rank 0 (a sleep; the stop lands in it, 0.5 s after the file appears). Rank 0 stopped for
# 13.5 s: its watchdog wakes late, does not count the time it was stopped, and the job ends
# normally (was: a silent exit 1). Rank 2 stopped for 13.5 s: the job ends with one named line.
part 6 && for victim in 0 2; do
    name=late-$victim
    t0=$(now)
    DC_TEST_WATCHDOG_S=12 DC_TEST_SLOW_CREATE_MS=2000 mpirun -n 3 --oversubscribe "$exe" run "$cfg" \
        -o "$tmp/$name.h5" "${set_args[@]}" > "$tmp/$name.out" 2> "$tmp/$name.err" &
    job=$!
    p=$(pid_of "$victim")
    for _ in $(seq 3000); do [ -e "$tmp/$name.h5.creating" ] && break; sleep 0.005; done
    [ -e "$tmp/$name.h5.creating" ] || fail "$name: no .creating file within 15 s"
    sleep 0.5
    kill -STOP "$p" || fail "$name: rank $victim had ended"
    stopped="$stopped $p"
    sleep 13.5
    kill -CONT "$p" 2> /dev/null || true
    ended "$name" 60
    line=$(first_line "$name")
    if [ "$victim" = 0 ]; then
        [ "$st" -eq 0 ] || { cat "$tmp/$name.err"; fail "$name: exit $st after rank 0 was stopped 13.5 s: $line"; }
        [ -z "$line" ] || { cat "$tmp/$name.err"; fail "$name: an error line: $line"; }
        $check same "$tmp/ref.h5" "$tmp/$name.h5" > /dev/null || fail "$name: the file differs from the reference"
        ok "rank 0 stopped 13.5 s inside the create (its deadline 12 s): the job ended normally after $took s"
    else
        [ "$st" -ne 0 ] || fail "$name: exit 0 with rank 2 stopped past rank 0's deadline"
        # Rank 0's watchdog, or (when rank 2 had reached the collective before it was stopped
        # and rank 1 got through it) rank 1 on rank 0, silent inside it: one named line.
        case "$line" in
            "dcsweep: rank 0: setup: creating the results file took more than 12 s (DC_TEST_WATCHDOG_S = 12 s"*"a rank is hung or the file system is too slow; "*) ;;
            "dcsweep: rank "[0-9]" (setup: creating the results file) has been silent for "*"ending the job"*) ;;
            *) cat "$tmp/$name.err"; fail "$name: not a line naming the create: $line" ;;
        esac
        intact_then_rerun "$name"
        ok "rank 2 stopped 13.5 s inside the create: the job ended after $took s: ${line:0:100}"
    fi
done
# ---- 7. the MPI_Init watchdog under srun --mpi=pmix (no OMPI_*/PMI_SIZE) and its rank name ----
# A lone process with a launcher's variables and a deadline (test-only) far below MPI_Init's time:
# the watchdog is there and names the launcher's rank. Without them (a lone run) there is none.
part 7 && {
for vars in "PMIX_RANK=1:1" "SLURM_PROCID=2 SLURM_STEP_ID=0:2" "PMI_RANK=1:1"; do
    set +e
    env ${vars%:*} DC_TEST_WATCHDOG_S=0.01 "$exe" run "$cfg" -o "$tmp/pmix.h5" > /dev/null 2> "$tmp/pmix.err"
    st=$?; set -e
    line=$(first_line pmix)
    [ "$st" -eq 1 ] && [[ "$line" == "dcsweep: rank ${vars##*:}: setup: MPI_Init took more than "* ]] ||
        { cat "$tmp/pmix.err"; fail "${vars%:*}: no MPI_Init watchdog naming rank ${vars##*:} (exit $st)"; }
    rm -f "$tmp/pmix.h5"
done
DC_TEST_WATCHDOG_S=0.01 "$exe" run "$cfg" -o "$tmp/pmix.h5" > /dev/null 2> "$tmp/pmix.err" ||
    { cat "$tmp/pmix.err"; fail "a lone run has an MPI_Init watchdog"; }
ok "MPI_Init's watchdog names PMIX_RANK, SLURM_PROCID (in a step), PMI_RANK; none for a lone run"
}
echo "run_setup: done"

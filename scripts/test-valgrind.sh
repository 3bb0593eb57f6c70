#!/usr/bin/env bash
# Valgrind memcheck of the real engine on the smallest real sweep (tests/data/valgrind/tiny.cfg):
#   1. dcsweep train --run 1                     (one process: data, model, oneDNN, Adam, metrics)
#   2. mpirun -n 2 valgrind dcsweep run          (coordinator + worker, MPI-IO HDF5, create path)
#   3. the same command again                    (resume: open and check an existing file)
#   4. dcsweep validate of a bad sweep           (an error path: everything freed on the way out)
#   5. mpirun -n 2 valgrind dcsweep run, stopped (issue 26: SIGTERM to rank 1 while the default-size
#      model trains, a partial last batch, checkpoints every second: the stop path, checkpoint write
#      and close under memcheck; valgrind's CPU has no AVX-512, so oneDNN runs its AVX2 kernels)
# Each must show no invalid access, no use of uninitialised values and no definite leak from our
# code. Third-party noise is suppressed by Open MPI's /usr/share/openmpi/openmpi-valgrind.supp
# (when present) and tests/valgrind.supp (library-wide entries only). Not a meson test: valgrind
# and the ASan build of scripts/test-sanitize.sh do not mix. Uses the normal build (DC_BUILD,
# default build/; configured and built if needed). About 1 minute on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${DC_BUILD:-build}
command -v valgrind >/dev/null || { echo "test-valgrind: valgrind not found (scripts/install-deps.sh --with-tests)" >&2; exit 1; }
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
dcsweep=$root/$build/dcsweep
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

vg=(valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --num-callers=40 --suppressions="$root/tests/valgrind.supp")
[ -f /usr/share/openmpi/openmpi-valgrind.supp ] && vg+=(--suppressions=/usr/share/openmpi/openmpi-valgrind.supp)
sweep=$root/tests/data/valgrind/tiny.cfg
failed=0

# check STEP: every log of the step must report 0 errors and 0 definitely lost bytes.
check() {
    local step=$1 bad=0 n=0
    for log in "$tmp/$step".*.log; do
        n=$((n + 1))
        grep -q "ERROR SUMMARY: 0 errors" "$log" || bad=1
        if grep -q "definitely lost: [1-9]" "$log"; then bad=1; fi
    done
    if [ "$n" -eq 0 ] || [ "$bad" -ne 0 ]; then
        echo "test-valgrind: $step: memcheck errors (logs below)" >&2
        for log in "$tmp/$step".*.log; do cat "$log" >&2; done
        failed=1
    else
        echo "test-valgrind: $step: clean ($n process(es))"
    fi
}

start=$SECONDS
"${vg[@]}" --log-file="$tmp/train.%p.log" "$dcsweep" train "$sweep" --run 1 > "$tmp/train.out" \
    || { echo "test-valgrind: train exited non-zero" >&2; cat "$tmp/train.out" >&2; failed=1; }
grep -q "status done after 1 epochs" "$tmp/train.out" || { echo "test-valgrind: train did not finish" >&2; failed=1; }
check train

for step in run resume; do
    mpirun -n 2 "${vg[@]}" --log-file="$tmp/$step.%p.log" "$dcsweep" run "$sweep" -o "$tmp/v.h5" \
        > "$tmp/$step.out" 2>&1 || { echo "test-valgrind: $step exited non-zero" >&2; cat "$tmp/$step.out" >&2; failed=1; }
    grep -q "2 runs: 2 done" "$tmp/$step.out" || { echo "test-valgrind: $step: not 2 runs done" >&2; cat "$tmp/$step.out" >&2; failed=1; }
    check "$step"
done

set +e
"${vg[@]}" --log-file="$tmp/error_path.%p.log" "$dcsweep" validate \
    "$root/tests/data/sweeps/bad_split_too_big.cfg" > /dev/null 2> "$tmp/error_path.err"
status=$?
set -e
[ "$status" -eq 2 ] || { echo "test-valgrind: validate of a bad sweep exited $status, not 2" >&2; cat "$tmp/error_path.err" >&2; failed=1; }
check error_path

# 5. The stop path: 50 training frames in batches of 20 (the last one partial), the default model size.
stop_args=(--set model.features=64 --set model.filters=64 --set model.interactions=3
           --set model.gaussians=25 --set dataset.split.train=50 --set dataset.split.validation=10
           --set train.epochs=1000 --set train.checkpoint_seconds=1 --set 'grid.seeds=[0, 1]'
           --set 'grid.extent=["full"]' --set 'grid.rescaling=["standard"]')
mpirun -n 2 "${vg[@]}" --log-file="$tmp/stop.%p.log" "$dcsweep" run "$root/sweeps/quickstart.cfg" \
    -o "$tmp/s.h5" "${stop_args[@]}" > "$tmp/stop.out" 2>&1 &
job=$!
# Under way once a run has been checkpointed (epochs done, a checkpoint written, training on);
# two runs, so that rank 1 trains one (an idle rank's signal does not stop the others' runs).
for _ in $(seq 1800); do ls "$tmp"/s.h5.ckpt/run-*.h5 > /dev/null 2>&1 && break; kill -0 $job 2> /dev/null || break; sleep 0.1; done
rank1=
for p in $(pgrep -P $job); do
    tr '\0' '\n' < /proc/$p/environ 2> /dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && rank1=$p
done
if [ -n "$rank1" ]; then
    sleep 0.$((RANDOM % 10))
    kill -TERM "$rank1"
    for _ in $(seq 1200); do kill -0 $job 2> /dev/null || break; sleep 0.1; done
    kill -0 $job 2> /dev/null && { kill -KILL $job; echo "test-valgrind: stop: still running 120 s after SIGTERM" >&2; failed=1; }
    wait $job || true
    grep -q "interrupted: 2 runs left pending" "$tmp/stop.out" \
        || { echo "test-valgrind: stop: not an orderly interruption" >&2; cat "$tmp/stop.out" >&2; failed=1; }
    check stop
else
    echo "test-valgrind: stop: the sweep never got under way" >&2; cat "$tmp/stop.out" >&2; failed=1
fi

echo "test-valgrind: $([ $failed -eq 0 ] && echo ok || echo FAILED) in $((SECONDS - start)) s"
exit $failed

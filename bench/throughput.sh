#!/usr/bin/env bash
# Sweep throughput on this machine (issue 13): the quick start on 1 and 2 ranks (runs per minute,
# parallel efficiency against one process, the files compared bitwise), then the paper-size SchNet
# (F = 1024, nf = 256, T = 5, G = 200, 6 A) on one rank with OMP_NUM_THREADS 1 and 2 against two
# ranks of one thread each: which of threads or ranks a user should choose. Prints the CPU, each
# command and one table row per configuration. See bench/README.md.
#
#   bench/throughput.sh [--paper-only | --quickstart-only]
#
# The paper-size part needs the developers' ../shared (rMD17 ethanol); 200 training frames, 2 epochs,
# 4 seeds keep it to a few minutes. Environment: DC_BENCH_LOCK=FILE takes `flock FILE` around each
# measurement (a machine shared with other jobs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exe=$root/build/dcsweep
check="/usr/bin/python3 $root/tests/results_check.py"
parts=both
case ${1:-} in
    --paper-only) parts=paper ;;
    --quickstart-only) parts=quickstart ;;
    "") ;;
    *) echo "throughput.sh: unknown argument '$1' (--paper-only or --quickstart-only)" >&2; exit 2 ;;
esac
[ -x "$exe" ] || { echo "throughput.sh: $exe not built (ninja -C build)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
locked() { if [ -n "${DC_BENCH_LOCK:-}" ]; then flock "$DC_BENCH_LOCK" "$@"; else "$@"; fi; }

echo "cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) cores," \
     "$(grep -q avx512f /proc/cpuinfo && echo AVX-512 || (grep -q avx2 /proc/cpuinfo && echo AVX2 || echo 'no AVX2'))"
echo "commit: $(git -C "$root" rev-parse --short HEAD 2> /dev/null || echo unknown)"

# sweep NAME THREADS RANKS CFG [--set ...]: one timed `dcsweep run`; prints a row, keeps the file.
sweep() {
    local name=$1 threads=$2 ranks=$3 cfg=$4; shift 4
    local out=$tmp/$name.h5 t0 t1
    echo "\$ OMP_NUM_THREADS=$threads mpirun -n $ranks dcsweep run $cfg $* -o $out" >&2
    t0=$(date +%s.%N)
    OMP_NUM_THREADS=$threads locked mpirun -n "$ranks" --bind-to none "$exe" run "$cfg" "$@" \
        -o "$out" > "$tmp/$name.log"
    t1=$(date +%s.%N)
    runs=$(sed -n 's/^sweep [^:]*: \([0-9]*\) runs.*/\1/p' "$tmp/$name.log")
    awk -v n="$name" -v r="$ranks" -v th="$threads" -v runs="$runs" -v t0="$t0" -v t1="$t1" \
        -v base="${base:-0}" 'BEGIN {
        rate = 60 * runs / (t1 - t0)
        eff = base > 0 ? sprintf("%.0f%%", 100 * rate / (base * r * th)) : "-"
        printf "| %s | %d | %d | %d | %.1f | %.1f | %s |\n", n, r, th, runs, t1 - t0, rate, eff }'
}

if [ $parts != paper ]; then
    echo
    echo "quick start (sweeps/quickstart.cfg); efficiency = runs/min against ranks x one process"
    echo "| configuration | ranks | threads | runs | wall (s) | runs/min | efficiency |"
    echo "|---|---|---|---|---|---|---|"
    base=0
    row=$(sweep qs1 1 1 "$root/sweeps/quickstart.cfg")
    echo "$row"
    base=$(echo "$row" | awk -F'|' '{ print $7 + 0 }')
    sweep qs2 1 2 "$root/sweeps/quickstart.cfg"
    $check same "$tmp/qs1.h5" "$tmp/qs2.h5"
fi

if [ $parts != quickstart ]; then
    shared=${DC_SHARED_DIR:-$root/../shared}
    [ -f "$shared/data/rmd17-ethanol/train.xyz" ] ||
        { echo "throughput.sh: the paper-size part needs $shared/data (skipped)" >&2; exit 0; }
    paper=(--set model.features=1024 --set model.filters=256 --set model.interactions=5
           --set model.gaussians=200 --set model.cutoff=6 --set train.epochs=2
           --set dataset.split.train=200 --set dataset.split.validation=20
           --set 'grid.seeds=[0,1,2,3]')
    echo
    echo "paper-size SchNet (bench/rmd17_accuracy.cfg ${paper[*]})"
    echo "| configuration | ranks | threads | runs | wall (s) | runs/min | efficiency |"
    echo "|---|---|---|---|---|---|---|"
    base=0
    row=$(sweep paper_1x1 1 1 "$root/bench/rmd17_accuracy.cfg" "${paper[@]}")
    echo "$row"
    base=$(echo "$row" | awk -F'|' '{ print $7 + 0 }')
    sweep paper_1x2 2 1 "$root/bench/rmd17_accuracy.cfg" "${paper[@]}"
    sweep paper_2x1 1 2 "$root/bench/rmd17_accuracy.cfg" "${paper[@]}"
    $check same "$tmp/paper_1x1.h5" "$tmp/paper_2x1.h5"
fi

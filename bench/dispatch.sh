#!/usr/bin/env bash
# How far the sweep engine scales past this machine, simulated (issue 13): the coordinator's
# dispatch capacity and the rate of rows written into one HDF5 file, with 16, 64 and 256 ranks
# (oversubscribed) and a trainer that finishes at once (the tests' fake trainer, build/tests/
# fake_sweep: never used by users), then `dcsweep merge` of 256 shard files.
#
#   bench/dispatch.sh [BUILD_DIR]      # default build; takes a few minutes on 2 cores
#
# Per configuration it prints the throughput once every rank is set up (the summary line's "this
# session": bounded here by 2 cores running every rank; wall_s includes starting the ranks) and
# the coordinator's CPU time per report (from the run's summary line): its capacity is
# the inverse. From that: the largest rank count whose runs the coordinator can answer while
# staying under 5% busy (so that no rank waits on a queue), for runs of 1 and 10 minutes:
# P_max = 0.05 * T / t_report. Results go in bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
fake=$build/tests/fake_sweep
exe=$build/dcsweep
[ -x "$fake" ] && [ -x "$exe" ] || { echo "dispatch.sh: build first (ninja -C $build)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp" /dev/shm/dcsweep-dispatch.*' EXIT
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%FT%TZ)"
printf '%-6s %-8s %8s %10s %12s %14s %16s %16s\n' ranks storage runs wall_s session_runs_s \
    us_per_report P_max_1min P_max_10min
for ranks in 16 64 256; do
    for storage in tmpfs disk; do
        out=$([ $storage = tmpfs ] && echo /dev/shm/dcsweep-dispatch.h5 || echo "$tmp/d.h5")
        rm -f "$out"*
        seeds=$((ranks * 10))   # 6 runs per seed: 60 runs per rank
        t0=$(date +%s.%N)
        mpirun -n $ranks "$fake" "$out" --seeds $seeds --epochs 1 > "$tmp/out"
        t1=$(date +%s.%N)
        runs=$((seeds * 6))
        us=$(sed -n 's/.*(\([0-9.]*\) us of serving per report,.*/\1/p' "$tmp/out")
        per_min=$(sed -n 's/^this session: .*(\([0-9.]*\) runs\/min).*/\1/p' "$tmp/out")
        awk -v r=$ranks -v s=$storage -v n=$runs -v t0=$t0 -v t1=$t1 -v us="$us" -v pm="$per_min" 'BEGIN {
            printf "%-6d %-8s %8d %10.2f %12.0f %14.1f %16.0f %16.0f\n", r, s, n, t1 - t0, pm / 60, us,
            0.05 * 60e6 / us, 0.05 * 600e6 / us }'
    done
done

# merge of 256 shards: each shard file trained by its own process (one tiny run each).
sweep=tests/data/run/tiny.cfg
sets=(--set train.epochs=1 --set 'grid.seeds=[0,1,2,3,4,5,6,7,8,9,10,11,12]')   # 260 runs
for k in $(seq 1 256); do
    "$exe" run "$sweep" "${sets[@]}" -o "$tmp/m.h5" --shard "$k/256" > /dev/null
done
t0=$(date +%s.%N)
"$exe" merge "$tmp/merged.h5" "$tmp"/m.shard-*-of-256.h5 > "$tmp/merge.out" || true
t1=$(date +%s.%N)
awk -v t0=$t0 -v t1=$t1 'BEGIN { printf "merge of 256 shard files (260 runs): %.2f s\n", t1 - t0 }'
grep -m1 "runs" "$tmp/merge.out" || true

#!/usr/bin/env bash
# Submits a sweep as a Slurm array of N shards plus a merge job that waits for all of them:
#
#   slurm/submit.sh SWEEP.cfg [--shards N] [sbatch options...] [-- dcsweep run options...]
#
#   slurm/submit.sh sweeps/full.cfg --shards 16 -p compute -A myproject -t 04:00:00 -- -o results/full.h5
#
# sbatch options (partition, account, time, --chdir, ...) go to both the array and the merge job.
# dcsweep run options after `--` go to every shard (-o OUTPUT, --set KEY=VALUE, --retry-failed).
# Prints "array job <id>" and "merge job <id>"; the merged file is OUTPUT (default
# results/<SWEEP file name without .cfg>.h5), the shards OUTPUT's .shard-K-of-N.h5 files.
#
# Environment (all optional):
#   DC_SHARDS=4              number of shards (array tasks); --shards N overrides it
#   DC_RANKS_PER_SHARD=1     MPI ranks per array task (every rank trains)
#   DC_ARRAY_LIMIT=          at most this many tasks at once (sbatch --array=...%LIMIT)
#   DC_MERGE_SBATCH=         extra sbatch options for the merge job only, e.g. "-t 00:30:00"
#   DC_MERGE_FORCE=0         1: the merge replaces an existing OUTPUT
#   DC_SLURM_DIR=            where array.sbatch and merge.sbatch are (default: next to this script)
#   DCSWEEP, DC_MODULES, DC_LAUNCHER, DC_SRUN_MPI: see array.sbatch (exported to the jobs)
set -euo pipefail
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$1" in -h|--help) usage; exit 0 ;; esac
sweep=$1; shift
[ -f "$sweep" ] || { echo "submit.sh: no sweep file '$sweep'" >&2; exit 2; }
shards=${DC_SHARDS:-4}
sbatch_opts=() run_opts=()
while [ $# -gt 0 ]; do
    case "$1" in
        --shards) [ $# -ge 2 ] || { echo "submit.sh: --shards needs a number" >&2; exit 2; }
                  shards=$2; shift 2 ;;
        --shards=*) shards=${1#--shards=}; shift ;;
        --) shift; run_opts=("$@"); break ;;
        *) sbatch_opts+=("$1"); shift ;;
    esac
done
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: the number of shards must be >= 1, got '$shards'" >&2; exit 2; }

# The output the shards are named after: -o/--output of the run options, else a default that
# does not depend on reading the sweep file here (dcsweep run -o makes every task agree on it).
out=""
for ((i = 0; i < ${#run_opts[@]}; i++)); do
    case "${run_opts[i]}" in
        -o|--output) out=${run_opts[i + 1]:-} ;;
        --output=*) out=${run_opts[i]#--output=} ;;
        --shard|--shard=*) echo "submit.sh: do not give --shard: every task uses --shard auto" >&2; exit 2 ;;
    esac
done
if [ -z "$out" ]; then
    base=$(basename "$sweep"); out="results/${base%.cfg}.h5"
    run_opts+=(-o "$out")
fi
mkdir -p "$(dirname "$out")" 2>/dev/null || true

dir=${DC_SLURM_DIR:-$(cd "$(dirname "$0")" && pwd)}
array="0-$((shards - 1))"
[ -z "${DC_ARRAY_LIMIT:-}" ] || array+="%$DC_ARRAY_LIMIT"
array_id=$(sbatch --parsable --array="$array" --ntasks="${DC_RANKS_PER_SHARD:-1}" "${sbatch_opts[@]}" \
           "$dir/array.sbatch" "$sweep" "${run_opts[@]}")
array_id=${array_id%%;*}   # "id;cluster" on multi-cluster sites
read -r -a merge_extra <<< "${DC_MERGE_SBATCH:-}"
merge_id=$(sbatch --parsable --dependency="afterany:$array_id" --kill-on-invalid-dep=yes \
           "${sbatch_opts[@]}" "${merge_extra[@]}" "$dir/merge.sbatch" "$out" "$shards")
merge_id=${merge_id%%;*}
echo "array job $array_id: $shards shards of $sweep -> ${out%.h5}.shard-K-of-$shards.h5"
echo "merge job $merge_id: -> $out (after the array, whatever its outcome)"

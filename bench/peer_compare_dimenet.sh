#!/bin/sh
# The float DimeNet++ engine (bench_dimenet) against the PyTorch peer ../shared/peer/ref_dimenet.py,
# one core each, alternately (ours, peer, ours, peer, ...) so that both see the same machine state,
# at DIMENET.md's default size and at issue 23's paper size (hidden 192, out_emb 192, 3 blocks,
# cutoff 6). Extent none (SiLU) on both: the peer's default (full, c 0.5) is NaN within an epoch.
# Prints the machine (CPU, ISA, OpenBLAS core behind PyTorch), the commands, one markdown row per
# pair with the ratio of configurations/s. The peer times its training steps only (graphs built
# before the timer) on its first --ntrain frames and evaluates 20 test frames, untimed.
#
#   bench/peer_compare_dimenet.sh [--pairs N] [--sizes default,paper] [--seconds S] [--ntrain N]
#                                 [--bench PATH] [--shared DIR]
#
#   --pairs N     pairs per size (default 1)
#   --seconds S   our timing per run (default 3)
#   --ntrain N    the peer's training frames, one epoch (default 60)
#   --bench       bench_dimenet (default build/bench/bench_dimenet of this checkout)
#
# Environment: PYTHON (default /usr/bin/python3, Debian's python3-torch). OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE are unset for the peer alone (../shared/peer/README.md).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
pairs=1
sizes=default,paper
seconds=3
ntrain=60
bench=$root/build/bench/bench_dimenet
shared=${DC_SHARED_DIR:-$root/../shared}
python=${PYTHON:-/usr/bin/python3}

while [ $# -gt 0 ]; do
    case $1 in
        --pairs) pairs=$2; shift 2 ;;
        --sizes) sizes=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --ntrain) ntrain=$2; shift 2 ;;
        --bench) bench=$2; shift 2 ;;
        --shared) shared=$2; shift 2 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "peer_compare_dimenet.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case $pairs in ''|*[!0-9]*) echo "peer_compare_dimenet.sh: --pairs takes a count" >&2; exit 2 ;; esac

train=$shared/data/rmd17-ethanol/train.xyz
test=$shared/data/rmd17-ethanol/test_MD.xyz
peer=$shared/peer/ref_dimenet.py
for f in "$bench" "$train" "$test" "$peer" "$python"; do
    [ -e "$f" ] || { echo "peer_compare_dimenet.sh: $f not found (see --help)" >&2; exit 2; }
done
peer_test=$(mktemp /tmp/peer_compare_dimenet.XXXXXX.xyz)
trap 'rm -f "$peer_test"' EXIT
"$python" - "$test" "$peer_test" <<'PY'
import sys
src, dst = open(sys.argv[1]), open(sys.argv[2], 'w')
for _ in range(20):
    line = src.readline()
    if not line: break
    n = int(line)
    dst.write(line)
    for _ in range(n + 1): dst.write(src.readline())
PY

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
isa=$(grep -o -w -e avx512f -e avx2 /proc/cpuinfo | sort -u | tr '\n' ' ')
core=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" -c 'import ctypes
l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p
print(l.openblas_get_corename().decode())' 2>/dev/null || echo "unknown")
echo "machine: $cpu; ISA: $isa; nproc $(nproc); PyTorch BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3), OpenBLAS core $core"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| size | ours configs/s | peer configs/s (wall) | peer per CPU-s | ratio (wall) | ours % of sgemm peak |"
echo "|---|---|---|---|---|---|"
for size in $(echo "$sizes" | tr ',' ' '); do
    case $size in
        default) peer_size="" ;;
        paper) peer_size="--hidden 192 --out-emb 192 --int-emb 64 --basis-emb 8 --num-spherical 7 --num-radial 6 --cutoff 6.0 --blocks 3" ;;
        *) echo "peer_compare_dimenet.sh: size default or paper, got '$size'" >&2; exit 2 ;;
    esac
    i=0
    while [ $i -lt "$pairs" ]; do
        ours=$(OMP_NUM_THREADS=1 "$bench" "$train" "$seconds" "$size" none 0.5)
        # shellcheck disable=SC2086
        theirs=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
            "$python" "$peer" "$train" "$peer_test" --epochs 1 --ntrain "$ntrain" --threads 1 \
            --extent none --rescale standard $peer_size | tail -n 1)
        "$python" - "$size" "$ours" "$theirs" <<'PY'
import json, sys
size, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
a, b = ours["configs_per_s"], theirs["train_configs_per_s"]
print(f"| {size} | {a:.1f} | {b:.1f} | {theirs.get('train_configs_per_cpu_s', float('nan')):.1f} | "
      f"{a / b:.1f}x | {100 * ours['peak_fraction']:.0f}% of {ours['peak_gflops']:.0f} GFLOP/s |")
PY
        i=$((i + 1))
    done
done
echo
echo "ours: OMP_NUM_THREADS=1 $bench $train $seconds <size> none 0.5"
echo "peer: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 $python $peer $train <20 test frames> --epochs 1 --ntrain $ntrain --threads 1 --extent none --rescale standard [paper size flags]"

#!/bin/sh
# dcsweep against the PyTorch peer (../shared/peer/bench_peer.py), one core each, run alternately
# (ours, peer, ours, peer, ...) so that both see the same machine state, at the default SchNet
# size and at the paper's. Prints the machine (CPU, ISA, BLAS behind PyTorch), the commands, one
# markdown row per pair and the ratios' range and median. See bench/README.md; the figures and
# what limits them are in docs/performance.md. The peer is timed on its training steps only and
# evaluates the first 100 frames of test_MD.xyz (a temporary copy), untimed.
#
#   bench/peer_compare.sh [--pairs N] [--sizes default,paper] [--isa native|avx2]
#                         [--dcsweep PATH] [--shared DIR] [--any-blas]
#
#   --pairs N     pairs per size (default 3)
#   --sizes LIST  default, paper or default,paper (the default)
#   --isa avx2    cap both at AVX2: DNNL_MAX_CPU_ISA=AVX2 for oneDNN (our matmuls; our own loops
#                 keep the CPU's widest clone), OPENBLAS_CORETYPE=Haswell and
#                 ATEN_CPU_CAPABILITY=avx2 for the peer
#   --dcsweep     the binary (default build/dcsweep of this checkout)
#   --shared DIR  the developers' shared folder (default $DC_SHARED_DIR, else ../shared)
#   --any-blas    run even when PyTorch's BLAS is not OpenBLAS (the figures are then not fair)
#
# Environment: DC_BENCH_LOCK=FILE holds `flock FILE` over each pair (machines shared by several
# people); PYTHON (default /usr/bin/python3, Debian's python3-torch).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
pairs=3
sizes=default,paper
isa=native
dcsweep=$root/build/dcsweep
shared=${DC_SHARED_DIR:-$root/../shared}
any_blas=0
python=${PYTHON:-/usr/bin/python3}

while [ $# -gt 0 ]; do
    case $1 in
        --pairs) pairs=$2; shift 2 ;;
        --sizes) sizes=$2; shift 2 ;;
        --isa) isa=$2; shift 2 ;;
        --dcsweep) dcsweep=$2; shift 2 ;;
        --shared) shared=$2; shift 2 ;;
        --any-blas) any_blas=1; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "peer_compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case $isa in native|avx2) ;; *) echo "peer_compare.sh: --isa native or avx2, got '$isa'" >&2; exit 2 ;; esac
case $pairs in ''|*[!0-9]*) echo "peer_compare.sh: --pairs takes a count, got '$pairs'" >&2; exit 2 ;; esac

train=$shared/data/rmd17-ethanol/train.xyz
test=$shared/data/rmd17-ethanol/test_MD.xyz
peer=$shared/peer/bench_peer.py
for f in "$dcsweep" "$train" "$test" "$peer" "$python"; do
    [ -e "$f" ] || { echo "peer_compare.sh: $f not found (see --help)" >&2; exit 2; }
done
# The peer evaluates its test file after the timed epochs (untimed, but at the paper's size a
# thousand frames take longer than the training): give it the first 100 frames only.
peer_test=$(mktemp /tmp/peer_compare_test.XXXXXX.xyz)
trap 'rm -f "$peer_test"' EXIT
"$python" - "$test" "$peer_test" <<'PY'
import sys
src, dst = open(sys.argv[1]), open(sys.argv[2], 'w')
for _ in range(100):
    line = src.readline()
    if not line: break
    n = int(line)
    dst.write(line)
    for _ in range(n + 1): dst.write(src.readline())
PY

if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
    echo "peer_compare.sh: $python has no torch or numpy (apt-get install python3-torch python3-numpy)" >&2
    exit 2
fi
# PyTorch (Debian's python3-torch) does its dense layers in the system BLAS: compare only
# against OpenBLAS, which a user's PyTorch would have (the reference BLAS is 5-12x slower).
blas=$("$python" -c 'import torch, re, sys
for l in open("/proc/self/maps"):
    p = l.split()[-1]
    if re.search(r"lib(open)?blas[^/]*\.so", p): print(p); sys.exit(0)
print("none")')
blas_real=$(readlink -f "$blas" 2>/dev/null || echo "$blas")
case $blas_real in
    *openblas*) ;;
    *) if [ $any_blas = 0 ]; then
           echo "peer_compare.sh: PyTorch's BLAS is $blas_real, not OpenBLAS: the peer would be" \
                "unfairly slow (apt-get install libopenblas0-pthread; --any-blas to run anyway)" >&2
           exit 2
       fi ;;
esac

# The lock is held over a whole pair, so nobody else's heavy job runs between its two halves.
if [ -n "${DC_BENCH_LOCK:-}" ]; then exec 9>>"$DC_BENCH_LOCK"; fi
lock() { if [ -n "${DC_BENCH_LOCK:-}" ]; then flock 9; fi; }
unlock() { if [ -n "${DC_BENCH_LOCK:-}" ]; then flock -u 9; fi; }

if [ $isa = avx2 ]; then
    ours_env="OMP_NUM_THREADS=1 DNNL_MAX_CPU_ISA=AVX2"
    peer_env="OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2"
else
    ours_env="OMP_NUM_THREADS=1"
    peer_env="OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1"
fi
data="--set dataset.file=\"$train\" --set dataset.test=\"$test\""
paper_model="--set model.features=1024 --set model.filters=256 --set model.interactions=5"
paper_model="$paper_model --set model.gaussians=200 --set model.cutoff=6"

ours_cmd() { # size
    if [ "$1" = paper ]; then
        echo "$ours_env $dcsweep bench $root/bench/rmd17_accuracy.cfg --steps 30 $data $paper_model"
    else
        echo "$ours_env $dcsweep bench $root/bench/rmd17_accuracy.cfg --steps 300 $data"
    fi
}
peer_cmd() { # size
    if [ "$1" = paper ]; then
        echo "$peer_env $python $peer $train $peer_test --threads 1 --F 1024 --nf 256 --T 5 --G 200 --cutoff 6.0 --ntrain 100 --epochs 3"
    else
        echo "$peer_env $python $peer $train $peer_test --threads 1 --epochs 2"
    fi
}
# One JSON field of the last line of a run's output.
field() { # json key
    printf '%s\n' "$1" | "$python" -c 'import json, sys
print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$2"
}
load1() { cut -d' ' -f1 /proc/loadavg; }

flags=$(grep -m1 '^flags' /proc/cpuinfo)
cpu_isa=baseline
for f in avx2 avx512f; do
    case " $flags " in *" $f "*) cpu_isa=$f ;; esac
done
echo "# dcsweep vs the PyTorch peer, one thread each, rMD17 ethanol, batch 20"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), dcsweep $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, widest ISA $cpu_isa (fma: $(case " $flags " in *" fma "*) echo yes ;; *) echo no ;; esac)), run with --isa $isa"
echo "peer: $("$python" -c 'import torch; print("torch", torch.__version__)'), BLAS $blas_real"
# The instruction set oneDNN's kernels were generated for (what --isa avx2 caps), from its own log.
lock
dnnl_isa=$(eval "env ONEDNN_VERBOSE=1 $(ours_cmd default | sed 's/--steps 300/--steps 1/')" 2>&1 |
           sed -n 's/^onednn_verbose,info,cpu,isa://p' | head -n 1)
unlock
echo "ours: oneDNN ISA ${dnnl_isa:-unknown}; our own loops: the CPU's widest clone (target_clones)"
echo "ours: $(ours_cmd default)"
echo "      $(ours_cmd paper)"
# (the peer's test file is a temporary copy: name what it holds instead)
echo "peer: $(peer_cmd default | sed "s|$peer_test|<first 100 frames of $test>|")"
echo "      $(peer_cmd paper | sed "s|$peer_test|<first 100 frames of $test>|")"
echo
echo "| size | pair | ours configs/s | ours step (ms) | ours GFLOP/s (fraction of peak) | peer configs/s | peer step (ms) | ratio | load (1 min) |"
echo "|---|---|---|---|---|---|---|---|---|"

summary=""
for size in $(echo "$sizes" | tr ',' ' '); do
    case $size in default|paper) ;; *) echo "peer_compare.sh: size default or paper, got '$size'" >&2; exit 2 ;; esac
    ratios=""
    i=1
    while [ $i -le "$pairs" ]; do
        lock
        l=$(load1)
        ours=$(eval "env $(ours_cmd "$size")" 2>&1) || { echo "ours failed: $ours" >&2; exit 1; }
        peer_out=$(eval "env $(peer_cmd "$size")" 2>&1) || { echo "peer failed: $peer_out" >&2; exit 1; }
        unlock
        oc=$(field "$ours" train_configs_per_s)
        pc=$(field "$peer_out" train_configs_per_s)
        ratio=$("$python" -c "print('%.2f' % ($oc / $pc))")
        ratios="$ratios $ratio"
        echo "| $size | $i | $oc | $(field "$ours" step_ms) | $(field "$ours" gflop_per_s) ($(field "$ours" fraction_of_peak) of $(field "$ours" peak_gflop_per_s)) | $pc | $(field "$peer_out" step_ms) | ${ratio}x | $l |"
        i=$((i + 1))
    done
    summary="$summary$("$python" -c "import statistics as s, sys
r = [float(x) for x in sys.argv[2:]]
print('%s: ratio %.2fx to %.2fx, median %.2fx over %d pairs' % (sys.argv[1], min(r), max(r), s.median(r), len(r)))" "$size" $ratios)
"
done
echo
printf '%s' "$summary"

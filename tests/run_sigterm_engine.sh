#!/usr/bin/env bash
# SIGTERM and SIGINT at random moments of real training (issue 26: a stop signal handled while
# oneDNN's gemm:jit ran corrupted the heap). The real engine at the default model size and at the
# paper's (F = 1024, nf = 256, T = 5, G = 200, 6 A), on the native ISA and on AVX2
# (ONEDNN_MAX_CPU_ISA), under mpirun with 2 ranks and checkpoints every second; the signal goes to
# rank 0, rank 1, both ranks or mpirun, 0.3 to 2.5 s into training (batch assembly, the products,
# a checkpoint write, validation or a row write, wherever it lands). Every trial must end as an
# orderly interruption: the "interrupted" line, no rank killed by a signal, nothing that glibc's
# malloc checks, ASan or a segfault print, a readable file that `status` reads. Run by the suite
# with the release and the ASan build; DC_SIGTERM_TRIALS sets the trials per (size, ISA) and
# DC_SIGTERM_SEED the seed (printed).
set -euo pipefail
src=${DC_SOURCE_DIR:?}; dcsweep=${DCSWEEP:?}
tmp=$(mktemp -d); [ -n "${DC_KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT
fail() { echo "run_sigterm_engine: $*" >&2; exit 1; }
seed=${DC_SIGTERM_SEED:-$(( $(date +%s) % 100000 ))}
trials=${DC_SIGTERM_TRIALS:-2}
RANDOM=$seed
echo "run_sigterm_engine: seed $seed (DC_SIGTERM_SEED=$seed reproduces the draws), $trials trials per size and ISA"
. "$src/tests/sweep_lib.sh"

isas=(native)
grep -qw avx2 /proc/cpuinfo && isas+=(AVX2)
cfg=$src/sweeps/quickstart.cfg
common=(--set train.epochs=1000 --set train.checkpoint_seconds=1 --set 'grid.seeds=[0, 1]'
        --set 'grid.extent=["full"]' --set 'grid.rescaling=["standard"]')
default_size=(--set model.features=64 --set model.filters=64 --set model.interactions=3
              --set model.gaussians=25 --set train.batch_size=20)
paper_size=(--set model.features=1024 --set model.filters=256 --set model.interactions=5
            --set model.gaussians=200 --set model.cutoff=6.0 --set train.batch_size=20
            --set dataset.split.train=20 --set dataset.split.validation=4)
targets=(rank0 rank1 ranks mpirun)
signals=(TERM TERM INT)

n=0
for size in default paper; do
    if [ $size = default ]; then sizes=("${default_size[@]}"); else sizes=("${paper_size[@]}"); fi
    for isa in "${isas[@]}"; do
        for _ in $(seq "$trials"); do
            n=$((n + 1))
            out=$tmp/t$n.h5 target=${targets[RANDOM % 4]} sig=${signals[RANDOM % 3]}
            delay_ms=$((300 + RANDOM % 2200))
            env_isa=(); [ "$isa" = native ] || env_isa=(ONEDNN_MAX_CPU_ISA=$isa)
            env "${env_isa[@]}" mpirun -n 2 "$dcsweep" run "$cfg" -o "$out" "${common[@]}" "${sizes[@]}" \
                > "$tmp/t$n.out" 2> "$tmp/t$n.err" &
            job=$!
            # Training has started once the results file is in place (setup is over).
            for _ in $(seq 1200); do [ -f "$out" ] && break; kill -0 $job 2> /dev/null || break; sleep 0.05; done
            [ -f "$out" ] || { cat "$tmp/t$n.err" >&2; fail "trial $n: the sweep never started"; }
            sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
            r0=$(rank_pid $job 0 || true) r1=$(rank_pid $job 1 || true)
            case $target in
                rank0) pids=$r0 ;; rank1) pids=$r1 ;; ranks) pids="$r0 $r1" ;; mpirun) pids=$job ;;
            esac
            [ -n "${pids// /}" ] || fail "trial $n: no rank to signal (the sweep ended before ${delay_ms} ms?)"
            kill -$sig $pids
            status=0
            for _ in $(seq 1200); do kill -0 $job 2> /dev/null || break; sleep 0.05; done
            if kill -0 $job 2> /dev/null; then kill -KILL $job; fail "trial $n: still running 60 s after SIG$sig"; fi
            wait $job || status=$?
            what="trial $n ($size, $isa, SIG$sig to $target at ${delay_ms} ms, seed $seed)"
            if grep -Eq "corrupted|malloc\(\)|double free|free\(\)|AddressSanitizer|runtime error:|Segmentation fault|exited on signal|core dumped" "$tmp/t$n.err" "$tmp/t$n.out"; then
                cat "$tmp/t$n.err" >&2; fail "$what: a crash was reported"
            fi
            [ $status -ne 0 ] || fail "$what: exit status 0 after the signal"
            # mpirun passes SIGTERM/SIGINT on as SIGTERM and kills the ranks 1 s later (Open MPI's
            # odls_base_sigkill_timeout): a paper-size epoch may not end in time, and the runs then
            # resume from their last periodic checkpoint. Every other target ends in order.
            if ! grep -q "interrupted by SIG\|a worker was interrupted" "$tmp/t$n.err"; then
                [ $target = mpirun ] || { cat "$tmp/t$n.err" >&2; fail "$what: exit $status without the interrupted line"; }
                what="$what (ranks killed by mpirun after its grace)"
            fi
            st=$("$dcsweep" status "$out" 2>&1) && fail "$what: status says every run is done"
            grep -q "^  pending  *[1-9]" <<< "$st" || { echo "$st" >&2; fail "$what: status cannot read the file"; }
            echo "$what: exit $status, no crash, file resumable"
        done
    done
done
echo "run_sigterm_engine: $n trials, all clean"

#!/usr/bin/env bash
# Generates data/ethanol-xtb/{train,test}.xyz: ethanol (C2H6O) configurations sampled by GFN2-xTB
# molecular dynamics and labelled with GFN2-xTB single-point energies and forces.
#
#   bash data/make_ethanol_xtb.sh            # ~10-15 min on one core (see data/README.md)
#
# Needs: xtb (Debian package `xtb`, 6.5.1) and python3 (standard library only).
# Steps: write an ethanol start geometry -> xtb --opt -> per trajectory: seeded Maxwell-Boltzmann
# velocities (an xtb `mdrestart` file, so runs are reproducible) -> xtb --md (Berendsen NVT, no
# SHAKE, real H mass, 0.5 fs) -> drop the equilibration, keep one frame every DUMP_FS -> one xtb
# GFN2 single point (energy + gradient) per kept frame -> extended XYZ (eV, Angstrom, eV/Angstrom,
# forces = -gradient) -> data/check_dataset.py (format, composition, finite values, bond graph,
# net force, train/test overlap, finite-difference force sign) -> move into data/ethanol-xtb/.
# Train and test come from different trajectories (different velocity seeds).
#
# The knobs below can be overridden from the environment, e.g. for a quick smoke test:
#   PROD_PS=2 EQUIL_PS=1 N_TRAIN_TRAJ=1 N_TEST_TRAJ=1 OUT_DIR=/tmp/eth bash data/make_ethanol_xtb.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
XTB="${XTB:-xtb}"
PY="${PYTHON:-python3}"
OUT_DIR="${OUT_DIR:-$here/ethanol-xtb}"
T_INTERNAL="${T_INTERNAL:-500}"   # K, target temperature of the 21 internal degrees of freedom
T_START="${T_START:-1000}"        # K, Maxwell-Boltzmann temperature of the initial velocities
STEP_FS="${STEP_FS:-0.5}"         # MD time step (fs)
DUMP_FS="${DUMP_FS:-100}"         # sampling interval (fs): one labelled frame every DUMP_FS
EQUIL_PS="${EQUIL_PS:-5}"         # equilibration discarded at the start of every trajectory (ps)
PROD_PS="${PROD_PS:-30}"          # production time per trajectory (ps)
N_TRAIN_TRAJ="${N_TRAIN_TRAJ:-4}" # trajectories for train.xyz (seeds 1..N)
N_TEST_TRAJ="${N_TEST_TRAJ:-2}"   # trajectories for test.xyz (seeds 101..100+N)
SP_ACC="${SP_ACC:-0.01}"          # xtb --acc of the labelling single points (SCF conv. 1e-8 Eh)

export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export OMP_STACKSIZE="${OMP_STACKSIZE:-1G}"
ulimit -s unlimited 2>/dev/null || true

command -v "$XTB" >/dev/null || { echo "make_ethanol_xtb.sh: '$XTB' not found (apt-get install xtb)" >&2; exit 1; }
command -v "$PY" >/dev/null || { echo "make_ethanol_xtb.sh: '$PY' not found" >&2; exit 1; }
xtb_version="$("$XTB" --version 2>&1 | sed -n 's/.*xtb version \([0-9.]*\).*/\1/p' | head -n1)"
echo "xtb version: ${xtb_version:-unknown}"
[ "$xtb_version" = "6.5.1" ] || echo "warning: the shipped dataset was made with xtb 6.5.1" >&2

work="$(mktemp -d "${TMPDIR:-/tmp}/ethanol-xtb.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "work directory: $work"
t_begin=$(date +%s)

# xtb's Berendsen thermostat counts 3N = 27 degrees of freedom but removes translation and rotation
# every step, so the 21 internal ones settle at 27/21 of the bath temperature: set the bath lower.
T_BATH="$(awk -v t="$T_INTERNAL" 'BEGIN { printf "%.2f", t * 21.0 / 27.0 }')"
n_md_ps="$(awk -v a="$EQUIL_PS" -v b="$PROD_PS" 'BEGIN { print a + b }')"
n_skip="$(awk -v a="$EQUIL_PS" -v d="$DUMP_FS" 'BEGIN { printf "%d", a * 1000 / d + 0.5 }')"
n_keep="$(awk -v a="$PROD_PS" -v d="$DUMP_FS" 'BEGIN { printf "%d", a * 1000 / d + 0.5 }')"
echo "MD: ${n_md_ps} ps per trajectory, dt ${STEP_FS} fs, bath ${T_BATH} K (internal ${T_INTERNAL} K)," \
     "frame every ${DUMP_FS} fs, skip ${n_skip}, keep ${n_keep} per trajectory"

# ---- 1. start geometry (staggered, anti ethanol; approximate) and GFN2 optimisation -----------
mkdir -p "$work/opt"
cat > "$work/opt/ethanol.xyz" <<'EOF'
9
ethanol C2H6O (CH3-CH2-OH), approximate anti conformer
C   -1.1560    -0.2790     0.0000
C    0.0900     0.5850     0.0000
O    1.2290    -0.2690     0.0000
H   -2.0480     0.3510     0.0000
H   -1.1580    -0.9170     0.8860
H   -1.1580    -0.9170    -0.8860
H    0.0780     1.2300     0.8900
H    0.0780     1.2300    -0.8900
H    2.0260     0.2710     0.0000
EOF
( cd "$work/opt" && "$XTB" ethanol.xyz --opt tight --gfn 2 --chrg 0 --uhf 0 > opt.log 2>&1 ) \
    || { tail -n 30 "$work/opt/opt.log" >&2; exit 1; }
grep -q "GEOMETRY OPTIMIZATION CONVERGED" "$work/opt/opt.log" \
    || { echo "make_ethanol_xtb.sh: xtb optimisation did not converge" >&2; exit 1; }
grep "TOTAL ENERGY" "$work/opt/opt.log" | tail -n 1 | sed 's/^ */optimised: /'
start="$work/opt/xtbopt.xyz"

# ---- 2. MD trajectories -------------------------------------------------------------------
run_md() {   # name seed
    local name="$1" seed="$2" d="$work/md_$1"
    mkdir -p "$d"
    "$PY" "$here/xtb_to_extxyz.py" velocities --xyz "$start" --temp "$T_START" --seed "$seed" \
        --out "$d/mdrestart"
    cat > "$d/md.inp" <<EOF
\$md
   temp=${T_BATH}
   time=${n_md_ps}
   step=${STEP_FS}
   dump=${DUMP_FS}
   shake=0
   hmass=0
   nvt=true
   restart=true
   velo=false
   sccacc=2.0
\$end
EOF
    local t0; t0=$(date +%s)
    ( cd "$d" && "$XTB" "$start" --md --input md.inp --gfn 2 --chrg 0 --uhf 0 > md.log 2>&1 ) \
        || { tail -n 30 "$d/md.log" >&2; exit 1; }
    [ -f "$d/xtbmdok" ] || { echo "make_ethanol_xtb.sh: $name: xtb MD did not finish" >&2; exit 1; }
    if grep -q "MD is unstable" "$d/md.log"; then
        echo "make_ethanol_xtb.sh: $name: xtb reports an unstable MD" >&2; exit 1
    fi
    grep -q "RESTART" "$d/md.log" \
        || { echo "make_ethanol_xtb.sh: $name: xtb did not read the seeded mdrestart" >&2; exit 1; }
    echo "md $name (seed $seed): $(( $(date +%s) - t0 )) s," \
         "<T>(27 dof) = $(awk '/^ T  *:/ {printf "%.0f K", $3}' "$d/md.log")"
    "$PY" "$here/xtb_to_extxyz.py" frames --trj "$d/xtb.trj" --skip "$n_skip" --count "$n_keep" \
        --dump-fs "$DUMP_FS" --outdir "$work/frames_$3" --prefix "$name"
}

for ((i = 1; i <= N_TRAIN_TRAJ; i++)); do run_md "train$i" "$i" train; done
for ((i = 1; i <= N_TEST_TRAJ; i++)); do run_md "test$i" "$((100 + i))" test; done
t_md=$(date +%s)

# ---- 3. one GFN2 single point (energy + gradient) per frame ----------------------------------
label() {   # split
    local dir="$work/frames_$1" sp="$work/sp" n=0 f
    mkdir -p "$sp"
    for f in "$dir"/*.xyz; do
        rm -f "$sp"/gradient "$sp"/energy "$sp"/xtbrestart "$sp"/charges "$sp"/wbo "$sp"/xtbtopo.mol
        cp "$f" "$sp/frame.xyz"
        if ! ( cd "$sp" && "$XTB" frame.xyz --grad --gfn 2 --acc "$SP_ACC" --norestart \
                   --chrg 0 --uhf 0 > sp.log 2>&1 ) \
           || ! grep -q "normal termination" "$sp/sp.log" \
           || grep -q "SCC is not converged\|convergence criteria cannot be satisfied" "$sp/sp.log"; then
            echo "make_ethanol_xtb.sh: single point failed for $f" >&2
            tail -n 30 "$sp/sp.log" >&2; exit 1
        fi
        cp "$sp/gradient" "${f%.xyz}.grad"
        n=$((n + 1))
    done
    echo "labelled $n $1 frames"
    "$PY" "$here/xtb_to_extxyz.py" assemble --framedir "$dir" --out "$work/out/$1.xyz"
}
mkdir -p "$work/out"
label train
label test
t_sp=$(date +%s)

# ---- 4. checks (incl. finite-difference force sign), then install ---------------------------
"$PY" "$here/check_dataset.py" --fd-xtb "$XTB" "$work/out/train.xyz" "$work/out/test.xyz"
mkdir -p "$OUT_DIR"
mv -f "$work/out/train.xyz" "$OUT_DIR/train.xyz"
mv -f "$work/out/test.xyz" "$OUT_DIR/test.xyz"
t_end=$(date +%s)
echo "wrote $OUT_DIR/train.xyz ($(grep -c '^Properties=' "$OUT_DIR/train.xyz") frames," \
     "$(du -h "$OUT_DIR/train.xyz" | cut -f1)) and $OUT_DIR/test.xyz" \
     "($(grep -c '^Properties=' "$OUT_DIR/test.xyz") frames, $(du -h "$OUT_DIR/test.xyz" | cut -f1))"
echo "wall time: MD $((t_md - t_begin)) s, single points $((t_sp - t_md)) s," \
     "checks $((t_end - t_sp)) s, total $((t_end - t_begin)) s"

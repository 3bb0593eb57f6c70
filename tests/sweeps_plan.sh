#!/bin/sh
# The shipped sweep files: each plans to the number of runs its header comment promises
# ("... = N runs"), quickstart.cfg validates against the shipped data, and the PINN sweeps (no
# data) validate. Skips (77) while data/ethanol-xtb has not been generated (data/make_ethanol_xtb.sh).
set -u
: "${DCSWEEP:?}" "${DC_SOURCE_DIR:?}"
cd "$DC_SOURCE_DIR" || exit 1
if [ ! -f data/ethanol-xtb/train.xyz ] || [ ! -f data/ethanol-xtb/test.xyz ]; then
    echo "data/ethanol-xtb/{train,test}.xyz not generated yet: skipping"
    exit 77
fi
fail=0
n=0
for f in sweeps/*.cfg; do
    n=$((n + 1))
    want=$(sed -n 's/^#.*= \([0-9][0-9]*\) runs.*/\1/p' "$f" | head -n 1)
    got=$("$DCSWEEP" plan "$f" --format json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["total"])')
    if [ -z "$want" ] || [ "$got" != "$want" ]; then
        echo "FAIL: $f: plan gives '$got' runs, its header promises '$want'"
        fail=$((fail + 1))
    fi
done
[ "$n" -ge 9 ] || { echo "FAIL: only $n sweep files"; fail=$((fail + 1)); }
for f in sweeps/quickstart.cfg sweeps/replacement.cfg sweeps/converged.cfg \
         sweeps/pinn_quickstart.cfg sweeps/pinn_advection.cfg; do
    if ! "$DCSWEEP" validate "$f" > /dev/null; then
        echo "FAIL: dcsweep validate $f"
        fail=$((fail + 1))
    fi
done
echo "$n sweep files, $fail failures"
[ "$fail" -eq 0 ]

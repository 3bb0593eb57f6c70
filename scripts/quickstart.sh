#!/usr/bin/env bash
# The README's first command: install the packages, build, and run the default sweep
# (sweeps/quickstart.cfg, on data shipped in data/) on one MPI rank per core, then summarise the results.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${DC_BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build"
# Root can run mpirun only when told so explicitly (containers, CI machines).
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# Every core trains (rank 0 also coordinates between its steps): one rank per core.
mpirun -n "$(nproc)" --oversubscribe "$build/dcsweep" run sweeps/quickstart.cfg "$@"
"$build/dcsweep" report results/quickstart.h5

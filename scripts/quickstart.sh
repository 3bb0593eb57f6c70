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
status=0
mpirun -n "$(nproc)" --oversubscribe "$build/dcsweep" run sweeps/quickstart.cfg "$@" || status=$?
# Exit 1 with every run finished but some failed (their reasons are in the file): still reported,
# and the script exits with run's status at the end.
if [ "$status" -ne 0 ]; then
    "$build/dcsweep" status results/quickstart.h5 --format json 2>/dev/null | grep -q '"pending": 0' || exit "$status"
fi
"$build/dcsweep" report results/quickstart.h5
# The same report with the figures, as one offline HTML file (scripts/report_html.py). Debian's
# Python: install-deps.sh installs h5py and matplotlib for it, not for a pyenv or venv python3.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" scripts/report_html.py results/quickstart.h5 -o results/quickstart.html --dcsweep "$build/dcsweep" >/dev/null
echo "HTML report (tables, figures, sweep file, provenance; opens offline): $PWD/results/quickstart.html ($(( $(stat -c %s results/quickstart.html) / 1024 )) kB)"
exit "$status"

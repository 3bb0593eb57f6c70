#!/usr/bin/env bash
# Compares the numerics of two builds (issue 22's "done when"): the bench_engine step digests, the
# sweep hashes of sweeps/*.cfg and bench/*.cfg, and the trained parameters of a 2-run SchNet and a
# 2-run advection sweep, byte for byte. Prints one line per check and exits 1 on any difference.
#   scripts/numerics-compare.sh OLD_BUILD_DIR NEW_BUILD_DIR
set -uo pipefail
[[ $# -eq 2 ]] || { echo "usage: scripts/numerics-compare.sh OLD_BUILD_DIR NEW_BUILD_DIR" >&2; exit 2; }
old=$(cd "$1" && pwd) new=$(cd "$2" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
same() {  # what old-text new-text
  if [[ -z "$2" || "$2" == "run failed" ]]; then echo "FAILED    $1: nothing to compare"; fail=1
  elif [[ "$2" == "$3" ]]; then echo "same      $1: $2"; else echo "DIFFERENT $1: '$2' vs '$3'"; fail=1; fi
}

for which in default paper; do
  digest() { OMP_NUM_THREADS=1 "$1/bench/bench_engine" "" 0.05 "$which" nopeak 2>/dev/null |
             grep -o '"first_step_sha256": "[0-9a-f]*"' | tail -1; }
  same "bench_engine $which digest" "$(digest "$old")" "$(digest "$new")"
done

for f in sweeps/*.cfg bench/*.cfg; do
  hash() { "$1/dcsweep" validate "$f" 2>&1 | awk '$1 == "sha256" {print $2}'; }
  # a sweep of a family the old build does not have is new, not changed
  kind=$(sed -n 's/.*kind *= *"\([^"]*\)".*/\1/p' "$f" | head -1)
  if [[ -n "$kind" && $("$old/dcsweep" --help 2>&1) != *"$kind"* ]] ||
     [[ $("$old/dcsweep" validate "$f" 2>&1) == *'task.kind: unknown value'* ]]; then
    echo "new       sweep hash $f: $(hash "$new") (the old build has no such family)"
    continue
  fi
  same "sweep hash $f" "$(hash "$old")" "$(hash "$new")"
done

params() {  # build sweep tag -> the runs' kept parameters as text
  "$1/dcsweep" run "$2" --set 'grid.extent=["none","full"]' --set 'grid.rescaling=["power10"]' \
    --set 'grid.seeds=[0]' --set 'grid.irelu_scale=[0.5]' --set output.keep_models=true \
    --set "output.path=\"$work/$3.h5\"" ${4:+--set "$4"} >/dev/null 2>&1 || { echo "run failed"; return; }
  /usr/bin/python3 -c 'import h5py, sys, hashlib
f = h5py.File(sys.argv[1], "r")
print(hashlib.sha256(f["/models/params"][...].tobytes()).hexdigest())' "$work/$3.h5"
}
same "trained params, 2-run SchNet (quickstart)" "$(params "$old" sweeps/quickstart.cfg q_old)" \
  "$(params "$new" sweeps/quickstart.cfg q_new)"
same "trained params, 2-run advection (pinn_quickstart, 200 epochs)" \
  "$(params "$old" sweeps/pinn_quickstart.cfg p_old train.epochs=200)" \
  "$(params "$new" sweeps/pinn_quickstart.cfg p_new train.epochs=200)"
exit $fail

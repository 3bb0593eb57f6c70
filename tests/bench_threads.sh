#!/usr/bin/env bash
# `dcsweep bench` prints one JSON line with positive figures, and oneDNN really runs on the thread
# count we claim: one by default (OpenMP would otherwise take every core, since it reads
# OMP_NUM_THREADS before main), the user's OMP_NUM_THREADS when set.
set -euo pipefail
cfg="$DC_SOURCE_DIR/tests/data/run/tiny.cfg"
check() {  # check EXPECTED_THREADS JSON
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
want, line = int(sys.argv[1]), sys.argv[2]
d = json.loads(line)
bad = [k for k in ("train_configs_per_s", "step_ms", "gflop_per_s", "peak_gflop_per_s") if not d[k] > 0]
if bad: sys.exit(f"non-positive {bad}: {line}")
if d["threads"] != want: sys.exit(f"threads {d['threads']}, expected {want}: {line}")
if (d["features"], d["filters"], d["interactions"]) != (8, 8, 1): sys.exit(f"sizes: {line}")
PY
}
check 1 "$(env -u OMP_NUM_THREADS "$DCSWEEP" bench "$cfg" --steps 2)"
check 2 "$(OMP_NUM_THREADS=2 "$DCSWEEP" bench "$cfg" --steps 2)"
echo "2 passed, 0 failed"

#!/bin/sh
# `plan --format json` is a stable interface: parse it with python's json module and check the exact
# shape, the order (seed-major, extent none with a null scale once per rescaling and seed) and that
# it agrees with the table format's total line.
set -eu
: "${DCSWEEP:?}" "${DC_SOURCE_DIR:?}"
cd "$DC_SOURCE_DIR/tests/data/sweeps"
trap 'rm -f "${TMPDIR:-/tmp}/dc_plan_$$.json" "${TMPDIR:-/tmp}/dc_plan_$$.txt"' EXIT
"$DCSWEEP" plan every_key.cfg --format json --set 'grid.irelu_scale=[0.1, 1]' > "${TMPDIR:-/tmp}/dc_plan_$$.json"
"$DCSWEEP" plan every_key.cfg --set 'grid.irelu_scale=[0.1, 1]' > "${TMPDIR:-/tmp}/dc_plan_$$.txt"
/usr/bin/python3 - "${TMPDIR:-/tmp}/dc_plan_$$.json" "${TMPDIR:-/tmp}/dc_plan_$$.txt" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
table = open(sys.argv[2]).read().splitlines()
assert list(doc) == ["runs", "total"], list(doc)
runs = doc["runs"]
# every_key.cfg: extents output, none, full; rescalings standard, robust; seeds 3, 1.
assert doc["total"] == len(runs) == (2 * 2 + 1) * 2 * 2 == 20, doc["total"]
assert runs[0] == {"run": 0, "irelu_scale": 0.1, "extent": "output", "rescaling": "standard", "seed": 3}, runs[0]
assert runs[2] == {"run": 2, "irelu_scale": None, "extent": "none", "rescaling": "standard", "seed": 3}, runs[2]
assert runs[4]["irelu_scale"] == 1 and runs[4]["extent"] == "full", runs[4]
for i, r in enumerate(runs):
    assert list(r) == ["run", "irelu_scale", "extent", "rescaling", "seed"], r
    assert r["run"] == i
    assert (r["irelu_scale"] is None) == (r["extent"] == "none"), r
assert [r["seed"] for r in runs] == [3] * 10 + [1] * 10
keys = [(r["irelu_scale"], r["extent"], r["rescaling"], r["seed"]) for r in runs]
assert len(set(keys)) == len(keys), "duplicate runs"
# The table: a header, one row per run with "-" for n/a, then the total line.
assert table[0].split() == ["run", "irelu_scale", "extent", "rescaling", "seed"], table[0]
assert len(table) == 2 + len(runs), len(table)
assert table[3].split() == ["2", "-", "none", "standard", "3"], table[3]
assert table[-1] == "20 runs: 2 scales x 3 extents x 2 rescalings x 2 seeds (extent none once per rescaling and seed)", table[-1]
print("plan json: %d runs ok" % len(runs))
PY

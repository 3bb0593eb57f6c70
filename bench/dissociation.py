#!/usr/bin/python3
"""The kept models of results files on rMD17 ethanol's H-removal curve (test_H_removal.xyz: the
hydroxyl H pulled from 0.675 to 6.575 Angstrom, DFT energies, no forces), through `dcsweep predict`.

Prints per done run: the energy MAE over the curve, over the compressed frames (O-H below 1.2),
over the dissociated frames (O-H beyond --far, the H outside the cutoff), and the dissociation
energy D = mean E(dissociated) - E(DFT's minimum frame) against DFT's. A model whose lone atoms
are not at their E0 (dataset.isolated_atoms = "shifted") cannot get D right: bench/README.md,
"Exact isolated atoms".

    /usr/bin/python3 bench/dissociation.py RESULTS.h5 [RESULTS.h5 ...] [--data FILE] [--far 5.0]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "rmd17-ethanol", "test_H_removal.xyz")


def comment_values(path, key):
    """Each frame's value of KEY= on its comment line (extended XYZ)."""
    out, lines = [], open(path).read().splitlines()
    i = 0
    while i < len(lines) and lines[i].strip():
        n = int(lines[i])
        m = re.search(r"(?:^|\s)" + key + r"=(\S+)", lines[i + 1])
        out.append(float(m.group(1)) if m else float("nan"))
        i += n + 2
    return np.array(out)


def runs_done(path):
    with h5py.File(path, "r") as f:
        runs = f["runs"][:]
    return [(int(r["run"]), int(r["seed"])) for r in runs if r["status"] == b"done"]


def predict(dcsweep, results, run, data, tmp):
    out = os.path.join(tmp, f"{os.path.basename(results)}.{run}.xyz")
    p = subprocess.run([dcsweep, "predict", results, "--run", str(run), data, "-o", out, "--format", "json"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"dissociation: {results} run {run}: {p.stderr.strip().splitlines()[-1]}")
    return comment_values(out, "energy")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--data", default=DATA, help="the curve (default ../shared's test_H_removal.xyz)")
    ap.add_argument("--far", type=float, default=5.0, help="O-H beyond which the H is dissociated")
    ap.add_argument("--dcsweep", default=os.environ.get("DCSWEEP", os.path.join(ROOT, "build", "dcsweep")))
    a = ap.parse_args()
    ref, oh = comment_values(a.data, "energy"), comment_values(a.data, "OH_dist")
    if not np.all(np.isfinite(ref)) or not np.all(np.isfinite(oh)):
        sys.exit(f"dissociation: {a.data}: every frame needs energy= and OH_dist=")
    far, near, i0 = oh > a.far, oh < 1.2, int(np.argmin(ref))
    d_ref = ref[far].mean() - ref[i0]
    print(f"{a.data}: {len(ref)} frames, O-H {oh.min():g}..{oh.max():g}; {far.sum()} beyond {a.far:g}; "
          f"DFT dissociation energy {d_ref:.3f} eV (minimum at O-H {oh[i0]:g})")
    print("| results | run | seed | E MAE all (eV) | O-H < 1.2 | O-H > %g | D model (eV) | D - DFT |" % a.far)
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for path in a.results:
            for run, seed in runs_done(path):
                e = predict(a.dcsweep, path, run, a.data, tmp)
                if len(e) != len(ref):
                    sys.exit(f"dissociation: {path} run {run}: {len(e)} predictions for {len(ref)} frames")
                err = np.abs(e - ref)
                d = e[far].mean() - e[i0]
                print(f"| {os.path.basename(path)} | {run} | {seed} | {err.mean():.3f} | {err[near].mean():.3f} | "
                      f"{err[far].mean():.3f} | {d:.3f} | {d - d_ref:+.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

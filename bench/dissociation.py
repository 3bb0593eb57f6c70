#!/usr/bin/python3
"""The kept models of results files on rMD17 ethanol's H-removal curve (test_H_removal.xyz: the
hydroxyl H pulled from 0.675 to 6.575 Angstrom, DFT energies, no forces), through `dcsweep predict`.

Prints per done run: the energy MAE over the curve, over the compressed frames (O-H below --near,
0.9: shorter than any pair in rMD17's training frames), over the dissociated frames (an atom with
no other within --cutoff, 5: the H alone), and the dissociation energy D = mean E(dissociated) -
E(DFT's minimum frame) against DFT's. A model whose lone atoms
are not at their E0 (dataset.isolated_atoms = "shifted") cannot get D right: bench/README.md,
"Exact isolated atoms".

    /usr/bin/python3 bench/dissociation.py RESULTS.h5 [RESULTS.h5 ...] [--data FILE] [--near 0.9]
        [--cutoff 5.0]
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


def lone_atom(path, cutoff):
    """Per frame: whether some atom has no other within cutoff (positions in columns 2-4)."""
    out, lines = [], open(path).read().splitlines()
    i = 0
    while i < len(lines) and lines[i].strip():
        n = int(lines[i])
        pos = np.array([[float(x) for x in ln.split()[1:4]] for ln in lines[i + 2:i + 2 + n]])
        d = np.linalg.norm(pos[:, None, :] - pos[None, :, :], axis=-1) + np.eye(n) * 1e9
        out.append(bool((d.min(axis=1) > cutoff).any()))
        i += n + 2
    return np.array(out)


def runs_done(path):
    with h5py.File(path, "r") as f:
        runs = f["runs"][:]
    return [(int(r["run"]), int(r["seed"])) for r in runs if r["status"] == b"done"]


def predict(dcsweep, results, run, data, tmp):
    out = os.path.join(tmp, f"{os.path.basename(results)}.{run}.xyz")
    p = subprocess.run([dcsweep, "predict", results, "--run", str(run), data, "-o", out],
                       capture_output=True, text=True)
    if p.returncode != 0:
        why = (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1]
        sys.exit(f"dissociation: {results} run {run}: {why}")
    return comment_values(out, "energy")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--data", default=DATA, help="the curve (default ../shared's test_H_removal.xyz)")
    ap.add_argument("--near", type=float, default=0.9, help="O-H below which a frame is compressed")
    ap.add_argument("--cutoff", type=float, default=5.0, help="the model's cutoff: a lone atom is dissociated")
    ap.add_argument("--dcsweep", default=os.environ.get("DCSWEEP", os.path.join(ROOT, "build", "dcsweep")))
    a = ap.parse_args()
    ref, oh = comment_values(a.data, "energy"), comment_values(a.data, "OH_dist")
    if not np.all(np.isfinite(ref)) or not np.all(np.isfinite(oh)):
        sys.exit(f"dissociation: {a.data}: every frame needs energy= and OH_dist=")
    far, near, i0 = lone_atom(a.data, a.cutoff), oh < a.near, int(np.argmin(ref))
    if not far.any() or not near.any():
        sys.exit(f"dissociation: {a.data}: no frame with a lone atom, or none with O-H below {a.near:g}")
    d_ref = ref[far].mean() - ref[i0]
    print(f"{a.data}: {len(ref)} frames, O-H {oh.min():g}..{oh.max():g}; {near.sum()} below {a.near:g}; "
          f"{far.sum()} with an atom alone (none within {a.cutoff:g}, O-H from {oh[far].min():g}); "
          f"DFT dissociation energy {d_ref:.3f} eV (minimum at O-H {oh[i0]:g})")
    print(f"| results | run | seed | E MAE all (eV) | O-H < {a.near:g} | dissociated | D model (eV) | D - DFT |")
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

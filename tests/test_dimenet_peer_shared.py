#!/usr/bin/python3
"""A kept DimeNet++ model loads by name into the PyTorch peer (../shared/peer/ref_dimenet.py, whose
state_dict is PyG's DimeNetPlusPlus's, names and shapes) and gives the energies and forces that
`dcsweep predict` gives (issue 23, item 3). Every tensor of /models/layout must be a key of the
peer's state_dict with the same number of values, and every key must be in the file
(load_state_dict strict). Needs ../shared and python3-torch: skipped (77) without them."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

SOURCE = os.environ["DC_SOURCE_DIR"]
DCSWEEP = os.environ["DCSWEEP"]
SHARED = os.environ.get("DC_SHARED_DIR", os.path.join(SOURCE, "..", "shared"))
PEER = os.path.join(SHARED, "peer")
failures = []


def check(cond, what):
    print("ok:" if cond else "FAIL:", what)
    if not cond:
        failures.append(what)


def main():
    if not os.path.exists(os.path.join(PEER, "ref_dimenet.py")):
        print("SKIPPED: no %s/ref_dimenet.py" % PEER)
        return 77
    try:
        import torch
    except ImportError:
        print("SKIPPED: no python3-torch")
        return 77
    sys.path.insert(0, PEER)
    import ref_dimenet as peer

    cfg = os.path.join(SOURCE, "tests", "data", "run", "dimenet_tiny.cfg")
    xyz = os.path.join(SOURCE, "tests", "data", "sweeps", "water12.xyz")
    with tempfile.TemporaryDirectory() as tmp:
        h5 = os.path.join(tmp, "r.h5")
        r = subprocess.run([DCSWEEP, "run", cfg, "-o", h5, "--set", "train.epochs=3"], capture_output=True, text=True)
        check(r.returncode == 0, "run exits 0 (%s)" % r.stderr.strip()[-200:])
        with h5py.File(h5, "r") as f:
            runs = f["runs"][()]
            layout = f["models/layout"][()]
            params = f["models/params"][()]
            attrs = dict(f["models"].attrs)
            rescaling = {m["method"].split(b"\0")[0].decode(): (m["shift"], m["scale"]) for m in f["rescaling"][()]}
        names = [row["name"].split(b"\0")[0].decode() for row in layout]
        hp = {k: int(attrs[k]) for k in ("hidden", "out_emb", "int_emb", "basis_emb", "num_spherical", "num_radial",
                                          "envelope_exponent", "blocks", "before_skip", "after_skip", "output_layers")}
        model = peer.DimeNetPP(hidden=hp["hidden"], out_emb=hp["out_emb"], int_emb=hp["int_emb"],
                               basis_emb=hp["basis_emb"], num_spherical=hp["num_spherical"],
                               num_radial=hp["num_radial"], cutoff=float(attrs["cutoff"]),
                               envelope_exponent=hp["envelope_exponent"], num_blocks=hp["blocks"],
                               num_before_skip=hp["before_skip"], num_after_skip=hp["after_skip"],
                               num_output_layers=hp["output_layers"])
        want = model.state_dict()
        check(names == list(want.keys()), "/models/layout names every tensor by the peer's (PyG's) state_dict key, "
              "in its order (%d tensors)" % len(names))
        frames = peer.read_extxyz(xyz)
        done = [k for k in range(len(runs)) if runs["status"][k] == b"done"]
        check(len(done) > 0, "some run is done")
        for k in done:
            extent = runs["extent"][k].split(b"\0")[0].decode()
            method = runs["rescaling"][k].split(b"\0")[0].decode()
            c = float(runs["irelu_scale"][k])
            state = {}
            for row, name in zip(layout, names):
                n = int(row["rows"]) * int(row["cols"])
                vals = params[k, int(row["offset"]):int(row["offset"]) + n].astype(np.float64)
                state[name] = torch.tensor(vals).reshape(want[name].shape)
            model.load_state_dict(state, strict=True)
            model.set_activation(extent, c if extent != "none" else 0.5)
            bt = peer.build_batch(frames, list(range(len(frames))), float(attrs["cutoff"]), torch.float64)
            E, F = peer.energy_forces(model, bt, create_graph=False)
            shift, scale = rescaling[method]
            E = E.detach().numpy() * scale + shift
            F = F.detach().numpy() * scale
            out = os.path.join(tmp, "pred%d.xyz" % k)
            p = subprocess.run([DCSWEEP, "predict", h5, "--run", str(k), xyz, "-o", out], capture_output=True, text=True)
            check(p.returncode == 0, "predict run %d exits 0 (%s)" % (k, p.stderr.strip()[-200:]))
            pred = peer.read_extxyz(out)
            pe = np.array([fr[3] for fr in pred])
            pf = np.concatenate([fr[2] for fr in pred])
            # float32 engine against the peer's float64 on the same weights: the spec's float32 level
            de = np.abs(pe - E).max() / np.abs(E).max()
            df = np.abs(pf - F).max() / max(np.abs(F).max(), 1e-12)
            check(de < 1e-5 and df < 1e-4, "run %d (%s, c %g, %s): predict vs the peer: energies %.1e, forces %.1e "
                  "(relative to their size)" % (k, extent, c, method, de, df))
    if failures:
        print("%d failed" % len(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

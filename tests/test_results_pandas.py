#!/usr/bin/python3
"""A results file as a user reads it: pandas over h5py (Debian's python3-h5py, python3-pandas).

Runs the tiny real sweep alone (`dcsweep run`), then checks the documented layout
(docs/results-format.md): the /runs table as a DataFrame, the curves, the root attributes and the
rescaling table."""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import pandas as pd
except ImportError as e:  # not installed: skip, as meson expects
    print(f"skipping: {e}")
    sys.exit(77)

src, exe = os.environ["DC_SOURCE_DIR"], os.environ["DCSWEEP"]
sweep = os.path.join(src, "tests", "data", "run", "tiny.cfg")

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "tiny.h5")
    subprocess.run([exe, "run", sweep, "-o", path], check=True, stdout=subprocess.DEVNULL)

    with h5py.File(path, "r") as f:
        df = pd.DataFrame(f["runs"][()])
        # Fixed-length strings arrive as bytes: decode them once.
        for col in ["extent", "rescaling", "status", "error", "host", "stop_reason"]:
            df[col] = df[col].str.decode("ascii")
        expected = ["run", "irelu_scale", "extent", "rescaling", "status", "seed", "error", "rank",
                    "host", "wall_seconds", "finished", "epochs_completed", "diverged_epoch", "best_epoch",
                    "stop_reason", "final_lr"] + [
            f"{s}_{m}" for s in ("val", "test")
            for m in ("energy_mae", "energy_rmse", "force_mae", "force_rmse", "efwt")]
        assert list(df.columns) == expected, list(df.columns)
        assert len(df) == 20 and list(df["run"]) == list(range(20))
        assert (df["status"] == "done").all(), df["status"]
        assert df["irelu_scale"].isna().sum() == 4            # extent none: 2 rescalings x 2 seeds
        assert (df[df["extent"] == "none"]["irelu_scale"].isna()).all()
        assert set(df["irelu_scale"].dropna()) == {0.5, 1.0}
        assert set(df["rescaling"]) == {"power10", "standard"} and set(df["seed"]) == {0, 1}
        assert df["seed"].dtype == np.int64 and df["run"].dtype == np.int32
        assert (df["rank"] == 0).all() and (df["host"] != "").all()
        assert np.isfinite(df.filter(regex="^(val|test)_").to_numpy()).all()
        # A user's first question: mean test force MAE by extent and rescaling.
        table = df.groupby(["rescaling", "extent"])["test_force_mae"].mean()
        assert table.shape == (6,), table

        epochs = int(f.attrs["epochs"])
        assert epochs == 2 and int(f.attrs["n_runs"]) == 20
        names = sorted(f["curves"])
        order = ["train_energy_loss", "train_force_loss", "val_loss", "val_energy_mae",
                 "val_force_mae", "lr", "monitor", "epoch_seconds"]
        assert names == sorted(order), names
        assert f.attrs["curve_names"].splitlines() == order, f.attrs["curve_names"]
        assert f.attrs["model_kind"] == "schnet"
        # Every metric column of /runs, with its unit, in /metrics.
        m = pd.DataFrame(f["metrics"][()])
        m["name"] = m["name"].str.decode("ascii")
        m["unit"] = m["unit"].str.decode("ascii")
        assert list(m["name"]) == expected[16:], list(m["name"])
        assert list(m["unit"][:5]) == ["eV", "eV", "eV/Angstrom", "eV/Angstrom", ""], list(m["unit"])
        assert list(m["higher_is_better"]) == [0, 0, 0, 0, 1] * 2
        for name in names:
            c = f["curves"][name][()]
            assert c.shape == (20, epochs) and c.dtype == np.float64 and np.isfinite(c).all(), name
        # The last epoch's validation force MAE is the run's final validation metric.
        assert np.allclose(f["curves/val_force_mae"][:, -1], df["val_force_mae"], rtol=1e-6)

        a = f.attrs
        assert int(a["format_version"]) == 2
        assert re.fullmatch(r"[0-9a-f]{64}", a["sweep_sha256"]), a["sweep_sha256"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a["created"]), a["created"]
        assert a["energy_unit"] == "eV" and a["length_unit"] == "Angstrom"
        assert a["sweep_name"] == "tiny" and a["dcsweep_version"]
        with open(sweep) as cfg:
            assert a["sweep_text"] == cfg.read()
        lines = a["dataset_sha256"].splitlines()
        assert len(lines) == 1, lines
        digest, data_path = lines[0].split("  ", 1)
        with open(data_path, "rb") as data:
            assert digest == hashlib.sha256(data.read()).hexdigest()

        rs = pd.DataFrame(f["rescaling"][()])
        rs["method"] = rs["method"].str.decode("ascii")
        assert list(rs["method"]) == ["none", "power10", "minmax", "standard", "robust"]
        assert rs.loc[0, "shift"] == 0 and rs.loc[0, "scale"] == 1
        assert rs.loc[1, "scale"] > 0 and np.isfinite(rs[["shift", "scale"]].to_numpy()).all()
print("results_pandas: ok")

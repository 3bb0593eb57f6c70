#!/usr/bin/python3
"""Checks on dcsweep results files for the `run` tests, reading them as a user would (h5py).

  results_check.py complete FILE [--ranks 1,2]   every row done, finite metrics, rank/host set,
                                                 curves filled up to `epochs`
  results_check.py same A B                      bitwise identical results (metrics, statuses,
                                                 curves except the timing curve)
  results_check.py rows FILE STATUS...           indices of the rows with one of these statuses
  results_check.py unchanged A B I,J,...         rows I, J, ... of B identical to A, all columns
                                                 (proves they were not trained again)
Exits 1 with a message on the first failed check.
"""
import sys

import h5py
import numpy as np

# A SchNet file's metric columns; a file names its own in /metrics (an advection PINN's: u_nrmse, ...).
SCHNET_METRICS = [f"{s}_{m}" for s in ("val", "test")
                  for m in ("energy_mae", "energy_rmse", "force_mae", "force_rmse", "efwt")]


def metric_names(f):
    if "metrics" not in f:
        return SCHNET_METRICS
    return [n.split(b"\0", 1)[0].decode() for n in f["metrics"]["name"]]


def fail(msg):
    print(f"results_check: {msg}", file=sys.stderr)
    sys.exit(1)


def complete(path, ranks=None):
    with h5py.File(path, "r") as f:
        runs = f["runs"][()]
        n, epochs = int(f.attrs["n_runs"]), int(f.attrs["epochs"])
        if len(runs) != n:
            fail(f"{path}: {len(runs)} rows, n_runs = {n}")
        for i, row in enumerate(runs):
            if row["run"] != i:
                fail(f"{path}: row {i} has run {row['run']}")
            if row["status"] != b"done":
                fail(f"{path}: run {i} status {row['status']!r} ({row['error']!r})")
            for m in metric_names(f):
                if not np.isfinite(row[m]):
                    fail(f"{path}: run {i} {m} = {row[m]}")
            if ranks is not None and row["rank"] not in ranks:
                fail(f"{path}: run {i} on rank {row['rank']}, expected one of {ranks}")
            if row["rank"] < 0 or not row["host"]:
                fail(f"{path}: run {i} has no rank/host")
            if not (row["wall_seconds"] >= 0 and row["finished"] > 0):
                fail(f"{path}: run {i} wall_seconds {row['wall_seconds']} finished {row['finished']}")
            stopped = row["stop_reason"] in (b"early_stopping", b"min_lr")
            if row["epochs_completed"] != epochs and not stopped:
                fail(f"{path}: run {i} completed {row['epochs_completed']} of {epochs} epochs")
        for name, curve in f["curves"].items():
            if curve.shape != (n, epochs):
                fail(f"{path}: curves/{name} shape {curve.shape}")
            c = curve[()]
            for i, row in enumerate(runs):
                e = int(row["epochs_completed"])
                # validation values exist only in evaluated epochs (train.eval_every), always the last
                reached = c[i, :e] if not name.startswith(("val_", "monitor")) else c[i, e - 1:e]
                if not np.all(np.isfinite(reached)):
                    fail(f"{path}: curves/{name} has NaN in done run {i}")
    print(f"{path}: {n} runs done, complete")


def same(a, b):
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        ra, rb = fa["runs"][()], fb["runs"][()]
        if len(ra) != len(rb):
            fail(f"{a} has {len(ra)} runs, {b} {len(rb)}")
        if metric_names(fa) != metric_names(fb):
            fail(f"{a} and {b} have different metric columns")
        for col in ["run", "irelu_scale", "extent", "rescaling", "status", "seed", "error",
                    "epochs_completed", "diverged_epoch"] + metric_names(fa):
            # Bitwise: compare the bytes, so NaN == NaN and -0.0 != 0.0.
            if ra[col].tobytes() != rb[col].tobytes():
                bad = [i for i in range(len(ra)) if ra[col][i:i + 1].tobytes() != rb[col][i:i + 1].tobytes()]
                fail(f"column {col} differs between {a} and {b} in runs {bad[:10]}: "
                     f"{ra[col][bad[0]]!r} vs {rb[col][bad[0]]!r}")
        for name in fa["curves"]:
            if name == "epoch_seconds":
                continue
            if fa["curves"][name][()].tobytes() != fb["curves"][name][()].tobytes():
                fail(f"curves/{name} differs between {a} and {b}")
    print(f"{a} and {b}: bitwise identical results")


def rows(path, statuses):
    with h5py.File(path, "r") as f:
        runs = f["runs"][()]
    want = {s.encode() for s in statuses}
    print(" ".join(str(i) for i, r in enumerate(runs) if r["status"] in want))


def unchanged(a, b, idx):
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        ra, rb = fa["runs"][()], fb["runs"][()]
        for i in idx:
            if ra[i].tobytes() != rb[i].tobytes():
                fail(f"row {i} changed between {a} and {b}: {ra[i]} vs {rb[i]}")
    print(f"{len(idx)} rows unchanged")


def main(argv):
    if len(argv) < 3:
        fail(__doc__)
    cmd = argv[1]
    if cmd == "complete":
        ranks = None
        if len(argv) > 4 and argv[3] == "--ranks":
            ranks = {int(x) for x in argv[4].split(",")}
        complete(argv[2], ranks)
    elif cmd == "same":
        same(argv[2], argv[3])
    elif cmd == "rows":
        rows(argv[2], argv[3:])
    elif cmd == "unchanged":
        unchanged(argv[2], argv[3], [int(x) for x in argv[4].split(",") if x] if len(argv) > 4 else [])
    else:
        fail(f"unknown check {cmd}")


if __name__ == "__main__":
    main(sys.argv)

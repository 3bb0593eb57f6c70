#!/usr/bin/python3
"""The task field of a PINN results file (/task/reference_u, docs/results-format.md) and the numpy
forward pass of scripts/plot_sweep.py that u_vs_reference.png draws:

    task_field_check.py RESULTS.h5 [SAME.h5 ...]

- /task holds reference_u [20][1024] float64 and its axes, x_i = (i + 0.5) / 1024 and 20 times;
- every SAME.h5 (other rank counts, a merge) holds it bitwise;
- for every done run, plot_sweep.KeptMLP's u on that grid gives the file's u_rmse and u_max_err
  (dcsweep's float32 engine) to 1e-5 relative, and a wrong forward pass (tanh in every layer of an
  IReLU run) does not."""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.environ["DC_SOURCE_DIR"], "scripts"))
try:
    import plot_sweep  # noqa: E402
except ImportError as e:  # no matplotlib: the figure is not drawn either
    plot_sweep = None
    print(f"task field: no forward-pass check ({e})")


def main(path, *same):
    with h5py.File(path, "r") as f:
        assert sorted(f["task"]) == ["reference_u", "t", "x"], list(f["task"])
        ref = f["task/reference_u"]
        assert ref.shape == (20, 1024) and ref.dtype == np.float64, (ref.shape, ref.dtype)
        assert np.array_equal(f["task/x"][()], (np.arange(1024) + 0.5) / 1024)
        assert f["task/t"].shape == (20,) and np.all(np.diff(f["task/t"][()]) > 0)
        for other in same:
            with h5py.File(other, "r") as g:
                for k in ("reference_u", "x", "t"):
                    assert g["task"][k][()].tobytes() == f["task"][k][()].tobytes(), (other, k)
    if plot_sweep is None:
        return
    sweep = plot_sweep.Sweep(path)
    u_ref, x, t, mlp = plot_sweep.reference_field(path)
    worst = 0.0
    for run in np.flatnonzero(sweep.done):
        c = 0.0 if np.isnan(sweep.c[run]) else float(sweep.c[run])
        u = mlp.field(run, sweep.extent[run], c, sweep.rescaling[run], x, t)
        for name, got in (("u_rmse", np.sqrt(np.mean((u - u_ref) ** 2))), ("u_max_err", np.abs(u - u_ref).max())):
            want = sweep.metrics[name][run]
            rel = abs(got - want) / want
            assert rel < 1e-5, (run, name, got, want)
            worst = max(worst, rel)
    irelu = int(np.flatnonzero(sweep.done & (sweep.extent == "full"))[0])
    u = mlp.field(irelu, "none", 0.0, sweep.rescaling[irelu], x, t)
    assert abs(np.sqrt(np.mean((u - u_ref) ** 2)) / sweep.metrics["u_rmse"][irelu] - 1) > 1e-3, \
        "tanh in place of IReLU gives the same u_rmse: the check cannot fail"
    print(f"task field: /task/reference_u (20, 1024) in {', '.join((path,) + same)}; the numpy forward "
          f"of {int(sweep.done.sum())} kept models gives u_rmse and u_max_err within {worst:.1e} of /runs")


if __name__ == "__main__":
    main(*sys.argv[1:])

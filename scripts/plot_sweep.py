#!/usr/bin/env python3
"""Paper figures from a dcsweep results file, of any model family.

    python3 scripts/plot_sweep.py RESULTS.h5 OUTDIR [--curves "extent=full,c=0.5"] [--top 3]
                                  [--test TEST.xyz] [--dcsweep PATH]

The metrics, their units and which way is better come from the file (/metrics, curve_names), so
a SchNet file and an advection-PINN file get the same figures of their own metrics. Writes PNGs
(3.5 in wide, 8 pt text, 200 dpi: one journal column) into OUTDIR:

  <metric>_vs_c_<rescaling>.png  each headline metric (SchNet: test_force_mae, test_energy_mae;
                                 PINN: u_nrmse, ux_nrmse) vs IReLU scale c, one line per extent
                                 (output, full), error bars = sd over seeds; extent none of the
                                 same rescaling as a horizontal band (mean +- sd)
  bars_by_rescaling.png          the headline metrics per rescaling method, one bar per extent
                                 (at its best c, written in the bar)
  curves_val_force_mae.png       SchNet: validation force MAE per epoch (the validation curve of
                                 the report's default metric), mean over seeds with a +-sd band
  curves_loss.png                PINN (no validation curve of its metric): the training loss terms
                                 per step, mean over seeds with a min-max band
                                 for the --curves configurations (default: the baseline and the
                                 best --top by the default metric: test_force_mae, u_nrmse)
  u_vs_reference.png             a file with a reference field (/task/reference_u: diffusion-
                                 sorption) and kept models: u(x, t) at the first and the last
                                 evaluation frame of the best run by the default metric and of the
                                 baseline's best run, against the reference. u is the kept MLP
                                 evaluated in numpy (docs/pinn.md); its u_rmse over all frames must
                                 match the file's (1e-4 relative), else the figure is not drawn
  curves_per_config_<curve>.png  SchNet, DimeNet++: the validation curve of every configuration, one
                                 panel each (7 in wide): each seed thin, the mean with a +-sd band
  parity.png, force_error_cdf.png, errors_mace.csv, errors_mace.md
                                 a potential's file with kept models: parity (energy, force
                                 components) and the CDF of the force errors on the test split for
                                 the best run and the baseline, and the errors in MACE's units per
                                 split (scripts/plot_mlip.py; needs dcsweep: --dcsweep, $DCSWEEP or
                                 build/dcsweep). A PINN's file has none (stderr says so)

Every y axis whose values span a decade is logarithmic.

Only runs with status done are used (a partial file plots what has finished). Needs Python 3 with
h5py, numpy and matplotlib (Debian: python3-h5py python3-numpy python3-matplotlib).
"""
import argparse
import math
import os
import shutil
import sys

import h5py
import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

EXTENT_ORDER = ("none", "output", "full")
RESCALING_ORDER = ("none", "power10", "minmax", "standard", "robust")
EXTENT_STYLE = {"none": ("0.35", "s"), "output": ("tab:blue", "o"), "full": ("tab:red", "^")}
WIDTH_IN = 3.5
DPI = 200  # scripts/report_html.py inlines them at a lower one


def text(b):
    """Fixed-length null-padded HDF5 strings come back from h5py as bytes: up to the first NUL."""
    if isinstance(b, bytes):
        return b.split(b"\0", 1)[0].decode()
    return str(b)


def attr_text(f, name, default):
    v = f.attrs.get(name, default)
    return text(v) if isinstance(v, bytes) else str(v)


class Sweep:
    """The done runs of a results file, grouped by configuration (c, extent, rescaling)."""

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            runs = f["runs"][...]
            desc = f["metrics"][...]
            curve_names = attr_text(f, "curve_names", "").split()
            # a family with batches dumps train.batch_size in the hashed sweep; a full-batch one's
            # epoch is one step
            self.full_batch = "train.batch_size = " not in attr_text(f, "sweep_effective", "")
            self.energy_unit = attr_text(f, "energy_unit", "eV")
            self.length_unit = attr_text(f, "length_unit", "Angstrom")
            self.name = attr_text(f, "sweep_name", os.path.basename(path))
            self.metric_names = [text(d["name"]) for d in desc]
            self.desc = {text(d["name"]): {"unit": text(d["unit"]), "higher": bool(d["higher_is_better"]),
                                           "fraction": bool(d["fraction"]), "headline": int(d["headline"])}
                         for d in desc}
            self.default = default_metric(self.metric_names, self.desc)
            # The learning curves of the report's default metric (SchNet: val_force_mae), else the
            # training loss terms (the PINN has no validation curve of its metrics).
            val = "val_" + self.default.split("_", 1)[1] if "_" in self.default else ""
            if val in curve_names:
                self.curve_kind, wanted = "val", [val]
            else:
                self.curve_kind = "loss"
                wanted = [c for c in curve_names if c.startswith("train_") and c.endswith("_loss")]
            self.curves = {c: f["curves"][c][...] for c in wanted}
        self.status = np.array([text(s) for s in runs["status"]])
        self.extent = np.array([text(s) for s in runs["extent"]])
        self.rescaling = np.array([text(s) for s in runs["rescaling"]])
        self.c = np.array(runs["irelu_scale"], dtype=float)
        self.c[self.extent == "none"] = np.nan
        self.metrics = {m: np.array(runs[m], dtype=float) for m in self.metric_names}
        self.seed = np.array(runs["seed"], dtype=np.int64)
        self.done = self.status == "done"
        self.n_runs = len(runs)

    def headline(self):
        """The metrics the figures show: the file's headline ones (or its first two)."""
        return [m for m in self.metric_names if self.desc[m]["headline"]] or self.metric_names[:2]

    def configs(self):
        """(c or None, extent, rescaling) present in the file, in a stable, readable order."""
        keys = set()
        for c, e, r in zip(self.c, self.extent, self.rescaling):
            keys.add((None if math.isnan(c) else float(c), e, r))
        return sorted(keys, key=lambda k: (rank(RESCALING_ORDER, k[2]), rank(EXTENT_ORDER, k[1]),
                                           -1 if k[0] is None else k[0]))

    def key(self, run):
        """The configuration (c or None, extent, rescaling) of a run (its row)."""
        c = self.c[run]
        return (None if math.isnan(c) else float(c), self.extent[run], self.rescaling[run])

    def mask(self, key):
        c, e, r = key
        m = self.done & (self.extent == e) & (self.rescaling == r)
        return m & (np.isnan(self.c) if c is None else self.c == c)

    def stats(self, key, metric):
        """(mean, sd, n) of a metric over the done seeds of a configuration."""
        v = self.metrics[metric][self.mask(key)]
        v = v[np.isfinite(v)]
        if len(v) == 0:
            return math.nan, math.nan, 0
        return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0, len(v)


def rank(order, name):
    return order.index(name) if name in order else len(order)


def label(key):
    c, e, r = key
    return f"{e}, {r}" if c is None else f"{e} c={c:g}, {r}"


def style():
    plt.rcParams.update({
        "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
        "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.0, "lines.markersize": 4,
        "errorbar.capsize": 2, "savefig.dpi": 200, "figure.dpi": 100, "axes.grid": True,
        "grid.linewidth": 0.4, "grid.alpha": 0.5, "legend.frameon": False, "axes.axisbelow": True,
    })


def baseline_key(sweep, rescaling=None):
    """Extent none with the given rescaling, else none with power10, else none with the first
    rescaling present; None when the grid has no extent none."""
    nones = [k for k in sweep.configs() if k[1] == "none"]
    for want in (rescaling, "power10"):
        for k in nones:
            if k[2] == want:
                return k
    return nones[0] if nones else None


def default_metric(names, desc):
    """As `dcsweep report`: the metric the family marked (headline 2, DC_HEADLINE_DEFAULT); in an
    older file test_force_mae when it has it, else the first headline metric."""
    marked = [m for m in names if desc[m]["headline"] == 2]
    if marked:
        return marked[0]
    if "test_force_mae" in names:
        return "test_force_mae"
    return next((m for m in names if desc[m]["headline"]), names[0])


def unit_of(sweep, metric):
    return "%" if sweep.desc[metric]["fraction"] else sweep.desc[metric]["unit"]


def with_unit(words, unit):
    return f"{words} ({unit})" if unit else words


# Readable names of the metrics the figures know; any other is shown by its column name.
SPLIT_WORDS = {"energy_mae": "energy MAE", "force_mae": "force MAE", "energy_rmse": "energy RMSE",
               "force_rmse": "force RMSE", "efwt": "EFwT"}
PINN_WORDS = {"u_nrmse": "u nRMSE", "ux_nrmse": "u_x nRMSE", "u_rmse": "u RMSE",
              "u_max_err": "max |u - u*|", "residual_rms": "residual RMS"}


def pretty(metric):
    split, _, rest = metric.partition("_")
    if split in ("val", "test") and rest in SPLIT_WORDS:
        return f"{'Test' if split == 'test' else 'Validation'} {SPLIT_WORDS[rest]}"
    return PINN_WORDS.get(metric, metric)


def better(sweep, metric, candidates):
    """The candidate (mean, ...) with the best mean for this metric's direction."""
    pick = max if sweep.desc[metric]["higher"] else min
    return pick(candidates, key=lambda t: t[0])


def save(fig, outdir, name, written):
    path = os.path.join(outdir, name)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    written.append(path)


def plot_vs_c(sweep, metric, outdir, written):
    configs = sweep.configs()
    for resc in sorted({k[2] for k in configs}, key=lambda r: rank(RESCALING_ORDER, r)):
        scales = sorted({k[0] for k in configs if k[0] is not None and k[2] == resc})
        if not scales:
            continue
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 2.4))
        base = baseline_key(sweep, resc)
        if base is not None:
            m, s, n = sweep.stats(base, metric)
            if n:
                ax.axhspan(m - s, m + s, color="0.85", lw=0, zorder=0)
                ax.axhline(m, color="0.35", lw=1.0, ls="--", zorder=1,
                           label=f"none ({base[2]}), n={n}")
        log_x = len(scales) > 1 and max(scales) / min(scales) >= 10
        plotted = 0
        means = [m] if base is not None and n else []
        for i, ext in enumerate(e for e in EXTENT_ORDER[1:] if any(k[1] == e for k in configs)):
            pts = [(c, *sweep.stats((c, ext, resc), metric)) for c in scales]
            pts = [p for p in pts if p[3] > 0]
            if not pts:
                continue
            means += [p[1] for p in pts]
            # A small horizontal dodge keeps the error bars of the two extents apart.
            span = (max(scales) - min(scales)) or max(scales)
            x = [p[0] * 1.03 ** (i - 0.5) if log_x else p[0] + (i - 0.5) * 0.015 * span for p in pts]
            color, marker = EXTENT_STYLE.get(ext, ("k", "o"))
            ax.errorbar(x, [p[1] for p in pts], yerr=[p[2] for p in pts], color=color, marker=marker,
                        label=f"{ext}, n={min(p[3] for p in pts)}-{max(p[3] for p in pts)}"
                        if len({p[3] for p in pts}) > 1 else f"{ext}, n={pts[0][3]}", zorder=3)
            plotted += 1
        if not plotted:
            plt.close(fig)
            continue
        if log_x:
            ax.set_xscale("log")
        if min(means) > 0 and max(means) / min(means) >= 10:
            log_axis(ax)
        if len(scales) == 1:
            ax.set_xlim(scales[0] * 0.5, scales[0] * 1.5)
        ax.set_xticks(scales)
        ax.set_xticklabels([f"{c:g}" for c in scales])
        ax.minorticks_off()
        ax.set_xlabel("IReLU scale c")
        ax.set_ylabel(with_unit(pretty(metric), unit_of(sweep, metric)))
        ax.set_title(f"{pretty(metric)} vs c, rescaling {resc} (mean ± sd over seeds)")
        # Below the axes: the baseline band spans the whole width, so no corner is free of data.
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)
        save(fig, outdir, f"{metric}_vs_c_{resc}.png", written)


def plot_bars(sweep, outdir, written):
    configs = sweep.configs()
    rescalings = sorted({k[2] for k in configs}, key=lambda r: rank(RESCALING_ORDER, r))
    extents = [e for e in EXTENT_ORDER if any(k[1] == e for k in configs)]
    metrics = sweep.headline()
    fig, axes = plt.subplots(len(metrics), 1, figsize=(WIDTH_IN, 2.1 * len(metrics)), sharex=True,
                             squeeze=False)
    axes = axes[:, 0]
    width = 0.8 / max(1, len(extents))
    any_bar = False
    for ax, metric in zip(axes, metrics):
        for j, ext in enumerate(extents):
            xs, ys, es, cs = [], [], [], []
            for i, resc in enumerate(rescalings):
                # Extents with several scales show their best c (best mean of this metric).
                cands = [sweep.stats(k, metric) + (k[0],) for k in configs if k[1] == ext and k[2] == resc]
                cands = [c for c in cands if c[2] > 0]
                if not cands:
                    continue
                m, s, n, c = better(sweep, metric, cands)
                xs.append(i + (j - (len(extents) - 1) / 2) * width)
                ys.append(m)
                es.append(s)
                cs.append(c)
            if not xs:
                continue
            any_bar = True
            color = EXTENT_STYLE.get(ext, ("k", "o"))[0]
            ax.bar(xs, ys, width=width * 0.95, yerr=es, color=color, label=ext,
                   error_kw={"elinewidth": 0.8, "capsize": 2})
            for x, y, c in zip(xs, ys, cs):
                if c is not None and len({k[0] for k in configs if k[1] == ext}) > 1:
                    # Inside the bar, at its foot: clear of the error bars.
                    ax.text(x, 0.03, f"c={c:g}", ha="center", va="bottom", fontsize=6,
                            rotation=90, color="white", transform=ax.get_xaxis_transform())
        unit = unit_of(sweep, metric)
        ax.set_ylabel(f"{pretty(metric)}\n({unit})" if unit else pretty(metric))
        ax.margins(y=0.15)
        heights = [p.get_height() for p in ax.patches]
        if heights and min(heights) > 0 and max(heights) / min(heights) >= 10:
            # Bars a decade apart: on a linear axis the short ones are invisible.
            log_axis(ax)
    if not any_bar:
        plt.close(fig)
        return
    axes[-1].set_xticks(range(len(rescalings)))
    axes[-1].set_xticklabels(rescalings)
    axes[-1].set_xlabel("label rescaling")
    axes[0].legend(title="extent", ncol=len(extents), loc="upper center", bbox_to_anchor=(0.5, 1.32))
    save(fig, outdir, "bars_by_rescaling.png", written)


def parse_spec(spec):
    want = {}
    for item in spec.split(","):
        if "=" not in item:
            raise SystemExit(f"plot_sweep: --curves: '{item}' is not key=value (keys: c, extent, rescaling)")
        k, v = (s.strip() for s in item.split("=", 1))
        if k in ("c", "irelu_scale"):
            want["c"] = float(v)
        elif k in ("extent", "rescaling"):
            want[k] = v
        else:
            raise SystemExit(f"plot_sweep: --curves: unknown key '{k}' (keys: c, extent, rescaling)")
    return want


def matches(key, want):
    c, e, r = key
    return (("c" not in want or (c is not None and abs(c - want["c"]) < 1e-12))
            and want.get("extent", e) == e and want.get("rescaling", r) == r)


def curve_configs(sweep, specs, top):
    metric = sweep.default
    configs = [k for k in sweep.configs() if sweep.stats(k, metric)[2] > 0]
    if specs:
        chosen = []
        for spec in specs:
            want = parse_spec(spec)
            hits = [k for k in configs if matches(k, want) and k not in chosen]
            if not hits:
                print(f"plot_sweep: --curves {spec}: no configuration with done runs matches",
                      file=sys.stderr)
            chosen += hits
        return chosen
    sign = -1 if sweep.desc[metric]["higher"] else 1
    ranked = sorted(configs, key=lambda k: sign * sweep.stats(k, metric)[0])
    chosen = ranked[:top]
    base = baseline_key(sweep)
    if base is not None and base in configs and base not in chosen:
        chosen.append(base)
    return chosen


def log_axis(ax):
    """Log y with plain numbers; minor ticks labelled only within about a decade (wider, their
    labels would overlap)."""
    ax.set_yscale("log")
    plain = matplotlib.ticker.FormatStrFormatter("%g")
    ax.yaxis.set_major_formatter(plain)
    low, high = ax.get_ylim()
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter() if high / low > 12 else plain)


def done_rows(curve, mask):
    rows = curve[mask]
    return rows[np.all(np.isfinite(rows), axis=1)] if len(rows) else rows


def plot_curves(sweep, specs, top, outdir, written):
    chosen = curve_configs(sweep, specs, top)
    if not chosen:
        return
    if sweep.curve_kind == "loss":
        plot_loss_curves(sweep, chosen, outdir, written)
        return
    (name, curve), = sweep.curves.items()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 2.6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    epochs = np.arange(1, curve.shape[1] + 1)
    positive = True
    for i, key in enumerate(chosen):
        rows = done_rows(curve, sweep.mask(key))
        if len(rows) == 0:
            continue
        mean = rows.mean(axis=0)
        sd = rows.std(axis=0, ddof=1) if len(rows) > 1 else np.zeros_like(mean)
        color = colors[i % len(colors)]
        ax.plot(epochs, mean, color=color, label=f"{label(key)} (n={len(rows)})")
        ax.fill_between(epochs, mean - sd, mean + sd, color=color, alpha=0.2, lw=0)
        positive &= bool(np.all(mean - sd > 0))
    if positive:
        log_axis(ax)
    metric = sweep.default.split("_", 1)[1]
    ax.set_xlabel("epoch")
    ax.set_ylabel(with_unit(pretty("val_" + metric), unit_of(sweep, sweep.default)))
    ax.set_title("Learning curves (mean ± sd over seeds)")
    ax.legend(loc="upper right")
    save(fig, outdir, f"curves_{name}.png", written)


def plot_loss_curves(sweep, chosen, outdir, written):
    """One panel per training loss term (the PINN's residual, initial, boundary), log scale: a
    full-batch model has one step per epoch, so these are per step. Mean over seeds, band min-max
    (an sd band crosses 0 on a log axis)."""
    names = list(sweep.curves)
    if not names:
        return
    fig, axes = plt.subplots(len(names), 1, figsize=(WIDTH_IN, 1.5 * len(names) + 1.0), sharex=True,
                             squeeze=False)
    axes = axes[:, 0]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, name in zip(axes, names):
        curve = sweep.curves[name]
        steps = np.arange(1, curve.shape[1] + 1)
        positive = True
        for i, key in enumerate(chosen):
            rows = done_rows(curve, sweep.mask(key))
            if len(rows) == 0:
                continue
            color = colors[i % len(colors)]
            ax.plot(steps, rows.mean(axis=0), color=color, lw=0.8,
                    label=f"{label(key)} (n={len(rows)})")
            ax.fill_between(steps, rows.min(axis=0), rows.max(axis=0), color=color, alpha=0.2, lw=0)
            positive &= bool(np.all(rows > 0))
        if positive:
            log_axis(ax)
        ax.set_ylabel(name[len("train_"):-len("_loss")] + " loss")
    axes[-1].set_xlabel("step" if sweep.full_batch else "epoch")
    axes[0].set_title("Training loss terms (scaled units; mean over seeds, band min-max)")
    # Below the last panel: the curves fill every corner of the panels.
    axes[-1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.45), ncol=1)
    save(fig, outdir, "curves_loss.png", written)


class KeptMLP:
    """The kept PINNs of a results file: the MLP of docs/pinn.md in float64. Input (x, t / tau)
    (tau: the attribute of /models, 1 when absent), `depth` hidden layers y = h W^T + b, each tanh
    or irelu_c(z) = c max(0, z)^2 by the run's extent (output: the last hidden layer only; full:
    all), a linear output u', and u = scale u' + shift with the run's rescaling from /rescaling."""

    def __init__(self, f):
        self.tensors = {text(r["name"]): (int(r["offset"]), int(r["rows"]), int(r["cols"]))
                        for r in f["models/layout"][()]}
        attrs = f["models"].attrs
        self.depth = int(attrs["depth"])
        self.tau = float(attrs.get("tau", 1.0))
        self.params = f["models/params"][()]
        self.rescaling = {text(r["method"]): (float(r["shift"]), float(r["scale"]))
                          for r in f["rescaling"][()]}
        want = [f"hidden{k}/{w}" for k in range(self.depth) for w in ("weight", "bias")]
        if any(n not in self.tensors for n in want + ["output/weight", "output/bias"]):
            raise KeyError("the kept models are not the MLP of docs/pinn.md")

    def tensor(self, p, name):
        off, rows, cols = self.tensors[name]
        return p[off:off + rows * cols].reshape(rows, cols)

    def u(self, run, extent, c, rescaling, x, t):
        """u [len(x)] of run (its row index) at the points (x, t), in the data's units."""
        p = self.params[run].astype(np.float64)
        h = np.stack([np.asarray(x, float), np.asarray(t, float) / self.tau], axis=-1)
        for k in range(self.depth):
            z = h @ self.tensor(p, f"hidden{k}/weight").T + self.tensor(p, f"hidden{k}/bias")[:, 0]
            irelu = extent == "full" or (extent == "output" and k == self.depth - 1)
            h = c * np.maximum(z, 0.0) ** 2 if irelu else np.tanh(z)
        u = h @ self.tensor(p, "output/weight").T + self.tensor(p, "output/bias")[:, 0]
        shift, scale = self.rescaling[rescaling]
        return scale * u[:, 0] + shift

    def field(self, run, extent, c, rescaling, x, t):
        """u [len(t)][len(x)] on the grid of the axes x [cols] and t [rows]."""
        return np.stack([self.u(run, extent, c, rescaling, x, np.full(len(x), tq)) for tq in t])


def reference_field(path):
    """(u_ref [rows][cols], x, t, KeptMLP) of a file with /task/reference_u and kept MLPs, else None."""
    with h5py.File(path, "r") as f:
        if "task/reference_u" not in f or "task/x" not in f or "task/t" not in f or "models/params" not in f:
            return None
        try:
            mlp = KeptMLP(f)
        except KeyError:
            return None
        return f["task/reference_u"][()], f["task/x"][()], f["task/t"][()], mlp


def plot_u_vs_reference(sweep, path, outdir, written):
    found = reference_field(path)
    if found is None or "u_rmse" not in sweep.metrics:
        return
    u_ref, x, t, mlp = found
    metric = sweep.default
    ok = sweep.done & np.isfinite(sweep.metrics[metric])
    if not ok.any():
        return
    sign = -1 if sweep.desc[metric]["higher"] else 1

    def best_of(mask):
        idx = np.flatnonzero(mask & ok)
        return int(idx[np.argmin(sign * sweep.metrics[metric][idx])]) if len(idx) else None

    chosen = [("best run", best_of(ok))]
    base = baseline_key(sweep)
    if base is not None:
        b = best_of(sweep.mask(base))
        if b is not None and b != chosen[0][1]:
            chosen.append(("baseline", b))
    fields = {}
    for _, run in chosen:
        c = 0.0 if math.isnan(sweep.c[run]) else float(sweep.c[run])
        u = mlp.field(run, sweep.extent[run], c, sweep.rescaling[run], x, t)
        # The drawn u must be what dcsweep evaluated: its u_rmse over every frame, as the file's.
        rmse = float(np.sqrt(np.mean((u - u_ref) ** 2)))
        want = float(sweep.metrics["u_rmse"][run])
        if not abs(rmse - want) <= 1e-4 * abs(want) + 1e-12:
            print(f"plot_sweep: run {run}: the kept model's u_rmse in numpy is {rmse:.8g}, the file's "
                  f"{want:.8g}: u_vs_reference.png not drawn", file=sys.stderr)
            return
        fields[run] = u
    frames = sorted({0, len(t) - 1})
    fig, axes = plt.subplots(len(frames), 1, figsize=(WIDTH_IN, 1.6 * len(frames) + 0.6), sharex=True,
                             squeeze=False)
    styles = {"best run": ("tab:red", "-"), "baseline": ("0.35", "--")}
    for ax, q in zip(axes[:, 0], frames):
        ax.plot(x, u_ref[q], color="k", lw=1.6, alpha=0.35, label="reference")
        for what, run in chosen:
            key = (None if math.isnan(sweep.c[run]) else float(sweep.c[run]), sweep.extent[run],
                   sweep.rescaling[run])
            color, ls = styles[what]
            ax.plot(x, fields[run][q], color=color, ls=ls, lw=0.9,
                    label=f"{what}: run {run}, {label(key)} ({pretty(metric)} {sweep.metrics[metric][run]:.3g})")
        ax.set_ylabel("u")
        ax.set_title(f"t = {t[q]:g}", loc="left")
    axes[-1, 0].set_xlabel("x")
    axes[-1, 0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=1)
    save(fig, outdir, "u_vs_reference.png", written)


def make_figures(results, outdir, curves=(), top=3, test=None, dcsweep=None, notes=None, dpi=200):
    """Every figure of a results file into outdir: (the files written, the MACE table's rows or
    None). notes collects why a figure is not drawn."""
    global DPI
    DPI = dpi
    notes = [] if notes is None else notes
    sweep = Sweep(results)
    os.makedirs(outdir, exist_ok=True)
    style()
    written = []
    if not sweep.done.any():
        notes.append(f"no run is done yet ({sweep.n_runs} runs): no figures")
        return written, None
    for metric in sweep.headline():
        plot_vs_c(sweep, metric, outdir, written)
    plot_bars(sweep, outdir, written)
    plot_curves(sweep, list(curves), top, outdir, written)
    import plot_mlip
    # this module, whether imported or run (as __main__): its helpers and its DPI
    this = sys.modules[__name__]
    plot_mlip.plot_curves_per_config(this, sweep, outdir, written)
    plot_u_vs_reference(sweep, results, outdir, written)
    mace = None
    if "test_force_rmse" in sweep.metrics or "test_force_mae" in sweep.metrics:
        mace = plot_mlip.mlip_figures(this, sweep, results, outdir, written, notes, test=test, dcsweep=dcsweep)
    else:
        notes.append("no parity plots and no error table in MACE's units: a PDE's file has no energies "
                     "or forces (u against the reference: u_vs_reference.png, when the task has one)")
    return written, mace


def main(argv=None):
    ap = argparse.ArgumentParser(description="Paper figures (PNG) from a dcsweep results file.")
    ap.add_argument("results", help="results file (complete, partial or merged)")
    ap.add_argument("outdir", help="directory for the PNG files (created if missing)")
    ap.add_argument("--curves", action="append", default=[], metavar="SPEC",
                    help='configurations for the learning curves, e.g. "extent=full,c=0.5" '
                         "(repeatable; default: the best --top by the default metric, test_force_mae "
                         "or u_nrmse, and the baseline)")
    ap.add_argument("--top", type=int, default=3, help="how many best configurations (default 3)")
    ap.add_argument("--test", help="extended XYZ of the test split for the parity plots (default: the "
                                   "sweep's dataset.test, found by its SHA-256 in the file)")
    ap.add_argument("--dcsweep", help="the dcsweep executable for the parity plots (default: $DCSWEEP, "
                                      "else build/dcsweep of this checkout, else dcsweep on PATH)")
    args = ap.parse_args(argv)
    try:
        sweep = Sweep(args.results)
    except (OSError, KeyError) as e:
        print(f"plot_sweep: {args.results}: not a dcsweep results file ({e})", file=sys.stderr)
        return 2
    if not sweep.done.any():
        print(f"plot_sweep: {args.results}: no run is done yet ({sweep.n_runs} runs): nothing to plot",
              file=sys.stderr)
        return 1
    notes = []
    written, _ = make_figures(args.results, args.outdir, args.curves, args.top, args.test,
                              find_dcsweep(args.dcsweep), notes)
    for note in notes:
        print(f"plot_sweep: {note}", file=sys.stderr)
    for path in written:
        print(path)
    return 0


def find_dcsweep(given):
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (given, os.environ.get("DCSWEEP"), os.path.join(here, "..", "build", "dcsweep"),
                 shutil.which("dcsweep")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    return None


if __name__ == "__main__":
    sys.exit(main())

"""The figures and the error table every MLIP paper shows, for a potential's results file (SchNet,
DimeNet++), from its kept models on the test split (scripts/plot_sweep.py calls this):

  parity.png         predicted against reference energy and force components
  force_error_cdf.png  cumulative distribution of |F_pred - F_ref| per component (log x)
  curves_per_config_<curve>.png  the validation curve of every configuration, one panel each
  errors_mace.csv / .md  per run and split: E RMSE in meV/atom, F RMSE in meV/Angstrom and the
                     relative F RMSE in % (F RMSE over the RMS of the reference force components),
                     MACE's units

for the best run by the default metric and the baseline's run of the same seed (seeds pair exactly:
a seed fixes the initial weights and the batch order), else the baseline's best run. The
predictions come from `dcsweep predict RESULTS --run N SPLIT.xyz -o pred.xyz`. The splits are the
sweep's own: its files (found from the paths in sweep_text and dataset_sha256 and checked against
that SHA-256), and a seeded split of dataset.file redrawn as src/data/splits.c draws it (xoshiro256**,
ported below); the redrawn validation and test splits must give the run's stored force RMSE
(1e-3 relative), else they are left out with a note. --test replaces the test split. Each RMSE of
the table is also checked against predict's own (1e-4 relative).
"""
import hashlib
import json
import math
import os
import re
import subprocess
import tempfile

import numpy as np

# Factors to meV and to Angstrom of the units a sweep may declare (dataset.energy_unit, length_unit).
TO_MEV = {"eV": 1000.0, "meV": 1.0, "kcal/mol": 43.364104, "kJ/mol": 10.364269, "Hartree": 27211.386,
          "Ha": 27211.386}
TO_ANGSTROM = {"Angstrom": 1.0, "Ang": 1.0, "A": 1.0, "\u00c5": 1.0, "Bohr": 0.52917721, "nm": 10.0}


def read_predictions(path):
    """(energy [F], ref_energy [F], n_atoms [F], forces [A,3], ref_forces [A,3]) of predict's -o file."""
    e, e_ref, n_atoms, f, f_ref = [], [], [], [], []
    with open(path) as fh:
        lines = fh.read().splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i])
        head = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', lines[i + 1]))
        props = head["Properties"].split(":")
        cols, col, where = {}, 0, {}
        for name, kind, width in zip(props[0::3], props[1::3], props[2::3]):
            where[name] = (col, col + int(width))
            col += int(width)
        cols = np.array([ln.split() for ln in lines[i + 2:i + 2 + n]], dtype=object)
        f.append(cols[:, where["forces"][0]:where["forces"][1]].astype(float))
        f_ref.append(cols[:, where["ref_forces"][0]:where["ref_forces"][1]].astype(float))
        e.append(float(head["energy"]))
        e_ref.append(float(head["ref_energy"]))
        n_atoms.append(n)
        i += 2 + n
    return np.array(e), np.array(e_ref), np.array(n_atoms), np.concatenate(f), np.concatenate(f_ref)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dataset_file(h5path, attrs, key):
    """The path of the sweep's dataset.<key> (test, file) as it is on this machine, or (None, why)."""
    text = str(attrs.get("sweep_text", ""))
    # Only dataset.test and dataset.file have these names with a string value.
    m = re.search(r'\b' + key + r'\s*=\s*"([^"]+)"', re.sub(r"#[^\n]*", "", text))
    if not m:
        return None, f"the sweep file has no dataset.{key}"
    want = os.path.basename(m.group(1))
    for line in str(attrs.get("dataset_sha256", "")).splitlines():
        digest, _, path = line.partition("  ")
        if os.path.basename(path) != want:
            continue
        here = os.path.dirname(os.path.abspath(h5path))
        for cand in (path, os.path.join(here, path), os.path.join(here, "..", path)):
            if os.path.isfile(cand):
                if sha256(cand) == digest:
                    return cand, ""
                return None, f"{cand} is not the file the sweep trained on (SHA-256 differs)"
        return None, f"dataset.{key} {path} is not on this machine"
    return None, f"dataset.{key} {want} is not in the file's dataset_sha256"


M64 = (1 << 64) - 1
SPLIT_STREAM = 0x73706C6974  # DC_SPLIT_STREAM of include/dcsweep/data/splits.h


class Rng:
    """src/core/rng.c: xoshiro256** seeded through splitmix64, for the seeded split of dataset.file."""

    def __init__(self, seed, stream):
        x = (seed ^ (stream * 0xD1342543DE82EF95)) & M64
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    def next(self):
        s = self.s
        rotl = (lambda v, k: ((v << k) | (v >> (64 - k))) & M64)
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        limit = M64 - M64 % n
        while True:
            x = self.next()
            if x < limit:
                return x % n

    def permutation(self, n):
        perm = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.below(i + 1)
            perm[i], perm[j] = perm[j], perm[i]
        return perm


def xyz_frames(path):
    """The frames of an extended XYZ file, each as its text (count line, comment, atoms)."""
    with open(path) as fh:
        lines = fh.read().splitlines(keepends=True)
    frames, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i])
        frames.append("".join(lines[i:i + n + 2]))
        i += n + 2
    return frames


def effective_settings(attrs):
    return dict(re.findall(r'^(\S+) = "?([^";]*)"?;$', str(attrs.get("sweep_effective", "")), flags=re.M))


def split_files(h5path, attrs, tmp, test=None):
    """([(split, xyz path)], notes): the sweep's train, validation and test splits as files on this
    machine; a seeded split of dataset.file is redrawn as src/data/splits.c draws it (the caller
    checks it: predict's errors on it must be the run's stored ones)."""
    eff, files, notes = effective_settings(attrs), [], []
    layout = eff.get("dataset.layout", "")
    if layout == "files":
        for split, key in (("train", "train"), ("validation", "validation"), ("test", "test")):
            path, why = dataset_file(h5path, attrs, key)
            files.append((split, path)) if path else notes.append(f"no {split} split: {why}")
    elif layout in ("split", "split+test"):
        path, why = dataset_file(h5path, attrs, "file")
        lines = [ln for ln in str(attrs.get("dataset_sha256", "")).splitlines() if ln.strip()]
        if not path and layout == "split" and len(lines) == 1:
            # the only dataset file is dataset.file, whatever sweep_text calls it (--set)
            path, why = dataset_file(h5path, {"sweep_text": f'file = "{lines[0].partition("  ")[2]}";',
                                              "dataset_sha256": lines[0]}, "file")
        if path:
            frames = xyz_frames(path)
            keys = ["train", "validation"] + (["test"] if layout == "split" else [])
            given = [float(eff.get(f"dataset.split.{k}", "0")) for k in keys]
            counts = all(g >= 1 and g == int(g) for g in given)
            sizes = [int(g) if counts else int(math.floor(g * len(frames) + 1e-6)) for g in given]
            perm = Rng(int(eff.get("dataset.split_seed", "0")), SPLIT_STREAM).permutation(len(frames))
            start = 0
            for key, size in zip(keys, sizes):
                out = os.path.join(tmp, f"split_{key}.xyz")
                with open(out, "w") as fh:
                    fh.writelines(frames[i] for i in sorted(perm[start:start + size]))
                start += size
                files.append((key, out))
        else:
            notes.append(f"no train or validation split: {why}")
        if layout == "split+test":
            path, why = dataset_file(h5path, attrs, "test")
            files.append(("test", path)) if path else notes.append(f"no test split: {why}")
    else:
        notes.append(f"no splits: unknown dataset.layout '{layout}'")
    if test:
        files = [(k, p) for k, p in files if k != "test"] + [("test", test)]
    return files, notes


def predict(dcsweep, h5path, run, xyz, tmp):
    out = os.path.join(tmp, f"pred_{run}_{os.path.basename(xyz)}")
    p = subprocess.run([dcsweep, "predict", h5path, "--run", str(run), xyz, "-o", out, "--format", "json"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"dcsweep predict --run {run}: {p.stderr.strip().splitlines()[-1:]}")
    return read_predictions(out), json.loads(p.stdout)


def errors(pred, printed):
    """(E RMSE per atom, F RMSE, RMS of the reference forces) in the data's units, after checking the
    RMSEs against predict's."""
    e, e_ref, n, f, f_ref = pred
    e_rmse = float(np.sqrt(np.mean((e - e_ref) ** 2)))
    f_rmse = float(np.sqrt(np.mean((f - f_ref) ** 2)))
    for mine, theirs, what in ((e_rmse, printed["energy_rmse"], "energy"), (f_rmse, printed["force_rmse"], "force")):
        if not abs(mine - theirs) <= 1e-4 * abs(theirs) + 1e-9:
            raise RuntimeError(f"the {what} RMSE of predict's file is {mine:.8g}, predict printed {theirs:.8g}")
    return (float(np.sqrt(np.mean(((e - e_ref) / n) ** 2))), f_rmse, float(np.sqrt(np.mean(f_ref ** 2))))


def chosen_runs(sweep, baseline_key):
    """[(what, run)]: the best done run by the default metric, and the baseline's run of its seed."""
    metric = sweep.default
    ok = sweep.done & np.isfinite(sweep.metrics[metric])
    if not ok.any():
        return []
    sign = -1 if sweep.desc[metric]["higher"] else 1
    idx = np.flatnonzero(ok)
    best = int(idx[np.argmin(sign * sweep.metrics[metric][idx])])
    chosen = [("best run", best)]
    base = baseline_key(sweep)
    if base is not None:
        cand = np.flatnonzero(sweep.mask(base) & ok)
        same = [r for r in cand if sweep.seed[r] == sweep.seed[best]]
        pick = same[0] if same else (int(cand[np.argmin(sign * sweep.metrics[metric][cand])]) if len(cand) else None)
        if pick is not None and pick != best:
            chosen.append(("baseline", int(pick)))
    return chosen


def mlip_figures(ps, sweep, h5path, outdir, written, notes, test=None, dcsweep=None):
    """Parity, CDF and the MACE table; returns the table's rows (header first) or None. ps: the
    plot_sweep module (its helpers)."""
    plt, label, save, width = ps.plt, ps.label, ps.save, ps.WIDTH_IN
    import h5py
    with h5py.File(h5path, "r") as f:
        if "models/params" not in f:
            notes.append("no parity plots: the file keeps no models (output.keep_models = false)")
            return None
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    if not dcsweep:
        notes.append("no parity plots: no dcsweep executable given (--dcsweep)")
        return None
    chosen = chosen_runs(sweep, ps.baseline_key)
    if not chosen:
        return None
    e_unit, l_unit = sweep.energy_unit, sweep.length_unit
    to_mev, to_ang = TO_MEV.get(e_unit), TO_ANGSTROM.get(l_unit)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        files, why = split_files(h5path, attrs, tmp, test)
        notes += why
        try:
            for split, xyz in files:
                for what, run in chosen:
                    pred, printed = predict(dcsweep, h5path, run, xyz, tmp)
                    stored = {"validation": "val", "test": "test"}.get(split)
                    if stored and not (test and split == "test"):
                        # The split must be the one the run was evaluated on: its stored errors.
                        want = float(sweep.metrics.get(f"{stored}_force_rmse", [math.nan] * (run + 1))[run])
                        if math.isfinite(want) and not abs(printed["force_rmse"] - want) <= 1e-3 * abs(want) + 1e-7:
                            notes.append(f"the {split} split is not reproduced (run {run}: force RMSE {printed['force_rmse']:.6g} "
                                         f"here, {want:.6g} in the file): left out")
                            break
                    results[(what, run, split)] = (pred, errors(pred, printed))
        except (RuntimeError, KeyError, ValueError) as e:
            notes.append(f"no parity plots: {e}")
            return None
    if not results:
        return None
    rows = [["run", "configuration", "split", "frames",
             "E RMSE [meV/atom]" if to_mev else f"E RMSE [{e_unit}/atom]",
             "F RMSE [meV/Å]" if to_mev and to_ang else f"F RMSE [{e_unit}/{l_unit}]", "rel. F RMSE [%]"]]
    for (what, run, split), (pred, (e_atom, f_rmse, f_rms)) in results.items():
        key = sweep.key(run)
        e_out = e_atom * to_mev if to_mev else e_atom
        f_out = f_rmse * to_mev / to_ang if to_mev and to_ang else f_rmse
        rows.append([f"{what} (run {run}, seed {sweep.seed[run]})", label(key), split, len(pred[0]),
                     f"{e_out:.4g}", f"{f_out:.4g}", f"{100 * f_rmse / f_rms:.3g}"])
    with open(os.path.join(outdir, "errors_mace.csv"), "w") as fh:
        for row in rows:
            fh.write(",".join(f'"{c}"' if "," in str(c) else str(c) for c in row) + "\n")
    with open(os.path.join(outdir, "errors_mace.md"), "w") as fh:
        fh.write("| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]) + "\n")
        for row in rows[1:]:
            fh.write("| " + " | ".join(str(c) for c in row) + " |\n")
    written += [os.path.join(outdir, "errors_mace.csv"), os.path.join(outdir, "errors_mace.md")]

    on_test = [(what, run, results[(what, run, "test")][0]) for what, run in chosen if (what, run, "test") in results]
    if not on_test:
        return rows
    styles = {"best run": ("tab:red", 0.5), "baseline": ("0.35", 0.5)}
    f_unit = f"{e_unit}/{'Å' if to_ang == 1.0 else l_unit}"
    # One row per run, each with its own limits: a poor baseline's range would hide the best run.
    fig, axes = plt.subplots(len(on_test), 2, figsize=(width, 1.75 * len(on_test) + 0.3), squeeze=False)
    for (ax_e, ax_f), (what, run, (e, e_ref, n, fc, fc_ref)) in zip(axes, on_test):
        color, alpha = styles[what]
        ax_e.scatter(e_ref, e, s=2, color=color, alpha=alpha, lw=0, rasterized=True)
        ax_f.scatter(fc_ref.ravel(), fc.ravel(), s=1, color=color, alpha=alpha * 0.5, lw=0, rasterized=True)
        for ax, what_axis, unit in ((ax_e, "E", e_unit), (ax_f, "F", f_unit)):
            low = min(ax.get_xlim()[0], ax.get_ylim()[0])
            high = max(ax.get_xlim()[1], ax.get_ylim()[1])
            ax.plot([low, high], [low, high], color="k", lw=0.6, ls=":")
            ax.set_xlim(low, high)
            ax.set_ylim(low, high)
            ax.set_aspect("equal")
            ax.set_xlabel(f"reference {what_axis} ({unit})", fontsize=7)
            ax.set_ylabel(f"predicted {what_axis}", fontsize=7)
            ax.tick_params(labelsize=6)
        ax_e.set_title(f"{what}: run {run}, {label(sweep.key(run))}", loc="left", fontsize=7)
    fig.suptitle("Parity on the test split", fontsize=8)
    fig.tight_layout()
    save(fig, outdir, "parity.png", written)

    fig, ax = plt.subplots(figsize=(width, 2.2))
    for what, run, (e, e_ref, n, fc, fc_ref) in on_test:
        err = np.sort(np.abs(fc - fc_ref).ravel())
        err = np.maximum(err, 1e-12)
        color, _ = styles[what]
        ax.plot(err, np.arange(1, len(err) + 1) / len(err), color=color,
                label=f"{what} (run {run}): median {np.median(err):.3g}")
    ax.set_xscale("log")
    ax.set_xlabel(f"|F_pred - F_ref| per component ({f_unit})")
    ax.set_ylabel("fraction of components")
    ax.set_ylim(0, 1)
    ax.set_title("Force errors on the test split (cumulative)")
    ax.legend(loc="upper left")
    save(fig, outdir, "force_error_cdf.png", written)
    return rows


def plot_curves_per_config(ps, sweep, outdir, written):
    """Every configuration's learning curve in its own panel (two journal columns wide): each seed
    thin, the mean over seeds bold with a +-sd band; a log axis when every value is positive. ps: the
    plot_sweep module."""
    if sweep.curve_kind != "val":
        return
    (name, curve), = sweep.curves.items()
    configs = [k for k in sweep.configs() if len(ps.done_rows(curve, sweep.mask(k)))]
    if not configs:
        return
    ncols = min(4, len(configs))
    nrows = -(-len(configs) // ncols)
    fig, axes = ps.plt.subplots(nrows, ncols, figsize=(2 * ps.WIDTH_IN, 1.45 * nrows + 0.5), sharex=True,
                             sharey=True, squeeze=False)
    epochs = np.arange(1, curve.shape[1] + 1)
    positive = bool(np.all(curve[np.isfinite(curve)] > 0))
    for ax, key in zip(axes.ravel(), configs):
        rows = ps.done_rows(curve, sweep.mask(key))
        mean = rows.mean(axis=0)
        sd = rows.std(axis=0, ddof=1) if len(rows) > 1 else np.zeros_like(mean)
        for row in rows:
            ax.plot(epochs, row, color="tab:blue", lw=0.4, alpha=0.6)
        ax.plot(epochs, mean, color="k", lw=1.0)
        low = np.maximum(mean - sd, rows.min(axis=0)) if positive else mean - sd
        ax.fill_between(epochs, low, mean + sd, color="tab:blue", alpha=0.2, lw=0)
        ax.set_title(f"{ps.label(key)} (n={len(rows)})", fontsize=7)
    for ax in axes.ravel()[len(configs):]:
        ax.set_visible(False)
    if positive:
        ps.log_axis(axes[0, 0])
    metric = sweep.default.split("_", 1)[1]
    fig.supylabel(ps.with_unit(ps.pretty("val_" + metric), ps.unit_of(sweep, sweep.default)), fontsize=8)
    fig.supxlabel("epoch", fontsize=8)
    fig.suptitle("Learning curve of every configuration: seeds (thin), mean ± sd", fontsize=8)
    fig.tight_layout()
    ps.save(fig, outdir, f"curves_per_config_{name}.png", written)

#!/usr/bin/python3
"""`dcsweep report` against an independent recomputation from the HDF5 file.

Writes results files with known made-up metrics through the real results API (report_fixture:
SchNet files and an advection-PINN file), runs `$DCSWEEP report` in every format and recomputes
every number from /runs with numpy, the metric columns and their direction taken from /metrics;
checks the text formats (rows, 100 columns, units), the CSV, partial and baseline-less files, and
the error cases (exit 2, one line).

    test_report.py                 the fixtures
    test_report.py --file X.h5     the same checks on a real results file (tests/run_pinn.sh)"""
import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

DCSWEEP = os.environ["DCSWEEP"]
FIXTURE = os.environ.get("DC_REPORT_FIXTURE") or os.path.join(os.environ["DC_BUILD_DIR"], "tests",
                                                                "report_fixture")
TOL = 1e-9
failures = []


def t975(df):
    """t_{0.975, df}: scipy when installed, else closed forms and a table (scipy's values)."""
    try:
        from scipy import stats
        return float(stats.t.ppf(0.975, df))
    except ImportError:
        table = {1: math.tan(math.pi * 0.475), 2: 0.95 * math.sqrt(2 / (4 * 0.975 * 0.025)),
                 3: 3.182446305284263, 4: 2.7764451051977987, 5: 2.5705818366147395}
        return table[df]


def check(cond, what):
    if not cond:
        failures.append(what)
        if len(failures) <= 40:
            print("FAIL:", what, file=sys.stderr)


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOL * max(1.0, abs(b))


def run(*args):
    return subprocess.run([DCSWEEP, "report", *args], capture_output=True, text=True)


def report_json(path, *args):
    p = run(path, "--format", "json", *args)
    check(p.returncode == 0, f"report {path} {args} exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


def decode(b):
    """Fixed-length null-padded strings come back as bytes: up to the first NUL."""
    return b.split(b"\0", 1)[0].decode() if isinstance(b, bytes) else b


def load_metrics(path):
    """The file's metric columns: [(name, unit, higher_is_better, fraction, headline)]."""
    with h5py.File(path, "r") as f:
        return [(decode(d["name"]), decode(d["unit"]), bool(d["higher_is_better"]), bool(d["fraction"]),
                 bool(d["headline"])) for d in f["metrics"][...]]


def default_metric(metrics):
    names = [m[0] for m in metrics]
    if "test_force_mae" in names:
        return "test_force_mae"
    return next((m[0] for m in metrics if m[4]), names[0])


def load_runs(path):
    names = [m[0] for m in load_metrics(path)]
    with h5py.File(path, "r") as f:
        runs = f["runs"][...]
        kind = f.attrs.get("model_kind", "schnet")
        units = (f.attrs["energy_unit"], f.attrs["length_unit"]) if kind == "schnet" else None
    rows = []
    for r in runs:
        scale = float(r["irelu_scale"])
        rows.append({
            "key": (None if math.isnan(scale) else scale, decode(r["extent"]), decode(r["rescaling"])),
            "seed": int(r["seed"]), "status": decode(r["status"]),
            "metrics": {m: float(r[m]) for m in names},
        })
    return rows, units


def expected(rows, metric, baseline, metrics):
    """Everything the report says, recomputed the straightforward way."""
    METRICS = [m[0] for m in metrics]
    higher = {m[0]: m[2] for m in metrics}
    configs = []
    for r in rows:
        if r["key"] not in configs:
            configs.append(r["key"])
    out = {"configs": {}, "effects": [], "paired": {}, "best": {}}
    for k in configs:
        mine = [r for r in rows if r["key"] == k]
        done = [r for r in mine if r["status"] == "done"]
        c = {"n_runs": len(mine), **{f"n_{s}": sum(r["status"] == s for r in mine)
                                    for s in ("done", "diverged", "failed", "pending")}}
        c["mean"], c["sd"] = {}, {}
        for m in METRICS:
            v = np.array([r["metrics"][m] for r in done])
            c["mean"][m] = float(v.mean()) if len(v) else None
            c["sd"][m] = float(v.std(ddof=1)) if len(v) > 1 else None
        out["configs"][k] = c
    # Main effects: mean over configurations (with a done run) of the configuration mean.
    for f, idx in (("irelu_scale", 0), ("extent", 1), ("rescaling", 2)):
        levels = []
        for k in configs:
            if k[idx] is not None and k[idx] not in levels:
                levels.append(k[idx])
        for lv in levels:
            means = [out["configs"][k]["mean"][metric] for k in configs if k[idx] == lv]
            means = [x for x in means if x is not None]
            out["effects"].append((f, lv, len(means), float(np.mean(means)) if means else None))
    # Paired against the baseline, seeds done in both.
    if baseline is not None:
        base = {r["seed"]: r["metrics"][metric] for r in rows
                if r["key"] == baseline and r["status"] == "done"}
        for k in configs:
            if k == baseline:
                continue
            d = np.array([r["metrics"][metric] - base[r["seed"]] for r in rows
                          if r["key"] == k and r["status"] == "done" and r["seed"] in base])
            n = len(d)
            p = {"n": n, "mean": float(d.mean()) if n else None,
                 "sd": float(d.std(ddof=1)) if n > 1 else None}
            if n > 1:
                h = t975(n - 1) * p["sd"] / math.sqrt(n)
                p["ci_low"], p["ci_high"] = p["mean"] - h, p["mean"] + h
                p["excludes_zero"] = p["ci_low"] > 0 or p["ci_high"] < 0
            else:
                p["ci_low"] = p["ci_high"] = p["excludes_zero"] = None
            out["paired"][k] = p
    # Best: never a configuration with a diverged or collapsed run (|ux_nrmse - 1| < 0.01, when
    # the file has that column), and none when candidates share the best mean.
    def degenerate(k):
        mine = [r for r in rows if r["key"] == k]
        return any(r["status"] == "diverged" or (r["status"] == "done" and "ux_nrmse" in METRICS
                                                  and abs(r["metrics"]["ux_nrmse"] - 1) < 0.01)
                   for r in mine)
    for m in METRICS:
        cand = [(out["configs"][k]["mean"][m], k) for k in configs
                if out["configs"][k]["mean"][m] is not None and not degenerate(k)]
        if cand:
            best = max(cand, key=lambda x: x[0]) if higher[m] else min(cand, key=lambda x: x[0])
            if sum(c[0] == best[0] for c in cand) == 1:
                out["best"][m] = best[1]
    return configs, out


def key_of(obj):
    return (obj["irelu_scale"], obj["extent"], obj["rescaling"])


def compare(path, metric=None, baseline=("none", "power10"), args=()):
    """metric None: the report's default, which must be the file's (test_force_mae or the first
    headline metric)."""
    rows, _ = load_runs(path)
    metrics = load_metrics(path)
    METRICS = [m[0] for m in metrics]
    got = report_json(path, *(("--metric", metric) if metric else ()), *args)
    metric = metric or default_metric(metrics)
    base_key = None
    if baseline is not None:
        matches = [r["key"] for r in rows if r["key"][1:] == baseline]
        base_key = matches[0] if matches else None
    configs, exp = expected(rows, metric, base_key, metrics)
    tag = f"{os.path.basename(path)} {metric} {args}"
    check(got["metric"] == metric, f"{tag}: metric {got['metric']}")
    check([(m["name"], m["unit"], m["higher_is_better"], m["fraction"], m["headline"]) for m in got["metrics"]]
          == metrics, f"{tag}: the file's metrics")
    check(got["runs"]["total"] == len(rows), f"{tag}: total runs")
    for s in ("done", "diverged", "failed", "pending"):
        check(got["runs"][s] == sum(r["status"] == s for r in rows), f"{tag}: runs {s}")
    check([key_of(c) for c in got["configurations"]] == configs, f"{tag}: configuration order")
    for c in got["configurations"]:
        e = exp["configs"][key_of(c)]
        for n in ("n_runs", "n_done", "n_diverged", "n_failed", "n_pending"):
            check(c[n] == e[n], f"{tag}: {key_of(c)} {n} {c[n]} != {e[n]}")
        for m in METRICS:
            check(close(c["mean"][m], e["mean"][m]), f"{tag}: {key_of(c)} mean {m}")
            check(close(c["sd"][m], e["sd"][m]), f"{tag}: {key_of(c)} sd {m}")
    eff = [(x["factor"], x["level"], x["n_configs"], x["mean"]) for x in got["main_effects"]]
    check(len(eff) == len(exp["effects"]), f"{tag}: main effect levels {len(eff)} != {len(exp['effects'])}")
    for g, e in zip(eff, exp["effects"]):
        check(g[:3] == e[:3] and close(g[3], e[3]), f"{tag}: main effect {g} != {e}")
    if base_key is None:
        check(got["baseline"] is None and got["paired"] == [], f"{tag}: no paired section")
    else:
        check(key_of(got["baseline"]) == base_key, f"{tag}: baseline")
        check(len(got["paired"]) == len(configs) - 1, f"{tag}: paired count")
        for p in got["paired"]:
            e = exp["paired"][key_of(p)]
            check(p["n"] == e["n"], f"{tag}: paired {key_of(p)} n")
            for f in ("mean", "sd", "ci_low", "ci_high"):
                check(close(p[f], e[f]), f"{tag}: paired {key_of(p)} {f} {p[f]} != {e[f]}")
            check(p["excludes_zero"] == e["excludes_zero"], f"{tag}: paired {key_of(p)} excludes_zero")
    for b in got["best"]:
        check(exp["best"].get(b["metric"]) == (key_of(b) if b["extent"] else None), f"{tag}: best {b['metric']}")
    return got


def split_of(name):
    return next((s for s in ("test", "val") if name.startswith(s + "_")), "")


def suffix_of(name):
    split = split_of(name)
    return name[len(split) + 1:] if split else name


def config_tables(metrics):
    """The per-configuration tables: a split's headline and fraction metrics (and their siblings
    of the other split), every metric when none is marked."""
    marked = {suffix_of(m[0]) for m in metrics if m[3] or m[4]}
    shown = [m for m in metrics if not marked or suffix_of(m[0]) in marked]
    return [s for s in ("test", "val", "") if any(split_of(m[0]) == s for m in shown)], shown


def check_text(path):
    rows, units = load_runs(path)
    metrics = load_metrics(path)
    metric = default_metric(metrics)
    tables, shown = config_tables(metrics)
    configs = list(dict.fromkeys(r["key"] for r in rows))
    table = run(path)
    check(table.returncode == 0, f"table exit {table.returncode}")
    lines = table.stdout.splitlines()
    check(max(len(l) for l in lines) <= 100, "table fits 100 columns")
    if units:
        eu, lu = units
        check(f"F MAE [{eu}/{lu}]" in table.stdout and f"E MAE [{eu}]" in table.stdout, "table units")
    else:
        for m in shown:
            head = f"{m[0]} [{m[1]}]" if m[1] else m[0]
            check(head in table.stdout, f"table column {head}")
        for name, unit, *_ in metrics:
            check(name in table.stdout.split("\n\n")[0] and (unit == "" or f"in {unit}" in table.stdout),
                  f"units line names {name}")
    has_paired = any(k[1:] == ("none", "power10") for k in configs)
    for k in configs:
        c = "-" if k[0] is None else f"{k[0]:g}"
        # Once in each split's table, once in the paired table unless it is the baseline.
        hits = [l for l in lines if l.split()[:3] == [c, k[1], k[2]]]
        want = len(tables) + (1 if has_paired and k[1:] != ("none", "power10") else 0)
        check(len(hits) >= want, f"table rows for {k}: {len(hits)} (want {want})")
    md = run(path, "--format", "markdown")
    check(md.returncode == 0, "markdown exit")
    pipes = [l for l in md.stdout.splitlines() if l.startswith("|")]
    # The configuration tables, rates, main effects, [factorial ANOVA and contrasts,] [paired,] best,
    # [P(best)].
    js = report_json(path)
    extra = 2 * js["factorial"]["available"] + (js["bootstrap"]["n_seeds"] >= 2 and js["bootstrap"]["n_candidates"] >= 2)
    check(sum(l.startswith("|---") for l in pipes) == len(tables) + 3 + has_paired + extra, "markdown tables")
    check(all(l.endswith("|") for l in pipes), "markdown rows closed")
    for k in configs:
        c = "-" if k[0] is None else f"{k[0]:g}"
        check(any(l.startswith(f"| {c} | {k[1]} | {k[2]} |") for l in pipes), f"markdown row {k}")
    p = run(path, "--format", "csv")
    check(p.returncode == 0, "csv exit")
    recs = list(csv.DictReader(io.StringIO(p.stdout)))
    check(all(None not in r and len(r) == 39 for r in recs), "csv: 39 fields in every row")
    got = report_json(path)
    sections = {r["section"] for r in recs}
    check({"configurations", "main_effects", "best"} <= sections, f"csv sections {sections}")
    for m in metrics:
        conf = [r for r in recs if r["section"] == "configurations" and r["metric"] == m[0]]
        check(len(conf) == len(got["configurations"]), f"csv configuration rows of {m[0]}")
        check(all(r["unit"] == ("fraction" if m[3] else m[1]) for r in conf), f"csv unit of {m[0]}")
        for r, c in zip(conf, got["configurations"]):
            v = c["mean"][m[0]]
            check((r["mean"] == "" and v is None) or close(float(r["mean"]), v), f"csv mean = json mean ({m[0]})")
    check(all(r["metric"] == metric for r in recs if r["section"] in ("main_effects", "paired")),
          "csv: effects and pairs of the default metric")
    paired = [r for r in recs if r["section"] == "paired"]
    check(len(paired) == len(got["paired"]), "csv paired rows")
    for r, c in zip(paired, got["paired"]):
        check(close(float(r["mean"]), c["mean"]), "csv paired mean = json")


def check_errors(tmp, good):
    metric = default_metric(load_metrics(good))
    def one_line_exit2(args, needle, what):
        p = run(*args)
        check(p.returncode == 2, f"{what}: exit {p.returncode} (want 2)")
        check(p.stdout == "" and len(p.stderr.strip().splitlines()) == 1, f"{what}: one line: {p.stderr!r}")
        check(needle in p.stderr, f"{what}: '{needle}' in {p.stderr!r}")

    one_line_exit2([os.path.join(tmp, "missing.h5")], "missing.h5", "missing file")
    text = os.path.join(tmp, "notes.txt")
    with open(text, "w") as f:
        f.write("not hdf5\n")
    one_line_exit2([text], "not a dcsweep results file", "text file")
    foreign = os.path.join(tmp, "foreign.h5")
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3)
    one_line_exit2([foreign], "not a dcsweep results file", "foreign HDF5 file")
    one_line_exit2([good, "--metric", "force_mae"], metric, "unknown metric lists valid ones")
    one_line_exit2([good, "--format", "yaml"], "yaml", "unknown format")
    one_line_exit2([good, "--baseline", "extent=full"], "ambiguous", "ambiguous baseline")
    one_line_exit2([good, "--baseline", "extent=none,rescaling=robust"], "matches no configuration",
                   "absent baseline")
    one_line_exit2([good, "--baseline", "color=red"], "unknown key", "bad baseline key")
    one_line_exit2([good, "--baseline", "extent=sideways"], "unknown extent", "bad baseline extent")
    one_line_exit2([], "missing the results file", "no file")
    one_line_exit2([good, "--bogus"], "unknown option", "unknown option")
    h = run("--help")
    check(h.returncode == 0 and "usage: dcsweep report" in h.stdout, "--help")


def check_pinn(path, tmp):
    """The advection-PINN fixture: its own metrics, default u_nrmse, its made-up best."""
    got = compare(path)
    check(got["metric"] == "u_nrmse" and got["model_kind"] == "advection", "pinn: default metric u_nrmse")
    check(got["units"] == {"u_nrmse": "", "u_rmse": "u", "u_max_err": "u", "ux_nrmse": "", "residual_rms": "u"},
          f"pinn: units {got['units']}")
    for metric in ("ux_nrmse", "residual_rms"):
        compare(path, metric)
    compare(path, "u_nrmse", ("none", "standard"), ("--baseline", "extent=none,rescaling=standard"))
    best = {b["metric"]: key_of(b) for b in got["best"]}
    check(best["u_nrmse"] == (0.5, "full", "standard"), f"pinn best {best['u_nrmse']}")
    check(all(not b["higher_is_better"] for b in got["best"]), "pinn: lower is better everywhere")
    check_text(path)
    p = run(path, "--metric", "test_force_mae")
    check(p.returncode == 2 and "u_nrmse, u_rmse, u_max_err, ux_nrmse, residual_rms" in p.stderr,
          f"pinn: unknown metric lists the file's: {p.stderr!r}")
    table = run(path).stdout
    check("Mean ± sd over done seeds, per configuration" in table and "Test split" not in table,
          "pinn: one configuration table, no splits")
    check("Best configuration per metric (lowest mean)\n" in table, "pinn: best table title")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--file":
        with tempfile.TemporaryDirectory() as tmp:
            compare(sys.argv[2])
            check_text(sys.argv[2])
            check_errors(tmp, sys.argv[2])
        if failures:
            print(f"{len(failures)} failure(s)", file=sys.stderr)
            return 1
        print(f"report of {sys.argv[2]}: all checks passed")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for variant in ("full", "partial", "noneless"):
            files[variant] = os.path.join(tmp, f"{variant}.h5")
            subprocess.run([FIXTURE, files[variant], variant], check=True)
        full = files["full"]
        compare(full)
        for metric in ("test_force_mae", "test_energy_mae", "val_efwt"):
            compare(full, metric)
        got = compare(full, "test_force_mae", ("none", "standard"),
                      ("--baseline", "extent=none,rescaling=standard"))
        check(got["baseline"]["spec"] == "extent=none,rescaling=standard", "baseline spec")
        # A baseline with an IReLU scale: c=1 of extent full under power10.
        got = report_json(full, "--baseline", "c=1,extent=full,rescaling=power10")
        check(key_of(got["baseline"]) == (1.0, "full", "power10"), "baseline with c")
        # The fixture's made-up truth: full c=0.5 standard is the best on test force MAE.
        best = {b["metric"]: key_of(b) for b in got["best"]}
        check(best["test_force_mae"] == (0.5, "full", "standard"), f"best {best['test_force_mae']}")

        part = compare(files["partial"])
        check(part["runs"]["pending"] == 15 and part["runs"]["done"] == 15, "partial: 15 pending")
        check(any(c["n_pending"] > 0 and c["n_done"] > 0 for c in part["configurations"]),
              "partial: configurations with pending and done runs")
        compare(files["noneless"], baseline=None)
        p = run(files["noneless"])
        check(p.returncode == 0 and "Paired comparisons left out" in p.stdout, "noneless: paired left out")
        compare(files["noneless"], baseline=None, args=())
        for path in files.values():
            check_text(path)
        check_errors(tmp, full)
        pinn = os.path.join(tmp, "pinn.h5")
        subprocess.run([FIXTURE, pinn, "pinn"], check=True)
        check_pinn(pinn, tmp)
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("report: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

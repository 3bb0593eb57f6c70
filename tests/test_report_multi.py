#!/usr/bin/python3
"""`dcsweep report A.h5 B.h5 ...` (issue 25: several tasks together), recomputed with numpy/scipy.

Fixtures (tests/report_fixture.c with a TASK argument: the same grid, other noise, errors scaled by
1 + TASK / 2): three PINN `stats` tasks, whose third has no done run of full c = 1 none (a
configuration missing from a task), and two SchNet `full` tasks (pending, failed and diverged runs).
Checked independently of the C code, from the HDF5 files:
- each task's value divided by the mean of its baseline configuration over done seeds;
- per configuration the pooled mean and rliable's IQM (scipy.stats.trim_mean(x, 0.25));
- the 95% intervals: the documented stratified bootstrap replayed (splitmix64 seeded 20261207, 2000
  resamples, per resample every task's seeds drawn in file order, one draw for all configurations
  of a task), percentiles by numpy's linear rule;
- csv and markdown/table carry the same numbers; each task's part is what the file alone gives;
- files of other factor levels are refused with exit 2 and one line naming the factor and levels,
  and so is a --metric one file lacks (naming that file).

    test_report_multi.py                        the fixtures
    test_report_multi.py --files A.h5 B.h5...   real files (their default metric and baseline)"""
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
from scipy import stats

DCSWEEP = os.environ["DCSWEEP"]
FIXTURE = os.environ.get("DC_REPORT_FIXTURE") or os.path.join(os.environ.get("DC_BUILD_DIR", "build"), "tests",
                                                                "report_fixture")
RESAMPLES, SEED = 2000, 20261207
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        if len(failures) <= 40:
            print("FAIL:", what, file=sys.stderr)


def close(a, b, rel=1e-12):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= rel * max(abs(b), 1e-300)


def decode(b):
    return b.split(b"\0", 1)[0].decode() if isinstance(b, bytes) else b


def load(path, metric):
    """Rows of (key, seed, value or None) in file order; value only for done runs."""
    with h5py.File(path, "r") as f:
        rows = []
        for r in f["runs"][...]:
            scale, extent = float(r["irelu_scale"]), decode(r["extent"])
            key = (None if extent == "none" else scale, extent, decode(r["rescaling"]))
            v = float(r[metric]) if decode(r["status"]) == "done" else float("nan")
            rows.append((key, int(r["seed"]), v if math.isfinite(v) else None))
    return rows


def run(*args):
    return subprocess.run([DCSWEEP, "report", *args], capture_output=True, text=True)


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & (2 ** 64 - 1)
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2 ** 64 - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2 ** 64 - 1)
    return state, z ^ (z >> 31)


def expected(paths, metric, base):
    """The aggregate as documented, computed here: {key: dict} and the per-task divisors."""
    tasks = [load(p, metric) for p in paths]
    keys = list(dict.fromkeys(k for rows in tasks for k, _, _ in rows))
    divisors, per_task = [], []
    for rows in tasks:
        divisor = float(np.mean([v for k, _, v in rows if k == base and v is not None]))
        seeds = list(dict.fromkeys(s for _, s, v in rows if v is not None))
        table = np.full((len(keys), len(seeds)), np.nan)
        for k, s, v in rows:
            if v is not None:
                table[keys.index(k), seeds.index(s)] = v / divisor
        divisors.append(divisor)
        per_task.append(table)

    def pooled(a, draws):
        out = [t[a, d] for t, d in zip(per_task, draws)]
        v = np.concatenate(out)
        return v[np.isfinite(v)]

    identity = [np.arange(t.shape[1]) for t in per_task]
    state, boot = SEED, {a: ([], []) for a in range(len(keys))}
    for _ in range(RESAMPLES):
        draws = []
        for t in per_task:
            n, d = t.shape[1], []
            for _ in range(n):
                state, x = splitmix64(state)
                d.append(((x >> 11) * n) >> 53)
            draws.append(np.array(d, dtype=int))
        for a in range(len(keys)):
            v = pooled(a, draws)
            if len(v):
                boot[a][0].append(float(np.mean(v)))
                boot[a][1].append(float(stats.trim_mean(v, 0.25)))
    out = {}
    for a, k in enumerate(keys):
        v = pooled(a, identity)
        bm, bi = boot[a]
        out[k] = {"n_values": len(v), "mean": float(np.mean(v)), "iqm": float(stats.trim_mean(v, 0.25)),
                  "n_tasks": sum(bool(np.isfinite(t[a]).any()) for t in per_task), "n_resamples": len(bm),
                  "mean_ci": (float(np.percentile(bm, 2.5)), float(np.percentile(bm, 97.5))),
                  "iqm_ci": (float(np.percentile(bi, 2.5)), float(np.percentile(bi, 97.5)))}
    return out, divisors, [t.shape[1] for t in per_task]


def key_of(o):
    return (o["irelu_scale"], o["extent"], o["rescaling"])


def check_aggregate(paths, metric, base, args, tag):
    p = run(*paths, "--format", "json", *args)
    check(p.returncode == 0, f"{tag}: exit {p.returncode}: {p.stderr}")
    got = json.loads(p.stdout)
    agg = got["aggregate"]
    want, divisors, n_seeds = expected(paths, metric, base)
    check(agg["metric"] == metric and agg["n_tasks"] == len(paths) and agg["resamples"] == RESAMPLES
          and agg["seed"] == SEED, f"{tag}: header {agg['metric']} {agg['n_tasks']}")
    for t, d, n in zip(agg["tasks"], divisors, n_seeds):
        check(close(t["baseline_mean"], d) and t["n_seeds"] == n, f"{tag}: divisor {t['baseline_mean']} != {d}")
    check([key_of(c) for c in agg["configurations"]] == list(want), f"{tag}: the configurations and their order")
    for c in agg["configurations"]:
        w, what = want[key_of(c)], f"{tag} {key_of(c)}"
        check(c["n_values"] == w["n_values"] and c["n_tasks"] == w["n_tasks"]
              and c["complete"] == (w["n_tasks"] == len(paths)) and c["n_resamples"] == w["n_resamples"],
              f"{what}: counts {c['n_values']}/{c['n_tasks']}/{c['n_resamples']} != {w}")
        check(close(c["mean"], w["mean"]), f"{what}: mean {c['mean']} != {w['mean']}")
        check(close(c["iqm"], w["iqm"]), f"{what}: iqm {c['iqm']} != trim_mean {w['iqm']}")
        check(close(c["mean_ci_low"], w["mean_ci"][0]) and close(c["mean_ci_high"], w["mean_ci"][1]),
              f"{what}: mean CI [{c['mean_ci_low']}, {c['mean_ci_high']}] != {w['mean_ci']}")
        check(close(c["iqm_ci_low"], w["iqm_ci"][0]) and close(c["iqm_ci_high"], w["iqm_ci"][1]),
              f"{what}: IQM CI [{c['iqm_ci_low']}, {c['iqm_ci_high']}] != {w['iqm_ci']}")
    # the baseline is 1 in every task: its pooled mean is exactly the mean of ones
    check(close(next(c["mean"] for c in agg["configurations"] if key_of(c) == base), 1.0, 1e-12),
          f"{tag}: the baseline's normalised mean is 1")

    # Each task's part is the single-file report.
    for i, path in enumerate(paths):
        single = run(path, "--format", "json", *args)
        check(json.loads(single.stdout) == got["tasks"][i], f"{tag}: task {i + 1}'s JSON = the file alone")
    for fmt in ("table", "markdown"):
        text = run(*paths, "--format", fmt, *args).stdout
        for i, path in enumerate(paths):
            alone = run(path, "--format", fmt, *args).stdout
            check(alone in text, f"{tag} {fmt}: task {i + 1}'s tables are the file alone's")
            head = "# Task" if fmt == "markdown" else "==== Task"
            check(f"{head} {i + 1} of {len(paths)}: {path} (sweep " in text, f"{tag} {fmt}: task {i + 1}'s heading")
        check("Aggregate over" in text and "IQM" in text, f"{tag} {fmt}: the aggregate table")
        for c in agg["configurations"]:
            if not c["complete"]:
                check(f"{c['n_tasks']}/{len(paths)}*" in text and "not comparable" in text,
                      f"{tag} {fmt}: a configuration missing from a task is flagged")
    recs = list(csv.DictReader(io.StringIO(run(*paths, "--format", "csv", *args).stdout)))
    for i, path in enumerate(paths):
        alone = list(csv.DictReader(io.StringIO(run(path, "--format", "csv", *args).stdout)))
        mine = [{k: v for k, v in r.items() if k in alone[0]} for r in recs if r["task"] == str(i + 1)
                and r["section"] != "normalisation"]
        check(mine == alone and all(r["file"] == path for r in recs if r["task"] == str(i + 1)),
              f"{tag} csv: task {i + 1}'s rows are the file alone's")
    rows = [r for r in recs if r["section"] == "aggregate"]
    check(len(rows) == len(agg["configurations"]), f"{tag} csv: aggregate rows")
    for r, c in zip(rows, agg["configurations"]):
        check(close(float(r["mean"]), c["mean"]) and close(float(r["iqm"]), c["iqm"])
              and close(float(r["ci_low"]), c["mean_ci_low"]) and close(float(r["iqm_ci_high"]), c["iqm_ci_high"])
              and int(r["n_tasks"]) == c["n_tasks"] and int(r["n"]) == c["n_values"], f"{tag} csv = json {key_of(c)}")
    norm = [r for r in recs if r["section"] == "normalisation"]
    check([float(r["baseline_mean"]) for r in norm] == [t["baseline_mean"] for t in agg["tasks"]],
          f"{tag} csv: the divisors")
    return got


def refused(args, words, tag):
    p = run(*args)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 2 and len(lines) == 1 and p.stdout == "", f"{tag}: exit {p.returncode}, {p.stderr!r}")
    for w in words:
        check(w in p.stderr, f"{tag}: {w!r} not in {p.stderr!r}")


def check_real_files(paths):
    """The aggregate of real files with their default metric and baseline (which they must have)."""
    first = json.loads(run(paths[0], "--format", "json").stdout)
    base = key_of(first["baseline"])
    metric = first["metric"]
    got = check_aggregate(paths, metric, base, (), "real files")
    for t in got["aggregate"]["tasks"]:
        check(t["metric"] == metric, f"real files: {t['file']}'s default metric {t['metric']} != {metric}")


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "--files":
        check_real_files(sys.argv[2:])
        if failures:
            print(f"{len(failures)} failure(s)", file=sys.stderr)
            return 1
        print(f"report of {' '.join(sys.argv[2:])}: all checks passed against numpy and scipy")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        def fixture(variant, task):
            path = os.path.join(tmp, f"{variant}{task}.h5")
            subprocess.run([FIXTURE, path, variant, str(task)], check=True)
            return path

        pinn = [fixture("stats", t) for t in range(3)]
        got = check_aggregate(pinn, "u_nrmse", (None, "none", "none"), ("--baseline", "extent=none,rescaling=none"),
                              "stats x3")
        c = {key_of(x): x for x in got["aggregate"]["configurations"]}
        check(c[(1.0, "full", "none")]["n_tasks"] == 2, "stats: task 3 lacks full c=1 none")
        divisors = [t["baseline_mean"] for t in got["aggregate"]["tasks"]]
        check(divisors[2] > 1.8 * divisors[0], f"stats: the tasks' scales differ ({divisors}): normalising matters")
        ci = [(x["iqm_ci_low"], x["iqm"], x["iqm_ci_high"]) for x in c.values()]
        check(all(lo <= v <= hi for lo, v, hi in ci) and any(hi > lo for lo, _, hi in ci),
              "stats: intervals hold the estimate and have a width")
        check(any(abs(x["iqm"] - x["mean"]) > 1e-3 for x in c.values()), "stats: the IQM differs from the mean")
        check_aggregate(pinn[:2], "ux_nrmse", (0.5, "output", "standard"),
                        ("--metric", "ux_nrmse", "--baseline", "extent=output,rescaling=standard,c=0.5"), "stats x2")
        schnet = [fixture("full", t) for t in range(2)]
        check_aggregate(schnet, "test_force_mae", (None, "none", "power10"), (), "schnet x2")

        other = fixture("pinn", 0)
        refused([pinn[0], other], ["irelu_scale", "0.5,1", "0.25,0.5,1", pinn[0], other], "other factor levels")
        refused([pinn[0], schnet[0]], ["rescaling", "none,standard", "power10,standard"], "other rescalings")
        refused([schnet[0], pinn[0], "--metric", "test_force_mae"], [pinn[0], "test_force_mae"], "a missing metric")
        refused([pinn[0], pinn[1]], ["extent=none,rescaling=power10", "--baseline"], "no baseline to normalise by")
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("report of several tasks: all checks passed against numpy and scipy")
    return 0


if __name__ == "__main__":
    sys.exit(main())

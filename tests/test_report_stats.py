#!/usr/bin/python3
"""`dcsweep report`'s statistics against scipy and statsmodels (issue 25).

On made-up results files written through the real results API (tests/report_fixture.c: the
`stats` variant, 7 seeds with collapsed, diverged and failed runs and a tie; the SchNet `full`
variant, whose EFwT is higher-is-better), runs `$DCSWEEP report --format json` and recomputes from
the HDF5 file, independently of the C code:
- per paired comparison: scipy.stats.ttest_rel's p, statsmodels' multipletests(method='holm') over
  the section, k of n seeds better in the metric's direction, and the exact sign-flip p by
  enumerating the 2^n sign patterns (n >= 6);
- per configuration: the diverged and collapsed rates with statsmodels' proportion_confint
  (method='wilson'), collapsed meaning |ux_nrmse - 1| < 0.01, or for a potential whose
  model_record gives the test forces' RMS (the `vanish` variant) |test_force_rmse / RMS - 1| < 0.01;
- "best": never a configuration with a degenerate run, and a tie names none;
- the metric's direction in json, csv (a `direction` cell on every metric row) and the tables
  (an arrow after every metric column).

    test_report_stats.py                 the fixtures
    test_report_stats.py --file X.h5     every metric of a real file (with the default baseline)"""
import csv
import io
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

DCSWEEP = os.environ["DCSWEEP"]
FIXTURE = os.environ.get("DC_REPORT_FIXTURE") or os.path.join(os.environ.get("DC_BUILD_DIR", "build"), "tests",
                                                                "report_fixture")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        if len(failures) <= 40:
            print("FAIL:", what, file=sys.stderr)


def close(a, b, rel=1e-9, abs_=1e-13):
    """Both missing, or equal to rel (p-values far in the tail: abs_)."""
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None and (b is None or math.isnan(b))
    return abs(a - b) <= max(abs_, rel * abs(b))


def num(v):
    """A CSV cell as a number; None when empty (missing)."""
    return None if v == "" else float(v)


def decode(b):
    return b.split(b"\0", 1)[0].decode() if isinstance(b, bytes) else b


def force_rms_test(path):
    """The test forces' RMS of a potential's model_record, or None."""
    with h5py.File(path, "r") as f:
        record = f.attrs.get("model_record")
    if record is None:
        return None
    v = json.loads(decode(record)).get("force_rms_test")
    return v if isinstance(v, float) and v > 0 else None


def load(path):
    rms = force_rms_test(path)
    with h5py.File(path, "r") as f:
        metrics = [(decode(d["name"]), bool(d["higher_is_better"])) for d in f["metrics"][...]]
        rows = []
        for r in f["runs"][...]:
            scale = float(r["irelu_scale"])
            rows.append({"key": (None if math.isnan(scale) or decode(r["extent"]) == "none" else scale,
                                 decode(r["extent"]), decode(r["rescaling"])),
                         "seed": int(r["seed"]), "status": decode(r["status"]), "force_rms_test": rms,
                         "m": {name: float(r[name]) for name, _ in metrics}})
    return metrics, rows


def report(path, fmt, *args):
    p = subprocess.run([DCSWEEP, "report", path, "--format", fmt, *args], capture_output=True, text=True)
    check(p.returncode == 0, f"report {path} {fmt} {args}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def key_of(o):
    return (o["irelu_scale"], o["extent"], o["rescaling"])


def sign_flip_p(d):
    """Exact two-sided sign-flip p: every pattern of signs on |d|, |sum| at least the observed."""
    obs = abs(sum(d))
    tol = 1e-9 * sum(abs(x) for x in d)
    a = [abs(x) for x in d]
    hits = sum(abs(sum(s * x for s, x in zip(signs, a))) >= obs - tol
               for signs in itertools.product((1, -1), repeat=len(d)))
    return hits / 2 ** len(d)


def collapsed(row, names):
    if row["status"] != "done":
        return False
    if "ux_nrmse" in names:
        return abs(row["m"]["ux_nrmse"] - 1) < 0.01
    rms = row["force_rms_test"]
    return rms is not None and "test_force_rmse" in names and abs(row["m"]["test_force_rmse"] / rms - 1) < 0.01


def check_file(path, metric, base, args=()):
    metrics, rows = load(path)
    names = [n for n, _ in metrics]
    higher = dict(metrics)
    got = json.loads(report(path, "json", "--metric", metric, *args))
    tag = f"{os.path.basename(path)} {metric}"
    configs = list(dict.fromkeys(r["key"] for r in rows))

    # ---- paired: ttest_rel, Holm, k of n better, sign-flip ----
    base_rows = {r["seed"]: r["m"][metric] for r in rows if r["key"] == base and r["status"] == "done"}
    exp = {}
    for k in configs:
        if k == base:
            continue
        mine = [r for r in rows if r["key"] == k and r["status"] == "done" and r["seed"] in base_rows
                and math.isfinite(r["m"][metric])]
        x = np.array([r["m"][metric] for r in mine])
        y = np.array([base_rows[r["seed"]] for r in mine])
        d = x - y
        p = float(stats.ttest_rel(x, y).pvalue) if len(d) > 1 else float("nan")
        better = int((d > 0).sum() if higher[metric] else (d < 0).sum())
        worse = int((d < 0).sum() if higher[metric] else (d > 0).sum())
        exp[k] = {"n": len(d), "p": p, "better": better, "worse": worse,
                  "flip": sign_flip_p(list(d)) if len(d) >= 6 else None}
    keys = [k for k in configs if k != base and not math.isnan(exp[k]["p"])]
    holm = dict(zip(keys, multipletests([exp[k]["p"] for k in keys], method="holm")[1])) if keys else {}
    check(len(got["paired"]) == len(exp), f"{tag}: {len(got['paired'])} comparisons (want {len(exp)})")
    for p in got["paired"]:
        e = exp[key_of(p)]
        what = f"{tag} paired {key_of(p)}"
        check(p["n"] == e["n"], f"{what}: n {p['n']} != {e['n']}")
        check(close(p["p_t"], e["p"]), f"{what}: p_t {p['p_t']} != ttest_rel {e['p']}")
        check(close(p["p_holm"], holm.get(key_of(p))), f"{what}: p_holm {p['p_holm']} != holm {holm.get(key_of(p))}")
        check(p["n_better"] == e["better"] and p["n_worse"] == e["worse"],
              f"{what}: better/worse {p['n_better']}/{p['n_worse']} != {e['better']}/{e['worse']}")
        check(close(p["p_sign_flip"], e["flip"], 1e-12), f"{what}: sign-flip {p['p_sign_flip']} != {e['flip']}")
        check(p["direction"] == ("higher" if higher[metric] else "lower"), f"{what}: direction")

    # ---- rates: Wilson intervals of diverged and collapsed runs ----
    rms = force_rms_test(path)
    has_rule = "ux_nrmse" in names or (rms is not None and "test_force_rmse" in names)
    check((got["collapse"] is not None) == has_rule, f"{tag}: collapse rule present iff ux_nrmse or force_rms_test")
    if has_rule and rms is not None and "ux_nrmse" not in names:
        check(got["collapse"]["metric"] == "test_force_rmse" and close(got["collapse"]["reference"], rms),
              f"{tag}: the potential's rule is test_force_rmse against {rms}: {got['collapse']}")
    for c in got["configurations"]:
        mine = [r for r in rows if r["key"] == key_of(c)]
        finished = [r for r in mine if r["status"] in ("done", "diverged")]
        n_div = sum(r["status"] == "diverged" for r in mine)
        n_col = sum(collapsed(r, names) for r in mine)
        check(c["n_collapsed"] == n_col, f"{tag} {key_of(c)}: n_collapsed {c['n_collapsed']} != {n_col}")
        for field, k in (("diverged_rate", n_div), ("collapsed_rate", n_col)):
            rate = c[field]
            check(rate["k"] == k and rate["n"] == len(finished), f"{tag} {key_of(c)} {field}: k/n")
            if field == "collapsed_rate" and not has_rule:
                check(rate["rate"] is None, f"{tag} {key_of(c)}: collapsed rate without a rule")
                continue
            lo, hi = proportion_confint(k, len(finished), alpha=0.05, method="wilson")
            check(close(rate["rate"], k / len(finished)), f"{tag} {key_of(c)} {field}: rate")
            check(close(rate["ci_low"], lo, 1e-9, 1e-15) and close(rate["ci_high"], hi, 1e-9, 1e-15),
                  f"{tag} {key_of(c)} {field}: [{rate['ci_low']}, {rate['ci_high']}] != wilson [{lo}, {hi}]")
        for m in names:
            n = sum(r["status"] == "done" and math.isfinite(r["m"][m]) for r in mine)
            check(c["n_value"][m] == n, f"{tag} {key_of(c)}: n_value {m}")

    # ---- best: candidates without degenerate runs; a tie names none ----
    for b in got["best"]:
        m = b["metric"]
        means = {}
        for k in configs:
            v = [r["m"][m] for r in rows if r["key"] == k and r["status"] == "done" and math.isfinite(r["m"][m])]
            degenerate = any(r["key"] == k and (r["status"] == "diverged" or collapsed(r, names)) for r in rows)
            if v and not degenerate:
                means[k] = float(np.mean(v))
        best = (max if higher[m] else min)(means.values())
        tied = [k for k, v in means.items() if abs(v - best) <= 1e-12 * abs(best)]
        check(b["direction"] == ("higher" if higher[m] else "lower"), f"{tag} best {m}: direction")
        check(b["n_candidates"] == len(means), f"{tag} best {m}: candidates {b['n_candidates']} != {len(means)}")
        if len(tied) > 1:
            check(b["status"] == "tie" and b["extent"] is None and b["n_tied"] == len(tied),
                  f"{tag} best {m}: a tie of {len(tied)} must name none ({b})")
        else:
            check(b["status"] == "best" and key_of(b) == tied[0], f"{tag} best {m}: {key_of(b)} != {tied[0]}")
    check(all(m["direction"] == ("higher" if m["higher_is_better"] else "lower") for m in got["metrics"]),
          f"{tag}: metrics' direction")
    check(all(e["direction"] == ("higher" if higher[metric] else "lower") for e in got["main_effects"]),
          f"{tag}: main effects' direction")

    # ---- the other formats carry the same numbers and the direction ----
    recs = list(csv.DictReader(io.StringIO(report(path, "csv", "--metric", metric, *args))))
    for r in recs:
        if r["section"] in ("configurations", "main_effects", "paired", "best", "baseline"):
            want = "higher" if higher[r["metric"]] else "lower"
            check(r["direction"] == want, f"{tag} csv {r['section']} {r['metric']}: direction {r['direction']!r}")
    paired = [r for r in recs if r["section"] == "paired"]
    for r, p in zip(paired, got["paired"]):
        check(close(num(r["p_t"]), p["p_t"]) and close(num(r["p_holm"]), p["p_holm"]), f"{tag} csv p = json p")
        check(int(r["k"]) == p["n_better"], f"{tag} csv k = json n_better")
        check((r["p_sign_flip"] == "") == (p["p_sign_flip"] is None), f"{tag} csv sign-flip presence")
    fa = got["factorial"]
    anova = [r for r in recs if r["section"] == "anova"]
    check(len(anova) == (len(fa["anova"]) if fa["available"] else 0), f"{tag}: csv anova rows")
    for r, a in zip(anova, fa["anova"]):
        check(r["term"] == a["term"] and int(r["df"]) == a["df"] and close(num(r["ss"]), a["ss"])
              and (r["p"] == "") == (a["p"] is None), f"{tag}: csv anova {a['term']} = json")
    contrasts = [r for r in recs if r["section"] == "contrasts"]
    check(len(contrasts) == (len(fa["contrasts"]) if fa["available"] else 0), f"{tag}: csv contrast rows")
    for r, c in zip(contrasts, fa["contrasts"]):
        check(r["term"] == c["term"] and close(num(r["estimate"]), c["estimate"])
              and close(num(r["ci_low"]), c["ci_low"]) and close(num(r["p"]), c["p"]),
              f"{tag}: csv contrast {c['term']} = json")
    pb = {(None if r["irelu_scale"] == "" else float(r["irelu_scale"]), r["extent"], r["rescaling"]): float(r["p_best"])
          for r in recs if r["section"] == "p_best"}
    check(pb == {key_of(c): c["p_best"] for c in got["configurations"] if c["p_best"] is not None},
          f"{tag}: csv p_best = json")
    rates = [r for r in recs if r["section"] == "rates"]
    check(len(rates) == 2 * len(configs), f"{tag}: csv rates rows")
    for fmt in ("table", "markdown"):
        text = report(path, fmt, "--metric", metric, *args)
        for m in names:
            arrow = "↑" if higher[m] else "↓"
            check(f"{m} {arrow}" in text, f"{tag} {fmt}: '{m} {arrow}' in the best table")
        check(("p" in text and "Holm" in text and "sign-flip" in text and "Wilson" in text),
              f"{tag} {fmt}: the new columns")
        check(("Factorial ANOVA" in text) == fa["available"] and ("P(best) on" in text) == (got["bootstrap"]["n_seeds"] >= 2),
              f"{tag} {fmt}: the factorial and P(best) sections")
    return got


def value_at(rows, key, seed, metric):
    for r in rows:
        if r["key"] == key and r["seed"] == seed and r["status"] == "done" and math.isfinite(r["m"][metric]):
            return r["m"][metric]
    return None


FACTORS = ("irelu_scale", "extent", "rescaling")


def check_factorial(path, metric, got):
    """The factorial section against an OLS with seeds as blocks and every interaction
    (statsmodels' anova_lm), on the configurations with c and the seeds done in all of them."""
    metrics, rows = load(path)
    tag = f"{os.path.basename(path)} {metric} factorial"
    fa = got["factorial"]
    crossed = list(dict.fromkeys(r["key"] for r in rows if r["key"][1] != "none"))
    levels = [list(dict.fromkeys(k[i] for k in crossed)) for i in range(3)]
    used = [i for i in range(3) if len(levels[i]) >= 2]
    check(fa["factors"] == [FACTORS[i] for i in used], f"{tag}: factors {fa['factors']}")
    seeds = list(dict.fromkeys(r["seed"] for r in rows if r["key"] in crossed))
    complete = [s for s in seeds if all(value_at(rows, k, s, metric) is not None for k in crossed)]
    check(fa["n_seeds"] == len(complete) and fa["n_seeds_total"] == len(seeds), f"{tag}: seeds")
    if len(complete) < 2:
        check(not fa["available"] and "seed" in fa["why"], f"{tag}: unavailable with {len(complete)} seeds")
        return
    check(fa["available"], f"{tag}: available")
    data = pd.DataFrame([{"y": value_at(rows, k, s, metric), "seed": s, "f0": str(k[0]), "f1": k[1], "f2": k[2]}
                         for k in crossed for s in complete])
    terms = [f"C(f{i})" for i in used]
    model = smf.ols("y ~ C(seed) + " + " * ".join(terms), data=data).fit()
    table = anova_lm(model, typ=1)
    name = {f"C(f{i})": FACTORS[i] for i in used}
    want = {"seed": table.loc["C(seed)"], "residual": table.loc["Residual"]}
    for idx in table.index:
        parts = idx.split(":")
        if all(p in name for p in parts):
            key = ":".join(name[p] for p in parts) if len(parts) < 3 else "three_way"
            want[key] = table.loc[idx]
    got_rows = {a["term"]: a for a in fa["anova"]}
    check(set(got_rows) == set(want), f"{tag}: terms {sorted(got_rows)} != {sorted(want)}")
    total = float(((data.y - data.y.mean()) ** 2).sum())
    for term, w in want.items():
        g = got_rows.get(term)
        if g is None:
            continue
        check(g["df"] == int(w["df"]), f"{tag} {term}: df {g['df']} != {w['df']}")
        check(close(g["ss"], float(w["sum_sq"]), 1e-7, 1e-18), f"{tag} {term}: ss {g['ss']} != {w['sum_sq']}")
        share = float(w["sum_sq"]) / total if total > 0 else float("nan")
        check(close(g["share"], share, 1e-7, 1e-15), f"{tag} {term}: share {g['share']} != {share}")
        if term != "residual":
            check(close(g["f"], float(w["F"]), 1e-6), f"{tag} {term}: F {g['f']} != {w['F']}")
            check(close(g["p"], float(w["PR(>F)"]), 1e-6, 1e-300), f"{tag} {term}: p {g['p']} != {w['PR(>F)']}")
    check(fa["df_resid"] == int(model.df_resid) and close(fa["ms_resid"], float(model.mse_resid), 1e-7),
          f"{tag}: residual mean square {fa['ms_resid']} != {model.mse_resid}")
    # Contrasts from the cell means and statsmodels' residual variance.
    t = stats.t.ppf(0.975, model.df_resid)
    cols = {i: f"f{i}" for i in range(3)}
    def marg(conds):
        sel = data
        for i, v in conds:
            sel = sel[sel[cols[i]] == v]
        return float(sel.y.mean()), len(sel)
    exp = []
    for i in used:
        ref, n0 = marg([(i, str(levels[i][0]) if i == 0 else levels[i][0])])
        for lv in levels[i][1:]:
            v, n1 = marg([(i, str(lv) if i == 0 else lv)])
            exp.append((FACTORS[i], v - ref, math.sqrt(model.mse_resid * (1 / n0 + 1 / n1))))
    for a in used:
        for b in used:
            if b <= a:
                continue
            la = [str(x) if a == 0 else x for x in levels[a]]
            lb = [str(x) if b == 0 else x for x in levels[b]]
            for x in la[1:]:
                for y in lb[1:]:
                    m = [marg([(a, u), (b, w)]) for u, w in ((x, y), (x, lb[0]), (la[0], y), (la[0], lb[0]))]
                    est = m[0][0] - m[1][0] - m[2][0] + m[3][0]
                    exp.append((f"{FACTORS[a]}:{FACTORS[b]}", est,
                                math.sqrt(model.mse_resid * sum(1 / n for _, n in m))))
    check(len(fa["contrasts"]) == len(exp), f"{tag}: {len(fa['contrasts'])} contrasts != {len(exp)}")
    for c, (term, est, se) in zip(fa["contrasts"], exp):
        check(c["term"] == term, f"{tag}: contrast term {c['term']} != {term}")
        check(close(c["estimate"], est, 1e-9, 1e-15) and close(c["se"], se, 1e-7),
              f"{tag} {term}: estimate/se {c['estimate']}/{c['se']} != {est}/{se}")
        check(close(c["ci_low"], est - t * se, 1e-7, 1e-15) and close(c["ci_high"], est + t * se, 1e-7, 1e-15),
              f"{tag} {term}: CI")
        pv = 2 * stats.t.sf(abs(est / se), model.df_resid) if se > 0 else (0.0 if est else float("nan"))
        check(close(c["p"], pv, 1e-6, 1e-300), f"{tag} {term}: p {c['p']} != {pv}")


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & (2 ** 64 - 1)
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2 ** 64 - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2 ** 64 - 1)
    return state, z ^ (z >> 31)


def check_bootstrap(path, metric, got):
    """P(best): the documented resampling replayed (splitmix64, seed 20261207, 2000 resamples)."""
    metrics, rows = load(path)
    names = [n for n, _ in metrics]
    higher = dict(metrics)[metric]
    tag = f"{os.path.basename(path)} {metric} bootstrap"
    configs = list(dict.fromkeys(r["key"] for r in rows))
    cand = [k for k in configs
            if any(r["key"] == k and r["status"] == "done" and math.isfinite(r["m"][metric]) for r in rows)
            and not any(r["key"] == k and (r["status"] == "diverged" or collapsed(r, names)) for r in rows)]
    seeds = list(dict.fromkeys(r["seed"] for r in rows if r["key"] in cand))
    complete = [s for s in seeds if all(value_at(rows, k, s, metric) is not None for k in cand)]
    bs = got["bootstrap"]
    check(bs["n_candidates"] == len(cand) and bs["resamples"] == 2000 and bs["seed"] == 20261207, f"{tag}: header")
    p_best = {key_of(c): c["p_best"] for c in got["configurations"]}
    if len(cand) < 2 or len(complete) < 2:
        check(all(v is None for v in p_best.values()), f"{tag}: no probabilities without 2 seeds")
        return
    check(bs["n_seeds"] == len(complete), f"{tag}: seeds {bs['n_seeds']} != {len(complete)}")
    y = [[value_at(rows, k, s, metric) for k in cand] for s in complete]
    n, state, wins = len(complete), 20261207, [0.0] * len(cand)
    for _ in range(2000):
        draw = []
        for _ in range(n):
            state, x = splitmix64(state)
            draw.append(((x >> 11) * n) >> 53)
        sums = []
        for k in range(len(cand)):
            acc = 0.0
            for i in draw:
                acc += y[i][k]
            sums.append(acc)
        best = max(sums) if higher else min(sums)
        tied = [k for k in range(len(cand)) if sums[k] == best]
        for k in tied:
            wins[k] += 1 / len(tied)
    for k, key in enumerate(cand):
        check(close(p_best[key], wins[k] / 2000, 1e-12), f"{tag} {key}: {p_best[key]} != {wins[k] / 2000}")
    check(all(p_best[k] is None for k in configs if k not in cand), f"{tag}: non-candidates have none")
    check(abs(sum(p_best[k] for k in cand) - 1) < 1e-9, f"{tag}: probabilities sum to 1")


def check_real_file(path):
    """Every metric of a real results file against the default baseline (which it must have)."""
    metrics, _ = load(path)
    first = json.loads(report(path, "json"))
    base = key_of(first["baseline"])
    for name, _ in metrics:
        got = check_file(path, name, base)
        check_factorial(path, name, got)
        check_bootstrap(path, name, got)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--file":
        check_real_file(sys.argv[2])
        if failures:
            print(f"{len(failures)} failure(s)", file=sys.stderr)
            return 1
        print(f"report statistics of {sys.argv[2]}: all checks passed against scipy and statsmodels")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        st = os.path.join(tmp, "stats.h5")
        full = os.path.join(tmp, "full.h5")
        subprocess.run([FIXTURE, st, "stats"], check=True)
        subprocess.run([FIXTURE, full, "full"], check=True)
        base = (None, "none", "none")
        args = ("--baseline", "extent=none,rescaling=none")
        for metric in ("u_nrmse", "ux_nrmse", "residual_rms"):
            got = check_file(st, metric, base, args)
            # The comparisons must exercise what they test: Holm moves some p.
            check(any(p["p_holm"] is not None and p["p_t"] is not None and p["p_holm"] > p["p_t"] * 1.5
                      for p in got["paired"]), f"stats {metric}: Holm changes nothing (a vacuous check)")
            check_factorial(st, metric, got)
            check_bootstrap(st, metric, got)
        check(got["factorial"]["available"] and len(got["factorial"]["anova"]) == 9, "stats: a 3-factor ANOVA")
        contested = json.loads(report(st, "json", "--metric", "u_nrmse", *args))
        p_best = sorted(c["p_best"] or 0 for c in contested["configurations"])
        check(0.05 < p_best[-2] < p_best[-1] < 0.95, f"stats: two configurations contest P(best): {p_best}")
        # What the fixture was made to show.
        flips = [p["p_sign_flip"] for p in got["paired"]]
        check(all(f is not None for f in flips), "stats: every comparison has n >= 6 and a sign-flip p")
        c = {key_of(x): x for x in got["configurations"]}
        check(c[(0.5, "full", "standard")]["n_collapsed"] == 7, "stats: full c=0.5 standard collapsed 7/7")
        check(c[(1.0, "full", "none")]["n_collapsed"] == 1, "stats: 1.004 collapsed, 1.02 not")
        best = {b["metric"]: b for b in got["best"]}
        check(best["residual_rms"]["extent"] is not None and best["residual_rms"]["mean"] > 0,
              "stats: best residual_rms is not the collapsed 0")
        check(best["u_max_err"]["status"] == "tie", "stats: u_max_err ties everywhere")
        # A SchNet file: no collapse rule; EFwT is higher-is-better; 3 seeds, no sign-flip.
        sch = (None, "none", "power10")
        for metric in ("test_efwt", "test_force_mae"):
            got = check_file(full, metric, sch)
            check_factorial(full, metric, got)
            check_bootstrap(full, metric, got)
        check(all(p["p_sign_flip"] is None for p in got["paired"]), "schnet: n < 6, no sign-flip p")
        # A potential that records its test forces' RMS: runs with forces of zero are collapsed.
        vanish = os.path.join(tmp, "vanish.h5")
        subprocess.run([FIXTURE, vanish, "vanish"], check=True)
        for metric in ("test_force_mae", "test_force_rmse"):
            got = check_file(vanish, metric, sch)
        c = {key_of(x): x for x in got["configurations"]}
        check(c[(0.5, "full", "power10")]["n_collapsed"] == 2, "vanish: full c=0.5 power10 collapsed at both done seeds")
        check(c[(1.0, "full", "standard")]["n_collapsed"] == 1, "vanish: 1.004 x RMS collapsed, 1.02 x not")
        best = {b["metric"]: b for b in got["best"]}
        check((best["test_force_rmse"]["irelu_scale"], best["test_force_rmse"]["extent"]) != (0.5, "full")
              or best["test_force_rmse"]["rescaling"] != "power10", "vanish: best is never the collapsed configuration")
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("report statistics: all checks passed against scipy and statsmodels")
    return 0


if __name__ == "__main__":
    sys.exit(main())

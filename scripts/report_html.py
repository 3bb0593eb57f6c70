#!/usr/bin/env python3
"""One offline HTML report of dcsweep results files: every table of `dcsweep report --format json`,
the figures of scripts/plot_sweep.py inlined as PNG (base64), the MACE-unit error table, the sweep
file's text and the file's provenance.

    python3 scripts/report_html.py RESULTS.h5 [MORE.h5 ...] -o report.html
        [--metric M] [--baseline SPEC] [--test TEST.xyz] [--no-figures] [--dcsweep PATH]

The page references nothing outside itself (no CSS, script, font or image from the network or the
disk), prints on A4/letter (a print style sheet) and is about 0.3 to 1 MB with its figures.
Numbers are formatted as: means, sds, differences and intervals with 4 significant digits
(`%.4g`); p-values with 3 (`%.3g`, below 1e-4 `%.2e`); EFwT and other fractions in percent.
Needs Python 3 with h5py, numpy and matplotlib (figures only), and the dcsweep executable
(--dcsweep, else $DCSWEEP, else build/dcsweep of this checkout, else dcsweep on PATH).
"""
import argparse
import base64
import datetime
import html
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

CSS = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em auto;
       max-width: 1100px; padding: 0 1em; color: #111; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #bbb; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin-top: 1.2em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: 2px 7px; text-align: right; white-space: nowrap; }
th { white-space: normal; } div.wide { overflow-x: auto; }
th { background: #eee; } td.t, th.t { text-align: left; }
tr.best td { background: #e6f4e6; } td.sig { font-weight: bold; } tr.muted td { color: #777; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.6em; font-size: 12px;
      white-space: pre-wrap; }
figure { display: inline-block; margin: 0.5em 1em 1em 0; vertical-align: top; width: 500px;
         max-width: 100%; }
figure.two { width: 100%; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 12px; color: #333; }
td.wrap { white-space: pre-wrap; word-break: break-all; text-align: left; }
p.note { font-size: 12px; color: #444; } nav a { margin-right: 1em; }
@media print {
  body { font-size: 9pt; max-width: none; margin: 0; }
  nav { display: none; }
  table, figure, pre { page-break-inside: avoid; }
  div.wide { overflow: visible; } table { font-size: 8pt; } td, th { padding: 1px 4px; }
  figure { width: 48%; } figure.two { width: 100%; }
  h2 { page-break-after: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

CAPTIONS = {
    "bars_by_rescaling.png": "Headline metrics per rescaling, one bar per extent (best c written in "
                             "the bar), error bars = sd over seeds; log axis when the bars span a decade.",
    "curves_loss.png": "Training loss terms per step, mean over seeds, band min-max.",
    "u_vs_reference.png": "u(x, t) of the best run and of the baseline against the reference, at the "
                          "first and last evaluation time.",
    "parity.png": "Parity on the test split: predicted against reference energy and force components, "
                  "best run and baseline (kept models, dcsweep predict).",
    "force_error_cdf.png": "Cumulative distribution of the absolute force-component errors on the test "
                           "split, best run and baseline.",
}


def fmt(v, pct=False):
    """Means, sds, differences: 4 significant digits; fractions in percent."""
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    return f"{100 * v:.4g}" if pct else f"{v:.4g}"


def fmt_p(p):
    if p is None:
        return "–"
    return f"{p:.2e}" if p < 1e-4 else f"{p:.3g}"


def esc(s):
    return html.escape(str(s))


def table(head, rows, left=0, classes=None, ident=None, wrap=False):
    """An HTML table (id `ident`, in a box that scrolls sideways on a narrow screen); the first
    `left` columns are text (left-aligned); wrap: the last column's long text wraps."""
    out = [f'<div class="wide"><table{f" id={chr(34)}{ident}{chr(34)}" if ident else ""}><thead><tr>']
    out += [f'<th class="t">{esc(h)}</th>' if i < left else f"<th>{esc(h)}</th>" for i, h in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for k, row in enumerate(rows):
        cls = f' class="{classes[k]}"' if classes and classes[k] else ""
        out.append(f"<tr{cls}>")
        out += [f'<td class="wrap">{esc(v)}</td>' if wrap and i == len(row) - 1 else
                f'<td class="t">{esc(v)}</td>' if i < left else f"<td>{esc(v)}</td>" for i, v in enumerate(row)]
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def config_cells(o):
    c = o.get("irelu_scale")
    return ["–" if c is None else f"{c:g}", o.get("extent", ""), o.get("rescaling", "")]


ARROW = {"lower": "↓", "higher": "↑"}
SHORT = {"energy_mae": "E MAE", "energy_rmse": "E RMSE", "force_mae": "F MAE", "force_rmse": "F RMSE",
         "efwt": "EFwT"}


class Report:
    """One results file's report JSON and the descriptions of its metrics."""

    def __init__(self, data, idx):
        self.d = data
        self.idx = idx
        self.desc = {m["name"]: m for m in data["metrics"]}

    def tid(self, name):
        """A table's id: f<file index>-<section>, e.g. f0-paired."""
        return f"f{self.idx}-{name}"

    def unit(self, metric):
        m = self.desc.get(metric, {})
        return "%" if m.get("fraction") else m.get("unit", "")

    def head(self, metric, short=False):
        """`test_force_mae ↓ [eV/Angstrom]`; short: without the split (`F MAE ↓ [eV/Angstrom]`)."""
        m = self.desc.get(metric, {})
        u = self.unit(metric)
        name = metric
        if short:
            split, _, rest = metric.partition("_")
            name = SHORT.get(rest, rest) if split in ("test", "val") else metric
        return f"{name} {ARROW.get(m.get('direction'), '')}" + (f" [{u}]" if u else "")

    def val(self, metric, v):
        return fmt(v, pct=bool(self.desc.get(metric, {}).get("fraction")))


def section_configurations(r):
    d = r.d
    out = []
    for split in ("test", "val"):
        metrics = [m["name"] for m in d["metrics"] if m["name"].startswith(split + "_")]
        if split == "test":
            metrics += [m["name"] for m in d["metrics"] if "_" not in m["name"] or
                        m["name"].split("_", 1)[0] not in ("test", "val")]
        if not metrics:
            continue
        head = ["c", "extent", "rescaling", "done", "div", "fail", "pend", "coll"]
        head += [r.head(m, short=True) for m in metrics]
        rows = []
        for o in d["configurations"]:
            row = config_cells(o) + [f"{o['n_done']}/{o['n_runs']}", o["n_diverged"], o["n_failed"],
                                     o["n_pending"], o.get("n_collapsed", 0)]
            for m in metrics:
                mean, sd = o["mean"].get(m), o["sd"].get(m)
                row.append("–" if mean is None else f"{r.val(m, mean)} ± {r.val(m, sd)}")
            rows.append(row)
        title = {"test": "Test split", "val": "Validation split"}[split]
        out.append(f"<h3>{title}: mean ± sd over done seeds, per configuration</h3>")
        out.append(table(head, rows, left=3, ident=r.tid(f"configurations-{split}")))
    return "".join(out)


def rate_cell(x):
    if not x or x.get("rate") is None:
        return "–"
    return f"{100 * x['rate']:.0f}% [{100 * x['ci_low']:.0f}%, {100 * x['ci_high']:.0f}%]"


def section_rates(r):
    d = r.d
    rows = [config_cells(o) + [o["diverged_rate"]["n"], o["n_diverged"], rate_cell(o["diverged_rate"]),
                               o.get("n_collapsed", 0), rate_cell(o.get("collapsed_rate"))]
            for o in d["configurations"]]
    rule = d.get("collapse")
    note = (f"collapsed: {esc(json.dumps(rule))}" if rule else
            "collapsed: no rule for this file (no ux_nrmse column, no force_rms_test in its model_record)")
    return ("<p class='note'>rate of finished (done + diverged) runs, Wilson 95% interval; " + note + "</p>" +
            table(["c", "extent", "rescaling", "finished", "div", "div rate", "coll", "coll rate"], rows, left=3,
                  ident=r.tid("rates")))


def section_main_effects(r):
    rows = [[o["factor"], o["level"] if isinstance(o["level"], str) else f"{o['level']:g}",
             f"{o['n_configs']}/{o['n_configs_total']}", r.val(o["metric"], o["mean"])]
            for o in r.d["main_effects"]]
    return table(["factor", "level", "configs", "mean " + r.head(r.d["metric"])], rows, left=2,
                 ident=r.tid("main-effects"))


def level_text(lv):
    return ", ".join(f"{k}={v}" for k, v in lv.items()) if isinstance(lv, dict) else str(lv)


def section_factorial(r):
    f = r.d["factorial"]
    if not f.get("available"):
        return f"<p>Not available: {esc(f.get('why', ''))}</p>"
    out = [f"<p class='note'>{esc(f.get('design', ''))}. Seeds complete: {f['n_seeds']} of "
           f"{f['n_seeds_total']}; share of the variance that is seed noise: {100 * f['seed_share']:.3g}%.</p>"]
    rows = [[a["term"], a["df"], fmt(a["ss"]), f"{100 * a['share']:.3g}%", fmt(a["f"]), fmt_p(a["p"])]
            for a in f["anova"]]
    out.append(table(["term", "df", "SS", "share", "F", "p"], rows, left=1, ident=r.tid("anova")))
    rows = [[c["term"], level_text(c["level"]), level_text(c["reference"]), fmt(c["estimate"]), fmt(c["se"]),
             f"[{fmt(c['ci_low'])}, {fmt(c['ci_high'])}]", fmt_p(c["p"])] for c in f["contrasts"]]
    out.append("<h3>Contrasts (95% t intervals)</h3>")
    out.append(table(["term", "level", "reference", "estimate", "se", "95% CI", "p"], rows, left=3,
                     ident=r.tid("contrasts")))
    return "".join(out)


def section_paired(r):
    d = r.d
    if not d.get("paired"):
        return "<p>No paired section (no baseline configuration in this grid).</p>"
    rows, classes = [], []
    for o in d["paired"]:
        rows.append(config_cells(o) + [f"{o['n_better']}/{o['n']}", r.val(o["metric"], o["mean"]),
                                       f"[{r.val(o['metric'], o['ci_low'])}, {r.val(o['metric'], o['ci_high'])}]",
                                       fmt_p(o["p_t"]), fmt_p(o["p_holm"]), fmt_p(o.get("p_sign_flip"))])
        classes.append("best" if o.get("p_holm") is not None and o["p_holm"] < 0.05 else "")
    b = d.get("baseline") or {}
    return (f"<p class='note'>vs baseline {esc(b.get('spec', ''))} on {esc(r.head(d['metric']))}, over common "
            "seeds; better: seeds where the configuration wins (k of n); p: paired t-test; Holm: adjusted over "
            "every p of this table; sign-flip: exact, n ≥ 6. Rows with Holm p &lt; 0.05 are shaded.</p>" +
            table(["c", "extent", "rescaling", "better", "config − base", "95% CI", "p", "Holm", "sign-flip"],
                  rows, left=3, classes=classes, ident=r.tid("paired")))


def section_p_best(r):
    d = r.d
    b = d.get("bootstrap") or {}
    rows = [config_cells(o) + [f"{o['n_done']}/{o['n_runs']}",
                               "–" if o.get("p_best") is None else f"{o['p_best']:.3f}"]
            for o in d["configurations"]]
    return (f"<p class='note'>probability of the best mean on {esc(d['metric'])}: paired bootstrap over "
            f"{b.get('n_seeds', '?')} seeds, {b.get('resamples', '?')} resamples (seed {b.get('seed', '?')}), "
            f"{b.get('n_candidates', '?')} candidates (no diverged or collapsed run).</p>" +
            table(["c", "extent", "rescaling", "done", "P(best)"], rows, left=3, ident=r.tid("p-best")))


def section_best(r):
    rows = []
    for o in r.d["best"]:
        m = o["metric"]
        if o["status"] == "best":
            rows.append([r.head(m)] + config_cells(o) + [o["n_done"], f"{r.val(m, o['mean'])} ± {r.val(m, o['sd'])}",
                                                         f"{o['n_candidates']}", o["status"]])
        else:
            rows.append([r.head(m), "", "", "", "", "", f"{o.get('n_candidates', '')}", o["status"]])
    return table(["metric", "c", "extent", "rescaling", "done", "mean ± sd", "cand", "status"], rows, left=4,
                 ident=r.tid("best"))


KNOWN = {"file", "sweep_name", "model_kind", "epochs", "metric", "metric_unit", "units", "metrics", "runs",
         "collapse", "baseline", "configurations", "main_effects", "paired", "factorial", "bootstrap", "best"}


def generic(value):
    """Any other section of the JSON (a newer dcsweep's): a list of flat objects as a table, else JSON."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        keys = []
        for v in value:
            keys += [k for k in v if k not in keys]
        cell = (lambda x: fmt(x) if isinstance(x, float) else
                json.dumps(x) if isinstance(x, (dict, list)) else "–" if x is None else str(x))
        return table(keys, [[cell(v.get(k)) for k in keys] for v in value])
    return f"<pre>{esc(json.dumps(value, indent=1))}</pre>"


def section_aggregate(a):
    """`dcsweep report A.h5 B.h5 ...`'s aggregate: each task's divisor, then per configuration the
    mean and IQM of the normalised per-seed values with their stratified-bootstrap intervals."""
    if not a:
        return "<p>no aggregate in dcsweep report's output</p>"
    out = [f"<p>{esc(a.get('metric'))} ({esc(a.get('direction'))} is better) over {a.get('n_tasks')} tasks, "
           f"normalised as {esc(a.get('normalisation'))}; IQM {esc(a.get('iqm'))}; 95% intervals: "
           f"{esc(a.get('interval'))}, {esc(a.get('bootstrap'))}, {a.get('resamples')} resamples "
           f"(seed {a.get('seed')}); baseline {esc(a.get('baseline'))}</p>"]
    tasks = a.get("tasks", [])
    out.append(table(["file", "sweep", "family", "seeds", "baseline mean"],
                     [[t.get("file"), t.get("sweep_name"), t.get("model_kind"), t.get("n_seeds"),
                       fmt(t.get("baseline_mean"))] for t in tasks], left=3, ident="agg-tasks"))
    rows, classes = [], []
    for c in a.get("configurations", []):
        complete = c.get("complete", True)
        rows.append(config_cells(c) + [f"{c.get('n_tasks')}/{a.get('n_tasks')}" + ("" if complete else "*"),
                                       fmt(c.get("mean")), f"[{fmt(c.get('mean_ci_low'))}, {fmt(c.get('mean_ci_high'))}]",
                                       fmt(c.get("iqm")), f"[{fmt(c.get('iqm_ci_low'))}, {fmt(c.get('iqm_ci_high'))}]"])
        classes.append("" if complete else "muted")
    out.append(table(["c", "extent", "rescaling", "tasks", "mean", "95% CI", "IQM", "95% CI"], rows, left=3,
                     classes=classes, ident="agg-configurations"))
    if any(not c.get("complete", True) for c in a.get("configurations", [])):
        out.append("<p>* missing in some task (no done seed there): not comparable with the complete rows</p>")
    return "".join(out)


def provenance(h5path):
    """The results file's root attributes (the sweep's texts apart), the hosts that ran it and when."""
    import h5py
    import numpy as np
    with h5py.File(h5path, "r") as f:
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        runs = f["runs"][...] if "runs" in f else None
    texts = {k: attrs.pop(k) for k in ("sweep_text", "sweep_effective") if k in attrs}
    rows = [[k, str(v).strip()] for k, v in sorted(attrs.items())]
    if runs is not None and runs.dtype.names:
        names = runs.dtype.names
        if "host" in names:
            hosts = sorted({h.split(b"\0", 1)[0].decode() for h in runs["host"] if h.strip(b"\0")})
            rows.append(["hosts that ran runs", ", ".join(hosts) or "–"])
        if "finished" in names:
            t = np.asarray(runs["finished"], float)
            t = t[np.isfinite(t) & (t > 0)]
            if len(t):
                iso = (lambda s: datetime.datetime.fromtimestamp(s, datetime.timezone.utc)
                       .strftime("%Y-%m-%dT%H:%M:%SZ"))
                rows.append(["runs finished between", f"{iso(t.min())} and {iso(t.max())}"])
        if "wall_seconds" in names:
            rows.append(["training time of all runs (s)", f"{float(np.nansum(runs['wall_seconds'])):.1f}"])
    rows.append(["report written", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                 + f" on {platform.node()} ({platform.system()} {platform.machine()})"])
    return rows, texts


def figures(h5path, args, notes):
    """(name, PNG bytes) of scripts/plot_sweep.py's figures of the file, plus the MACE table rows."""
    sys.path.insert(0, HERE)
    try:
        import plot_sweep
    except ImportError as e:
        notes.append(f"no figures: {e}")
        return [], None
    with tempfile.TemporaryDirectory() as tmp:
        written, mace = plot_sweep.make_figures(h5path, tmp, test=args.test, dcsweep=args.dcsweep,
                                                notes=notes, dpi=args.dpi)
        pngs = [(os.path.basename(p), open(p, "rb").read()) for p in written if p.endswith(".png")]
        if args.figures:
            os.makedirs(args.figures, exist_ok=True)
            for p in written:
                shutil.copy(p, args.figures)
    return pngs, mace


def caption(name):
    if name in CAPTIONS:
        return CAPTIONS[name]
    if "_vs_c_" in name:
        m, resc = name[:-4].split("_vs_c_")
        return f"{m} against the IReLU scale c, rescaling {resc}; one line per extent, error bars = sd over seeds."
    if name.startswith("curves_per_config_"):
        return "Learning curves of every configuration: each seed (thin) and mean ± sd band."
    if name.startswith("curves_"):
        return "Learning curves (mean ± sd over seeds) of the best configurations and the baseline."
    return name


def file_section(idx, path, data, args):
    r = Report(data, idx)
    runs = data["runs"]
    out = [f'<h2 id="f{idx}">{esc(data.get("sweep_name", ""))}: {esc(os.path.basename(path))}</h2>',
           f"<p>{esc(path)} · model {esc(data.get('model_kind', ''))} · {data.get('epochs', '')} epochs · "
           f"runs: {runs['total']} ({runs['done']} done, {runs['diverged']} diverged, {runs['failed']} failed, "
           f"{runs['pending']} pending, {runs.get('collapsed', 0)} collapsed) · headline metric "
           f"{esc(r.head(data['metric']))}</p>"]
    out += ["<h3>Configurations</h3>", section_configurations(r),
            "<h3>Diverged and collapsed runs</h3>", section_rates(r),
            "<h3>Main effects</h3>", section_main_effects(r),
            "<h3>Factorial effects, seeds as blocks</h3>", section_factorial(r),
            "<h3>Paired comparisons with the baseline</h3>", section_paired(r),
            "<h3>P(best)</h3>", section_p_best(r),
            "<h3>Best configuration per metric</h3>", section_best(r)]
    for k in data:
        if k not in KNOWN:
            out += [f"<h3>{esc(k)}</h3>", generic(data[k])]
    if not args.no_figures:
        notes = []
        pngs, mace = figures(path, args, notes)
        if mace:
            out.append("<h3>Errors in MACE's units (kept models)</h3>")
            out.append(table(mace[0], mace[1:], left=3, ident=r.tid("errors-mace")))
            out.append("<p class='note'>E RMSE per atom, F RMSE over force components, relative F RMSE = F RMSE "
                       "over the RMS of the reference force components; from dcsweep predict with the kept "
                       "models. dataset.file (all frames): the training, validation and unused frames of "
                       "the sweep's dataset.file together.</p>")
        out.append("<h3>Figures</h3>")
        for note in notes:
            out.append(f"<p class='note'>{esc(note)}</p>")
        for name, png in pngs:
            b64 = base64.b64encode(png).decode()
            two = ' class="two"' if name.startswith("curves_per_config_") else ""
            out.append(f'<figure{two}><img alt="{esc(name)}" src="data:image/png;base64,{b64}">'
                       f"<figcaption>{esc(name)}: {esc(caption(name))}</figcaption></figure>")
    rows, texts = provenance(path)
    out.append("<h3>Provenance</h3>")
    out.append(table(["attribute", "value"], rows, left=2, ident=r.tid("provenance"), wrap=True))
    if "sweep_text" in texts:
        out.append("<h3>Sweep file (as given)</h3><pre>" + esc(texts["sweep_text"]) + "</pre>")
    if "sweep_effective" in texts:
        out.append("<h3>Effective settings (hashed: sweep_sha256)</h3><pre>" + esc(texts["sweep_effective"]) + "</pre>")
    return "".join(out)


def find_dcsweep(arg):
    for cand in (arg, os.environ.get("DCSWEEP"), os.path.join(HERE, "..", "build", "dcsweep"),
                 shutil.which("dcsweep")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    raise SystemExit("report_html: no dcsweep executable (give --dcsweep PATH or set DCSWEEP)")


def report_json(args, paths):
    cmd = [args.dcsweep, "report", *paths, "--format", "json"]
    if args.metric:
        cmd += ["--metric", args.metric]
    if args.baseline:
        cmd += ["--baseline", args.baseline]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr.strip()


def main(argv=None):
    ap = argparse.ArgumentParser(description="One offline HTML report of dcsweep results files.")
    ap.add_argument("results", nargs="+", help="results files (complete, partial or merged)")
    ap.add_argument("-o", "--output", required=True, help="the HTML file to write")
    ap.add_argument("--metric", help="as dcsweep report --metric")
    ap.add_argument("--baseline", help="as dcsweep report --baseline")
    ap.add_argument("--test", help="extended XYZ of the test split for the parity plots (default: the "
                                   "sweep's dataset.test, found from the file's dataset_sha256)")
    ap.add_argument("--dcsweep", help="the dcsweep executable")
    ap.add_argument("--no-figures", action="store_true", help="tables only")
    ap.add_argument("--figures", metavar="DIR", help="also keep the PNGs (and the error table) in DIR")
    ap.add_argument("--dpi", type=int, default=110, help="resolution of the inlined PNGs (default 110)")
    args = ap.parse_args(argv)
    args.dcsweep = find_dcsweep(args.dcsweep)
    reports = []
    for path in args.results:
        rc, out, err = report_json(args, [path])
        if rc != 0:
            print(f"report_html: {err or f'dcsweep report {path} exited {rc}'}", file=sys.stderr)
            return 2
        reports.append((path, json.loads(out)))
    title = "dcsweep report: " + ", ".join(d.get("sweep_name", os.path.basename(p)) for p, d in reports)
    body = [f"<h1>{esc(title)}</h1>",
            "<nav>" + "".join(f'<a href="#f{i}">{esc(os.path.basename(p))}</a>' for i, (p, _) in enumerate(reports))
            + "</nav>"]
    for i, (path, data) in enumerate(reports):
        body.append(file_section(i, path, data, args))
    if len(reports) > 1:
        rc, out, err = report_json(args, args.results)
        body.append('<h2 id="across">Across files</h2>')
        if rc == 0:
            body.append(section_aggregate(json.loads(out).get("aggregate", {})))
        else:
            body.append(f"<p>dcsweep report of all files together: {esc(err)}</p>")
    page = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width'><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body>" + "".join(body) + "</body></html>\n")
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, args.output)
    print(f"{args.output} ({os.path.getsize(args.output) / 1024:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

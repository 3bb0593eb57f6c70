#!/usr/bin/python3
"""The README's "Analysing results" section cannot drift: runs its pandas snippet exactly as written (on results files
from tests/report_fixture.c, a SchNet one and an advection-PINN one, placed where the snippet looks
for it) and checks what it builds against `dcsweep report`; and every line of the doc's example
report output must be a line that `dcsweep report` prints for the SchNet file."""
import contextlib
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile

SOURCE = os.environ["DC_SOURCE_DIR"]
DCSWEEP = os.environ["DCSWEEP"]
FIXTURE = os.environ.get("DC_REPORT_FIXTURE") or os.path.join(os.environ["DC_BUILD_DIR"], "tests",
                                                                "report_fixture")
DOC = os.path.join(SOURCE, "README.md")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def blocks(text, lang):
    return re.findall(r"```" + lang + r"\n(.*?)```", text, flags=re.S)


def check_snippet(variant, ns, printed, report, metric, line):
    """What the snippet built from one file, against `dcsweep report` of it."""
    runs, epochs, summary = ns["runs"], ns["epochs"], ns["summary"]
    tag = variant
    check(ns["metric"] == metric == report["metric"], f"{tag}: the snippet's metric is the report's default")
    check(len(runs) == report["runs"]["total"], f"{tag}: runs: one row per run")
    check(set(runs["status"]) <= {"done", "diverged", "failed", "pending"}, f"{tag}: decoded status {set(runs['status'])}")
    check((runs["status"] == "done").sum() == report["runs"]["done"], f"{tag}: done count")
    check(set(runs["extent"]) == {"none", "output", "full"}, f"{tag}: decoded extent")
    n_epochs = report["epochs"]
    check(len(epochs) == len(runs) * n_epochs, f"{tag}: epochs: one row per run and epoch")
    loss = "train_energy_loss" if variant == "full" else "train_residual_loss"
    check({loss, "val_loss", "seed", "extent"} <= set(epochs.columns), f"{tag}: epochs columns")
    check(line in printed, f"{tag}: snippet prints the metric with its unit: {printed[:80]!r}")
    for c in report["configurations"]:
        scale = c["irelu_scale"] if c["irelu_scale"] is not None else float("nan")
        row = [r for k, r in summary.iterrows()
               if k[0] == c["extent"] and k[1] == c["rescaling"]
               and ((math.isnan(k[2]) and math.isnan(scale)) or k[2] == scale)]
        check(len(row) == 1, f"{tag}: summary row for {c['extent']} {c['rescaling']} {scale}")
        if row:
            check(row[0]["count"] == c["n_done"], f"{tag}: summary count = report n_done")
            check(abs(row[0]["mean"] - c["mean"][metric]) < 1e-12, f"{tag}: summary mean = report mean")


def main():
    try:
        import pandas  # noqa: F401
    except ImportError:
        print("skipping: no pandas (apt-get install python3-pandas)")
        return 77
    readme = open(DOC).read()
    start = readme.index("## Analysing results")
    end = readme.find("\n## ", start + 1)
    doc = readme[start:end if end >= 0 else len(readme)]
    marker = doc.index("tests/test_analysis_doc.py runs the next code block")
    snippet = blocks(doc[marker:], "python")[0]
    example = blocks(doc, "text")[0]
    table = None
    for variant, metric, line in (("full", "test_force_mae", "test_force_mae (eV/Angstrom)"),
                                  ("pinn", "u_nrmse", "u_nrmse (dimensionless)")):
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "results"))
            subprocess.run([FIXTURE, os.path.join(tmp, "results", "quickstart.h5"), variant], check=True)
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                ns, out = {}, io.StringIO()
                with contextlib.redirect_stdout(out):
                    exec(compile(snippet, "README.md", "exec"), ns)
                report = json.loads(subprocess.run([DCSWEEP, "report", "results/quickstart.h5", "--format", "json"],
                                                   capture_output=True, text=True, check=True).stdout)
                if variant == "full":
                    table = subprocess.run([DCSWEEP, "report", "results/quickstart.h5"], capture_output=True,
                                           text=True, check=True).stdout
            finally:
                os.chdir(cwd)
        check_snippet(variant, ns, out.getvalue(), report, metric, line)

    printed = set(table.replace("sweep report-fixture", "sweep quickstart").splitlines())
    for line in example.splitlines():
        if line.strip() and line != "..." and not line.startswith("("):
            check(line in printed, f"doc example line not printed by dcsweep report: {line!r}")
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("analysis doc: snippet and example output check out")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""scripts/report_html.py in a real headless Chromium (Debian's `chromium`): the quick start's sweep
at 2 epochs is trained, its HTML report written; the file must reference nothing outside itself,
load with no network (run under `unshare -n` where it can, and through a dead proxy), give a
screenshot that is a non-blank PNG of the window's size, and the DOM Chromium renders must hold
the values of `dcsweep report --format json`: every configuration's mean ± sd of the headline
metric, and every paired comparison's p and Holm p, formatted as the script documents (%.4g,
p: %.3g). Skips (77) only when chromium is not installed, and says so loudly."""
import base64
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SOURCE = os.environ["DC_SOURCE_DIR"]
DCSWEEP = os.environ["DCSWEEP"]
SCRIPT = os.path.join(SOURCE, "scripts", "report_html.py")
WIDTH, HEIGHT = 1200, 3000
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


class Tables(html.parser.HTMLParser):
    """The text of every cell of every table with an id: {id: [[cell, ...], ...]} (header row first)."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "id" in attrs:
            self.current = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self.current is not None:
            self.row = []
            self.current.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit non-interlaced PNG, decoded with zlib."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, head = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    width, height, depth, color, _, _, interlace = head
    assert depth == 8 and color in (2, 6) and interlace == 0, f"PNG kind {head}"
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def chromium_cmd(exe, profile):
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
           "--no-first-run", "--disable-background-networking", f"--user-data-dir={profile}",
           f"--window-size={WIDTH},{HEIGHT}"]
    # No network namespace at all where unshare works (root, or user namespaces allowed).
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n"] + cmd, True
    return cmd, False


def fmt(v):
    return "–" if v is None else f"{v:.4g}"


def fmt_p(p):
    return "–" if p is None else (f"{p:.2e}" if p < 1e-4 else f"{p:.3g}")


def main():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        banner = "#" * 78
        print(f"{banner}\n# SKIPPED: chromium is not installed: the HTML report was NOT tested in a browser.\n"
              f"# Install it: apt-get install -y chromium (scripts/install-deps.sh --with-tests)\n{banner}")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        results = os.path.join(tmp, "quickstart.h5")
        p = subprocess.run([DCSWEEP, "run", os.path.join(SOURCE, "sweeps", "quickstart.cfg"), "-o", results,
                            "--set", "train.epochs=2"], capture_output=True, text=True)
        check(p.returncode == 0, f"training: {p.stderr[-2000:]}")
        if p.returncode:
            return 1
        p = subprocess.run([DCSWEEP, "report", results, "--format", "json"], capture_output=True, text=True)
        report = json.loads(p.stdout)
        page = os.path.join(tmp, "report.html")
        p = subprocess.run([sys.executable, SCRIPT, results, "-o", page, "--dcsweep", DCSWEEP],
                           capture_output=True, text=True)
        check(p.returncode == 0, f"report_html.py: exit {p.returncode}: {p.stderr}")
        text = open(page, encoding="utf-8").read()
        size = os.path.getsize(page)
        print(f"report.html: {size / 1024:.0f} kB")
        check(50_000 < size < 2_000_000, f"the HTML is small enough to email and holds figures: {size} bytes")

        # Nothing outside the file: every src and href is inline data or an anchor; no url(),
        # @import or protocol-relative reference.
        refs = re.findall(r'\b(?:src|href)\s*=\s*["\']?([^"\'\s>]*)', text, flags=re.I)
        check(refs, "the page has src/href attributes to check")
        for ref in refs:
            check(ref.startswith("data:image/png;base64,") or ref.startswith("#"), f"offline reference: {ref[:80]}")
        check(not re.search(r"url\(|@import|<link\b|<script\b", text, flags=re.I), "no url(), @import, link or script")
        check(not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', text, flags=re.I), "no network reference")
        pngs = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
        check(len(pngs) >= 6, f"the figures are inlined: {len(pngs)} images")
        for b64 in pngs:
            check(base64.b64decode(b64)[:8] == b"\x89PNG\r\n\x1a\n", "an inlined figure is a PNG")
        for want in ("parity.png", "force_error_cdf.png", "curves_per_config_val_force_mae.png",
                     "bars_by_rescaling.png"):
            check(f'alt="{want}"' in text, f"figure {want} in the page")
        check("name = &quot;quickstart&quot;;" in text, "the sweep file's text is in the page")

        # The browser: a screenshot and the rendered DOM, with no network.
        profile = os.path.join(tmp, "profile")
        cmd, isolated = chromium_cmd(exe, profile)
        print(f"chromium: {exe}, {'in a network namespace of its own (unshare -n)' if isolated else 'dead proxy only'}")
        url = "file://" + page
        shot = os.path.join(tmp, "shot.png")
        p = subprocess.run(cmd + [f"--screenshot={shot}", url], capture_output=True, text=True, timeout=120)
        check(p.returncode == 0 and os.path.exists(shot), f"chromium --screenshot: exit {p.returncode}: {p.stderr[-1500:]}")
        if os.path.exists(shot):
            width, height, bpp, rows = png_pixels(shot)
            check((width, height) == (WIDTH, HEIGHT), f"screenshot {width}x{height}, want {WIDTH}x{HEIGHT}")
            # Not blank: a good share of the pixels is not the white background (text, tables, figures).
            dark = sum(1 for row in rows[::4] for i in range(0, len(row), bpp * 4) if min(row[i:i + 3]) < 128)
            total = len(rows[::4]) * (width // 4)
            print(f"screenshot: {width}x{height}, {100 * dark / total:.1f}% dark pixels")
            check(dark / total > 0.01, f"screenshot not blank: {dark} of {total} sampled pixels dark")
            if os.environ.get("DC_KEEP_SHOT"):
                shutil.copy(shot, os.environ["DC_KEEP_SHOT"])
        # Printable: a print style sheet, and Chromium prints it to a PDF of several pages.
        check("@media print" in text, "the page has a print style sheet")
        pdf = os.path.join(tmp, "report.pdf")
        p = subprocess.run(cmd + ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", url], capture_output=True,
                           text=True, timeout=120)
        body = open(pdf, "rb").read() if os.path.exists(pdf) else b""
        pages = len(re.findall(rb"/Type\s*/Page[^s]", body))
        print(f"print to PDF: {len(body) / 1024:.0f} kB, {pages} pages")
        check(body[:5] == b"%PDF-" and pages >= 2, f"chromium --print-to-pdf: {len(body)} bytes, {pages} pages: {p.stderr[-800:]}")
        p = subprocess.run(cmd + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
        check(p.returncode == 0 and "</table>" in p.stdout, f"chromium --dump-dom: exit {p.returncode}: {p.stderr[-1500:]}")
        parser = Tables()
        parser.feed(p.stdout)
        tables = parser.tables

        def row_of(table, o):
            c = o["irelu_scale"]
            key = ["–" if c is None else f"{c:g}", o["extent"], o["rescaling"]]
            hits = [r for r in tables.get(table, [])[1:] if r[:3] == key]
            check(len(hits) == 1, f"{table}: one row for {key}: {len(hits)}")
            return hits[0] if hits else None

        metric = report["metric"]
        head = tables.get("f0-configurations-test", [[]])[0]
        col = next((i for i, h in enumerate(head) if h.startswith("F MAE")), None)
        check(col is not None, f"the test table has the F MAE column: {head}")
        for o in report["configurations"]:
            row = row_of("f0-configurations-test", o)
            want = f"{fmt(o['mean'][metric])} ± {fmt(o['sd'][metric])}"
            if row and col is not None:
                check(row[col] == want, f"mean of {o['extent']} {o['rescaling']}: DOM {row[col]!r}, JSON {want!r}")
        check(len(report["paired"]) >= 3, "the quick start has paired comparisons")
        for o in report["paired"]:
            row = row_of("f0-paired", o)
            if row:
                check(row[6:8] == [fmt_p(o["p_t"]), fmt_p(o["p_holm"])],
                      f"paired p, Holm of {o['extent']} {o['rescaling']}: DOM {row[6:8]}, JSON "
                      f"{[fmt_p(o['p_t']), fmt_p(o['p_holm'])]}")
                check(row[3] == f"{o['n_better']}/{o['n']}", f"k of n: {row[3]}")
        for section in ("f0-rates", "f0-main-effects", "f0-anova", "f0-contrasts", "f0-p-best", "f0-best",
                        "f0-errors-mace", "f0-provenance"):
            check(len(tables.get(section, [])) > 1, f"the rendered DOM has table {section}")
        prov = {r[0]: r[1] for r in tables.get("f0-provenance", [])[1:] if len(r) == 2}
        for key in ("sweep_sha256", "numerics_version", "dcsweep_version", "created", "model_kind"):
            check(key in prov, f"provenance has {key}")
        # MACE's units per split: the redrawn train and validation splits and the test file, for the
        # best run and the baseline; the split column is the third.
        splits = sorted({r[2] for r in tables.get("f0-errors-mace", [])[1:]})
        check(splits == ["test", "train", "validation"], f"MACE table splits: {splits}")
        check("not reproduced" not in text, "the redrawn splits give the stored errors")
        # The units: the test rows against the runs' stored RMSEs (eV, eV/Angstrom; ethanol has 9
        # atoms in every frame): meV/atom = 1000 E RMSE / 9, meV/Angstrom = 1000 F RMSE.
        import h5py
        with h5py.File(results, "r") as f:
            runs = f["runs"][...]
        checked = 0
        for row in tables.get("f0-errors-mace", [])[1:]:
            m = re.search(r"run (\d+),", row[0])
            if row[2] != "test" or not m:
                continue
            checked += 1
            run = int(m.group(1))
            want = [f"{1000 * runs['test_energy_rmse'][run] / 9:.4g}", f"{1000 * runs['test_force_rmse'][run]:.4g}"]
            check(row[4:6] == want, f"MACE units of run {run} on test: {row[4:6]}, from /runs {want}")
        check(checked == 2, f"the best run's and the baseline's test rows: {checked}")
        best = [r for r in tables.get("f0-best", [])[1:] if r and r[0].startswith("test_force_mae")]
        want = [b for b in report["best"] if b["metric"] == metric][0]
        check(best and best[0][2:4] == [want["extent"], want["rescaling"]], f"best row: {best}")
        # The other families: a PINN (no parity plots, says so) and DimeNet++ (the same figures and
        # error table as SchNet, its test split redrawn from dataset.file).
        for cfg, want in (("pinn_tiny.cfg", "no parity plots and no error table in MACE"),
                          ("dimenet_tiny.cfg", "f0-errors-mace")):
            h5 = os.path.join(tmp, cfg + ".h5")
            p = subprocess.run([DCSWEEP, "run", os.path.join(SOURCE, "tests", "data", "run", cfg), "-o", h5],
                               capture_output=True, text=True)
            check(p.returncode == 0, f"{cfg}: {p.stderr[-1000:]}")
            out = os.path.join(tmp, cfg + ".html")
            p = subprocess.run([sys.executable, SCRIPT, h5, "-o", out, "--dcsweep", DCSWEEP], capture_output=True, text=True)
            check(p.returncode == 0, f"{cfg}: report_html.py exit {p.returncode}: {p.stderr}")
            page_text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
            check(want in page_text, f"{cfg}: the page has {want!r}")
            check("not reproduced" not in page_text, f"{cfg}: the redrawn splits give the stored errors")
            check(not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', page_text), f"{cfg}: no network reference")
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("report_html: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

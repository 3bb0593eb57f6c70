#!/usr/bin/python3
"""scripts/plot_sweep.py on made-up results files (tests/report_fixture.c): a full grid, a partial
file, a grid without extent none and with a single c, and an advection-PINN file (its own metrics
and loss curves, from /metrics and curve_names). Every figure must be a real PNG of a journal
column's width, and bad input must fail with a message."""
import os
import struct
import subprocess
import sys
import tempfile

SOURCE = os.environ["DC_SOURCE_DIR"]
FIXTURE = os.environ.get("DC_REPORT_FIXTURE") or os.path.join(os.environ["DC_BUILD_DIR"], "tests",
                                                                "report_fixture")
SCRIPT = os.path.join(SOURCE, "scripts", "plot_sweep.py")
PYTHON = "/usr/bin/python3"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def plot(*args):
    return subprocess.run([PYTHON, SCRIPT, *args], capture_output=True, text=True)


def check_figures(outdir, expected, tag):
    for name in expected:
        path = os.path.join(outdir, name)
        if not os.path.exists(path):
            check(False, f"{tag}: {name} written")
            continue
        size = png_size(path)
        check(size is not None, f"{tag}: {name} is a PNG")
        check(os.path.getsize(path) > 10_000, f"{tag}: {name} > 10 kB ({os.path.getsize(path)})")
        if size and name.startswith("curves_per_config_"):
            # two columns: 7 in at 200 dpi
            check(1200 <= size[0] <= 1500, f"{tag}: {name} width {size[0]} px (two columns at 200 dpi)")
        elif size:
            # 3.5 in at 200 dpi is 700 px; a tight bounding box trims or adds a little.
            check(550 <= size[0] <= 950, f"{tag}: {name} width {size[0]} px (one column at 200 dpi)")


def main():
    try:
        import matplotlib  # noqa: F401
        import h5py  # noqa: F401
    except ImportError as e:
        print(f"skipping: {e} (apt-get install python3-matplotlib python3-h5py)")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for variant in ("full", "partial", "noneless"):
            files[variant] = os.path.join(tmp, f"{variant}.h5")
            subprocess.run([FIXTURE, files[variant], variant], check=True)
        both = ["test_force_mae_vs_c_power10.png", "test_force_mae_vs_c_standard.png",
                "test_energy_mae_vs_c_power10.png", "test_energy_mae_vs_c_standard.png",
                "bars_by_rescaling.png", "curves_val_force_mae.png", "curves_per_config_val_force_mae.png"]
        for variant in ("full", "partial"):
            out = os.path.join(tmp, variant)
            p = plot(files[variant], out)
            check(p.returncode == 0, f"{variant}: exit {p.returncode}: {p.stderr}")
            check(sorted(p.stdout.split()) == sorted(os.path.join(out, n) for n in both),
                  f"{variant}: prints the files it wrote: {p.stdout!r}")
            check_figures(out, both, variant)
        out = os.path.join(tmp, "noneless")
        p = plot(files["noneless"], out, "--curves", "extent=full,c=0.75", "--curves", "extent=output")
        check(p.returncode == 0, f"noneless: exit {p.returncode}: {p.stderr}")
        check_figures(out, ["test_force_mae_vs_c_standard.png", "test_energy_mae_vs_c_standard.png",
                            "bars_by_rescaling.png", "curves_val_force_mae.png",
                            "curves_per_config_val_force_mae.png"], "noneless")
        check(not os.path.exists(os.path.join(out, "test_force_mae_vs_c_power10.png")),
              "noneless: no figure for an absent rescaling")

        pinn = os.path.join(tmp, "pinn.h5")
        subprocess.run([FIXTURE, pinn, "pinn"], check=True)
        out = os.path.join(tmp, "pinn")
        want = [f"{m}_vs_c_{r}.png" for m in ("u_nrmse", "ux_nrmse") for r in ("none", "standard", "power10")]
        want += ["bars_by_rescaling.png", "curves_loss.png"]
        p = plot(pinn, out)
        check(p.returncode == 0, f"pinn: exit {p.returncode}: {p.stderr}")
        check(sorted(p.stdout.split()) == sorted(os.path.join(out, n) for n in want),
              f"pinn: prints the files it wrote: {p.stdout!r}")
        check_figures(out, want, "pinn")
        p = plot(pinn, os.path.join(tmp, "pinn2"), "--curves", "extent=full,c=0.5")
        check(p.returncode == 0 and os.path.exists(os.path.join(tmp, "pinn2", "curves_loss.png")),
              f"pinn --curves: {p.stderr}")

        p = plot(files["full"], os.path.join(tmp, "bad"), "--curves", "colour=red")
        check(p.returncode != 0 and "unknown key" in p.stderr, f"bad --curves: {p.stderr!r}")
        text = os.path.join(tmp, "notes.txt")
        with open(text, "w") as f:
            f.write("not hdf5\n")
        p = plot(text, os.path.join(tmp, "bad"))
        check(p.returncode == 2 and "not a dcsweep results file" in p.stderr, f"foreign file: {p.stderr!r}")
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("plot_sweep: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

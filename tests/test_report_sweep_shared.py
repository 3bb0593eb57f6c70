#!/usr/bin/python3
"""`dcsweep report` and scripts/plot_sweep.py on a real (tiny) sweep: sweeps/quickstart.cfg with one
epoch and two seeds on the shared rMD17 ethanol data, run under mpirun -n 2. Every number of the
report is recomputed from the file as in tests/test_report.py. Skips without ../shared."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_report  # noqa: E402

SHARED = os.environ.get("DC_SHARED_DIR", "")
SOURCE = os.environ["DC_SOURCE_DIR"]
DATA = os.path.join(SHARED, "data", "rmd17-ethanol", "train.xyz")


def main():
    if not os.path.exists(DATA):
        print(f"skipping: no {DATA}")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "quickstart.h5")
        cmd = [test_report.DCSWEEP, "run", os.path.join(SOURCE, "sweeps", "quickstart.cfg"), "-o", out,
               "--set", "train.epochs=1", "--set", "grid.seeds=[0,1]", "--set", f"dataset.file={DATA}"]
        if shutil.which("mpirun"):
            cmd = ["mpirun", "-n", "2"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=150)
        if p.returncode != 0:
            print(p.stdout[-2000:], p.stderr[-2000:], file=sys.stderr)
            return 1
        for metric in ("test_force_mae", "val_energy_mae"):
            test_report.compare(out, metric)
        test_report.check_text(out)
        figs = os.path.join(tmp, "figs")
        p = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "scripts", "plot_sweep.py"), out, figs],
                           capture_output=True, text=True)
        test_report.check(p.returncode == 0 and len(p.stdout.split()) >= 4, f"plot_sweep: {p.stderr}")
        for path in p.stdout.split():
            # the figures; errors_mace.csv and .md are small tables
            if path.endswith(".png"):
                test_report.check(os.path.getsize(path) > 10_000, f"{path} > 10 kB")
    if test_report.failures:
        print(f"{len(test_report.failures)} failure(s)", file=sys.stderr)
        return 1
    print("report on a real sweep: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

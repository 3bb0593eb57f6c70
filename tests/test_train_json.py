#!/usr/bin/python3
"""`dcsweep train --format json` on a toy dataset: one parseable JSON line with every metric key,
a diverged run exits 0 with its epoch named, a bad --run exits 2."""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

DCSWEEP = os.environ["DCSWEEP"]
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def write_xyz(path, n_frames, seed):
    """Molecules of 3-4 atoms with E = sum 0.5 (d - 1.5)^2 over pairs and F = -dE/dr."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(n_frames):
            n = rng.randint(3, 4)
            sym = ["H"] + [rng.choice("HCO") for _ in range(n - 1)]
            r = []
            while len(r) < n:
                p = [rng.uniform(-1.5, 1.5) for _ in range(3)]
                if all(math.dist(p, q) > 0.8 for q in r):
                    r.append(p)
            e, F = 0.0, [[0.0] * 3 for _ in range(n)]
            for i in range(n):
                for j in range(i + 1, n):
                    d = math.dist(r[i], r[j])
                    e += 0.5 * (d - 1.5) ** 2
                    for k in range(3):
                        g = (d - 1.5) * (r[i][k] - r[j][k]) / d
                        F[i][k] -= g
                        F[j][k] += g
            f.write(f"{n}\nProperties=species:S:1:pos:R:3:forces:R:3 energy={e:.12f} pbc=\"F F F\"\n")
            for i in range(n):
                f.write(f"{sym[i]} " + " ".join(f"{x:.10f}" for x in r[i] + F[i]) + "\n")


def train(cfg, *args):
    return subprocess.run([DCSWEEP, "train", cfg, *args], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as d:
    for name, n, seed in [("train.xyz", 16, 1), ("val.xyz", 5, 2), ("test.xyz", 5, 3)]:
        write_xyz(os.path.join(d, name), n, seed)
    cfg = os.path.join(d, "toy.cfg")
    with open(cfg, "w") as f:
        f.write('dataset = { train = "train.xyz"; validation = "val.xyz"; test = "test.xyz"; };\n'
                "model = { features = 8; filters = 8; interactions = 1; gaussians = 8; cutoff = 4.0; };\n"
                'train = { epochs = 2; batch_size = 5; learning_rate = 0.001; loss = "l1"; };\n'
                'grid = { irelu_scale = [0.5, 1.0]; extent = ["full", "none"]; rescaling = ["standard"]; seeds = [1]; };\n')

    p = train(cfg, "--run", "2", "--format", "json")
    check(p.returncode == 0, f"train exit {p.returncode}: {p.stderr}")
    lines = p.stdout.strip().splitlines()
    check(len(lines) == 1, f"expected one JSON line, got {p.stdout!r}")
    r = json.loads(lines[0]) if lines else {}
    keys = ["run", "irelu_scale", "extent", "rescaling", "seed", "status", "epochs"]
    for split in ("val", "test"):
        keys += [f"{split}_{m}" for m in ("energy_mae", "energy_rmse", "force_mae", "force_rmse", "efwt")]
    for k in keys:
        check(k in r, f"missing key {k}")
    check(r.get("status") == "done" and r.get("epochs") == 2, f"status/epochs: {r}")
    # grid order: full c0.5, full c1.0, none -> run 2 is the baseline, without a scale
    check(r.get("run") == 2 and r.get("extent") == "none" and r.get("irelu_scale") is None, f"run: {r}")
    for k in keys[7:]:
        v = r.get(k)
        check(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0, f"{k} = {v}")
    check(r.get("test_force_rmse", 0) >= r.get("test_force_mae", 1), "rmse < mae")

    # the same run again: the same numbers (a run is a pure function of sweep and index)
    p2 = train(cfg, "--run", "2", "--format", "json")
    r2 = json.loads(p2.stdout) if p2.returncode == 0 else {}
    check(all(r2.get(k) == r.get(k) for k in keys), "a rerun gave different metrics")

    p = train(cfg, "--run", "0", "--format", "json", "--set", "train.learning_rate=1e6")
    check(p.returncode == 0, f"diverged run exit {p.returncode}: {p.stderr}")
    r = json.loads(p.stdout) if p.stdout.strip() else {}
    check(r.get("status") == "diverged", f"status {r.get('status')}")
    ep = r.get("diverged_epoch")
    check(isinstance(ep, int) and 1 <= ep <= 2 and f"epoch {ep}" in r.get("message", ""), f"diverged: {r}")
    check(r.get("test_force_mae") is None, "a diverged run reports no metrics")

    p = train(cfg, "--run", "3")
    check(p.returncode == 2 and "--run" in p.stderr, f"--run 3 of 3: exit {p.returncode} {p.stderr!r}")
    p = train(cfg, "--run", "x")
    check(p.returncode == 2, f"--run x: exit {p.returncode}")
    p = train(cfg)
    check(p.returncode == 2, f"no --run: exit {p.returncode}")

    p = train(cfg, "--run", "1")   # the table: per-epoch lines and units in the headers
    check(p.returncode == 0 and "eV/Angstrom" in p.stdout and "test" in p.stdout, f"table: {p.stdout}")

print("failures:", failures)
sys.exit(1 if failures else 0)

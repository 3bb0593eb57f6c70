#!/usr/bin/python3
"""Trained models come out (README "Using a trained model"): a run of the quick start's sweep is
trained, then the README section's code blocks run as they are written; on top:
  - predicting a run's own test split reproduces its stored test metrics (float rounding only);
  - the ASE calculator's energies and forces equal `dcsweep predict`'s;
  - its forces are minus the finite-difference gradient of its energy;
  - 200 steps of NVE velocity Verlet (0.5 fs) of ethanol conserve the total energy (tolerance
    below, documented in docs/results-format.md);
  - errors: a run that is not done, a file without models, an element the model does not know or
    never trained (in the file's train_elements), one line each, in predict and the calculator;
  - a structure with a pair closer than any in training: one warning (predict's stderr, an
    ExtrapolationWarning of the calculator) per structure."""
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile

SOURCE = os.environ["DC_SOURCE_DIR"]
BUILD = os.environ["DC_BUILD_DIR"]
DCSWEEP = os.environ["DCSWEEP"]
FD_TOLERANCE = 5e-3      # eV/Angstrom: float32 energies over a 5e-3 Angstrom central difference
DRIFT_TOLERANCE = 2e-2   # eV over 200 steps of 0.5 fs, 9 atoms near 300 K
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(*args, **kw):
    return subprocess.run([DCSWEEP, *args], capture_output=True, text=True, **kw)


def section_blocks():
    readme = open(os.path.join(SOURCE, "README.md")).read()
    text = readme.split("## Using a trained model", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(python|sh)\n(.*?)```", text, flags=re.S)


def main():
    try:
        import ase.io
        import h5py
        import numpy as np
    except ImportError as e:
        print(f"skipping: {e} (apt-get install python3-ase python3-h5py)")
        return 77
    sys.path.insert(0, os.path.join(SOURCE, "python"))
    # This build's library, whatever the build folder is called (README: DCSWEEP_LIB).
    lib = os.path.join(BUILD, "src", "predict", "libdcsweep.so")
    os.environ["DCSWEEP_LIB"] = lib
    # The sanitizer build's library needs ASan's runtime loaded first, before Python itself (as
    # run_pinn does): this script starts again with it preloaded.
    ldd = subprocess.run(["ldd", lib], capture_output=True, text=True).stdout
    asan = [line.split()[2] for line in ldd.splitlines() if "libasan" in line and "=>" in line]
    if asan and "libasan" not in os.environ.get("LD_PRELOAD", ""):
        env = dict(os.environ, LD_PRELOAD=asan[0],
                   ASAN_OPTIONS=(os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":"))
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    from dcsweep_ase import DcsweepCalculator

    with tempfile.TemporaryDirectory() as tmp:
        for name, target in (("data", os.path.join(SOURCE, "data")), ("python", os.path.join(SOURCE, "python")),
                             ("build", BUILD)):
            os.symlink(target, os.path.join(tmp, name))
        os.mkdir(os.path.join(tmp, "results"))
        results = os.path.join(tmp, "results", "quickstart.h5")
        p = run("run", os.path.join(SOURCE, "sweeps", "quickstart.cfg"), "-o", results, "--set", "grid.seeds=[0]",
                "--set", 'grid.rescaling=["standard"]', "--set", 'grid.extent=["none", "full"]', "--set",
                "grid.irelu_scale=[0.5]")
        check(p.returncode == 0, f"training: {p.stderr}")

        # The README section as it is written.
        for lang, code in section_blocks():
            out = io.StringIO()
            if lang == "python":
                cwd = os.getcwd()
                os.chdir(tmp)
                try:
                    with contextlib.redirect_stdout(out):
                        exec(compile(code, "README.md", "exec"), {})
                finally:
                    os.chdir(cwd)
            else:
                q = subprocess.run(["bash", "-e", "-c", code], cwd=tmp, capture_output=True, text=True)
                check(q.returncode == 0, f"README sh block: {q.stderr}")
                out.write(q.stdout)
            print(out.getvalue(), end="")
        check(os.path.exists(os.path.join(tmp, "results", "predicted.xyz")), "README: no predicted.xyz")

        with h5py.File(results, "r") as f:
            runs = f["runs"][...]
        best = int(open(os.path.join(tmp, "results", "best_run")).read())
        check(runs["status"][best] == b"done", "best run is not done")

        # Predicting the run's own test split reproduces its stored metrics.
        test = os.path.join(SOURCE, "data", "ethanol-xtb", "test.xyz")
        p = run("predict", results, "--run", str(best), test, "--format", "json")
        check(p.returncode == 0, f"predict: {p.stderr}")
        import json
        got = json.loads(p.stdout) if p.returncode == 0 else {}
        for m in ("energy_mae", "energy_rmse", "force_mae", "force_rmse", "efwt"):
            want = float(runs[f"test_{m}"][best])
            check(abs(got.get(m, 1e9) - want) <= 1e-6 * max(abs(want), 1e-3), f"predict {m} {got.get(m)} vs stored {want}")

        # The calculator against predict's file, then against finite differences.
        calc = DcsweepCalculator(results, run=best)
        predicted = ase.io.read(os.path.join(tmp, "results", "predicted.xyz"), ":5")
        reference = ase.io.read(test, ":5")
        for k, (pr, ref) in enumerate(zip(predicted, reference)):
            atoms = ref.copy()
            atoms.calc = calc
            de = abs(atoms.get_potential_energy() - pr.get_potential_energy())
            df = float(np.abs(atoms.get_forces() - pr.get_forces()).max())
            check(de < 1e-5 and df < 1e-5, f"frame {k}: calculator vs predict: dE {de:.2e}, dF {df:.2e}")
        atoms = reference[0].copy()
        atoms.calc = calc
        forces = atoms.get_forces()
        h, fd = 5e-3, np.zeros_like(forces)
        for i in range(len(atoms)):
            for c in range(3):
                pos = atoms.positions.copy()
                pos[i, c] += h
                atoms.positions = pos
                ep = atoms.get_potential_energy()
                pos[i, c] -= 2 * h
                atoms.positions = pos
                em = atoms.get_potential_energy()
                pos[i, c] += h
                atoms.positions = pos
                fd[i, c] = -(ep - em) / (2 * h)
        err = float(np.abs(fd - forces).max())
        print(f"forces vs -dE/dr by central differences (h {h}): max error {err:.2e} eV/Angstrom "
              f"(max |F| {np.abs(forces).max():.2f})")
        check(err < FD_TOLERANCE, f"forces are not -dE/dr: {err:.2e}")

        # NVE molecular dynamics conserves the total energy.
        from ase import units
        from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
        from ase.md.verlet import VelocityVerlet
        atoms = reference[0].copy()
        atoms.calc = calc
        MaxwellBoltzmannDistribution(atoms, temperature_K=300, rng=np.random.default_rng(1))
        dyn = VelocityVerlet(atoms, timestep=0.5 * units.fs)
        total = []
        dyn.attach(lambda: total.append(atoms.get_total_energy()), interval=1)
        dyn.run(200)
        drift = max(total) - min(total)
        print(f"NVE: 200 steps of 0.5 fs, total energy drift {drift:.2e} eV")
        check(drift < DRIFT_TOLERANCE, f"NVE drift {drift:.2e} eV")

        # One-line errors.
        p = run("predict", results, "--run", "99", test)
        check(p.returncode == 2 and "no run 99" in p.stderr, f"run out of range: {p.stderr}")
        nomodels = os.path.join(tmp, "nomodels.h5")
        q = run("run", os.path.join(SOURCE, "sweeps", "quickstart.cfg"), "-o", nomodels, "--set", "grid.seeds=[0]",
                "--set", 'grid.rescaling=["standard"]', "--set", 'grid.extent=["none"]', "--set",
                "train.epochs=1", "--set", "output.keep_models=false")
        check(q.returncode == 0, f"training without models: {q.stderr}")
        p = run("predict", nomodels, "--run", "0", test)
        check(p.returncode == 2 and "keeps no models" in p.stderr and len(p.stderr.splitlines()) == 1,
              f"file without models: {p.stderr}")
        with h5py.File(nomodels, "r") as f:
            check("models" not in f, "output.keep_models = false kept models")
        with h5py.File(results, "r+") as f:
            r = f["runs"][...]
            other = 1 - best
            r["status"][other] = b"pending"
            f["runs"][...] = r
        p = run("predict", results, "--run", str(1 - best), test)
        check(p.returncode == 2 and "is not done (status pending)" in p.stderr, f"a pending run: {p.stderr}")
        water = os.path.join(SOURCE, "tests", "data", "sweeps", "water4.xyz")
        stray = os.path.join(tmp, "stray.xyz")
        with open(stray, "w") as out:
            out.write("3\nProperties=species:S:1:pos:R:3\nN 0 0 0\nH 1 0 0\nH 0 1 0\n")
        p = run("predict", results, "--run", str(best), stray)
        check(p.returncode == 2 and "element N is not one the model was trained on (H, C, O)" in p.stderr,
              f"unknown element: {p.stderr}")
        try:
            calc.calculate(ase.io.read(stray))
            check(False, "the calculator took an unknown element")
        except ValueError as e:
            check("element N" in str(e), f"calculator error: {e}")
        del water

        # An element in the model but not in its training split (an embedding never trained) is
        # refused like an unknown one: a copy of the file whose training split "had no O".
        import shutil
        import warnings
        from dcsweep_ase import ExtrapolationWarning
        untrained = os.path.join(tmp, "untrained.h5")
        shutil.copy(results, untrained)
        with h5py.File(untrained, "r+") as f:
            check(list(f["models"].attrs["train_elements"]) == [1, 6, 8], "train_elements not recorded")
            shortest = float(f["models"].attrs["train_min_distance"])
            check(0.5 < shortest < 1.2, f"train_min_distance {shortest}")
            f["models"].attrs["train_elements"] = np.array([1, 6], dtype=np.int32)
        p = run("predict", untrained, "--run", str(best), test)
        check(p.returncode == 2 and len(p.stderr.splitlines()) == 1 and
              "element O is not one the model was trained on (H, C)" in p.stderr, f"untrained element: {p.stderr}")
        try:
            DcsweepCalculator(untrained, run=best).calculate(reference[0].copy())
            check(False, "the calculator took an untrained element")
        except ValueError as e:
            check(str(e).startswith("atom ") and "element O is not one the model was trained on (H, C)" in str(e),
                  f"calculator error: {e}")
        # A pair closer than any in training: computed, with one warning per structure.
        close = reference[0].copy()
        close.positions[1] = close.positions[0] + 0.4 * (close.positions[1] - close.positions[0]) / \
            np.linalg.norm(close.positions[1] - close.positions[0])
        close.calc = DcsweepCalculator(results, run=best)
        check(abs(close.calc.train_min_distance - shortest) < 1e-12, "calculator train_min_distance")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            close.get_potential_energy()
            close.get_forces()          # the same structure: no second warning
            ok = reference[1].copy()
            ok.calc = close.calc
            ok.get_potential_energy()   # a structure like the training data: none
        got = [str(w.message) for w in caught if issubclass(w.category, ExtrapolationWarning)]
        check(len(got) == 1 and "atoms 0 and 1 are 0.4 Angstrom apart, closer than any pair" in got[0],
              f"extrapolation warnings: {got}")
        closefile = os.path.join(tmp, "close.xyz")
        ase.io.write(closefile, [close, reference[1]], format="extxyz")
        p = run("predict", results, "--run", str(best), closefile)
        lines = p.stderr.splitlines()
        check(p.returncode == 0 and len(lines) == 1 and "frame 1: the atoms on lines 3 and 4 are 0.4 Angstrom "
              "apart, closer than any pair in run" in lines[0], f"predict's extrapolation warning: {p.stderr}")
        energy_only_labels(results, best, test, tmp)
    print("failures:", failures)
    return 1 if failures else 0


def energy_only_labels(results, best, test, tmp):
    """A file whose frames have both labels, an energy only (a dissociation curve's labels) or
    forces only: predict's energy errors cover every frame with an energy, its force errors every
    frame with forces, EFwT those with both, and -o writes each frame's own labels only. No hint
    about other keys for a label that some frame has (a free_energy= next to energy=)."""
    import json

    import ase
    import ase.io
    import numpy as np
    from ase.calculators.singlepoint import SinglePointCalculator

    frames = ase.io.read(test, ":6")
    mixed = []
    for k, atoms in enumerate(frames):
        bare = ase.Atoms(atoms.get_chemical_symbols(), positions=atoms.get_positions())
        if k in (3, 4):
            bare.info["energy"] = atoms.get_potential_energy()
            bare.info["free_energy"] = atoms.get_potential_energy()
        elif k == 5:
            bare.calc = SinglePointCalculator(bare, forces=atoms.get_forces())
        else:
            bare = atoms
        mixed.append(bare)
    path, out = os.path.join(tmp, "mixed.xyz"), os.path.join(tmp, "mixed_pred.xyz")
    ase.io.write(path, mixed, format="extxyz")
    p = run("predict", results, "--run", str(best), path, "-o", out, "--format", "json")
    check(p.returncode == 0 and "a label no frame has" not in p.stderr, f"predict on partly labelled frames: {p.stderr}")
    got = json.loads(p.stdout) if p.returncode == 0 else {}
    check((got.get("labelled"), got.get("energy_labelled"), got.get("forces_labelled")) == (3, 5, 4),
          f"labelled frames: {got}")
    pred = open(out).read() if os.path.exists(out) else ""
    heads = [ln for ln in pred.splitlines() if ln.startswith("Properties=")]
    check(len(heads) == 6 and all(("ref_energy=" in h) == (k < 5) for k, h in enumerate(heads)),
          "-o: ref_energy exactly on the frames with an energy")
    check(len(heads) == 6 and all(("ref_forces" in h) == (k not in (3, 4)) for k, h in enumerate(heads)),
          "-o: ref_forces exactly on the frames with forces")
    if len(heads) == 6:
        pred_frames = ase.io.read(out, ":")
        energy = np.array([float(re.search(r"(?<!ref_)energy=(\S+)", h).group(1)) for h in heads])
        ref_e = np.array([f.get_potential_energy() for f in frames])
        mae = float(np.abs(energy - ref_e)[:5].mean())
        fmae = float(np.mean([np.abs(pred_frames[k].get_forces() - frames[k].get_forces()).mean()
                              for k in (0, 1, 2, 5)]))
        for key, want in (("energy_mae", mae), ("force_mae", fmae)):
            have = got.get(key)
            check(isinstance(have, float) and abs(have - want) <= 1e-8 * max(want, 1.0), f"{key} {have} vs {want}")
    p = run("predict", results, "--run", str(best), path)
    check("6 frames, 3 with labels, 2 with an energy only, 1 with forces only" in p.stdout, f"predict's table: {p.stdout}")
    # Energies only: the energy errors, and no advice to read free_energy instead.
    ase.io.write(path, mixed[3:5], format="extxyz")
    p = run("predict", results, "--run", str(best), path)
    check(p.returncode == 0 and "2 frames, 0 with labels, 2 with an energy only" in p.stdout
          and "energy_mae" in p.stdout and "force_mae" not in p.stdout and "--energy-key" not in p.stdout,
          f"predict on energies only: {p.stdout}")

sys.exit(main())

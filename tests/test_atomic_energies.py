#!/usr/bin/python3
"""Per-element reference energies (dataset.atomic_energies, docs/model.md "Per-element reference
energies"), issue 27:
  - "average" is numpy's minimum-norm lstsq of the training energies on the element counts, for one
    molecule (the shipped xTB ethanol: only the formula's sum is fixed) and for two (rMD17 ethanol
    plus methanol: rank 2 for 3 elements);
  - a file of isolated atoms (rMD17's isolated_atoms.xyz) is stored in the kept model, and a model
    trained on ethanol with it is size-extensive: two ethanols 100 A apart weigh exactly twice
    one (a model without E0s is off by its shift, about 4200 eV), and an isolated H atom lands
    near its E0 (without E0s: near the whole ethanol's energy);
  - with dataset.isolated_atoms = "exact" a lone H, C or O atom is at its E0 exactly (the network's
    isolated-atom output is subtracted in training and prediction), and the model stays
    size-extensive; the key without atomic energies is one line, exit 2;
  - DimeNet++ takes the same E0s (the shared dc_energy_ref): stored in /models, two far ethanols
    weigh twice one, predict reproduces the run's stored test energy MAE; with "exact" a lone H,
    C or O atom is at its E0;
  - a malformed file of isolated atoms is one line naming the file and line, or the missing
    element, exit 2.
The rMD17 part needs ../shared/data and is skipped (said so) without it."""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

SOURCE = os.environ["DC_SOURCE_DIR"]
DCSWEEP = os.environ["DCSWEEP"]
SHARED = os.environ.get("DC_SHARED_DIR", os.path.join(SOURCE, "..", "shared"))
RMD17 = os.path.join(SHARED, "data", "rmd17-ethanol")
failures = []


def check(cond, what):
    print("ok:" if cond else "FAIL:", what, file=sys.stdout if cond else sys.stderr)
    if not cond:
        failures.append(what)


def frames(path):
    """(symbols, positions, energy, text) of every frame of an extended XYZ file."""
    out, lines = [], open(path).read().splitlines()
    i = 0
    while i < len(lines):
        n = int(lines[i])
        comment = lines[i + 1]
        energy = float(comment.split("energy=")[1].split()[0])
        atoms = [ln.split() for ln in lines[i + 2:i + 2 + n]]
        out.append(([a[0] for a in atoms], np.array([[float(x) for x in a[1:4]] for a in atoms]), energy,
                    "\n".join(lines[i:i + 2 + n]) + "\n"))
        i += 2 + n
    return out


def write_xyz(path, structures):
    with open(path, "w") as f:
        for symbols, pos in structures:
            f.write("%d\nProperties=species:S:1:pos:R:3 pbc=\"F F F\"\n" % len(symbols))
            for s, p in zip(symbols, pos):
                f.write("%-2s %16.8f %16.8f %16.8f\n" % (s, *p))


def lstsq_e0(train_frames, elements):
    counts = np.array([[sym.count(e) for e in elements] for sym, _, _, _ in train_frames], float)
    energy = np.array([fr[2] for fr in train_frames])
    return np.linalg.lstsq(counts, energy, rcond=None)[0]


SCHNET = "model = { features = 16; filters = 16; interactions = 2; gaussians = 16; cutoff = 5.0; };\n"
DIMENET = ("task = { kind = \"dimenet++\"; };\nmodel = { hidden = 16; out_emb = 16; int_emb = 8; basis_emb = 4; "
           "num_spherical = 3; num_radial = 4; cutoff = 4.0; blocks = 1; };\n")


def sweep(tmp, name, train, val, test, e0, epochs, isolated=None, model=SCHNET):
    cfg = os.path.join(tmp, name + ".cfg")
    e0_line = "" if e0 is None else "  atomic_energies = \"%s\";\n" % e0
    if isolated:
        e0_line += "  isolated_atoms = \"%s\";\n" % isolated
    open(cfg, "w").write(
        "dataset = {\n  train = \"%s\";\n  validation = \"%s\";\n  test = \"%s\";\n%s};\n" % (train, val, test, e0_line)
        + model +
        "train = { epochs = %d; batch_size = 10; learning_rate = 2e-3; force_weight = 30.0; loss = \"l1\"; };\n"
        "grid = { irelu_scale = [0.5]; extent = [\"none\"]; rescaling = [\"standard\"]; seeds = [0]; };\n"
        % epochs)
    out = os.path.join(tmp, name + ".h5")
    r = subprocess.run([DCSWEEP, "run", cfg, "-o", out], capture_output=True, text=True)
    check(r.returncode == 0, "%s: run exits 0 (%s)" % (name, r.stderr.strip()[-300:]))
    return cfg, out


def model_e0(h5):
    with h5py.File(h5, "r") as f:
        return {k[len("atomic_energy_"):]: float(v) for k, v in f["models"].attrs.items()
                if k.startswith("atomic_energy_")}


def predict(h5, xyz, tmp):
    out = os.path.join(tmp, "pred.xyz")
    r = subprocess.run([DCSWEEP, "predict", h5, "--run", "0", xyz, "-o", out], capture_output=True, text=True)
    check(r.returncode == 0, "predict exits 0 (%s)" % r.stderr.strip()[-300:])
    return [fr[2] for fr in frames(out)] if r.returncode == 0 else []


def subset(path, dst, start, count):
    fr = frames(path)[start:start + count]
    open(dst, "w").write("".join(f[3] for f in fr))
    return fr


def part_xtb(tmp):
    data = os.path.join(SOURCE, "data", "ethanol-xtb")
    train = subset(os.path.join(data, "train.xyz"), os.path.join(tmp, "xt.xyz"), 0, 60)
    subset(os.path.join(data, "train.xyz"), os.path.join(tmp, "xv.xyz"), 60, 10)
    subset(os.path.join(data, "test.xyz"), os.path.join(tmp, "xs.xyz"), 0, 10)
    _, h5 = sweep(tmp, "xtb_average", os.path.join(tmp, "xt.xyz"), os.path.join(tmp, "xv.xyz"),
                  os.path.join(tmp, "xs.xyz"), "average", 1)
    got, want = model_e0(h5), lstsq_e0(train, ["H", "C", "O"])
    check(sorted(got) == ["C", "H", "O"], "xTB ethanol, average: an E0 for H, C and O in /models (%s)" % got)
    if sorted(got) == ["C", "H", "O"]:
        err = max(abs(got[e] - w) for e, w in zip(["H", "C", "O"], want))
        check(err < 1e-9 * 300, "xTB ethanol, average = numpy lstsq's minimum norm (max |diff| %.2e eV)" % err)


def part_rmd17(tmp):
    eth_meth = os.path.join(RMD17, "train_eth_meth.xyz")
    train = subset(eth_meth, os.path.join(tmp, "mt.xyz"), 0, 120) + subset(eth_meth, os.path.join(tmp, "mt2.xyz"), 1000, 80)
    open(os.path.join(tmp, "mt.xyz"), "a").write(open(os.path.join(tmp, "mt2.xyz")).read())
    check(len({len(fr[0]) for fr in train}) == 2, "the ethanol+methanol training subset has both molecules")
    subset(eth_meth, os.path.join(tmp, "mv.xyz"), 200, 10)
    _, h5 = sweep(tmp, "ethmeth_average", os.path.join(tmp, "mt.xyz"), os.path.join(tmp, "mv.xyz"),
                  os.path.join(tmp, "mv.xyz"), "average", 1)
    got, want = model_e0(h5), lstsq_e0(train, ["H", "C", "O"])
    if sorted(got) == ["C", "H", "O"]:
        err = max(abs(got[e] - w) for e, w in zip(["H", "C", "O"], want))
        check(err < 1e-9 * 3000, "ethanol+methanol, average = numpy lstsq's minimum norm (rank 2; max |diff| "
              "%.2e eV; H %.4f C %.4f O %.4f)" % (err, *want))
    else:
        check(False, "ethanol+methanol, average: E0s in /models (%s)" % got)

    iso = os.path.join(RMD17, "isolated_atoms.xyz")
    e0_file = {fr[0][0]: fr[2] for fr in frames(iso)}
    eth = os.path.join(RMD17, "train.xyz")
    subset(eth, os.path.join(tmp, "et.xyz"), 0, 150)
    subset(eth, os.path.join(tmp, "ev.xyz"), 150, 20)
    subset(os.path.join(RMD17, "test_MD.xyz"), os.path.join(tmp, "es.xyz"), 0, 20)
    files = [os.path.join(tmp, n) for n in ("et.xyz", "ev.xyz", "es.xyz")]
    _, with_e0 = sweep(tmp, "eth_e0", *files, iso, 40)
    _, without = sweep(tmp, "eth_plain", *files, None, 40)
    _, exact = sweep(tmp, "eth_exact", *files, iso, 40, "exact")
    stored = model_e0(with_e0)
    # resuming with another file of isolated atoms: refused, naming the file the results were trained on
    other = os.path.join(tmp, "iso_other.xyz")
    open(other, "w").write(open(iso).read().replace("energy=-13.5", "energy=-13.6", 1))
    r = subprocess.run([DCSWEEP, "run", os.path.join(tmp, "eth_e0.cfg"), "-o", with_e0, "--set",
                        "dataset.atomic_energies=\"%s\"" % other], capture_output=True, text=True)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(lines) == 1 and "isolated_atoms.xyz, which this sweep no longer reads" in lines[0],
          "resume with another E0 file: exit 2, one line naming the old file (%d: %s)" % (r.returncode, lines))
    check(stored == {k: v for k, v in e0_file.items() if k in ("H", "C", "O")},
          "the kept model holds the file's E0s exactly (%s)" % stored)

    sym, pos, _, _ = frames(os.path.join(tmp, "es.xyz"))[0]
    far = pos + np.array([100.0, 0.0, 0.0])
    structures = [(sym, pos), (sym + sym, np.vstack([pos, far])), (["H"], np.zeros((1, 3))),
                  (["O", "H", "H"], np.array([[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]], float)),
                  (["C"], np.array([[1.0, 2.0, 3.0]])), (["O"], np.zeros((1, 3)))]
    xyz = os.path.join(tmp, "structures.xyz")
    write_xyz(xyz, structures)
    e = predict(with_e0, xyz, tmp)
    p = predict(without, xyz, tmp)
    x = predict(exact, xyz, tmp)
    water_e0 = e0_file["O"] + 2 * e0_file["H"]
    if len(x) == 6:
        print("exact:    ethanol %.3f, two ethanols %.3f, H %.6f (E0 %.6f), water %.3f (E0 sum %.3f), C %.6f, O %.6f eV"
              % (x[0], x[1], x[2], e0_file["H"], x[3], water_e0, x[4], x[5]))
        for got, el in ((x[2], "H"), (x[4], "C"), (x[5], "O")):
            check(abs(got - e0_file[el]) < 1e-4, "exact isolated atoms: a lone %s atom at its E0 (off by %.2e eV)"
                  % (el, got - e0_file[el]))
        check(abs(x[1] - 2 * x[0]) < 2e-3, "exact isolated atoms: two far ethanols = 2 x one (off by %.2e eV)"
              % (x[1] - 2 * x[0]))
        check(abs(x[3] - water_e0) < 30, "exact isolated atoms: water near its E0 sum (%.2f eV off)" % (x[3] - water_e0))
        with h5py.File(exact, "r") as f:
            check(float(f["models"].attrs.get("isolated_atoms_exact", 0)) == 1.0, "/models records isolated_atoms_exact")
        r = subprocess.run([DCSWEEP, "validate", exact.replace(".h5", ".cfg")], capture_output=True, text=True)
        e0_line = [ln for ln in r.stdout.splitlines() if ln.startswith("E0 ")]
        check(len(e0_line) == 1 and "H -13.568422" in e0_line[0] and "isolated atoms exact" in e0_line[0],
              "validate names the E0s and exact isolated atoms (%s)" % e0_line)
    else:
        check(False, "predict with exact isolated atoms gave %d energies" % len(x))
    if len(e) == 6 and len(p) == 6:
        print("with E0s: ethanol %.3f, two ethanols %.3f, H %.3f (E0 %.3f), water %.3f eV" % (e[0], e[1], e[2], e0_file["H"], e[3]))
        print("without:  ethanol %.3f, two ethanols %.3f, H %.3f, water %.3f eV" % tuple(p[:4]))
        check(abs(e[1] - 2 * e[0]) < 2e-3, "with E0s, two far ethanols = 2 x one (off by %.2e eV)" % (e[1] - 2 * e[0]))
        check(abs(p[1] - 2 * p[0]) > 1000, "without E0s they are not (off by %.1f eV: the model's shift)" % (p[1] - 2 * p[0]))
        h_off, h_plain = abs(e[2] - e0_file["H"]), abs(p[2] - e0_file["H"])
        check(h_off < 10 and h_off < h_plain / 20,
              "an isolated H atom near its E0: %.2f eV off (without E0s %.1f eV off)" % (h_off, h_plain))
        check(abs(e[3] - water_e0) < 30, "water near its E0 sum (%.2f eV off; without E0s %.1f eV off)"
              % (e[3] - water_e0, p[3] - water_e0))

    part_dimenet(tmp, files, iso, e0_file, xyz)

    # malformed files of isolated atoms: one line naming the file and line, or the element, exit 2
    two = os.path.join(tmp, "iso_two.xyz")
    write_xyz(two, [(["H", "H"], np.array([[0, 0, 0], [0.7, 0, 0]], float))])
    no_o = os.path.join(tmp, "iso_no_o.xyz")
    open(no_o, "w").write("".join(fr[3] for fr in frames(iso) if fr[0][0] != "O"))
    cfg = os.path.join(tmp, "eth_e0.cfg")
    r = subprocess.run([DCSWEEP, "validate", os.path.join(tmp, "eth_plain.cfg"), "--set", "dataset.isolated_atoms=\"exact\""],
                       capture_output=True, text=True)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(lines) == 1 and "dataset.isolated_atoms" in lines[0] and "atomic_energies" in lines[0],
          "isolated_atoms without atomic_energies: exit 2, one line (%d: %s)" % (r.returncode, lines))
    for path, want in ((two, "iso_two.xyz:1: dataset.atomic_energies: frame 1 has 2 atoms"),
                       (no_o, "no isolated O atom")):
        r = subprocess.run([DCSWEEP, "validate", cfg, "--set", "dataset.atomic_energies=\"%s\"" % path],
                           capture_output=True, text=True)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2 and len(lines) == 1 and want in lines[0],
              "validate with %s: exit 2 and one line naming it (%d: %s)" % (os.path.basename(path), r.returncode, lines))


def part_dimenet(tmp, files, iso, e0_file, xyz):
    """DimeNet++ with the file's E0s: stored, size-extensive, and predict reproduces the run."""
    cfg, h5 = sweep(tmp, "dn_e0", *files, iso, 3, model=DIMENET)
    check(model_e0(h5) == {k: v for k, v in e0_file.items() if k in ("H", "C", "O")},
          "dimenet++: the kept model holds the file's E0s")
    e = predict(h5, xyz, tmp)
    if len(e) == 6:
        print("dimenet++ with E0s: ethanol %.3f, two ethanols %.3f, H %.3f (E0 %.3f) eV" % (e[0], e[1], e[2], e0_file["H"]))
        check(abs(e[1] - 2 * e[0]) < 2e-3, "dimenet++ with E0s: two far ethanols = 2 x one (off by %.2e eV)" % (e[1] - 2 * e[0]))
        check(abs(e[2] - e0_file["H"]) < 50, "dimenet++ with E0s: a lone H atom near its E0 (%.2f eV off)" % (e[2] - e0_file["H"]))
    else:
        check(False, "dimenet++: predict gave %d energies" % len(e))
    test = files[2]
    want = [fr[2] for fr in frames(test)]
    got = predict(h5, test, tmp)
    with h5py.File(h5, "r") as f:
        names = [n.split(b"\0")[0].decode() if isinstance(n, bytes) else n for n in f["metrics"]["name"]]
        stored = float(f["runs"][0]["test_energy_mae"])
    if got:
        mae = float(np.mean(np.abs(np.array(got) - np.array(want))))
        check(abs(mae - stored) <= 1e-4 * stored + 1e-7,
              "dimenet++ with E0s: predict's test energy MAE %.6g = the run's stored %.6g" % (mae, stored))
    check("test_energy_mae" in names, "dimenet++ file has test_energy_mae")
    # the report's collapse rule for potentials: model_record's test forces' RMS, recomputed here
    forces = np.array([[float(x) for x in ln.split()[4:7]] for fr in frames(test) for ln in fr[3].splitlines()[2:]])
    with h5py.File(h5, "r") as f:
        record = json.loads(f.attrs["model_record"])
    rms = float(np.sqrt(np.mean(forces ** 2)))
    check(abs(record["force_rms_test"] - rms) <= 1e-12 * rms,
          "model_record's force_rms_test %.12g = the test file's RMS force component %.12g" % (record["force_rms_test"], rms))
    rep = json.loads(subprocess.run([DCSWEEP, "report", h5, "--format", "json"], capture_output=True, text=True).stdout)
    check(rep["collapse"] is not None and rep["collapse"]["metric"] == "test_force_rmse"
          and abs(rep["collapse"]["reference"] - rms) <= 1e-12 * rms, "report's collapse rule: test_force_rmse against it")
    _, exact = sweep(tmp, "dn_exact", *files, iso, 3, "exact", model=DIMENET)
    x = predict(exact, xyz, tmp)
    if len(x) == 6:
        print("dimenet++ exact: ethanol %.3f, two ethanols %.3f, H %.6f, C %.6f, O %.6f eV" % (x[0], x[1], x[2], x[4], x[5]))
        for got, el in ((x[2], "H"), (x[4], "C"), (x[5], "O")):
            check(abs(got - e0_file[el]) < 1e-4, "dimenet++ exact: a lone %s atom at its E0 (off by %.2e eV)"
                  % (el, got - e0_file[el]))
        check(abs(x[1] - 2 * x[0]) < 2e-3, "dimenet++ exact: two far ethanols = 2 x one (off by %.2e eV)" % (x[1] - 2 * x[0]))
    else:
        check(False, "dimenet++ exact: predict gave %d energies" % len(x))
    got = predict(exact, test, tmp)
    with h5py.File(exact, "r") as f:
        stored = float(f["runs"][0]["test_energy_mae"])
    if got:
        mae = float(np.mean(np.abs(np.array(got) - np.array(want))))
        check(abs(mae - stored) <= 1e-4 * stored + 1e-7,
              "dimenet++ exact: predict's test energy MAE %.6g = the run's stored %.6g" % (mae, stored))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        part_xtb(tmp)
        if os.path.isdir(RMD17):
            part_rmd17(tmp)
        else:
            print("SKIPPED: the rMD17 part (no %s)" % RMD17)
    if failures:
        print("%d failed" % len(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

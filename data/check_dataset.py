#!/usr/bin/env python3
"""Sanity checks and statistics for the ethanol extended-XYZ dataset (standard library only).

  python3 data/check_dataset.py data/ethanol-xtb/train.xyz data/ethanol-xtb/test.xyz
  python3 data/check_dataset.py --fd-xtb xtb data/ethanol-xtb/train.xyz ...

Checks every frame: the exact ASE layout (atom count line, comment line
`Properties=species:S:1:pos:R:3:forces:R:3 energy=... pbc="F F F"`, 7 columns per atom), 9 atoms
with composition C2H6O in the same order as frame 0, finite energy/positions/forces, an intact
ethanol bond graph (C-C, C-O, three H on the methyl C, two on the methylene C, one on O), a net
force close to zero (an isolated molecule: the xtb gradient is translation invariant), and that no
geometry occurs in two files. With --fd-xtb it also recomputes, with xtb, the energy of frame 0 of
the first file and a central finite difference along the force component of largest magnitude,
and checks that force = -dE/dx (sign and value). Exits non-zero on any failure.
"""
import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HARTREE_EV = 27.211386245988
BOHR_ANG = 0.529177210903
COMMENT_RE = re.compile(
    r'^Properties=species:S:1:pos:R:3:forces:R:3 energy=(\S+) pbc="F F F"$')
NET_FORCE_TOL = 1e-3      # eV/A, |sum_i F_i| per frame
FAILS = []


def fail(msg):
    FAILS.append(msg)
    if len(FAILS) <= 20:
        sys.stderr.write("FAIL: %s\n" % msg)


def read_extxyz(path):
    frames = []
    with open(path) as fh:
        lines = fh.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        where = "%s:%d" % (path, i + 1)
        try:
            n = int(lines[i])
        except ValueError:
            raise SystemExit("%s: bad atom-count line %r" % (where, lines[i]))
        m = COMMENT_RE.match(lines[i + 1])
        if not m:
            raise SystemExit("%s:%d: comment line not in the expected ASE layout: %r"
                             % (path, i + 2, lines[i + 1]))
        energy = float(m.group(1))
        syms, pos, frc = [], [], []
        for k, line in enumerate(lines[i + 2:i + 2 + n]):
            f = line.split()
            if len(f) != 7:
                raise SystemExit("%s:%d: expected 7 columns" % (path, i + 3 + k))
            syms.append(f[0])
            pos.append([float(v) for v in f[1:4]])
            frc.append([float(v) for v in f[4:7]])
        if len(syms) != n:
            raise SystemExit("%s: truncated frame" % where)
        frames.append({"line": i + 1, "n": n, "E": energy, "sym": syms, "pos": pos, "F": frc})
        i += 2 + n
    return frames


def dist(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))


def bond_graph_ok(fr):
    """Ethanol CH3-CH2-OH: returns an error string or None."""
    sym, pos = fr["sym"], fr["pos"]
    heavy = [i for i, s in enumerate(sym) if s != "H"]
    cs = [i for i in heavy if sym[i] == "C"]
    o = [i for i in heavy if sym[i] == "O"][0]
    # the C bonded to O is the methylene C
    c_o = min(cs, key=lambda c: dist(pos[c], pos[o]))
    c_me = [c for c in cs if c != c_o][0]
    if dist(pos[c_o], pos[o]) > 1.75:
        return "C-O %.3f A" % dist(pos[c_o], pos[o])
    if dist(pos[c_me], pos[c_o]) > 1.85:
        return "C-C %.3f A" % dist(pos[c_me], pos[c_o])
    count = {c_me: 0, c_o: 0, o: 0}
    for h in (i for i, s in enumerate(sym) if s == "H"):
        near = min(heavy, key=lambda j: dist(pos[h], pos[j]))
        d = dist(pos[h], pos[near])
        if d > 1.45:
            return "H%d is %.3f A from the nearest heavy atom" % (h, d)
        count[near] += 1
    if (count[c_me], count[c_o], count[o]) != (3, 2, 1):
        return "H counts (CH3, CH2, OH) = (%d, %d, %d)" % (count[c_me], count[c_o], count[o])
    return None


def check_file(path, ref_syms):
    frames = read_extxyz(path)
    if not frames:
        fail("%s: no frames" % path)
        return frames
    if ref_syms is None:
        ref_syms = frames[0]["sym"]
    for k, fr in enumerate(frames):
        where = "%s:%d: frame %d" % (path, fr["line"], k)
        if fr["n"] != 9:
            fail("%s: %d atoms, expected 9" % (where, fr["n"]))
            continue
        if sorted(fr["sym"]) != sorted(["C", "C", "H", "H", "H", "H", "H", "H", "O"]):
            fail("%s: composition %s is not C2H6O" % (where, "".join(fr["sym"])))
            continue
        if fr["sym"] != ref_syms:
            fail("%s: atom order differs from the first frame" % where)
        vals = [fr["E"]] + [x for r in fr["pos"] + fr["F"] for x in r]
        if not all(math.isfinite(v) for v in vals):
            fail("%s: non-finite energy, position or force" % where)
            continue
        net = [sum(f[c] for f in fr["F"]) for c in range(3)]
        if math.sqrt(sum(x * x for x in net)) > NET_FORCE_TOL:
            fail("%s: net force %s eV/A" % (where, net))
        bad = bond_graph_ok(fr)
        if bad:
            fail("%s: broken ethanol bond graph: %s" % (where, bad))
    return frames


def stats(path, frames):
    es = [f["E"] for f in frames]
    fn = [math.sqrt(sum(c * c for c in v)) for f in frames for v in f["F"]]
    comp = [c for f in frames for v in f["F"] for c in v]
    rms = math.sqrt(sum(c * c for c in comp) / len(comp))
    print("%s: %d frames, %d atoms each" % (path, len(frames), frames[0]["n"]))
    print("  energy / eV   : min %.4f  max %.4f  range %.4f  mean %.4f  std %.4f"
          % (min(es), max(es), max(es) - min(es), statistics.fmean(es), statistics.pstdev(es)))
    print("  |F| / eV/A    : mean %.4f  max %.4f  (per-atom force norm); component rms %.4f"
          % (statistics.fmean(fn), max(fn), rms))
    return es, fn


def xtb_energy(xtb, syms, pos, workdir, acc):
    """Energy (eV) of one geometry from an xtb GFN2 single point with gradient."""
    for f in ("gradient", "energy", "xtbrestart", "charges", "wbo", "xtbtopo.mol"):
        try:
            os.remove(os.path.join(workdir, f))
        except FileNotFoundError:
            pass
    with open(os.path.join(workdir, "fd.xyz"), "w") as fh:
        fh.write("%d\nfd\n" % len(syms))
        for s, p in zip(syms, pos):
            fh.write("%-2s %16.8f %16.8f %16.8f\n" % (s, p[0], p[1], p[2]))
    r = subprocess.run([xtb, "fd.xyz", "--grad", "--gfn", "2", "--acc", acc, "--norestart",
                        "--chrg", "0", "--uhf", "0"], cwd=workdir,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0 or "normal termination" not in r.stdout:
        raise SystemExit("xtb single point failed in %s:\n%s" % (workdir, r.stdout[-2000:]))
    with open(os.path.join(workdir, "gradient")) as fh:
        for line in fh:
            if "SCF energy" in line:
                return float(line.replace("=", " = ").split("energy")[1].split()[1]) * HARTREE_EV
    raise SystemExit("no SCF energy in %s/gradient" % workdir)


def fd_check(xtb, path, frame, h, acc):
    syms, pos, frc = frame["sym"], frame["pos"], frame["F"]
    # the force component of largest magnitude makes the sign test unambiguous
    a, c = max(((i, k) for i in range(len(syms)) for k in range(3)),
               key=lambda ik: abs(frc[ik[0]][ik[1]]))
    work = tempfile.mkdtemp(prefix="dcsweep-fd-")
    try:
        e0 = xtb_energy(xtb, syms, pos, work, acc)
        ep_pos = [p[:] for p in pos]
        ep_pos[a][c] += h
        em_pos = [p[:] for p in pos]
        em_pos[a][c] -= h
        ep = xtb_energy(xtb, syms, ep_pos, work, acc)
        em = xtb_energy(xtb, syms, em_pos, work, acc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    f_fd = -(ep - em) / (2.0 * h)
    f_ds = frc[a][c]
    rel = abs(f_fd - f_ds) / abs(f_ds)
    print("finite-difference check (%s, frame 0, atom %d %s, %s component, h = %g A):"
          % (path, a, syms[a], "xyz"[c], h))
    print("  recomputed E = %.8f eV, stored E = %.8f eV (diff %.2e eV)"
          % (e0, frame["E"], e0 - frame["E"]))
    print("  E(+h) = %.8f eV, E(-h) = %.8f eV" % (ep, em))
    print("  -dE/dx (central FD) = %+.6f eV/A, stored force = %+.6f eV/A, rel. diff %.2e"
          % (f_fd, f_ds, rel))
    if abs(e0 - frame["E"]) > 1e-5:
        fail("FD: recomputed energy differs from the stored one by %.2e eV" % (e0 - frame["E"]))
    if f_fd * f_ds <= 0:
        fail("FD: force sign is wrong (stored force must be -dE/dx)")
    elif rel > 1e-3:
        fail("FD: stored force and -dE/dx differ by %.2e (relative)" % rel)
    else:
        print("  OK: stored forces = -dE/dx")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--fd-xtb", metavar="XTB", help="xtb executable: run the finite-difference check")
    ap.add_argument("--fd-h", type=float, default=1e-3, help="FD step in Angstrom (default 1e-3)")
    ap.add_argument("--fd-acc", default="0.01", help="xtb --acc of the FD single points")
    a = ap.parse_args()

    ref_syms = None
    seen = {}
    allframes = {}
    for path in a.files:
        frames = check_file(path, ref_syms)
        if frames and ref_syms is None:
            ref_syms = frames[0]["sym"]
        for k, fr in enumerate(frames):
            key = tuple(round(x, 6) for p in fr["pos"] for x in p)
            if key in seen:
                fail("%s frame %d duplicates %s frame %d" % ((path, k) + seen[key]))
            seen[key] = (path, k)
        allframes[path] = frames
    for path, frames in allframes.items():
        if frames:
            stats(path, frames)
    if a.fd_xtb and allframes[a.files[0]]:
        fd_check(a.fd_xtb, a.files[0], allframes[a.files[0]][0], a.fd_h, a.fd_acc)
    if FAILS:
        print("check_dataset: %d FAILURES" % len(FAILS))
        sys.exit(1)
    print("check_dataset: all checks passed")


if __name__ == "__main__":
    main()

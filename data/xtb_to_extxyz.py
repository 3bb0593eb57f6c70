#!/usr/bin/env python3
"""Helper for data/make_ethanol_xtb.sh (Python 3 standard library only).

Subcommands
  velocities  write an xtb `mdrestart` file (start geometry + Maxwell-Boltzmann velocities drawn
              from a seeded RNG) so that `xtb --md` with `restart=true` is reproducible
              (xtb 6.5.1 has no seed keyword: without a restart file it seeds from the system).
  frames      cut an xtb.trj trajectory into single-frame .xyz files, dropping the equilibration
              frames; positions are rounded to 8 decimals first, so the geometry that xtb labels
              is exactly the geometry written to the dataset.
  assemble    read each frame .xyz and the Turbomole `gradient` file of its xtb single point and
              append the frame to an extended-XYZ file in the layout ASE writes.

Units: xtb works in Hartree and Bohr; the dataset is in eV, Angstrom and eV/Angstrom, and
forces = -gradient.
"""
import argparse
import glob
import math
import os
import random
import sys

HARTREE_EV = 27.211386245988          # CODATA 2018
BOHR_ANG = 0.529177210903             # CODATA 2018
KB_HARTREE = 3.166811563e-6           # Boltzmann constant, Hartree/K
AMU_ME = 1822.888486209               # atomic mass unit in electron masses
MASS_AMU = {"H": 1.00794, "C": 12.0107, "N": 14.0067, "O": 15.9994}


def die(msg):
    sys.stderr.write("xtb_to_extxyz.py: error: %s\n" % msg)
    sys.exit(1)


def read_xyz(path):
    """Plain xyz, one frame: returns (symbols, [[x, y, z], ...]) in Angstrom."""
    with open(path) as fh:
        lines = fh.read().splitlines()
    n = int(lines[0].split()[0])
    syms, pos = [], []
    for line in lines[2:2 + n]:
        f = line.split()
        syms.append(f[0].capitalize())
        pos.append([float(v) for v in f[1:4]])
    if len(syms) != n:
        die("%s: expected %d atoms, found %d" % (path, n, len(syms)))
    return syms, pos


def write_plain_xyz(path, syms, pos, comment=""):
    with open(path, "w") as fh:
        fh.write("%d\n%s\n" % (len(syms), comment))
        for s, p in zip(syms, pos):
            fh.write("%-2s %16.8f %16.8f %16.8f\n" % (s, p[0], p[1], p[2]))


# ---------------------------------------------------------------------------------------------
def cmd_velocities(a):
    syms, pos = read_xyz(a.xyz)
    rng = random.Random(a.seed)
    masses = [MASS_AMU[s] * AMU_ME for s in syms]
    vel = []
    for m in masses:
        sigma = math.sqrt(KB_HARTREE * a.temp / m)   # atomic units (Bohr / atomic time unit)
        vel.append([rng.gauss(0.0, sigma) for _ in range(3)])
    # zero the centre-of-mass momentum (xtb also removes translation/rotation every step)
    mtot = sum(masses)
    for k in range(3):
        vcm = sum(m * v[k] for m, v in zip(masses, vel)) / mtot
        for v in vel:
            v[k] -= vcm
    with open(a.out, "w") as fh:
        fh.write(" -1.0\n")
        for p, v in zip(pos, vel):
            vals = [c / BOHR_ANG for c in p] + v
            fh.write("".join("%22.14E" % x for x in vals) + "\n")   # Fortran (6D22.14)
    ekin = 0.5 * sum(m * sum(c * c for c in v) for m, v in zip(masses, vel))
    print("velocities: seed %d, %d atoms, T(3N dof) = %.1f K" %
          (a.seed, len(syms), 2.0 * ekin / (3 * len(syms) * KB_HARTREE)))


# ---------------------------------------------------------------------------------------------
def read_trj(path):
    """xtb.trj: concatenated xyz frames; comment ' energy: E gnorm: G xtb: ...'."""
    frames = []
    with open(path) as fh:
        lines = fh.read().splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i].split()[0])
        comment = lines[i + 1]
        syms, pos = [], []
        for line in lines[i + 2:i + 2 + n]:
            f = line.split()
            syms.append(f[0].capitalize())
            pos.append([float(v) for v in f[1:4]])
        if len(syms) != n:
            die("%s: truncated frame at line %d" % (path, i + 1))
        frames.append((syms, pos, comment))
        i += 2 + n
    return frames


def cmd_frames(a):
    frames = read_trj(a.trj)
    kept = frames[a.skip:]
    if a.count is not None:
        if len(kept) < a.count:
            die("%s: %d frames after skipping %d, need %d" % (a.trj, len(kept), a.skip, a.count))
        kept = kept[:a.count]
    os.makedirs(a.outdir, exist_ok=True)
    for j, (syms, pos, comment) in enumerate(kept):
        t_fs = (a.skip + j) * a.dump_fs
        pos = [[float("%.8f" % c) for c in p] for p in pos]
        name = os.path.join(a.outdir, "%s_%05d.xyz" % (a.prefix, j))
        write_plain_xyz(name, syms, pos, "%s t=%.1f fs md_%s" % (a.prefix, t_fs, comment.strip()))
    print("frames: %s: %d in trajectory, skipped %d, wrote %d" %
          (a.trj, len(frames), a.skip, len(kept)))


# ---------------------------------------------------------------------------------------------
def read_gradient(path, n):
    """Turbomole `gradient` file written by `xtb --grad`: last cycle -> (E_h, coords_bohr, grad)."""
    with open(path) as fh:
        lines = fh.read().splitlines()
    starts = [i for i, l in enumerate(lines) if l.strip().startswith("cycle =")]
    if not starts:
        die("%s: no 'cycle =' line" % path)
    i = starts[-1]
    head = lines[i].replace("=", " = ").split()
    energy = None
    for k, tok in enumerate(head):
        if tok == "energy" and head[k + 1] == "=":
            energy = float(head[k + 2])
    if energy is None:
        die("%s: no SCF energy in '%s'" % (path, lines[i]))
    coords = [[float(v.replace("D", "E")) for v in l.split()[:3]] for l in lines[i + 1:i + 1 + n]]
    grad = [[float(v.replace("D", "E")) for v in l.split()[:3]]
            for l in lines[i + 1 + n:i + 1 + 2 * n]]
    if len(coords) != n or len(grad) != n or any(len(g) != 3 for g in grad):
        die("%s: malformed gradient block" % path)
    return energy, coords, grad


def fmt_frame(syms, pos, energy_ev, forces):
    out = ["%d" % len(syms),
           'Properties=species:S:1:pos:R:3:forces:R:3 energy=%r pbc="F F F"' % energy_ev]
    for s, p, f in zip(syms, pos, forces):
        out.append("%-2s %16.8f %16.8f %16.8f %16.8f %16.8f %16.8f" %
                   (s, p[0], p[1], p[2], f[0], f[1], f[2]))
    return "\n".join(out) + "\n"


def cmd_assemble(a):
    xyzs = sorted(glob.glob(os.path.join(a.framedir, "*.xyz")))
    if not xyzs:
        die("no frames in %s" % a.framedir)
    with open(a.out, "a" if a.append else "w") as out:
        for path in xyzs:
            syms, pos = read_xyz(path)
            gpath = path[:-4] + ".grad"
            e_h, coords, grad = read_gradient(gpath, len(syms))
            # the gradient file repeats the geometry (Bohr): make sure it is this frame's
            for p, c in zip(pos, coords):
                for k in range(3):
                    if abs(p[k] - c[k] * BOHR_ANG) > 1e-6:
                        die("%s: geometry in %s does not match the frame" % (path, gpath))
            forces = [[-g * HARTREE_EV / BOHR_ANG for g in row] for row in grad]
            vals = [e_h] + [x for row in forces for x in row]
            if not all(math.isfinite(v) for v in vals):
                die("%s: non-finite energy or force" % path)
            out.write(fmt_frame(syms, pos, e_h * HARTREE_EV, forces))
    print("assemble: %d frames from %s -> %s" % (len(xyzs), a.framedir, a.out))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("velocities")
    p.add_argument("--xyz", required=True)
    p.add_argument("--temp", type=float, required=True, help="K, Maxwell-Boltzmann temperature")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", default="mdrestart")
    p.set_defaults(func=cmd_velocities)
    p = sub.add_parser("frames")
    p.add_argument("--trj", required=True)
    p.add_argument("--skip", type=int, required=True, help="equilibration frames to drop")
    p.add_argument("--count", type=int, help="frames to keep (error if fewer)")
    p.add_argument("--dump-fs", type=float, required=True, help="time between frames (fs)")
    p.add_argument("--outdir", required=True)
    p.add_argument("--prefix", required=True)
    p.set_defaults(func=cmd_frames)
    p = sub.add_parser("assemble")
    p.add_argument("--framedir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--append", action="store_true")
    p.set_defaults(func=cmd_assemble)
    a = ap.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()

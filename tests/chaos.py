#!/usr/bin/python3
"""A seeded chaos campaign against `mpirun -n 3 dcsweep run` (issue 26).

  python3 tests/chaos.py [--seed S] [--trials N] [--dcsweep EXE | --asan BUILD_DIR] [--only I]

Each trial starts a fresh 3-rank sweep (sweeps/quickstart.cfg shrunk by --set: a tiny model, one
seed, runs of about a second, a checkpoint every second, a 3 s heartbeat timeout), hits it with one
fault or a sequence of 2-3 (each fault on the next launch, which resumes the file), then reruns the
same command until it completes (a bounded number of reruns, each under a timeout) and checks the
file against an uninterrupted reference computed once per campaign:
  - /runs (every deterministic column), /curves, /models, /metrics, /rescaling bitwise equal;
  - one row per run, in order, every row done;
  - nothing left next to the file (lock, .creating, space probe, checkpoint files) and no process
    of the trial alive; no launch past its timeout (a hang);
  - no crash: a rank ended by SIGSEGV/SIGABRT/SIGBUS/SIGILL/SIGFPE, or a launch's output naming
    heap corruption or a sanitizer report, fails the campaign even if the file ends equal.
The seed fixes every choice (faults, targets, delays); the moments land where the machine's timing
puts them, so a failure is replayed with `--seed S --only I` but may need a few tries. Failed
trials keep their logs and file in /tmp/chaos-failures/. Exit 0 only if every trial passed; 77
with --skip-if-asan on an ASan build (scripts/test-sanitize.sh runs the ASan part itself).
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chaos_lib import (CRASH_SIGNALS, Launch, crashes, h5py, kill_session, leftovers, live, load,
                       compare, np, send, tagged, wait_all)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SEED = 26
HEARTBEAT = 3.0
# The quick start shrunk so that a trial lasts seconds: 6 runs (one seed) of about a second each on
# 3 ranks, long enough for mid-run checkpoints (every second) to exist when a fault lands.
# run.stop_timeout bounds a stop that a rank ignores (the default 120 s would outlast a trial).
SWEEP_SETS = ["model.features=8", "model.filters=8", "model.interactions=1", "model.gaussians=8",
              "dataset.split.train=100", "dataset.split.validation=50", "grid.seeds=[0]",
              "train.checkpoint_seconds=1", f"run.heartbeat_timeout={HEARTBEAT:g}",
              "run.stop_timeout=10"]
KINDS = ["kill_rank", "kill_mpirun", "term_rank", "term_mpirun", "int_rank", "int_mpirun",
         "stop_worker", "second_launch", "early_kill", "storm"]
SETUP_KINDS = ["stop_setup"]   # known to hang setup (issue 26, 3): only with --setup-stop
MAX_RERUNS = 6
FAILURES = Path("/tmp/chaos-failures")


# ---- faults: each draws its random choices first (so the seed fixes them whatever the timing),
# starts its launch(es), strikes, and waits for them to end ----
SIGNALS = {"kill": signal.SIGKILL, "term": signal.SIGTERM, "int": signal.SIGINT}


def strike(trial, launch, target, sig):
    ok = launch.signal_mpirun(sig) if target == "mpirun" else launch.signal_rank(target, sig)
    who = "mpirun" if target == "mpirun" else f"rank {target}"
    trial.missed[trial.kind] += not ok
    at = time.monotonic() - launch.t0
    trial.event(f"{launch.label}: {sig.name} to {who} at {at:.2f} s" + ("" if ok else " (missed: gone)"))


def fault_signal(camp, trial, kind):
    what, target = kind.split("_")
    rank, at = trial.rng.randrange(3), camp.moment(trial, trial.rng.uniform(0.05, 0.8))
    launch = Launch(camp, trial, kind)
    if trial.wait_for(launch, at):
        strike(trial, launch, "mpirun" if target == "mpirun" else rank, SIGNALS[what])
    trial.finish([launch])


def fault_stop(camp, trial, kind):
    """SIGSTOP a rank past the heartbeat timeout, then SIGCONT: a worker mid-sweep (stop_worker),
    or any rank 0.25-1 s after launch, during setup (stop_setup)."""
    setup = kind == "stop_setup"
    rank = trial.rng.randrange(3) if setup else trial.rng.choice([1, 2])
    at = trial.rng.uniform(0.25, 1.0) if setup else camp.moment(trial, trial.rng.uniform(0.05, 0.8))
    hold = HEARTBEAT + trial.rng.uniform(1.5, 3.5)
    launch = Launch(camp, trial, kind)
    if trial.wait_for(launch, at) and launch.wait_ranks():
        pid, start = launch.ranks[rank]
        strike(trial, launch, rank, signal.SIGSTOP)
        until = time.monotonic() + hold * camp.mult
        while time.monotonic() < until and live(pid, start):
            launch.running()
            time.sleep(0.05)
        held = time.monotonic() - until + hold * camp.mult
        if send(pid, start, signal.SIGCONT):
            trial.event(f"{kind}: SIGCONT to rank {rank} after {held:.1f} s")
        else:
            trial.event(f"{kind}: rank {rank} gone {held:.1f} s after SIGSTOP")
    trial.finish([launch])


def fault_second_launch(camp, trial, kind):
    """A second launch on the same file while the first runs: one of them must be refused."""
    at = camp.moment(trial, trial.rng.uniform(0.0, 0.8))
    first = Launch(camp, trial, "first")
    if not trial.wait_for(first, at):
        trial.finish([first])
        return
    second = Launch(camp, trial, "second")
    trial.event(f"second_launch: a second launch at {at:.2f} s")
    trial.finish([first, second])
    # Refusal is immediate and a lock is released only once the sweep is complete, so if both
    # trained runs they held the file at the same time.
    if first.trained() and second.trained():
        trial.problem(f"two writers: both launches trained runs ({first.trained()} and {second.trained()})")
    trial.event(f"second_launch: first exit {first.rc} ({first.trained()} runs), "
                f"second exit {second.rc} ({second.trained()} runs)")


def fault_early_kill(camp, trial, kind):
    """SIGKILL or SIGTERM 0-200 ms after mpirun starts, or after <file>.creating appears."""
    after = trial.rng.choice(["start", "creating"])
    delay, sig = trial.rng.uniform(0.0, 0.2), trial.rng.choice([signal.SIGKILL, signal.SIGTERM])
    target = trial.rng.choice(["mpirun", 0, 1, 2])
    if trial.file.exists():
        after = "start"   # a resumed file is never created again
    creating = trial.file.with_name(trial.file.name + ".creating")
    launch = Launch(camp, trial, kind)
    base = launch.t0
    if after == "creating":
        while launch.running() and not creating.exists() and time.monotonic() - launch.t0 < 30:
            time.sleep(0.001)
        base = time.monotonic()
        trial.event(f"early_kill: .creating {'seen' if creating.exists() else 'never seen'} "
                    f"at {base - launch.t0:.3f} s")
    if trial.wait_for(launch, base + delay - launch.t0):
        strike(trial, launch, target, sig)
    trial.finish([launch])


def fault_storm(camp, trial, kind):
    """SIGTERM to every rank at once, then the next launch resumes; 3 to 5 times."""
    times = [trial.rng.uniform(0.05, 0.8) for _ in range(trial.rng.randint(3, 5))]
    for i, u in enumerate(times):
        at = camp.moment(trial, u)
        launch = Launch(camp, trial, f"storm{i + 1}")
        if trial.wait_for(launch, at) and launch.wait_ranks():
            for rank, (pid, start) in sorted(launch.ranks.items()):
                send(pid, start, signal.SIGTERM)
            trial.event(f"storm {i + 1}/{len(times)}: SIGTERM to all ranks at {at:.2f} s")
        trial.finish([launch])
        if launch.rc == 0 and not launch.hung:
            trial.event(f"storm {i + 1}: the sweep completed first")
            break


FAULTS = {"kill_rank": fault_signal, "kill_mpirun": fault_signal, "term_rank": fault_signal,
          "term_mpirun": fault_signal, "int_rank": fault_signal, "int_mpirun": fault_signal,
          "stop_worker": fault_stop, "stop_setup": fault_stop, "second_launch": fault_second_launch,
          "early_kill": fault_early_kill, "storm": fault_storm}


class Trial:
    def __init__(self, camp, index, kinds):
        self.camp, self.index, self.kinds = camp, index, kinds
        self.rng = random.Random(f"{camp.seed}/{index}")
        self.tag = f"{os.getpid()}-{index}"
        self.dir = camp.work / f"trial-{index}"
        self.logs = self.dir / "logs"
        self.file = self.dir / "data" / "r.h5"
        self.logs.mkdir(parents=True)
        self.file.parent.mkdir()
        self.launches, self.events, self.problems = [], [], []
        self.reruns = self.refused = self.hangs = 0
        self.kind, self.missed = None, {k: 0 for k in kinds}   # faults that found no launch to hit
        self.crashes, self.mpirun_crashes, self.ckpt_dir, self.equal = [], 0, False, False

    def event(self, text):
        self.events.append(text)

    def problem(self, text):
        self.problems.append(text)

    def wait_for(self, launch, at):
        """Until `at` seconds into the launch; False (and said) if it ended before."""
        if launch.sleep(at - (time.monotonic() - launch.t0)):
            return True
        self.event(f"{launch.label}: no fault, the launch ended before {at:.2f} s")
        if self.kind:
            self.missed[self.kind] += 1
        if launch.fresh and launch.rc == 0:
            # A whole sweep ran faster than the reference did (a load that passed): aim by it.
            self.camp.ref_seconds = min(self.camp.ref_seconds, launch.end - launch.t0)
        return False

    def finish(self, launches):
        wait_all(launches, self.camp.timeout)
        for l in launches:
            self.event(f"{l.label}: {'HUNG' if l.hung else 'exit %s' % l.rc} after {l.end - l.t0:.1f} s")
            self.hangs += l.hung
            if l.hung:
                self.problem(f"hang: the {l.label} launch ran past {self.camp.timeout:.0f} s")

    def rerun(self):
        """Reruns until the sweep completes; a launch refused by the lock (orphans of a killed
        job may still hold it) just needs another."""
        for i in range(1, MAX_RERUNS + 1):
            launch = Launch(self.camp, self, f"rerun{i}")
            self.finish([launch])
            self.reruns = i
            if launch.rc == 0 and self.camp.status(self.file) == 0:
                return True
            lines = [l for l in launch.text().splitlines() if l.startswith("dcsweep")] or [""]
            last = ([l for l in lines if "in use by" in l] or lines)[-1][:240]
            if launch.rc == 2 and "in use by" in launch.text():
                self.refused += 1
                self.event(f"rerun {i} refused by the lock: {last}")
            elif not launch.hung:
                self.problem(f"rerun {i} failed (exit {launch.rc}): {last}")
            time.sleep(0.5)
        self.problem(f"not complete after {MAX_RERUNS} reruns")
        return False

    def run(self):
        for kind in self.kinds:
            self.kind = kind
            FAULTS[kind](self.camp, self, kind)
        self.kind = None
        complete = self.rerun()
        if complete:
            diffs = compare(self.camp.ref, load(self.file))
            self.equal = not diffs
            self.problems += [f"not equal to the reference: {d}" for d in diffs]
        files, self.ckpt_dir = leftovers(self.file)
        if files:
            self.problem(f"left next to the results file: {files}")
        if self.ckpt_dir and not self.camp.ref_ckpt_dir:
            self.problem("an empty .ckpt directory is left (the reference sweep leaves none)")
        self.check_processes()
        for l in self.launches:
            for c in crashes(l.text()):
                self.crashes.append(f"{l.label}: {c}")
            if l.rc is not None and -l.rc in CRASH_SIGNALS:
                # mpirun itself (Open MPI's PMIx_server_finalize, issue 26 item 7): counted, not ours
                self.mpirun_crashes += 1
                self.event(f"{l.label}: mpirun died of {CRASH_SIGNALS[-l.rc]} (Open MPI)")
        self.problems += [f"crash: {c}" for c in self.crashes]
        return not self.problems

    def check_processes(self):
        """Every process of the trial must be gone once the reruns are over (orphans of a killed
        mpirun get a few seconds); any left is a failure, and killed."""
        until = time.monotonic() + 5 * self.camp.mult
        while tagged(self.tag) and time.monotonic() < until:
            time.sleep(0.1)
        left = tagged(self.tag)
        if left:
            desc = [f"{p} ({Path(f'/proc/{p}/comm').read_text().strip() if live(p) else '?'})" for p in left]
            self.problem(f"processes left alive after the trial: {desc}")
        for l in self.launches:
            kill_session(l)
        for p in tagged(self.tag):
            os.kill(p, signal.SIGKILL)


def is_asan(exe):
    return b"__asan_init" in Path(exe).read_bytes()


class Campaign:
    def __init__(self, args, exe, asan):
        self.seed, self.exe, self.asan = args.seed, exe, asan
        self.mult = args.timeout_multiplier or (3.0 if asan else 1.0)
        self.sets = SWEEP_SETS + [f"train.epochs={args.epochs}"]
        self.work = Path(tempfile.mkdtemp(prefix="chaos-", dir=args.workdir))
        self.env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                        OMPI_MCA_rmaps_base_oversubscribe="1", OMP_NUM_THREADS="1")
        if asan:
            # No leak checks: killed processes leak by definition, and the scan slows every exit.
            self.env["ASAN_OPTIONS"] = ("detect_leaks=0:halt_on_error=1:abort_on_error=0:"
                                        "detect_stack_use_after_return=0")
            self.env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
        self.timeout, self.ref_seconds = 120 * self.mult, 0.0

    def moment(self, trial, fraction):
        """`fraction` of the way through the next launch, as expected from the runs left pending
        (an MPI start-up of about a second, then the uninterrupted sweep's pace)."""
        pending = 1.0
        if trial.file.exists():
            try:
                with h5py.File(trial.file, "r") as f:
                    status = f["runs"]["status"]
                pending = max(np.count_nonzero(status != b"done"), 1) / len(status)
            except (OSError, KeyError):
                pass
        start = min(1.0, self.ref_seconds / 2)
        return fraction * (start + pending * (self.ref_seconds - start))

    def command(self, file):
        sets = [a for s in self.sets for a in ("--set", s)]
        return ["mpirun", "-n", "3", "--oversubscribe", str(self.exe), "run",
                str(REPO / "sweeps" / "quickstart.cfg"), *sets, "-o", str(file)]

    def status(self, file):
        """`dcsweep status`'s exit status (0: every run done); None if it hangs."""
        try:
            return subprocess.run([str(self.exe), "status", str(file)], env=self.env,
                                  capture_output=True, timeout=60 * self.mult).returncode
        except subprocess.TimeoutExpired:
            return None

    def reference(self):
        """The uninterrupted sweep, once; its duration scales the fault times and the timeouts."""
        trial = Trial(self, "reference", [])
        launch = Launch(self, trial, "reference")
        trial.finish([launch])
        if launch.rc != 0 or self.status(trial.file) != 0:
            sys.exit(f"chaos: seed {self.seed}: the reference sweep failed (exit {launch.rc}):\n"
                     + launch.text()[-3000:])
        self.ref_seconds = launch.end - launch.t0
        self.ref = load(trial.file)
        files, self.ref_ckpt_dir = leftovers(trial.file)
        if files:
            sys.exit(f"chaos: seed {self.seed}: the reference sweep left {files}")
        bad = crashes(launch.text())
        if bad:
            sys.exit(f"chaos: seed {self.seed}: the reference sweep: {bad}")
        # A fault launch or rerun far past the uninterrupted sweep's time (a heartbeat or stop
        # timeout included) has hung.
        self.timeout = max(60.0, 8 * self.ref_seconds) * self.mult
        print(f"chaos: reference sweep {self.ref_seconds:.1f} s, {len(self.ref['runs'])} runs "
              f"({'an empty .ckpt directory left' if self.ref_ckpt_dir else 'no .ckpt directory left'}); "
              f"launch timeout {self.timeout:.0f} s", flush=True)


def plan(seed, trials, kinds):
    """Every kind alone first (in a seeded order), then single faults and sequences of 2-3 at
    random; a storm is a sequence already, so it does not join others."""
    rng = random.Random(seed)
    order = list(kinds)
    rng.shuffle(order)
    chainable = [k for k in kinds if k != "storm"] or list(kinds)
    out = []
    for i in range(trials):
        if i < len(order):
            out.append([order[i]])
        elif rng.random() < 0.5:
            out.append([rng.choice(kinds)])
        else:
            out.append([rng.choice(chainable) for _ in range(rng.randint(2, 3))])
    return out


def save_failure(camp, trial, replay):
    dest = FAILURES / f"seed-{camp.seed}-trial-{trial.index}-{time.strftime('%Y%m%d-%H%M%S')}"
    shutil.copytree(trial.dir, dest, dirs_exist_ok=True)
    (dest / "summary.txt").write_text(
        f"seed {camp.seed} trial {trial.index}: faults {trial.kinds}\nreplay: {replay}\n"
        f"dcsweep: {camp.exe}\n\nevents:\n" + "".join(f"  {e}\n" for e in trial.events)
        + "\nproblems:\n" + "".join(f"  {p}\n" for p in trial.problems))
    return dest


def table(results):
    rows = {}
    for t in results:
        keys = sorted(set(t.kinds)) + ["single" if len(t.kinds) == 1 else "sequence", "all"]
        for k in keys:
            r = rows.setdefault(k, [0] * 11)
            vals = [1, t.equal, not t.problems, t.reruns, t.refused, t.hangs, len(t.crashes),
                    int(t.ckpt_dir), t.mpirun_crashes,
                    t.missed[k] if k in t.missed else sum(t.missed.values())]
            for i, v in enumerate(vals):
                r[i] += v
            r[10] = max(r[10], t.reruns)
    head = ("fault kind", "trials", "equal", "passed", "reruns", "max", "refused", "hangs",
            "crashes", "ckpt dir", "mpirun crash", "missed")
    lines = ["%-14s %6s %5s %6s %6s %4s %7s %5s %7s %8s %12s %6s" % head]
    order = [k for k in KINDS + SETUP_KINDS if k in rows] + ["single", "sequence", "all"]
    for k in order:
        if k in rows:
            r = rows[k]
            lines.append("%-14s %6d %5d %6d %6d %4d %7d %5d %7d %8d %12d %6d"
                         % (k, r[0], r[1], r[2], r[3], r[10], r[4], r[5], r[6], r[7], r[8], r[9]))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--dcsweep", help="the executable (default: $DCSWEEP, else build/dcsweep)")
    ap.add_argument("--asan", metavar="BUILD_DIR", help="use BUILD_DIR/dcsweep, an ASan build "
                    "(scripts/test-sanitize.sh's build-asan): no leak checks, timeouts x3")
    ap.add_argument("--epochs", type=int, default=1000, help="train.epochs (a run's length)")
    ap.add_argument("--kinds", help=f"comma-separated subset of {','.join(KINDS + SETUP_KINDS)}")
    ap.add_argument("--setup-stop", action="store_true",
                    help="also SIGSTOP a rank during setup (stop_setup: hangs until issue 26's fix)")
    ap.add_argument("--only", type=int, metavar="I", help="run only trial I of the seed's plan")
    ap.add_argument("--timeout-multiplier", type=float, help="scale every timeout (default 1, 3 with ASan)")
    ap.add_argument("--workdir", help="where trial directories go (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the trial directories")
    ap.add_argument("--skip-if-asan", action="store_true",
                    help="exit 77 (skipped) if the executable is an ASan build")
    args = ap.parse_args()
    exe = Path(args.asan) / "dcsweep" if args.asan else Path(
        args.dcsweep or os.environ.get("DCSWEEP") or REPO / "build" / "dcsweep")
    exe = exe.resolve()
    if not exe.is_file():
        sys.exit(f"chaos: {exe}: no such executable")
    asan = is_asan(exe)
    if args.skip_if_asan and asan:
        print(f"chaos: {exe} is an ASan build: skipped (scripts/test-sanitize.sh --ci runs its own campaign)")
        sys.exit(77)
    kinds = KINDS + (SETUP_KINDS if args.setup_stop else [])
    if args.kinds:
        kinds = args.kinds.split(",")
        unknown = [k for k in kinds if k not in FAULTS]
        if unknown:
            sys.exit(f"chaos: --kinds: unknown {unknown}; known: {','.join(FAULTS)}")
    plans = plan(args.seed, max(args.trials, (args.only or 0) + 1), kinds)
    replay = f"tests/chaos.py --seed {args.seed} --dcsweep {exe} --epochs {args.epochs}" + (
        f" --kinds {args.kinds}" if args.kinds else "") + (" --setup-stop" if args.setup_stop else "")
    print(f"chaos: seed {args.seed}, {args.trials if args.only is None else 1} trials, dcsweep {exe}"
          f"{' (ASan)' if asan else ''}, {args.epochs} epochs; replay: {replay}", flush=True)
    camp = Campaign(args, exe, asan)
    t_start, results, failed, trial = time.monotonic(), [], [], None
    # A timeout's SIGTERM (meson's) still cleans up: the processes of the trial, the work directory.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"chaos: seed {args.seed}: terminated"))
    try:
        camp.reference()
        todo = [args.only] if args.only is not None else range(args.trials)
        for i in todo:
            trial = Trial(camp, i, plans[i])
            t0 = time.monotonic()
            ok = trial.run()
            results.append(trial)
            took = time.monotonic() - t0
            extra = f", {trial.refused} refused" if trial.refused else ""
            print(f"trial {i + 1}/{len(plans)} {'+'.join(trial.kinds)}: {'ok' if ok else 'FAIL'}, "
                  f"{trial.reruns} rerun(s){extra}, {took:.1f} s", flush=True)
            for e in trial.events:
                print(f"    {e}")
            if ok:
                if not args.keep:
                    shutil.rmtree(trial.dir, ignore_errors=True)
                continue
            dest = save_failure(camp, trial, f"{replay} --only {i}")
            failed.append(i)
            for p in trial.problems:
                print(f"chaos: FAIL seed {args.seed} trial {i} ({'+'.join(trial.kinds)}): {p}", file=sys.stderr)
            print(f"chaos: FAIL seed {args.seed} trial {i}: logs and file in {dest}; replay: "
                  f"{replay} --only {i}", file=sys.stderr, flush=True)
    finally:
        if trial is not None:
            for p in tagged(trial.tag):
                os.kill(p, signal.SIGKILL)
        if not args.keep:
            shutil.rmtree(camp.work, ignore_errors=True)
    print(f"\nchaos: seed {args.seed}, {len(results)} trials in {time.monotonic() - t_start:.0f} s "
          f"(passed: bitwise equal to the reference, nothing left behind, no hang, no crash; "
          f"missed: faults that found their launch ended; a sequence counts in each of its "
          f"kinds' rows)")
    print(table(results))
    # A campaign whose faults all found their launches ended tested nothing: at most a third of
    # the trials may miss every fault (the sweep got faster than the aim, e.g. a quiet machine).
    idle = [t.index for t in results if sum(t.missed.values()) >= len(t.kinds)]
    if len(results) >= 6 and 3 * len(idle) > len(results):
        print(f"chaos: FAIL seed {args.seed}: trials {idle} injected nothing (every fault missed): "
              f"{len(idle)} of {len(results)}; lengthen the runs (--epochs)")
        return 1
    if failed:
        print(f"chaos: FAIL seed {args.seed}: trials {failed} failed (see above and {FAILURES})")
        return 1
    print(f"chaos: seed {args.seed}: all {len(results)} trials passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Processes and results files for tests/chaos.py: launches of `mpirun dcsweep run` watched through
/proc (no psutil), and the checks of a finished file against the reference."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

# Reading a file that a killed job's orphans may still hold open: no HDF5 file locks of ours.
os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
import h5py  # noqa: E402
import numpy as np  # noqa: E402

CRASH_SIGNALS = {4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV"}
CRASH_TEXT = ["corrupted", "malloc():", "free():", "double free", "AddressSanitizer",
              "Segmentation fault", "runtime error:", "stack smashing"]
# Columns of /runs that legitimately differ between two correct sweeps: which rank and host
# trained a run, when its row was written, and its wall time. Every other column is compared.
NONDETERMINISTIC = {"rank", "host", "wall_seconds", "finished"}


# ---- processes, read from /proc (no psutil) ----
def proc_stat(pid):
    """(state, ppid, sid, start time) of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = text[text.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[3]), int(rest[19])


def live(pid, start=None):
    st = proc_stat(pid)
    return st is not None and st[0] != "Z" and (start is None or st[3] == start)


def environ(pid):
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def tagged(tag):
    """Live processes started by this trial (they inherit DC_CHAOS_TAG from mpirun)."""
    want = f"DC_CHAOS_TAG={tag}".encode()
    return [p for p in all_pids() if p != os.getpid() and want in environ(p) and live(p)]


def send(pid, start, sig):
    """Signal a process only if it is still the one seen (no pid reuse); False if it is gone."""
    st = proc_stat(pid)
    if st is None or st[3] != start or st[0] == "Z":
        return False
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


class Launch:
    """One `mpirun -n 3 dcsweep run`, in its own session, output to a log file."""

    def __init__(self, camp, trial, label):
        self.label, self.log = label, trial.logs / f"{len(trial.launches):02d}-{label}.log"
        self.out = open(self.log, "w")
        self.tag = trial.tag
        env = dict(camp.env, DC_CHAOS_TAG=trial.tag)
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(camp.command(trial.file), stdout=self.out, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True, cwd=trial.dir)
        self.mpirun = (self.proc.pid, proc_stat(self.proc.pid)[3] if proc_stat(self.proc.pid) else 0)
        self.ranks = {}   # MPI rank -> (pid, start time), from mpirun's children
        self.rc, self.hung, self.end = None, False, None
        self.fresh = not trial.file.exists()
        trial.launches.append(self)

    def scan(self):
        if len(self.ranks) == 3:
            return
        for p in all_pids():
            st = proc_stat(p)
            if not st or st[1] != self.proc.pid or st[0] == "Z":
                continue
            for kv in environ(p):
                if kv.startswith(b"OMPI_COMM_WORLD_RANK="):
                    self.ranks[int(kv.split(b"=")[1])] = (p, st[3])

    def running(self):
        if self.rc is None and self.proc.poll() is not None:
            self.rc, self.end = self.proc.returncode, time.monotonic()
        return self.rc is None

    def sleep(self, seconds):
        """Sleep, watching the ranks appear; False if the job ended first."""
        until = time.monotonic() + seconds
        while self.running():
            self.scan()
            if time.monotonic() >= until:
                return True
            time.sleep(min(0.01, max(0.0, until - time.monotonic())))
        return False

    def wait_ranks(self, timeout=30.0):
        until = time.monotonic() + timeout
        while self.running() and len(self.ranks) < 3 and time.monotonic() < until:
            self.scan()
            time.sleep(0.005)
        return len(self.ranks) == 3

    def signal_rank(self, rank, sig):
        if not self.wait_ranks() or rank not in self.ranks:
            return False
        return send(*self.ranks[rank], sig)

    def signal_mpirun(self, sig):
        return self.running() and send(*self.mpirun, sig)

    def trained(self):
        """How many runs this launch reported done (its progress lines)."""
        return len(re.findall(r"^\[ *\d+/\d+\] run \d+ .*\bdone\b", self.text(), re.M))

    def text(self):
        self.out.flush()
        return self.log.read_text(errors="replace")


def wait_all(launches, timeout):
    """Until every launch has ended; one still running after the timeout is a hang: its session
    is killed (with a process listing in its log)."""
    until = time.monotonic() + timeout
    while any([l.running() for l in launches]) and time.monotonic() < until:   # each one polled
        for l in launches:
            l.scan()
        time.sleep(0.02)
    for l in launches:
        if l.running():
            l.hung = True
            l.out.write(f"\nchaos: HANG: still running after {timeout:.0f} s; processes:\n{ps_snapshot()}\n")
            kill_session(l)
            l.proc.wait()
            l.running()
        l.out.flush()


def kill_session(launch):
    """SIGKILL to every process of the launch's session (mpirun's own and its ranks' groups)."""
    want = f"DC_CHAOS_TAG={launch.tag}".encode()
    for p in all_pids():
        st = proc_stat(p)
        if st and st[2] == launch.proc.pid and want in environ(p):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


def ps_snapshot():
    r = subprocess.run(["ps", "-eo", "pid,ppid,sid,stat,etime,wchan:24,args"], capture_output=True, text=True)
    return "\n".join(l for l in r.stdout.splitlines() if "dcsweep" in l or "mpirun" in l or "PID" in l)


# ---- results files ----
def load(path):
    with h5py.File(path, "r") as f:
        d = {"runs": f["runs"][()], "curves": {n: f["curves"][n][()] for n in f["curves"]},
             "attrs": {k: f.attrs[k] for k in ("sweep_sha256", "n_runs", "epochs", "numerics_version")}}
        for name in ("metrics", "rescaling", "models/params", "models/layout"):
            d[name] = f[name][()] if name in f else None
    return d


def compare(ref, got):
    """Differences between two loaded files, bitwise (NaN == NaN, -0.0 != 0.0); [] if equal."""
    bad = []
    runs, n = got["runs"], int(got["attrs"]["n_runs"])
    if len(runs) != n or list(runs["run"]) != list(range(n)):
        bad.append(f"/runs has rows {list(runs['run'])} for n_runs = {n} (duplicate or missing rows)")
    not_done = [i for i, s in enumerate(runs["status"]) if s != b"done"]
    if not_done:
        bad.append(f"runs {not_done} not done")
    for k, v in ref["attrs"].items():
        if got["attrs"][k] != v:
            bad.append(f"attribute {k}: {got['attrs'][k]!r} vs {v!r}")
    if runs.dtype != ref["runs"].dtype:
        return bad + ["/runs has another compound type"]
    for col in runs.dtype.names:
        if col in NONDETERMINISTIC:
            continue
        a, b = np.ascontiguousarray(ref["runs"][col]), np.ascontiguousarray(runs[col])
        if a.tobytes() != b.tobytes():
            rows = [i for i in range(min(len(a), len(b))) if a[i:i + 1].tobytes() != b[i:i + 1].tobytes()]
            bad.append(f"/runs column {col} differs in runs {rows[:8]}")
    if sorted(ref["curves"]) != sorted(got["curves"]):
        bad.append("different /curves")
    for name, a in ref["curves"].items():
        b = got["curves"].get(name)
        if b is None:
            continue
        if name == "epoch_seconds":   # wall time: only where it is filled must agree
            if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
                bad.append("curves/epoch_seconds filled in other places")
        elif a.shape != b.shape or a.tobytes() != b.tobytes():
            bad.append(f"curves/{name} differs")
    for name in ("metrics", "rescaling", "models/params", "models/layout"):
        a, b = ref[name], got[name]
        if (a is None) != (b is None) or (a is not None and (a.shape != b.shape or a.tobytes() != b.tobytes())):
            bad.append(f"/{name} differs")
    return bad


def leftovers(file):
    """(files left next to the results file, whether an (empty) .ckpt directory is left)."""
    left = [p.name for p in file.parent.iterdir() if p.name not in (file.name, file.name + ".ckpt")]
    ckpt = file.parent / (file.name + ".ckpt")
    if ckpt.is_dir():
        left += [f"{ckpt.name}/{p.name}" for p in ckpt.iterdir()]
    return left, ckpt.exists()


def crashes(text):
    found = [f"a process exited on signal {m.group(1)} ({CRASH_SIGNALS[int(m.group(1))]})"
             for m in re.finditer(r"exited on signal (\d+)", text) if int(m.group(1)) in CRASH_SIGNALS]
    found += [f"output contains {w!r}: {line.strip()[:160]}" for w in CRASH_TEXT
              for line in text.splitlines() if w in line][:4]
    return found

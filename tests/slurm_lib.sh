# A private single-node Slurm cluster for the slurm tests (sourced by tests/test_slurm.sh and
# tests/slurm_requeue.sh): its own munged (own key and socket), slurmctld and slurmd on free ports,
# all state in a temporary folder, everything stopped on exit. The caller sets `name` (its messages'
# prefix) before sourcing, then calls slurm_start with the partition lines (and any extra
# slurm.conf lines) it wants; "@HOST@" in them stands for this node's name.
#
# Skips (exit 77) where the Slurm/munge daemons are absent (scripts/install-deps.sh --with-tests
# installs slurm-wlm and munge) or the test does not run as root (slurmd must, to start jobs).
export PATH=$PATH:/usr/sbin:/sbin
py=/usr/bin/python3

for b in slurmctld slurmd munged sbatch scontrol squeue sinfo srun scancel; do
    if ! command -v "$b" >/dev/null; then
        echo "$name: SKIP: $b not found (install slurm-wlm and munge: scripts/install-deps.sh --with-tests)"
        exit 77
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    echo "$name: SKIP: slurmd must run as root to start jobs"
    exit 77
fi

tmp=$(mktemp -d /tmp/dcsweep-slurm.XXXXXX)
chmod 755 "$tmp"   # munge's socket must be reachable through its directory
host=$(hostname -s)

# Every process of this cluster (daemons, slurmstepd, the jobs' scripts and ranks) has our
# SLURM_CONF in its environment: that is how the ones left over are found, without touching the
# processes of another cluster (another test may run its own at the same time).
cluster_pids() {
    local mysid p
    mysid=$(ps -o sid= -p $$ | tr -d ' ')
    # Our own children (scontrol, python...) share our session; the cluster's processes do not.
    for p in $(grep -lzxF "SLURM_CONF=$tmp/slurm.conf" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
        [ "$(ps -o sid= -p "$p" 2>/dev/null | tr -d ' ')" != "$mysid" ] && kill -0 "$p" 2>/dev/null && echo "$p"
    done
    return 0
}

# The job processes still alive (slurmstepd and below): none once every job has left the queue.
# The daemons and slurmctld's helper (slurmscriptd) are not jobs.
job_pids() {
    local p daemons=" "
    for f in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munged.pid"; do
        [ -f "$f" ] && daemons+="$(cat "$f") "
    done
    for p in $(cluster_pids); do
        case "$daemons" in *" $p "*) continue ;; esac
        [ "$(ps -o comm= -p "$p" 2>/dev/null)" = slurmscriptd ] && continue
        echo "$p"
    done
    return 0
}

cleanup() {
    set +e
    if [ -n "${SLURM_CONF:-}" ] && [ -f "$tmp/slurmctld.pid" ]; then
        scancel --quiet --user=root 2>/dev/null
        # Let slurmd end the jobs' steps (SIGTERM, KillWait, SIGKILL) before it is stopped itself:
        # a slurmstepd outlives its slurmd.
        for _ in $(seq 1 150); do
            [ -z "$(squeue -h -o %i 2>/dev/null)" ] && [ -z "$(job_pids)" ] && break
            sleep 0.1
        done
    fi
    for pidfile in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munged.pid"; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    local left
    left=$(cluster_pids)
    if [ -n "$left" ]; then
        echo "$name: killing processes left by the cluster: $(ps -o pid=,comm= -p ${left//$'\n'/,} | tr -s ' \n' ' ')" >&2
        kill -KILL $left 2>/dev/null
    fi
    if [ "${keep:-0}" = 1 ]; then echo "$name: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
# A timeout (meson sends SIGTERM) must stop the cluster too: exit runs the EXIT trap.
trap 'exit 143' TERM
trap 'exit 130' INT

fail() {
    echo "$name: FAILED: $*" >&2
    for f in "$tmp"/*.out "$tmp"/slurmctld.log "$tmp"/slurmd.log; do
        [ -f "$f" ] && { echo "---- $f" >&2; tail -n 30 "$f" >&2; }
    done
    exit 1
}
free_port() { $py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# slurm_start PARTITION_LINES [EXTRA_CONF_LINES]: writes $tmp/slurm.conf (one node: this machine,
# as slurmd -C sees it), starts munged, slurmctld and slurmd, and waits until the node is idle.
# auth_info_extra=",cred_expire=S" (set before) also sets how long a requeued job waits before it
# may start again (Slurm's default: 120 s).
slurm_start() {
    local partitions=${1//@HOST@/$host} extra=${2:-} node
    if command -v mungekey >/dev/null; then mungekey --create --keyfile="$tmp/munge.key"
    else dd if=/dev/urandom of="$tmp/munge.key" bs=1 count=1024 status=none; fi
    chmod 600 "$tmp/munge.key"
    munged --force --socket="$tmp/munge.sock" --key-file="$tmp/munge.key" --pid-file="$tmp/munged.pid" \
           --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" || fail "munged did not start"
    node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/")
    mkdir -p "$tmp/state" "$tmp/spool"
    : > "$tmp/plugstack.conf"
    cat > "$tmp/slurm.conf" <<EOF
ClusterName=dctest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock${auth_info_extra:-}
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
PlugStackConfig=$tmp/plugstack.conf
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
InactiveLimit=0
MinJobAge=600
KillWait=10
$extra
$node State=UNKNOWN
$partitions
EOF
    export SLURM_CONF=$tmp/slurm.conf
    slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
    slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
    for _ in $(seq 1 60); do
        [ "$(sinfo -h -n "$host" -o %t 2>/dev/null | head -n 1)" = idle ] && break
        sleep 0.5
    done
    [ "$(sinfo -h -n "$host" -o %t | head -n 1)" = idle ] || fail "node $host not idle: $(sinfo -h -n "$host" -o %t)"
}

# Waits until every job in "$@" has left the queue (done, failed or cancelled), up to $timeout s.
wait_jobs() {
    local deadline=$(( $(date +%s) + ${timeout:-180} ))
    while [ -n "$(squeue -h -j "$(IFS=,; echo "$*")" -o %i 2>/dev/null)" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || { squeue; fail "jobs $* still queued"; }
        sleep 1
    done
}
job_state() { scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2; }
# job_field JOB KEY: one field of scontrol show job (Restarts, Reason, Partition, ...).
job_field() { scontrol -o show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

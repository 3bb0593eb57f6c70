#!/usr/bin/env bash
# The README's quick start on a clean machine: builds a minimal Debian 12 root with debootstrap
# (--variant=minbase bookworm, the mirror read from this machine's own apt sources), puts a clean
# `git clone` of this repository's HEAD in it (no ../shared: a new user does not have it) and runs,
# inside the chroot as root, the README's two commands as written:
#     scripts/quickstart.sh --set train.epochs=2
#     scripts/test.sh   (here without the suites 'long' and 'mpi': see below)
# printing each one's exit status and wall time. Exits 0 when both exit 0, 1 when either fails,
# and 77 (one loud line "=== ci: CLEAN-ROOT CHECK SKIPPED: <reason>") where it cannot run at all:
# not root, no debootstrap and none installable, mounts or chroot not permitted, no Debian mirror
# in the apt sources. Everything it mounted is unmounted and everything left running inside the
# root is killed on exit, also on failure or Ctrl-C.
#
# Environment:
#   DC_FRESH_ROOT        where to build the root (a new, empty or absent folder outside the repo;
#                        default: a new folder under ${TMPDIR:-/tmp}); removed afterwards
#   DC_FRESH_ROOT_KEEP=1 keep the root afterwards (to look inside); it is never reused as is
#   DC_FRESH_ROOT_CACHE  a tarball of the bare debootstrap root to reuse within one CI run: read
#                        when it exists, written when it does not. Unset (the default): nothing is
#                        cached, every run starts from debootstrap.
set -euo pipefail

suite=bookworm
repo=$(cd "$(dirname "$0")/.." && pwd -P)
say() { echo "=== fresh-root: $*"; }
skip() { echo "=== ci: CLEAN-ROOT CHECK SKIPPED: $*"; exit 77; }
die() { echo "=== fresh-root: FAILED: $*" >&2; exit 1; }

# ---- can it run here at all? ----
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, mount, chroot); running as uid $(id -u)"
command -v git >/dev/null || skip "git not found"
export PATH=$PATH:/usr/sbin:/sbin
if ! command -v debootstrap >/dev/null; then
    say "debootstrap not found: installing it"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap ||
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap; }; } \
        >/dev/null 2>&1 || skip "debootstrap not installed and apt-get cannot install it"
fi

# ---- apt sources of this machine -> "deb URI SUITE COMPONENTS..." lines ----
# Reads /etc/apt/sources.list, /etc/apt/sources.list.d/*.list (one-line format) and
# /etc/apt/sources.list.d/*.sources (deb822); only enabled "deb" entries.
host_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { $1 = "deb"; print }'
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush(   i, j, nu, ns, u, s) {
                if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") {
                    nu = split(uris, u, " "); ns = split(suites, s, " ")
                    for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print "deb", u[i], s[j], comps
                }
                types = uris = suites = comps = key = ""; enabled = "yes"
            }
            BEGIN { enabled = "yes" }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]/ { val[key] = val[key] " " $0; if (key == "uris") uris = uris " " $0
                       else if (key == "suites") suites = suites " " $0
                       else if (key == "components") comps = comps " " $0
                       else if (key == "types") types = types " " $0; next }
            {
                key = tolower($0); sub(/:.*/, "", key)
                v = $0; sub(/^[^:]*:[ \t]*/, "", v)
                if (key == "types") types = v; else if (key == "uris") uris = v
                else if (key == "suites") suites = v; else if (key == "components") comps = v
                else if (key == "enabled") enabled = v
            }
            END { flush() }' "$f"
    done
}
sources=$(host_sources | awk -v s="$suite" '$3 == s || $3 == s "-updates" || $3 == s "-security" || $3 == s "/updates"' | awk '!seen[$0]++')
mirror=$(awk -v s="$suite" '$3 == s { print $2; exit }' <<<"$sources")
[ -n "$mirror" ] || skip "no '$suite' entry in this machine's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/) to take the mirror from"

# ---- where ----
if [ -n "${DC_FRESH_ROOT:-}" ]; then
    root=$DC_FRESH_ROOT
    if [ -e "$root" ] && [ -n "$(ls -A "$root" 2>/dev/null)" ]; then
        die "DC_FRESH_ROOT=$root exists and is not empty (a used root is never reused: remove it)"
    fi
    mkdir -p "$root"
else
    root=$(mktemp -d "${TMPDIR:-/tmp}/dcsweep-fresh-root.XXXXXX")
fi
root=$(cd "$root" && pwd -P)
case "$root/" in
    "$repo"/*) rmdir "$root" 2>/dev/null || true; die "the root ($root) must not be inside the repository ($repo)";;
    /) die "the root must not be /";;
esac

# ---- cleanup: kill what runs inside, unmount (innermost first), remove ----
mounts_under_root() { awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo; }
procs_in_root() {
    local p link
    for p in /proc/[0-9]*; do
        link=$(readlink "$p/root" 2>/dev/null) || continue
        if [ "$link" = "$root" ] || [ "${link#"$root"/}" != "$link" ]; then echo "${p#/proc/}"; fi
    done
}
cleanup() {
    local rc=$? pids m i
    trap - EXIT INT TERM HUP
    set +e
    pids=$(procs_in_root)
    if [ -n "$pids" ]; then
        say "killing processes left inside the root: $(for p in $pids; do printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"; done)"
        kill -TERM $pids 2>/dev/null
        for _ in $(seq 1 50); do [ -z "$(procs_in_root)" ] && break; sleep 0.1; done
        pids=$(procs_in_root); [ -n "$pids" ] && kill -KILL $pids 2>/dev/null && sleep 0.5
    fi
    # Mounts made by the tests inside the root (e.g. a tmpfs) too, deepest first.
    for m in $(mounts_under_root | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "=== fresh-root: WARNING: cannot unmount $m" >&2
    done
    if [ -n "$(mounts_under_root)" ]; then
        echo "=== fresh-root: WARNING: still mounted under $root, not removing it:" >&2
        mounts_under_root >&2
        [ "$rc" -eq 0 ] && rc=1
    elif [ "${DC_FRESH_ROOT_KEEP:-0}" = 1 ]; then
        say "kept the root: $root"
    else
        rm -rf --one-file-system "$root"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "=== fresh-root: interrupted" >&2; exit 130' INT
trap 'echo "=== fresh-root: terminated" >&2; exit 143' TERM HUP

# Mounts and chroot permitted? (a container without CAP_SYS_ADMIN / CAP_SYS_CHROOT)
mkdir -p "$root/.probe"
if ! mount -t tmpfs -o size=1m fresh-root-probe "$root/.probe" 2>/dev/null; then
    rmdir "$root/.probe"; skip "mount not permitted here (mount -t tmpfs failed)"
fi
umount "$root/.probe"; rmdir "$root/.probe"

t_all=$SECONDS
# ---- the bare root ----
cache=${DC_FRESH_ROOT_CACHE:-}
if [ -n "$cache" ] && [ -f "$cache" ]; then
    say "bare root from this CI run's cache $cache"
    tar -C "$root" -xzf "$cache" || die "cannot unpack $cache"
else
    say "debootstrap --variant=minbase $suite $root $mirror"
    t0=$SECONDS
    if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" > "$root.debootstrap.log" 2>&1; then
        tail -n 20 "$root.debootstrap.log" >&2; rm -f "$root.debootstrap.log"
        die "debootstrap failed"
    fi
    rm -f "$root.debootstrap.log"
    say "debootstrap: done in $((SECONDS - t0)) s"
    if [ -n "$cache" ]; then
        tar -C "$root" -czf "$cache.tmp" . && mv "$cache.tmp" "$cache" && say "bare root cached in $cache (for this CI run)"
    fi
fi
chroot "$root" /bin/true 2>/dev/null || skip "chroot not permitted here"
# The same apt sources as this machine (suite, updates, security), one-line format.
printf '%s\n' "$sources" > "$root/etc/apt/sources.list"
say "apt sources in the root: $(tr '\n' ';' < "$root/etc/apt/sources.list")"
# This machine's name service files, as an installed system has them: without its host name in
# /etc/hosts every mpirun waits on DNS for it (the MPI tests ran 10x slower).
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
[ -f /etc/hosts ] && cp -L /etc/hosts "$root/etc/hosts"

# ---- a clean clone of HEAD (committed work only), in root's home as a user would have it ----
head=$(git -C "$repo" rev-parse HEAD)
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
    say "note: the work tree has uncommitted changes; the check runs HEAD ($head) only"
git clone --quiet --no-hardlinks "$repo" "$root/root/dcsweep"
git -C "$root/root/dcsweep" checkout --quiet --detach "$head"
say "clone of $head in /root/dcsweep (no ../shared)"

# ---- mounts mpirun, the tests and apt need ----
mnt() { local target=$1; shift; mkdir -p "$target"; mount "$@" "$target"; }
mnt "$root/proc" -t proc proc
# /sys with its submounts (slurmd needs /sys/fs/cgroup), as a slave so that unmounting them here
# never unmounts anything of this machine's.
mnt "$root/sys" --rbind --make-rslave /sys
mnt "$root/dev" --bind /dev
mnt "$root/dev/pts" --bind /dev/pts
mnt "$root/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev shm
mnt "$root/run" -t tmpfs -o mode=755,nosuid,nodev run

# ---- the README's two commands ----
# A login-like environment of a new root user, nothing of this machine's own environment.
in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
        LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "cd /root/dcsweep && $1"
}
results=()
failed=0
# The test command without the suites 'long' (chaos, timing and Slurm-requeue soaks, minutes each)
# and 'mpi' (multi-rank runs): the installs are proven by the quick start (mpirun, parallel HDF5,
# oneDNN, libconfig, the plots) and the unit and script tests (the Python packages); CI's release
# and ASan passes run both suites on this machine (CI's 30-minute budget).
for cmd in "scripts/quickstart.sh --set train.epochs=2" "scripts/test.sh --no-suite long --no-suite mpi"; do
    say "running in the root: $cmd"
    t0=$SECONDS
    # In the background and waited for, so that Ctrl-C or a TERM reaches the trap at once (apt and
    # dpkg inside ignore SIGINT); the cleanup then kills everything running inside the root.
    in_root "$cmd" < /dev/null &
    set +e; wait $!; rc=$?; set -e
    line="'$cmd': exit $rc in $((SECONDS - t0)) s"
    say "$line"
    results+=("$line")
    [ "$rc" -eq 0 ] || failed=1
done
left=$(procs_in_root)
[ -z "$left" ] || say "still running inside the root after the commands (killed now): $(for p in $left; do printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"; done)"
for line in "${results[@]}"; do say "$line"; done
say "clean Debian 12 root check: $([ "$failed" -eq 0 ] && echo ok || echo FAILED) in $((SECONDS - t_all)) s"
exit "$failed"

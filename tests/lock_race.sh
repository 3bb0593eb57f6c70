#!/usr/bin/env bash
# Two processes take over one stale lock at once (src/results/lock.c; docs/reliability.md, "The
# stale-lock takeover"). strace holds one of them, B, for seconds at a chosen system call between
# its staleness check and its takeover, while the other, A, starts and takes the stale lock:
#   kill    B has read the stale lock and is judging its holder's pid (the check itself);
#   rename  B is about to put its takeover in place (the issue's reproduction).
# Exactly one must win, the other be refused with the usual one-line error naming the winner,
# and the file must come out as one writer's (equal to a reference run); no lock or claim left.
# Then three contenders: B held at kill, C held at rename, A free. The old lock.c fails this:
# there B renamed A's live lock aside and both wrote the file.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; fake=${FAKE_SWEEP:?}
check="/usr/bin/python3 $src/tests/results_check.py"
skip() { echo "lock_race: SKIP: $*"; exit 77; }
fail() { echo "lock_race: FAIL: $*" >&2; exit 1; }
ok() { echo "lock_race: ok: $*"; }
command -v strace > /dev/null || skip "strace is not installed"
strace -o /dev/null -e trace=kill -e inject=kill:delay_enter=1 true 2> /dev/null ||
    skip "strace cannot trace here, or has no delay injection (ptrace not permitted?)"
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill -KILL "$p" 2> /dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

args="--seeds 1 --epochs 4"
held_us=8000000            # how long strace holds B (and C)
export FAKE_EPOCH_MS=400   # a run of 6 x 4 epochs takes about 10 s: the winner outlives the hold
host=$(hostname)
(FAKE_EPOCH_MS=0 "$fake" "$tmp/ref.h5" $args > /dev/null)

# A dead process of this host, holder of the stale lock.
sh -c 'exit 0' & dead=$!; wait $dead
stale_lock() {
    printf 'host=%s\npid=%s\njob=\nstarted=2026-01-01T00:00:00Z\nwhat=dcsweep run\n' "$host" "$dead" > "$1"
}

# held NAME SYSCALL OUT: starts fake_sweep on OUT under strace, held at its first SYSCALL; returns
# once it is held there. Sets held_pid (strace's pid: it exits with the tracee's status).
held() {
    strace -o "$tmp/$1.strace" -e trace="$2" -e inject="$2":delay_enter=$held_us:when=1 \
        "$fake" "$3" $args > "$tmp/$1.out" 2> "$tmp/$1.err" &
    held_pid=$!
    pids="$pids $held_pid"
    for _ in $(seq 600); do
        grep -q "^${2#/^}" "$tmp/$1.strace" 2> /dev/null && return 0  # strace logs the call's entry
        kill -0 "$held_pid" 2> /dev/null || { cat "$tmp/$1.err"; fail "$1 ended before its $2"; }
        sleep 0.05
    done
    fail "$1 never reached $2"
}

# judge OUT NAME...: waits for the contenders (name=pid in $contenders), then checks the outcome.
judge() {
    local out=$1 winners="" winner_pid="" st
    shift
    for c in "$@"; do
        local name=${c%=*} pid=${c#*=}
        set +e; timeout 120 tail --pid="$pid" -f /dev/null; wait "$pid"; st=$?; set -e
        echo "$name: exit $st" >> "$tmp/outcome"
        if [ $st -eq 0 ]; then
            winners="$winners $name"
            winner_pid=$(sed -n 's/^rank 0 pid //p' "$tmp/$name.log")
        elif [ $st -eq 2 ]; then
            [ "$(wc -l < "$tmp/$name.err")" -eq 1 ] || { cat "$tmp/$name.err"; fail "$name: refused without a one-line error"; }
            grep -q "$out is in use by dcsweep run on host $host (pid [0-9]*, since " "$tmp/$name.err" ||
                { cat "$tmp/$name.err"; fail "$name: not the usual refusal"; }
        else
            cat "$tmp/$name.err"; fail "$name: exit $st"
        fi
    done
    [ "$(echo $winners | wc -w)" -eq 1 ] ||
        { winners=${winners# }; cat "$tmp/outcome"; fail "${winners:-nobody} took the lock of $out (exactly one must)"; }
    for c in "$@"; do
        local name=${c%=*}
        [ -s "$tmp/$name.err" ] || continue
        grep -q "(pid $winner_pid, " "$tmp/$name.err" ||
            { cat "$tmp/$name.err"; fail "$name's refusal does not name the winner (pid $winner_pid)"; }
    done
    $check same "$tmp/ref.h5" "$out" || fail "$out is not one writer's complete file"
    [ -z "$(ls "$tmp" | grep -F "$(basename "$out").lock")" ] || { ls "$tmp"; fail "a lock, claim or temporary file was left"; }
    winner=${winners# }
}

for call in kill /^rename; do
    name=${call#/^}
    out=$tmp/$name.h5
    : > "$tmp/outcome"
    stale_lock "$out.lock"
    FAKE_LOG=$tmp/B.log held B "$call" "$out"
    b=$held_pid
    FAKE_LOG=$tmp/A.log "$fake" "$out" $args > "$tmp/A.out" 2> "$tmp/A.err" &
    a=$!
    pids="$pids $a"
    if [ "$name" = kill ]; then
        # The race itself: A takes the stale lock over while B, which judged it, is still held.
        for _ in $(seq 400); do grep -qx "pid=$a" "$out.lock" 2> /dev/null && break; sleep 0.05; done
        grep -qx "pid=$a" "$out.lock" || fail "A did not take the stale lock over within 20 s"
        grep -q '^kill(.* = ' "$tmp/B.strace" && fail "B was released before A took the lock (too slow a machine?)"
    fi
    judge "$out" "A=$a" "B=$b"
    ok "B held at $name (before its takeover) while A went for the stale lock: only $winner wrote $out"
    rm -f "$tmp"/A.* "$tmp"/B.*
done

# Three contenders: B held in its check, C held at its takeover, A free.
out=$tmp/three.h5
: > "$tmp/outcome"
stale_lock "$out.lock"
FAKE_LOG=$tmp/B.log held B kill "$out"
b=$held_pid
FAKE_LOG=$tmp/C.log held C "/^rename" "$out"
c=$held_pid
FAKE_LOG=$tmp/A.log "$fake" "$out" $args > "$tmp/A.out" 2> "$tmp/A.err" &
a=$!
pids="$pids $a"
judge "$out" "A=$a" "B=$b" "C=$c"
ok "three contenders (one held in its check, one at its takeover): only $winner wrote $out"
echo "lock_race: ok"

# The end-to-end guarantees every model family's sweep has (sourced by run_pinn.sh, run_diffsorp.sh,
# run_dimenet.sh, in their temporary folder). The caller defines exe, sweep, check, py, n_runs,
# name (the sweep's name), fail, expect and job, and has sourced sweep_lib.sh (rank_pid).

# 3, 2 and 1 ranks: bitwise the same (three.h5, two.h5, one.h5; three.out).
family_ranks() {
    mpirun -n 3 --oversubscribe "$exe" run "$sweep" -o three.h5 > three.out
    cat three.out
    grep -q "sweep $name: $n_runs runs: $n_runs done, 0 diverged, 0 failed, 0 pending" three.out \
        || fail "3-rank summary"
    $check complete three.h5 --ranks 0,1,2
    for r in 0 1 2; do grep -q "on rank $r;" three.out || fail "rank $r trained nothing"; done
    mpirun -n 2 "$exe" run "$sweep" -o two.h5 > two.out
    $check complete two.h5 --ranks 0,1
    $check same three.h5 two.h5
    "$exe" run "$sweep" -o one.h5 > one.out
    $check complete one.h5 --ranks 0
    $check same three.h5 one.h5
}

# SIGKILL of rank 2 mid-sweep, then the same command: exactly the runs not done are trained (those
# in flight from their mid-run checkpoints), done rows stay byte for byte, and the file ends
# bitwise the uninterrupted sweep's (ref.h5; the killed file is kept as killed.h5). $@: the --set
# options that make runs long enough (about 0.5 s) for the kill to land mid-sweep.
family_kill_resume() {
    local long=("$@")
    "$exe" run "$sweep" "${long[@]}" -o ref.h5 > ref.out
    $check complete ref.h5
    mpirun -n 3 --oversubscribe "$exe" run "$sweep" "${long[@]}" -o k.h5 > kill.out 2>&1 &
    job=$!
    for _ in $(seq 900); do   # until >= 3 runs are done (at most 90 s)
        [ -f k.h5 ] && [ "$($check rows k.h5 done 2> /dev/null | wc -w)" -ge 3 ] && break
        kill -0 "$job" 2> /dev/null || break
        sleep 0.1
    done
    local victim st
    victim=$(rank_pid "$job" 2) || { cat kill.out; fail "no process of rank 2 under mpirun"; }
    kill -KILL "$victim"
    set +e; wait "$job"; st=$?; set -e
    job=""
    [ "$st" -ne 0 ] || { cat kill.out; fail "the job exited 0 after SIGKILL of rank 2"; }
    h5dump -H k.h5 > /dev/null || fail "h5dump cannot read the file after SIGKILL"
    local done1 left n_left trained
    done1=$($check rows k.h5 done)
    left=$($check rows k.h5 pending failed diverged)
    echo "after SIGKILL: done: $done1; left: $left"
    [ -n "$done1" ] && [ -n "$left" ] || fail "the kill did not land mid-sweep (done: $done1)"
    cp k.h5 killed.h5
    mpirun -n 3 --oversubscribe "$exe" run "$sweep" "${long[@]}" -o k.h5 > resume.out
    cat resume.out
    n_left=$(echo $left | wc -w)
    grep -q "$((n_runs - n_left)) of $n_runs runs already finished, $n_left to train" resume.out \
        || fail "the rerun does not say it trains the $n_left runs not done"
    grep -q "run [0-9]* resumes at epoch [0-9]* (checkpoint " resume.out \
        || fail "no run in flight resumed from its mid-run checkpoint"
    trained=$(sed -n 's/^\[ *[0-9]*\/[0-9]*\] run \([0-9]*\) .*/\1/p' resume.out | sort -n | tr '\n' ' ' | sed 's/ $//')
    [ "$trained" = "$left" ] || fail "the rerun trained [$trained], expected exactly [$left]"
    $check unchanged killed.h5 k.h5 "$(echo $done1 | tr ' ' ,)"
    $check complete k.h5
    $check same ref.h5 k.h5
}

# 2 shards (the second on 2 ranks), merged: bitwise one.h5, with the root attributes $@ equal.
family_shards() {
    local half=$((n_runs / 2))
    "$exe" run "$sweep" -o sh.h5 --shard 1/2 > shard1.out
    mpirun -n 2 "$exe" run "$sweep" -o sh.h5 --shard 2/2 > shard2.out
    grep -q "shard 1/2: $half of $n_runs runs" shard1.out || { cat shard1.out; fail "shard 1 announcement"; }
    expect 0 "$exe" status sh.shard-1-of-2.h5
    grep -q "shard 1/2: $half of the $n_runs runs" out.txt || { cat out.txt; fail "status of a shard"; }
    expect 0 "$exe" merge merged.h5 sh.shard-2-of-2.h5 sh.shard-1-of-2.h5
    grep -q "sweep $name: $n_runs runs: $n_runs done, 0 diverged, 0 failed, 0 pending" out.txt \
        || { cat out.txt; fail "merge summary"; }
    $check complete merged.h5
    $check same one.h5 merged.h5
    $py - "$@" <<'PY'
import sys, h5py
with h5py.File("merged.h5", "r") as m, h5py.File("one.h5", "r") as o:
    for a in sys.argv[1:]:
        assert m.attrs[a] == o.attrs[a], a
    assert m["models/params"][()].tobytes() == o["models/params"][()].tobytes()
PY
}

# status of the complete file (table, json) and of the killed one (exit 1, pending runs).
family_status() {
    expect 0 "$exe" status one.h5
    grep -q "all $n_runs runs done" out.txt || { cat out.txt; fail "status table"; }
    expect 0 "$exe" status one.h5 --format json
    $py -c 'import json, sys; d = json.load(open("out.txt")); n = int(sys.argv[1]); assert d["runs"] == n and d["complete"] and d["counts"]["done"] == n and d["sweep_name"] == sys.argv[2], d' "$n_runs" "$name"
    expect 1 "$exe" status killed.h5
    grep -q "pending" out.txt || { cat out.txt; fail "status of the killed file lists no pending run"; }
}

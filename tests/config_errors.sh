#!/bin/sh
# Every malformed sweep file under tests/data/sweeps/bad_*.cfg carries its exact expected one-line
# error in a "# expect: MESSAGE" comment (plan and validate both fail with it, exit status 2) or a
# "# expect validate: MESSAGE" comment (only validate, which reads the data, can see it: plan
# succeeds). Then the --set and command-line errors, each with its exact message.
set -u
: "${DCSWEEP:?DCSWEEP must name the dcsweep executable}"
: "${DC_SOURCE_DIR:?DC_SOURCE_DIR must name the source tree}"
cd "$DC_SOURCE_DIR/tests/data/sweeps" || exit 1
pass=0
fail=0

# expect STATUS MESSAGE ARGS...: stderr must be exactly MESSAGE (empty: nothing) and the exit status STATUS.
expect() {
    want_status=$1
    want=$2
    shift 2
    got=$("$DCSWEEP" "$@" 2>&1 >/dev/null)
    status=$?
    if [ "$status" = "$want_status" ] && [ "$got" = "$want" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        printf 'FAIL: dcsweep %s\n  status %s (want %s)\n  got:  %s\n  want: %s\n' "$*" "$status" \
            "$want_status" "$got" "$want"
    fi
}

n_files=0
for f in bad_*.cfg; do
    n_files=$((n_files + 1))
    both=$(sed -n 's/^# expect: //p' "$f")
    only_validate=$(sed -n 's/^# expect validate: //p' "$f")
    if [ -n "$both" ]; then
        expect 2 "dcsweep: $both" plan "$f"
        expect 2 "dcsweep: $both" validate "$f"
    elif [ -n "$only_validate" ]; then
        expect 0 "" plan "$f"
        expect 2 "dcsweep: $only_validate" validate "$f"
    else
        fail=$((fail + 1))
        echo "FAIL: $f has no '# expect:' line"
    fi
done
if [ "$n_files" -lt 20 ]; then
    fail=$((fail + 1))
    echo "FAIL: only $n_files bad_*.cfg files found"
fi

# --set: values are checked against the schema; overridden keys are named "--set KEY".
expect 2 'dcsweep: --set train.epochs: expected an integer, got "two"' plan minimal.cfg --set train.epochs=two
expect 2 'dcsweep: --set train.epochs: expected an integer, got a string' plan minimal.cfg --set 'train.epochs="2"'
expect 2 'dcsweep: --set train.epochs: expected an integer, got a float' plan minimal.cfg --set train.epochs=2.5
expect 2 'dcsweep: --set model.featurs: unknown key (did you mean model.features?)' plan minimal.cfg --set model.featurs=32
expect 2 'dcsweep: --set grid.irelu_scale: value 0 must be > 0' plan minimal.cfg --set 'grid.irelu_scale=[0.5, 0]'
expect 2 'dcsweep: --set grid.extent: duplicate value "full"' validate minimal.cfg --set 'grid.extent=[full, none, full]'
expect 2 'dcsweep: --set grid.seeds: empty list' plan minimal.cfg --set 'grid.seeds=[]'
expect 2 'dcsweep: --set train.loss: unknown value "l2" (expected l1 or mse)' plan minimal.cfg --set train.loss=l2
expect 2 'dcsweep: --set dataset.train: file not found: nope.xyz' plan minimal.cfg --set dataset.train=nope.xyz
expect 2 'dcsweep: --set dataset: is a group: set its keys one at a time (dataset.KEY=VALUE)' plan minimal.cfg --set dataset=1
expect 2 'dcsweep: --set model.cutoff: value -1 must be > 0' plan minimal.cfg --set=model.cutoff=-1
expect 2 'dcsweep: --set grid.seeds: expected a list of integers, got a list in it' plan minimal.cfg --set 'grid.seeds=[[1]]'
# A group that only --set created is named after the command line, not the file.
expect 2 'dcsweep: --set dataset.split: only used with dataset.file' plan minimal.cfg --set dataset.split.train=3
# A later --set fixes what the file or an earlier --set got wrong: only final values are validated
# (each --set value must still parse on its own).
expect 0 '' plan bad_type.cfg --set train.epochs=2
expect 0 '' plan minimal.cfg --set train.epochs=0 --set train.epochs=3

# The task: each family's keys are refused in the other's sweep, whether from the file or --set.
expect 2 'dcsweep: --set task.beta: expected a number, got "fast"' plan minimal_advection.cfg --set task.beta=fast
expect 2 'dcsweep: --set task.kind: unknown value "heat" (expected schnet, advection, diffsorp or dimenet++)' plan minimal.cfg --set task.kind=heat
expect 2 'dcsweep: --set model.features: only used with task.kind = "schnet" (this sweep'"'"'s task.kind is "advection")' plan minimal_advection.cfg --set model.features=8
expect 2 'dcsweep: --set model.width: only used with task.kind = "advection" or "diffsorp" (this sweep'"'"'s task.kind is "schnet")' plan minimal.cfg --set model.width=8
expect 2 'dcsweep: minimal.cfg:2: dataset: only used with task.kind = "schnet" or "dimenet++" (this sweep'"'"'s task.kind is "advection")' plan minimal.cfg --set task.kind=advection
expect 2 'dcsweep: --set train.monitor: unknown value "energy_mae" (expected loss)' plan minimal_advection.cfg --set train.monitor=energy_mae
expect 2 'dcsweep: --set task.n_boundary: value -1 must be >= 0' plan minimal_advection.cfg --set task.n_boundary=-1
expect 2 'dcsweep: --set task.ic_seed: expected an integer, got a float' plan minimal_advection.cfg --set task.ic_seed=1.5
expect 0 '' plan minimal.cfg --set task.kind=schnet
expect 0 '' plan minimal_advection.cfg --set task.n_interior=10 --set model.width=8 --set train.epochs=5
expect 0 '' validate minimal_advection.cfg --set task.n_interior=10 --set task.beta=-0.5

# The command line itself.
expect 2 'dcsweep: plan: --set needs key=value, e.g. --set train.epochs=2' plan minimal.cfg --set train.epochs
expect 2 "dcsweep: plan: unknown option '--bogus' (see dcsweep plan --help)" plan minimal.cfg --bogus
expect 2 "dcsweep: validate: unknown option '-x' (see dcsweep validate --help)" validate -x minimal.cfg
expect 2 'dcsweep: plan: missing the sweep file (usage: dcsweep plan SWEEP.cfg; see --help)' plan
expect 2 "dcsweep: plan: unexpected argument 'every_key.cfg' (one sweep file only)" plan minimal.cfg every_key.cfg
expect 2 "dcsweep: plan: unknown format 'xml' (expected table or json)" plan minimal.cfg --format xml
expect 2 'dcsweep: validate: --format is not an option of validate' validate minimal.cfg --format json
expect 2 'dcsweep: nope.cfg: cannot open: No such file or directory' plan nope.cfg
expect 0 '' plan --help
expect 0 '' validate --help

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

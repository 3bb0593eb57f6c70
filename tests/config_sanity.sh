#!/usr/bin/env bash
# Config sanity (issue 27, deliverable 3, and `run`'s part of deliverable 2): what only the data can
# show wrong in a sweep is refused by validate, train and run before anything is trained or recorded,
# with one line naming the file, line and key (tests/data/bad/*.cfg):
#   a cutoff with no two atoms of a training frame within it, one beyond 10 x the largest distance
#   between two atoms of a frame, training frames of lone atoms, an element of the validation or
#   test split that training lacks;
# sizes bounded: a batch larger than its split is the whole split (same numbers bit for bit, memory
# for the split), the PINN engine's workspace at most 8 GiB, integers beyond 32 bits read as what
# they are and refused by the key's own maximum (no hint to add an L that only leads there).
# Every assertion runs or counts a failure; each refusal checks status 2, the exact stderr and, for
# run, that no results file (nor lock) is left.
set -euo pipefail
src=${DC_SOURCE_DIR:?}; exe=${DCSWEEP:?}
py=/usr/bin/python3
bad=$src/tests/data/bad
sweeps=$src/tests/data/sweeps
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; failed=0

# expect STATUS MESSAGE CMD...: stderr is exactly "dcsweep: MESSAGE" (nothing when MESSAGE is
# empty), exit STATUS; stdout goes to $tmp/out.txt.
expect() {
    local want_status=$1 want=$2; shift 2
    set +e; "$@" > "$tmp/out.txt" 2> "$tmp/err.txt"; local got=$?; set -e
    [ -z "$want" ] || want="dcsweep: $want"
    if [ "$got" = "$want_status" ] && [ "$(cat "$tmp/err.txt")" = "$want" ]; then
        pass=$((pass + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL: %s\n  status %s (want %s)\n  got:  %s\n  want: %s\n' "$*" "$got" \
            "$want_status" "$(cat "$tmp/err.txt")" "$want"
    fi
}
ok() { if "$@"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: $*"; fi; }

# refused CFG MESSAGE: validate, train and run all refuse CFG with MESSAGE; run creates no file.
refused() {
    local cfg=$1 msg=$2 out=$tmp/${1%.cfg}.h5
    expect 2 "$msg" "$exe" validate "$cfg"
    expect 2 "$msg" "$exe" train "$cfg" --run 0
    expect 2 "rank 0: preparing the trainer: $msg" "$exe" run "$cfg" -o "$out"
    ok test ! -e "$out"
    ok test ! -e "$out.lock"
    ok test -z "$(find "$tmp" -mindepth 1 ! -name '*.txt')"
}

cd "$bad"
# ---- the cutoff against the data (water: atoms 0.9126 to 1.607 Angstrom apart) ----
refused cutoff_huge.cfg 'cutoff_huge.cfg:5: model.cutoff: value 1e+308 is more than 10 times the largest distance between two atoms of a frame (1.607 Angstrom): use at most 16.07'
refused cutoff_tiny.cfg 'cutoff_tiny.cfg:4: model.cutoff: value 0.1 leaves no two atoms of a training frame within it (the closest are 0.9126 Angstrom apart): the model would see no neighbours'
refused lone_atoms.cfg 'lone_atoms.cfg: the training split (lone_atoms.xyz) has no frame of two or more atoms: the model has no pair to learn from'
# --set is named as such; the bounds themselves pass
expect 2 '--set model.cutoff: value 16.1 is more than 10 times the largest distance between two atoms of a frame (1.607 Angstrom): use at most 16.07' \
    "$exe" validate cutoff_tiny.cfg --set model.cutoff=16.1
expect 2 '--set model.cutoff: value 0.91 leaves no two atoms of a training frame within it (the closest are 0.9126 Angstrom apart): the model would see no neighbours' \
    "$exe" train cutoff_huge.cfg --run 0 --set model.cutoff=0.91
expect 0 '' "$exe" validate cutoff_tiny.cfg --set model.cutoff=16
expect 0 '' "$exe" validate cutoff_huge.cfg --set model.cutoff=0.92
# plan does not read the data: it cannot tell
expect 0 '' "$exe" plan cutoff_huge.cfg

# ---- an element that training never sees ----
refused unseen_element.cfg 'unseen_element.cfg: the test split (nitrogen4.xyz) has element N, which the training split does not: its embedding would never be trained'
refused unseen_element_validation.cfg 'unseen_element_validation.cfg: the validation split (nitrogen4.xyz) has element N, which the training split does not: its embedding would never be trained'

# ---- batches larger than their splits (12, 4, 4 frames): the whole split, noted by validate ----
expect 0 '' "$exe" validate batch_huge.cfg
ok grep -qx 'note: train.batch_size 1000000000 is larger than the training split (12 frames): a batch is the whole split' "$tmp/out.txt"
ok grep -qx 'note: train.eval_batch_size 1000000000 is larger than every split (at most 12 frames): a split is evaluated in one batch' "$tmp/out.txt"
# defaults (20, 100) are larger than these splits too, but not noted: the sweep did not ask for them
expect 0 '' "$exe" validate "$sweeps/minimal.cfg"
ok test -z "$(awk '/^note:/' "$tmp/out.txt")"
# memory for the split, not the batch (1.6 GB for 1e8 before): max RSS under 200 MB
set +e; /usr/bin/time -f '%M' -o "$tmp/rss.txt" "$exe" train batch_huge.cfg --run 0 > /dev/null 2> "$tmp/err.txt"; status=$?; set -e
ok test "$status" = 0
ok test "$(tail -1 "$tmp/rss.txt")" -lt 200000
# the same numbers, bit for bit, as batches of exactly the split
"$exe" run batch_huge.cfg -o "$tmp/huge.h5" > /dev/null
"$exe" run batch_huge.cfg -o "$tmp/exact.h5" --set train.batch_size=12 --set train.eval_batch_size=12 > /dev/null
ok "$py" - "$tmp/huge.h5" "$tmp/exact.h5" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
ra, rb = a["runs"][()], b["runs"][()]
cols = [c for c in ra.dtype.names if c.startswith(("val_", "test_"))]
assert len(cols) == 10 and len(ra) == len(rb) == 1, (cols, len(ra))
assert [s for s in ra["status"]] == [b"done"], ra["status"]
for c in cols:
    assert np.array_equal(ra[c], rb[c]), c
def arrays(f):
    out = {}
    f["models"].visititems(lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None)
    return out
ma, mb = arrays(a), arrays(b)
assert ma and ma.keys() == mb.keys()
for k in ma:
    assert np.array_equal(ma[k], mb[k]), k
PY

# ---- integers beyond 32 bits: read as 64 bits, then each key's own range ----
expect 2 'wide_epochs.cfg:5: train.epochs: value 99999999999 must be <= 1000000' "$exe" validate wide_epochs.cfg
expect 2 'wide_epochs.cfg:5: train.epochs: value 99999999999 must be <= 1000000' "$exe" plan wide_epochs.cfg
expect 2 '--set train.epochs: value 99999999999 must be <= 1000000' \
    "$exe" plan "$sweeps/minimal.cfg" --set train.epochs=99999999999
expect 2 '--set train.batch_size: value 4294967296 must be <= 1073741824' \
    "$exe" plan "$sweeps/minimal.cfg" --set train.batch_size=4294967296
expect 2 '--set train.epochs: integer 99999999999999999999 is out of range (at most 9223372036854775807)' \
    "$exe" plan "$sweeps/minimal.cfg" --set train.epochs=99999999999999999999
# a 64-bit key takes such a literal as written with its L: the same sweep, the same hash
tiny=$src/tests/data/run/tiny.cfg
# the bound itself trains: a million epochs' curves are allocated and epochs run (stopped after 5 s)
set +e; timeout 5 "$exe" train "$tiny" --run 0 --set train.epochs=1000000 > "$tmp/bound.txt" 2>&1; status=$?; set -e
ok test "$status" = 124
ok grep -Eq '^ +3 ' "$tmp/bound.txt"
sha() { "$exe" validate "$tiny" --set "dataset.split_seed=$1" | awk '$1 == "sha256" { print $2 }'; }
set +e; with_l=$(sha 99999999999L); s1=$?; without=$(sha 99999999999); s2=$?; set -e
ok test "$s1/$s2" = 0/0
ok test -n "$with_l"
ok test "$with_l" = "$without"

# ---- the PINN's points: the engine's workspace is bounded ----
expect 2 '--set task.n_interior: 10000000 interior + 5000 initial + 2 x 1000 boundary points at width 40, depth 6 need 50.7 GiB of engine workspace (at most 8 GiB): use fewer points or a smaller network' \
    "$exe" validate "$sweeps/minimal_advection.cfg" --set task.n_interior=10000000
expect 2 '--set task.n_initial: 100 interior + 2000 initial + 2 x 10 boundary points at width 65536, depth 32 need 84.9 GiB of engine workspace (at most 8 GiB): use fewer points or a smaller network' \
    "$exe" plan "$sweeps/minimal_advection.cfg" --set task.n_interior=100 --set task.n_initial=2000 \
    --set task.n_boundary=10 --set model.width=65536 --set model.depth=32
expect 0 '' "$exe" plan "$sweeps/minimal_advection.cfg" --set task.n_interior=1000000

echo "$pass passed, $failed failed"
[ "$failed" = 0 ]

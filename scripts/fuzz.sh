#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang and runs each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]      # default 45 s per target; 0 only builds and replays the corpora
#   DC_FUZZ_TARGETS="xyz" scripts/fuzz.sh 600   # one target, longer
#
# meson builds the targets (-Dfuzz=true, tests/fuzz/meson.build); this script configures that build
# and runs them. Everything goes to build-fuzz/ (DC_FUZZ_BUILD): the executables, a working
# corpus per target (seeded from tests/fuzz/corpus_*/, which new inputs never touch), and crash
# artifacts under build-fuzz/crashes/. Before fuzzing, every seed and every saved regression input
# (tests/data/regress/<target>-*) is replayed. Exit status 1 when a target crashed: the input is
# named; save it as tests/data/regress/<target>-<what>.<ext> with a test (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-45}
build=${DC_FUZZ_BUILD:-build-fuzz}
targets=${DC_FUZZ_TARGETS:-xyz config}
cc=${DC_FUZZ_CC:-clang}
command -v "$cc" >/dev/null || { echo "fuzz.sh: $cc not found (scripts/install-deps.sh --with-tests)" >&2; exit 1; }

# The targets are built by meson (tests/fuzz/meson.build) in their own build directory: clang,
# ASan + UBSan, libFuzzer coverage in the libraries they link (core, config, data).
mkdir -p "$build/crashes"
if [ ! -f "$build/build.ninja" ]; then
    CC=$cc meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debugoptimized "-Dc_args=-fno-omit-frame-pointer -fno-sanitize-recover=undefined" >/dev/null
fi
ninja -C "$build" $(for t in $targets; do printf 'tests/fuzz/fuzz_%s ' "$t"; done) >/dev/null
for t in $targets; do ln -sf "tests/fuzz/fuzz_$t" "$build/fuzz_$t"; done
echo "fuzz.sh: built $(for t in $targets; do printf '%s ' "$build/fuzz_$t"; done)"

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for t in $targets; do
    exe=$build/fuzz_$t
    seeds=$root/tests/fuzz/corpus_$t
    work=$build/corpus_$t
    mkdir -p "$work"
    # Replay: the seeds and the saved crash inputs must all pass.
    replay=("$seeds"/*)
    for r in "$root"/tests/data/regress/"$t"-*; do [ -e "$r" ] && replay+=("$r"); done
    if ! "$exe" -runs=1 "${replay[@]}" > "$build/replay_$t.log" 2>&1; then
        echo "fuzz.sh: $t: a seed or a saved regression input fails (log: $build/replay_$t.log)" >&2
        tail -30 "$build/replay_$t.log" >&2
        status=1
        continue
    fi
    echo "fuzz.sh: $t: replayed ${#replay[@]} seed and regression inputs"
    [ "$seconds" -gt 0 ] || continue
    # -max_len: sweeps and frames of interest are small; -timeout: a hang is a bug too.
    if "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" "$work" "$seeds" \
        > "$build/fuzz_$t.log" 2>&1; then
        echo "fuzz.sh: $t: no crash in ${seconds}s ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz_$t.log" | grep -o '[0-9]*$') inputs; corpus $(ls "$work" | wc -l) files)"
    else
        echo "fuzz.sh: $t: CRASH (log: $build/fuzz_$t.log)" >&2
        grep -E "ERROR|SUMMARY|runtime error|bad error|Test unit written" "$build/fuzz_$t.log" >&2 || tail -40 "$build/fuzz_$t.log" >&2
        echo "fuzz.sh: reproduce with: $exe $build/crashes/$t-*" >&2
        status=1
    fi
done
exit $status

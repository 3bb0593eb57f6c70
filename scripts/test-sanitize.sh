#!/usr/bin/env bash
# The whole test suite (MPI tests included) under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   scripts/test-sanitize.sh              # configure build-asan once, build, run every test
#   scripts/test-sanitize.sh --ci         # the CI variant (below)
#   scripts/test-sanitize.sh -- --no-suite shared   # after --, meson test arguments pass through
#   DC_ASAN_BUILD=dir scripts/test-sanitize.sh      # another build directory
#
# Leak checking is what makes the MPI tests slow under ASan (every malloc unwound the slow way,
# a scan at every exit of every rank: 4x the plain ASan time). So by default every test runs with
# leak checking; with --ci the C tests run with it and the script tests (MPI, many processes, the
# Slurm cluster) run with ASan + UBSan only (DC_SAN_SKIP, space separated, names tests to leave
# out); scripts/test-valgrind.sh checks the 2-rank sweep for leaks instead.
#
# The build is a separate meson directory (default build-asan) configured with
#   -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
#   -Dc_args=-fno-omit-frame-pointer -fno-sanitize-recover=undefined
# so any UBSan report aborts the test that hit it. Leaks are checked (detect_leaks=1) for our code;
# Open MPI, HDF5, oneDNN and libgomp keep allocations until exit by design and are suppressed in
# tests/lsan.supp (library names only, never our functions). Stacks are unwound the slow way
# (fast_unwind_on_malloc=0): the system libraries have no frame pointers, and a suppression only
# matches a stack that reaches them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${DC_ASAN_BUILD:-build-asan}
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized \
        "-Dc_args=-fno-omit-frame-pointer -fno-sanitize-recover=undefined" >/dev/null
fi
ninja -C "$build" >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# detect_stack_use_after_return off: Open MPI's progress threads and oneDNN's JIT switch stacks.
ASAN_COMMON=halt_on_error=1:detect_stack_use_after_return=0:abort_on_error=0:strict_string_checks=1:check_initialization_order=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ci=0
if [ "${1:-}" = "--ci" ]; then ci=1; shift; fi
[ "${1:-}" != "--" ] || shift
skip=${DC_SAN_SKIP-}
leaky=detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=30
export ASAN_OPTIONS=$leaky:$ASAN_COMMON
# The timeouts of the suite are for a normal build: ASan makes MPI start-up and training slower.
mt=(meson test -C "$build" --print-errorlogs --timeout-multiplier 3)
if [ $ci -eq 0 ]; then
    "${mt[@]}" "$@"
    exit
fi
"${mt[@]}" --no-suite script "$@"
scripts=$(meson test -C "$build" --list --suite script 2>/dev/null | grep ' / ' | sed 's/^.* \/ //')
keep=()
for t in $scripts; do
    case " $skip " in *" $t "*) echo "test-sanitize: skipping $t (DC_SAN_SKIP)" ;; *) keep+=("$t") ;; esac
done
ASAN_OPTIONS=detect_leaks=0:$ASAN_COMMON "${mt[@]}" "$@" "${keep[@]}"

# ---- The chaos campaign on the ASan build (tests/chaos.py, issue 26; --ci only) ----
# The meson test `chaos` skips itself on an ASan build: a few trials run here instead, without leak
# checks (killed ranks leak by definition). DC_CHAOS_ASAN_TRIALS=0 leaves them out.
chaos_trials=${DC_CHAOS_ASAN_TRIALS:-4}
if [ "$chaos_trials" -gt 0 ]; then
    tests/chaos.py --asan "$build" --trials "$chaos_trials" --seed "${DC_CHAOS_SEED:-2626}" --epochs 200
fi

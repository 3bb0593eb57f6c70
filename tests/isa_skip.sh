#!/usr/bin/env bash
# A per-ISA kernel test (tests/test_*_kernels_isa.c, the binary given as $1) on a CPU without some
# ISA: each missing build is named as skipped, and with no build but the baseline left the test
# exits 77 with the reason instead of passing on nothing. The CPU is made to lack ISAs with
# DC_TEST_PRETEND_NO_ISA (tests/isa_skip.h); an unknown name there fails rather than pretending
# nothing.
set -euo pipefail
bin=${1:?usage: isa_skip.sh TEST_BINARY}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; failed=0
ok() { if "$@"; then pass=$((pass + 1)); else failed=$((failed + 1)); echo "FAIL: $*"; fi; }

# run PRETEND: the binary with those ISAs pretended absent; sets status, out.txt, err.txt
run() {
    set +e; DC_TEST_PRETEND_NO_ISA=$1 "$bin" > "$tmp/out.txt" 2> "$tmp/err.txt"; status=$?; set -e
    echo "== DC_TEST_PRETEND_NO_ISA=$1: exit $status"; cat "$tmp/out.txt" "$tmp/err.txt"
}
absent_line() { printf '%s: not supported by this CPU (DC_TEST_PRETEND_NO_ISA), skipped' "$1"; }

# Every ISA absent: nothing to compare, so 77 and why; no "passed" line.
run avx512f,avx2
ok test "$status" = 77
ok grep -qxF "$(absent_line avx512f)" "$tmp/out.txt"
ok grep -qxF "$(absent_line avx2)" "$tmp/out.txt"
ok grep -qx 'skipped: neither the AVX2 nor the AVX-512 build can run on this CPU: nothing to compare the baseline with' "$tmp/out.txt"
ok test "$(grep -c passed "$tmp/out.txt")" = 0

# AVX-512 absent: the AVX2 build is still compared (exit 0) where the CPU really has AVX2 and FMA.
flags=$(grep -m1 '^flags' /proc/cpuinfo)
run avx512f
ok grep -qxF "$(absent_line avx512f)" "$tmp/out.txt"
if [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* ]]; then
    ok test "$status" = 0
    ok grep -q '^[1-9][0-9]* ISA builds x .* compared with the baseline (avx2 yes, avx512f no (skipped))$' "$tmp/out.txt"
    ok grep -qx '[1-9][0-9]* passed, 0 failed' "$tmp/out.txt"
else
    ok test "$status" = 77
    ok grep -qx 'avx2: not supported by this CPU, skipped' "$tmp/out.txt"
fi

# A misspelt name pretends nothing away: refused (exit 1, naming it) before anything runs.
run avx521f
ok test "$status" = 1
ok grep -qxF 'DC_TEST_PRETEND_NO_ISA: unknown ISA "avx521f" (known: avx2 avx512f)' "$tmp/err.txt"
ok test ! -s "$tmp/out.txt"

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]

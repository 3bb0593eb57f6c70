#!/usr/bin/env bash
# The README's test command: configure (once), build and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# Idempotent: a no-op when the packages are there, so this command also works on its own.
scripts/install-deps.sh --test-suite
build=${DC_BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
meson test -C "$build" --print-errorlogs "$@"

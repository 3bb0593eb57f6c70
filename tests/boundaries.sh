#!/usr/bin/env bash
# The module boundaries of docs/architecture.md, checked on the sources: which folder may include
# which folder's headers, and where MPI, HDF5 and oneDNN may appear. The build already refuses
# mpi.h and hdf5.h outside the libraries that get their include folders; oneDNN's header is on the
# default path, so this check is what refuses it outside src/model/.
set -uo pipefail
root=${DC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 1
fail=0
bad() { echo "boundaries: $*"; fail=1; }

# folder -> the folders whose public headers (include/dcsweep/<folder>/) it may include
declare -A may=(
  [core]="core"
  [config]="core config"
  [data]="core config data"
  [model]="core config data model"
  [train]="core config data model train"
  [results]="core config data results"
  [report]="core config data results report"
  [predict]="core config data model results predict"
  [sweep]="core config data model train results sweep"
  [cli]="core config data model train results report sweep predict cli"
)

for folder in "${!may[@]}"; do
  for f in $(find "src/$folder" "include/dcsweep/$folder" -name '*.[ch]' 2>/dev/null); do
    while IFS= read -r inc; do
      target=${inc#dcsweep/}
      target=${target%%/*}
      case " ${may[$folder]} " in
        *" $target "*) ;;
        *) bad "$f includes \"$inc\": $folder/ may include only ${may[$folder]}" ;;
      esac
    done < <(grep -ho '#include "dcsweep/[a-z_]*/[^"]*"' "$f" | sed 's/#include "//; s/"$//')
  done
done

# External libraries: who may include them directly.
check_lib() {  # header-regex allowed-path-regex what
  grep -rlE "#include <$1" src include tests bench 2>/dev/null | while read -r f; do
    [[ $f =~ $2 ]] || echo "$f"
  done
}
for f in $(check_lib 'mpi\.h>' '^(src/sweep/|include/dcsweep/sweep/|src/results/results_mpi\.c|include/dcsweep/results/results_mpi\.h|src/cli/cmd_run\.c|include/dcsweep/cli/run\.h|tests/)'); do
  bad "$f includes mpi.h: only sweep/, results_mpi and the run command may"
done
for f in $(check_lib 'hdf5\.h>' '^(src/results/|tests/)'); do
  bad "$f includes hdf5.h: only results/ may"
done
# (test_stop_signals.c drives oneDNN's gemm directly: it reproduces oneDNN's own signal bug.)
for f in $(check_lib 'oneapi/dnnl/' '^(src/model/|tests/test_stop_signals\.c$)'); do
  bad "$f includes oneDNN: only src/model/ (and tests/test_stop_signals.c) may"
done

# Every external name a folder exports carries the project's prefix.
for h in $(find include/dcsweep -name '*.h'); do
  grep -hoE '^[a-z_][a-z_0-9 \*]*\b([a-z_][a-z_0-9]*)\(' "$h" | sed -E 's/.*\b([a-z_][a-z_0-9]*)\($/\1/' |
    while read -r name; do
      case $name in dc_*|dcsweep_*) ;; *) echo "boundaries: $h declares $name without the dc_ prefix" ;; esac
    done
done | tee /tmp/boundaries.$$ >/dev/null
[ -s /tmp/boundaries.$$ ] && { cat /tmp/boundaries.$$; fail=1; }
rm -f /tmp/boundaries.$$

# A family is a folder (docs/architecture.md, "Adding a family"): outside src/model/ and
# include/dcsweep/model/ no engine source names one (tests/ and bench/ exercise families by name).
# (a kind in a C string is \"schnet\": the quotes may be escaped)
family_pattern='DC_TASK_|[a-z_/]*(schnet|pinn|diffsorp)\.h|\\?"(schnet|advection|diffsorp)\\?"'
while IFS= read -r f; do
  bad "$f names a model family ($(grep -noE "$family_pattern" "$f" | head -3 | tr '\n' ' ')): only src/model/ may"
done < <(grep -rlE "$family_pattern" src include --include='*.c' --include='*.h' |
         grep -vE '^(src/model/|include/dcsweep/model/)')

# Global symbols (nm): a family's static library defines only names with its family prefix, the
# kit's only the kit's dc_, and libdcsweep.so (which links every family) exports only dc_ or
# dcsweep_ names, so the next family's helpers cannot collide with another's. Types: T, D, B, R,
# and the weak (V, W) and indirect (i, the ISA clones' resolvers) ones. Needs DC_BUILD_DIR (the
# build's root: tests/meson.build passes it).
check_symbols() {  # library prefix-regex [nm options]
  local lib=$1 re=$2 sym
  shift 2
  [[ -f $lib ]] || { bad "$lib: not built (the nm check needs it)"; return; }
  local syms
  # (a sanitizer build adds its own globals, __odr_asan.<name> and the like: not ours)
  syms=$(nm --defined-only -g "$@" "$lib" | awk 'NF == 3 && $2 ~ /^[TDBRVWi]$/ && $3 !~ /^__(odr_asan|asan|ubsan|sancov)/ {print $3}' | sort -u)
  # a library that defines nothing global, or an nm that failed, is no pass
  [[ -n $syms ]] || { bad "${lib#"$DC_BUILD_DIR"/}: nm lists no global symbol"; return; }
  while read -r sym; do
    [[ $sym =~ $re ]] && continue
    bad "${lib#"$DC_BUILD_DIR"/} defines the global symbol $sym: names there start with $re"
  done <<<"$syms"
}
command -v nm >/dev/null || bad "nm (binutils) is missing: the symbol check needs it"
if [[ -z ${DC_BUILD_DIR:-} ]]; then
  bad "DC_BUILD_DIR is not set: the nm check of the libraries needs the build's root"
else
  # every family folder src/model/<f>/ builds libdc_<f>.a, whose names start with dc_<f>_
  for dir in src/model/*/; do
    f=$(basename "$dir")
    [[ $f == kit ]] && continue
    check_symbols "$DC_BUILD_DIR/src/model/$f/libdc_$f.a" "^dc_${f}_"
  done
  check_symbols "$DC_BUILD_DIR/src/model/kit/libdc_kit.a" '^dc_'
  check_symbols "$DC_BUILD_DIR/src/predict/libdcsweep.so" '^(dc_|dcsweep_)' -D
fi

[ $fail -eq 0 ] && echo "boundaries: ok"
exit $fail

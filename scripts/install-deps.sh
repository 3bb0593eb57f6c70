#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages dcsweep needs to build, run and test. Idempotent: packages
# already present are left alone. Works as root (no sudo needed) and as a user with sudo.
set -euo pipefail

# Enough for a minimal Debian 12 root (debootstrap --variant=minbase bookworm), checked by
# scripts/fresh-root-check.sh: ocl-icd-opencl-dev because oneDNN's cmake file needs OpenCL (only a
# Recommends of libdnnl-dev); procps for the tests' pgrep (otherwise there only through cmake); bc
# for run_setup's timing arithmetic; time (/usr/bin/time) for config_sanity's memory bound.
packages=(
  build-essential meson ninja-build pkg-config cmake ocl-icd-opencl-dev
  openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
  libdnnl-dev libconfig-dev
  python3 python3-h5py python3-numpy python3-pandas python3-matplotlib python3-ase
  procps bc time
)
# Extra groups: `--test-suite` adds what the test suite needs (scripts/test.sh, the README's test
# command), `--with-tests` that and what CI's hardening passes need, `--with-peer` the PyTorch
# peers of the benchmarks; `--with-data` what the dataset generator needs.
for arg in "$@"; do
  case "$arg" in
    # what the test suite itself needs (scripts/test.sh): its statistics checks and fault injection
    --test-suite) packages+=(python3-scipy python3-statsmodels strace) ;;
    # CI: the suite, the hardening passes (Slurm, sanitizers, fuzzing, valgrind) and the HTML
    # report in a real browser
    --with-tests) packages+=(python3-scipy python3-statsmodels strace slurm-wlm munge clang libclang-rt-14-dev
                             llvm valgrind chromium) ;;
    # the PyTorch peers on ../shared (bench/peer_compare*.sh, tests/test_dimenet_peer_shared.py):
    # PyTorch with an optimised BLAS, as ../shared/peer/README.md requires for a fair comparison
    --with-peer) packages+=(python3-torch libopenblas0-pthread) ;;
    --with-data) packages+=(xtb) ;;
    -h|--help) echo "usage: scripts/install-deps.sh [--test-suite] [--with-tests] [--with-peer] [--with-data]"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# The sweep hash of every shipped sweep file, pinned: a results file resumes only under the hash it
# was created with, so a change to a family's keys, defaults or dump order must not move these
# (issue 22). A deliberate change updates this list and says why in its commit.
set -uo pipefail
dcsweep=${DCSWEEP:?DCSWEEP must name the dcsweep binary}
root=${DC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 1
expected="
sweeps/converged.cfg 5ee6483f1f84c20b9369aa14dcedeafbb3481024a342f678646c6816154a0e17
sweeps/dimenet_converged.cfg 8bd37dafd9e962c1584530b292f9893230b2f17df95f4d72c2f0f566cc791d95
sweeps/dimenet_quickstart.cfg 581100d97ae2aebe1037f2fb30b62cddae8a41c7a1d243ca7c3c34676b96c227
sweeps/dimenet_seed_grid.cfg 32259eb1b0540b810560127673cbd5beaf21835082d4a37343d96bc0cf7665da
sweeps/full.cfg 955f3da14b5ac9cfea77cdaa6ce3bc5bcd2df879306b5c4d02e952cec422750f
sweeps/irelu_scale.cfg 0b7af655b259e6b1e508fcfd2d61db4d81bdb757c289986f8039bf71e44ac655
sweeps/paper_schnet.cfg 891894b94a761a85a559be3805f68743e3cdb0ef198f697790fe87ff98d311d4
sweeps/pinn_diffsorp.cfg 64df6604dc6fb3ea4db1cf1cd0d63c3e1e434f452aea0493c42f901f8aba9321
sweeps/pinn_diffsorp_quickstart.cfg 0bfd632f5b7abba0b54d6ecc65fd0f7bbc28f8fb9cd2db2c9aa8670bcfa46110
sweeps/pinn_advection.cfg bd48ebb6964011821193438ca9474fff2860fc4613151e6af8d86f40435c0b52
sweeps/pinn_quickstart.cfg 44efd4e150988bef677cad63abef95297e9c9d8ee60368554c76529b960a9a27
sweeps/quickstart.cfg 4fd3df5c8fd7fff3dcc4cd37ad304ae7fcf6c6c5ab5394b1da0d75305b046c96
sweeps/replacement.cfg 326b4d22bb72ec424f100e664689d88c0af08e54508700670acb64cbe6022e3f
sweeps/rescaling.cfg 4615b6e16840f7d71db971abedd5f06f3d7345fe3fe4f14b7a3c7582e52c8c6a
bench/dimenet_rmd17_grid.cfg 0df91c8a56a1477eb7bbc98a17e86059a4f38bd37f110c144e17dc8d3b7a6869
bench/dimenet_rmd17_rescalings.cfg e69365bd20df17861024c72a6a18c4d7ab07b060734f959c8581889999bb902c
bench/dimenet_rmd17_converged.cfg cb2a07ac5c497c2292e786e262849e0054b9a24fc5ce9623fe77c64dd3387335
bench/rmd17_accuracy.cfg 00fb8905b10a65ec1c4e3081f5eee0054a612d963d3ee374e7552ae221c13213
bench/rmd17_converged.cfg ad9ba2f5ce51dafcd13b4e200a54b2ddcf036f2058f6746ae57f9748970d2354
bench/rmd17_isolated_atoms.cfg 630f500bf96d242312367b424db9d1e0df470494d3ea117e8e9320140aad8e18
"
fail=0 checked=0 skipped=0
while read -r file hash; do
  [[ -n $file ]] || continue
  out=$("$dcsweep" validate "$file" 2>&1)
  got=$(awk '$1 == "sha256" {print $2}' <<<"$out")
  # validate prints the hash after loading the data: a sweep on ../shared's data (bench/) is only
  # checkable next to it (CI's clean root has no ../shared)
  if [[ -z $got ]] && grep -q "file not found" <<<"$out" && grep -q "shared/" "$file"; then
    echo "sweep_hashes: $file: skipped, its data is not here ($(head -1 <<<"$out"))"
    skipped=$((skipped + 1))
    continue
  fi
  if [[ $got != "$hash" ]]; then
    echo "sweep_hashes: $file: sha256 '$got', pinned $hash"
    fail=1
  fi
  checked=$((checked + 1))
done <<<"$expected"
# every shipped sweep file is pinned
for f in sweeps/*.cfg bench/*.cfg; do
  grep -q "^$f " <<<"$expected" || { echo "sweep_hashes: $f is not pinned here"; fail=1; }
done
echo "sweep_hashes: $checked files checked, $skipped skipped"
[[ $checked -gt 0 ]] || exit 1
exit $fail

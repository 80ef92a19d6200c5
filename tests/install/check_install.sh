#!/usr/bin/env bash
# Installs the build into a fresh prefix, builds examples/vp against the
# installed package (find_package(neuroppa)) and runs it on 100 images: its
# accuracy must be the one `neuroppa run` gives on the same images.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR [CXX_FLAGS [EXE_LINKER_FLAGS]]
# The example is compiled with the build's own flags: an instrumented
# (asan-ubsan) package links only into an instrumented program.
set -euo pipefail
build=$1
src=$2
cxx_flags=${3:-}
linker_flags=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/lib/cmake/neuroppa/neuroppaConfig.cmake"
test -f "$work/prefix/include/neuroppa/sim/accelerator.hpp"
test -x "$work/prefix/bin/neuroppa"
cmake -S "$src/examples/vp" -B "$work/vp" -DCMAKE_PREFIX_PATH="$work/prefix" \
  "-DCMAKE_CXX_FLAGS=$cxx_flags" "-DCMAKE_EXE_LINKER_FLAGS=$linker_flags" >/dev/null
cmake --build "$work/vp" -j 2 >/dev/null
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
out=$("$work/vp/vp" mac-mlp 100)
echo "$out"
vp_accuracy=$(sed -n 's/.*accuracy \([0-9.]*\),.*/\1/p' <<<"$out")
run_accuracy=$("$work/prefix/bin/neuroppa" -q run --model mac-mlp --images 100 --format csv |
  awk -F, '$1 == "accuracy (platform)" { printf "%.4f", $2 }')
echo "neuroppa run: accuracy $run_accuracy"
if [[ -z "$vp_accuracy" || "$vp_accuracy" != "$run_accuracy" ]]; then
  echo "check_install: the example VP's accuracy ($vp_accuracy) differs from neuroppa run's ($run_accuracy)" >&2
  exit 1
fi

#!/usr/bin/env bash
# Sets up neuroppa on Debian 12 and optionally runs it.
#
#   bash scripts/setup.sh          install what is missing, configure, build
#   bash scripts/setup.sh run      ... then run the main job on the bundled defaults
#   bash scripts/setup.sh test     ... then the default test run (long tests excluded)
#   bash scripts/setup.sh long     ... then only the long regressions
#   bash scripts/setup.sh fuzz     ... with clang-15 and libFuzzer too, then scripts/fuzz.sh
#   bash scripts/setup.sh torch    ... with python3-torch too, then the PyTorch round trip (ONNX import)
#   bash scripts/setup.sh slurm    ... with slurm-wlm and munge too, then the Slurm test
#                                      (a one-node cluster on this host, scripts/slurm_local.sh)
#   bash scripts/setup.sh sanitize ... then the default tests built with ASan + UBSan
#                                      (CMakePresets.json asan-ubsan, in build-asan/)
#
# A second run only checks: packages already installed are not touched and the
# build is incremental. Needs root (or sudo) only when a package is missing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NEUROPPA_BUILD_DIR:-$root/build}
mode=${1:-build}

# Every Debian package the project needs, to build, to test and at run time
# (neuroppa runs verilator, g++ and make itself when it builds a model).
packages=(
  g++ make cmake ninja-build pkg-config
  verilator libsystemc-dev yosys opensta iverilog
  libfmt-dev doctest-dev libcli11-dev libssl-dev zlib1g-dev nlohmann-json3-dev libeigen3-dev libtoml11-dev
  qflow-tech-osu018 qflow-tech-osu035 qflow-tech-osu050
  dataset-fashion-mnist
  librsvg2-bin time python3
  libonnx-dev libprotobuf-dev python3-onnx python3-numpy
)
# Fuzzing the parsers (scripts/fuzz.sh) needs clang and libFuzzer; nothing else does.
if [ "$mode" = fuzz ]; then packages+=(clang-15 libfuzzer-15-dev); fi
# The Slurm executor's test runs a real one-node Slurm.
if [ "$mode" = slurm ]; then packages+=(slurm-wlm munge); fi
# The PyTorch round trip trains and exports a CNN with Debian's PyTorch (CPU, ~220 packages).
if [ "$mode" = torch ]; then packages+=(python3-torch); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" </dev/null
else
  echo "setup: all ${#packages[@]} Debian packages present"
fi

if [ "$mode" != sanitize ]; then  # the sanitizer build has its own tree
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  # The main job needs only the command; tests, benchmarks and fuzz targets
  # are built for the modes that use them.
  if [ "$mode" = run ]; then cmake --build "$build" -j "$(nproc)" --target neuroppa
  else cmake --build "$build" -j "$(nproc)"
  fi
fi

case "$mode" in
  build) ;;
  run)
    # The kernel table, then every bundled MLP on the platform over the
    # whole Fashion-MNIST test set, its energy from the kernels' macro-models
    # (fitted on timed gate-level replays the first time, then cached).
    "$build/neuroppa" kernels
    for model in mac-mlp shift-mlp threshold-mlp spike-mlp sigma-delta-mlp; do
      "$build/neuroppa" run --model "$model" --level macro
    done
    ;;
  test) ctest --test-dir "$build" --label-exclude 'long|slurm|torch' --output-on-failure -j "$(nproc)" ;;
  long) ctest --test-dir "$build" --label-regex long --output-on-failure ;;
  slurm) ctest --test-dir "$build" --label-regex slurm --output-on-failure ;;
  torch) ctest --test-dir "$build" --label-regex torch --output-on-failure ;;
  fuzz) bash "$root/scripts/fuzz.sh" "${@:2}" ;;
  sanitize)
    # Its own build tree: everything instrumented, models in the same cache
    # (they are dlopen'ed plain shared objects, the same in both builds).
    cmake --preset asan-ubsan -S "$root" >/dev/null
    cmake --build --preset asan-ubsan -j "$(nproc)"
    (cd "$root" && ctest --preset asan-ubsan -j "$(nproc)")
    ;;
  *) echo "setup: unknown mode '$mode' (build, run, test, long, slurm, fuzz or sanitize)" >&2; exit 2 ;;
esac

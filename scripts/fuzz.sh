#!/usr/bin/env bash
# Fuzzes the parsers with libFuzzer under AddressSanitizer and UBSan.
#
#   bash scripts/fuzz.sh [TARGET...] [SECONDS_PER_TARGET]
#   e.g. bash scripts/fuzz.sh vcd 600    (the order does not matter)
#
# Targets (fuzz/fuzz_<target>.cpp): liberty, liberty_function, vcd, saif,
# netlist_json, sdf, spef, specify, qrouter_rc, model, idx, sweep, kernel_package, onnx; default all, 600 s each. Builds with clang-15 into
# build-fuzz/ (bash scripts/setup.sh fuzz installs clang-15 and
# libfuzzer-15-dev first). The corpus grows in build-fuzz/corpus/<target>/,
# seeded from fuzz/corpus/<target>/; an input that crashes, leaks, trips a
# sanitizer, times out or throws anything but neuroppa::Error is written to
# fuzz/corpus/<target>/crash-<hash>, where the default tests replay it once
# it is fixed and committed. Exit status: 0 if no target found anything.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-fuzz
# Arguments in either order: numbers are the seconds, words the targets.
seconds=600
targets=()
for arg in "$@"; do
  if [[ $arg =~ ^[0-9]+$ ]]; then
    if ((arg == 0)); then echo "fuzz: seconds per target must be a positive integer, not '$arg'" >&2; exit 2; fi
    seconds=$arg
  else
    targets+=("$arg")
  fi
done
if ((${#targets[@]} == 0)); then targets=(liberty liberty_function vcd saif netlist_json sdf spef specify qrouter_rc model idx sweep kernel_package onnx); fi
for t in "${targets[@]}"; do
  if [ ! -f "$root/fuzz/fuzz_$t.cpp" ]; then echo "fuzz: no target '$t' (fuzz/fuzz_$t.cpp)" >&2; exit 2; fi
done
command -v clang++-15 >/dev/null || { echo "fuzz: clang++-15 not found: run bash scripts/setup.sh fuzz" >&2; exit 2; }

flags="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-15 \
    -DNEUROPPA_FUZZ=ON -DNEUROPPA_WERROR=OFF "-DCMAKE_CXX_FLAGS=$flags" >/dev/null
fi
ninja -C "$build" "${targets[@]/#/fuzz_}"

status=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  mkdir -p "$corpus"
  echo "fuzz: $t for $seconds s"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a parser must not balloon.
  if ! "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$root/fuzz/corpus/$t/" "$corpus" "$root/fuzz/corpus/$t" 2>"$build/fuzz_$t.log"; then
    echo "fuzz: $t FAILED; log: $build/fuzz_$t.log"; tail -30 "$build/fuzz_$t.log"; status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz_$t.log" | sed "s/^/fuzz: $t /"
    echo "fuzz: $t corpus $(ls "$corpus" | wc -l) inputs"
  fi
done
exit $status

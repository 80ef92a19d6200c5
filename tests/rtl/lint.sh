#!/usr/bin/env bash
# verilator --lint-only -Wall on every kernel for several parameter sets.
set -euo pipefail
rtl=$1
fail=0
lint() {  # kernel, parameters...
  local top=np_$1_kernel; shift
  # The package first, then every module (shared blocks and kernels).
  local files=("$rtl/np_pkg.sv" $(ls "$rtl"/np_*.sv "$rtl"/../kernels/packages/*/np_*.sv | grep -v '/np_pkg.sv$'))
  if ! out=$(verilator --lint-only -Wall --top-module "$top" "$@" "${files[@]}" 2>&1) || [ -n "$out" ]; then
    echo "lint failed: $top $*"; echo "$out"; fail=1
  else
    echo "lint clean: $top $*"
  fi
}
for arch in 0 1 2; do  # np_pkg::ArchChain, ArchTree, ArchCsa
for k in 1 9 25; do
  lint mac -GK=$k -GXW=4 -GWW=4 -GAW=16 -GARCH=$arch
  lint mac -GK=$k -GXW=8 -GWW=8 -GAW=32 -GARCH=$arch
  lint shift -GK=$k -GXW=8 -GWW=4 -GAW=24 -GARCH=$arch
  lint shift -GK=$k -GXW=4 -GWW=6 -GAW=48 -GARCH=$arch
  lint threshold -GK=$k -GXW=4 -GAW=16 -GARCH=$arch
  lint threshold -GK=$k -GXW=8 -GAW=32 -GARCH=$arch
  lint spike -GK=$k -GWW=4 -GAW=16 -GARCH=$arch
  lint spike -GK=$k -GWW=8 -GAW=64 -GARCH=$arch
done
done
# Booth (mac only, np_pkg::ArchBoothCsa): odd and even weight widths, one-bit
# weights; and a synchronous reset on every kind.
for k in 1 9 25; do
  for ww in 1 4 5 8; do lint mac -GK=$k -GXW=8 -GWW=$ww -GAW=32 -GARCH=3; done
done
for arch in 0 1 2; do
  lint mac -GK=9 -GARCH=$arch -GSYNC_RESET=1
  lint shift -GK=9 -GWW=4 -GAW=24 -GARCH=$arch -GSYNC_RESET=1
  lint threshold -GK=9 -GARCH=$arch -GSYNC_RESET=1
  lint spike -GK=9 -GARCH=$arch -GSYNC_RESET=1
done
lint mac -GK=9 -GARCH=3 -GSYNC_RESET=1
# The pipeline register after the synapse datapath (np_beat_stage).
for arch in 0 1 2; do
  lint mac -GK=9 -GARCH=$arch -GPIPELINE=1
  lint shift -GK=9 -GWW=4 -GAW=24 -GARCH=$arch -GPIPELINE=1
  lint threshold -GK=9 -GARCH=$arch -GPIPELINE=1 -GSYNC_RESET=1
  lint spike -GK=9 -GARCH=$arch -GPIPELINE=1
done
lint mac -GK=9 -GARCH=3 -GPIPELINE=1
# sigma-delta (np_pkg::ArchTree, ArchCsa, ArchShiftAdd): graded spikes of 2..8
# bits, both reset styles, the pipeline register.
for arch in 1 2 4; do
  for k in 1 9 25; do
    lint sigma_delta -GK=$k -GXW=2 -GWW=4 -GAW=16 -GARCH=$arch
    lint sigma_delta -GK=$k -GXW=4 -GWW=8 -GAW=32 -GARCH=$arch
    lint sigma_delta -GK=$k -GXW=8 -GWW=8 -GAW=64 -GARCH=$arch
  done
  lint sigma_delta -GK=9 -GXW=3 -GARCH=$arch -GSYNC_RESET=1
  lint sigma_delta -GK=9 -GXW=4 -GARCH=$arch -GPIPELINE=1
done
# The memories' register-file bank (sim/memory_cost.hpp).
for p in "-GW=1 -GD=2" "-GW=32 -GD=32" "-GW=64 -GD=1024"; do
  if ! out=$(verilator --lint-only -Wall --top-module np_regfile $p "$rtl/np_regfile.sv" 2>&1) || [ -n "$out" ]; then
    echo "lint failed: np_regfile $p"; echo "$out"; fail=1
  else
    echo "lint clean: np_regfile $p"
  fi
done
# Illegal parameters stop elaboration with a message (np_params_check).
bad() {  # kernel, parameters...
  local top=np_$1_kernel; shift
  if out=$(verilator --lint-only --top-module "$top" "$@" "$rtl/np_pkg.sv" $(ls "$rtl"/np_*.sv "$rtl"/../kernels/packages/*/np_*.sv | grep -v '/np_pkg.sv$') 2>&1) ||
     ! grep -q "parameter .* out of range" <<<"$out"; then
    echo "illegal parameters accepted: $top $*"; echo "$out"; fail=1
  else
    echo "illegal parameters refused: $top $*"
  fi
}
bad mac -GK=0
bad mac -GK=2000
bad shift -GWW=1
bad threshold -GXW=17
bad spike -GAW=65
bad threshold -GARCH=3
bad spike -GARCH=3
bad mac -GARCH=4
bad shift -GPIPELINE=2
bad sigma_delta -GXW=9
bad sigma_delta -GXW=1
bad sigma_delta -GARCH=0
bad sigma_delta -GARCH=3
bad sigma_delta -GARCH=5
exit $fail

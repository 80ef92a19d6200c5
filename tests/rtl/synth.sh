#!/usr/bin/env bash
# yosys synthesis of every kernel (generic gates): no latch, no warning,
# `check -assert` clean. Any yosys warning fails the test; a warning that is
# understood and harmless must be listed here with the reason.
set -euo pipefail
rtl=$1
fail=0
# np_pkg::ArchChain, ArchTree, ArchCsa, ArchBoothCsa (mac only), ArchShiftAdd
# (sigma-delta only, which has no chain); extra parameters per arch: ArchTree
# also pipelined, ArchCsa with a synchronous reset.
extra=("" "-set PIPELINE 1" "-set SYNC_RESET 1" "" "-set XW 4")
for arch in 0 1 2 3 4; do
for kind in mac shift threshold spike sigma_delta; do
  [ $arch = 3 ] && [ $kind != mac ] && continue
  [ $arch = 4 ] && [ $kind != sigma_delta ] && continue
  [ $arch = 0 ] && [ $kind = sigma_delta ] && continue
  top=np_${kind}_kernel
  files="$rtl/np_pkg.sv $(ls "$rtl"/np_*.sv "$rtl"/../kernels/packages/*/np_*.sv | grep -v '/np_pkg.sv$' | tr '\n' ' ')"
  log=$(yosys -p "read_verilog -sv $files; chparam -set K 9 -set ARCH $arch ${extra[$arch]} $top; synth -flatten -top $top; check -assert; select -assert-none t:\$dlatch t:\$_DLATCH_*; stat" 2>&1) || {
    echo "synthesis failed: $top"; echo "$log" | tail -20; fail=1; continue; }
  if grep -qi "warning" <<<"$log"; then
    echo "yosys warned on $top:"; grep -i warning <<<"$log"; fail=1
  fi
  if grep -qi "latch" <<<"$(grep -A40 'Printing statistics' <<<"$log")"; then
    echo "latch inferred in $top"; fail=1
  fi
  cells=$(grep -m1 "Number of cells:" <<<"$(sed -n '/Printing statistics/,$p' <<<"$log")" | awk '{print $4}')
  echo "synthesised $top (K=9, ARCH=$arch ${extra[$arch]}): $cells generic cells, no latch, no warning"
done
done
exit $fail

#!/usr/bin/env bash
# Prices a big VCD with bounded memory: the gcd dump from ../shared (SKY130 HD)
# repeated with shifted times until it is SIZE_MB megabytes, then
# `neuroppa power` on it under /usr/bin/time. Prints the file size, wall time,
# MB/s of VCD text and peak resident memory.
#
#   bash bench/big_vcd.sh [SIZE_MB] [BUILD_DIR]     (default 2048, build)
#
# Needs ../shared (NEUROPPA_SHARED_DIR overrides) and room for the file in
# ${TMPDIR:-/tmp}; the file is removed afterwards.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
size_mb=${1:-2048}
build=${2:-$root/build}
shared=${NEUROPPA_SHARED_DIR:-$root/../shared}
gcd=$shared/designs/gcd_sky130hd
if ! [[ $size_mb =~ ^[1-9][0-9]*$ ]]; then echo "big_vcd: SIZE_MB must be a positive integer, not '$size_mb'" >&2; exit 2; fi
[ -f "$gcd/gcd_sky130hd.vcd.gz" ] || { echo "big_vcd: $gcd/gcd_sky130hd.vcd.gz not found (set NEUROPPA_SHARED_DIR)" >&2; exit 2; }
[ -x "$build/neuroppa" ] || { echo "big_vcd: $build/neuroppa not built" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "big_vcd: /usr/bin/time not found (apt-get install time)" >&2; exit 2; }

vcd=$(mktemp "${TMPDIR:-/tmp}/big-XXXXXX.vcd")
trap 'rm -f "$vcd"' EXIT
echo "big_vcd: writing $size_mb MB of VCD to $vcd"
# Header and the first copy as they are; then the changes after time 0 (not
# the initial $dumpvars) again and again, shifted by the dump's span each
# time: 25 whole clock periods, so the clock keeps its phase.
zcat "$gcd/gcd_sky130hd.vcd.gz" | awk -v limit=$((size_mb * 1024 * 1024)) '
  { print; written += length($0) + 1 }
  body && /^#/ { stamps++; last = substr($0, 2) + 0 }
  body && stamps >= 2 { lines[n++] = $0 }
  $1 == "$enddefinitions" { body = 1 }
  END {
    for (rep = 1; written < limit; rep++)
      for (i = 0; i < n; i++) {
        line = lines[i]
        # %.0f: mawk prints integers past 2^31 as 2.14748e+09 otherwise
        if (substr(line, 1, 1) == "#") line = sprintf("#%.0f", substr(line, 2) + rep * last)
        print line; written += length(line) + 1
      }
  }' > "$vcd"
bytes=$(stat -c %s "$vcd")
log=$(mktemp)
/usr/bin/time -f "%e %M" -o "$log" "$build/neuroppa" --quiet power \
  --lib "$shared/libs/sky130_fd_sc_hd__tt_025C_1v80.lib.gz" --netlist "$gcd/gcd_sky130hd.v" --top gcd \
  --vcd "$vcd" --scope gcd_tb/gcd1 | grep -E "^\| total|^Activity"
read -r seconds peak_kb < "$log"; rm -f "$log"
awk -v b="$bytes" -v s="$seconds" -v k="$peak_kb" 'BEGIN {
  printf "big_vcd: %.0f MB of VCD priced in %.1f s (%.0f MB/s), peak resident memory %.0f MB\n", b / 1048576, s, b / 1048576 / s, k / 1024 }'

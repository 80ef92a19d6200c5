#!/usr/bin/env bash
# Two neuroppa binaries side by side in one run, on the same commands, the
# same machine and the same (warm) model cache: the wall time of each
# command, fastest of REPEAT runs, old and new interleaved so that the
# machine's other work falls on both alike. Made for issue 22's budget (the
# built-in kinds as packages within 5% of the kinds compiled in before):
# build the commit before the change in a worktree and pass its binary.
#
#   bench/compare_binaries.sh OLD_NEUROPPA NEW_NEUROPPA [REPEAT=3]
set -euo pipefail
old=${1:?usage: compare_binaries.sh OLD_NEUROPPA NEW_NEUROPPA [REPEAT]}
new=${2:?usage: compare_binaries.sh OLD_NEUROPPA NEW_NEUROPPA [REPEAT]}
repeat=${3:-3}
for b in "$old" "$new"; do [ -x "$b" ] || { echo "compare_binaries.sh: $b is not an executable" >&2; exit 2; }; done

commands=(
  "verify --kinds mac --beats 4000000"
  "verify --kinds threshold --beats 4000000"
  "verify --kinds spike --beats 4000000"
  "kernels --kinds mac,threshold"
  "run --model mac-mlp --images 2000 --threads 1"
  "run --model threshold-mlp --images 2000 --threads 1"
  "run --model spike-mlp --images 500 --threads 1"
)

seconds() {  # binary, command...: wall seconds of one quiet run
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "compare_binaries.sh: failed: $*" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

echo "### $new against $old (wall seconds, fastest of $repeat, interleaved)"
echo
echo "| command | old s | new s | new / old |"
echo "|---|---:|---:|---:|"
for c in "${commands[@]}"; do
  read -r -a args <<<"$c"
  "$old" -q "${args[@]}" >/dev/null 2>&1 || true  # warm the cache for both
  "$new" -q "${args[@]}" >/dev/null 2>&1 || true
  best_old=1e9 best_new=1e9
  for _ in $(seq "$repeat"); do
    t=$(seconds "$old" -q "${args[@]}"); best_old=$(awk -v t="$t" -v b="$best_old" 'BEGIN { print (t < b) ? t : b }')
    t=$(seconds "$new" -q "${args[@]}"); best_new=$(awk -v t="$t" -v b="$best_new" 'BEGIN { print (t < b) ? t : b }')
  done
  printf '| %s | %.3f | %.3f | %.3f |\n' "$c" "$best_old" "$best_new" "$(awk -v n="$best_new" -v o="$best_old" 'BEGIN { print n / o }')"
done
echo
echo "Below 1: the new binary is faster."

#!/usr/bin/env bash
# The Slurm executor on a real Slurm (ctest label slurm; bash scripts/setup.sh
# slurm installs slurm-wlm and munge and runs it): starts a one-node cluster
# on this host (scripts/slurm_local.sh), runs examples/sweep/mlps.toml (six
# points) locally and as a Slurm job array, and checks that collect gives the same table.
# Stops the daemons it started, pass or fail.
#
#   bash tests/sweep/slurm_test.sh NEUROPPA_BINARY
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
neuroppa=${1:?usage: slurm_test.sh NEUROPPA_BINARY}
work=$(mktemp -d "${TMPDIR:-/tmp}/neuroppa-slurm-test-XXXXXX")
export NEUROPPA_SLURM_DIR=$work/cluster
cleanup() { bash "$root/scripts/slurm_local.sh" stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

bash "$root/scripts/slurm_local.sh" start
export SLURM_CONF=$NEUROPPA_SLURM_DIR/slurm.conf

# The example sweep, one copy per executor (results land beside each copy).
for executor in local slurm; do
  mkdir -p "$work/$executor"
  cp "$root/examples/sweep/mlps.toml" "$work/$executor/mlps.toml"
done

"$neuroppa" sweep run "$work/local/mlps.toml" --executor local
"$neuroppa" sweep run "$work/slurm/mlps.toml" --executor slurm --wait
"$neuroppa" sweep status "$work/slurm/mlps.toml" | tee "$work/status.txt"
grep -q "6 points: 6 done, 0 failed, 0 not done; Slurm job [0-9]*: 0 pending, 0 running" "$work/status.txt"
# One array task per point ran (their outputs are in the results folder).
tasks=$(ls "$work/slurm/mlps-results/slurm/" | grep -c '^task-.*\.out$')
[ "$tasks" -eq 6 ] || { echo "slurm_test: expected 6 array tasks, found $tasks" >&2; exit 1; }

"$neuroppa" sweep collect "$work/local/mlps.toml" --format csv > /dev/null
"$neuroppa" sweep collect "$work/slurm/mlps.toml" --format csv > /dev/null
# The tables without their provenance (which names each sweep file's path).
for e in local slurm; do
  grep -v '^# ' "$work/$e/mlps-results/collected.csv" > "$work/$e.csv"
  grep -v '^<!--\|^neuroppa \|^sweep file\|points done\|^-->' "$work/$e/mlps-results/collected.md" > "$work/$e.md"
done
diff "$work/local.csv" "$work/slurm.csv"
diff "$work/local.md" "$work/slurm.md"
rows=$(($(wc -l < "$work/slurm.csv") - 1))
[ "$rows" -eq 6 ] || { echo "slurm_test: expected 6 rows, found $rows" >&2; exit 1; }
echo "slurm_test: six points through Slurm, collect identical to the local executor's"

#!/usr/bin/env bash
# The Slurm executor on a real Slurm (ctest label slurm; bash scripts/setup.sh
# slurm installs slurm-wlm and munge and runs it): starts a one-node cluster
# on this host (scripts/slurm_local.sh), runs the same six-point sweep locally
# and as a Slurm job array, and checks that collect gives the same table.
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

for executor in local slurm; do
  mkdir -p "$work/$executor"
  cat > "$work/$executor/six.toml" <<TOML
# three bundled MLPs at two lane counts: six points
name = "six"
command = "run"
[axes]
model = ["mac-mlp", "shift-mlp", "threshold-mlp"]
lanes = [8, 16]
[options]
images = 20
threads = 1
check = true
[slurm]
time = "00:10:00"
mem = "2G"
throttle = 2
TOML
done

"$neuroppa" sweep run "$work/local/six.toml" --executor local
"$neuroppa" sweep run "$work/slurm/six.toml" --executor slurm --wait
"$neuroppa" sweep status "$work/slurm/six.toml" | tee "$work/status.txt"
grep -q "6 points: 6 done, 0 failed, 0 not done; Slurm job [0-9]*: 0 pending, 0 running" "$work/status.txt"
# One array task per point ran (their outputs are in the results folder).
tasks=$(ls "$work/slurm/six-results/slurm/" | grep -c '^task-.*\.out$')
[ "$tasks" -eq 6 ] || { echo "slurm_test: expected 6 array tasks, found $tasks" >&2; exit 1; }

"$neuroppa" sweep collect "$work/local/six.toml" --format csv > /dev/null
"$neuroppa" sweep collect "$work/slurm/six.toml" --format csv > /dev/null
# The tables without their provenance (which names each sweep file's path).
for e in local slurm; do
  grep -v '^# ' "$work/$e/six-results/collected.csv" > "$work/$e.csv"
  grep -v '^<!--\|^neuroppa \|^sweep file\|points done\|^-->' "$work/$e/six-results/collected.md" > "$work/$e.md"
done
diff "$work/local.csv" "$work/slurm.csv"
diff "$work/local.md" "$work/slurm.md"
rows=$(($(wc -l < "$work/slurm.csv") - 1))
[ "$rows" -eq 6 ] || { echo "slurm_test: expected 6 rows, found $rows" >&2; exit 1; }
echo "slurm_test: six points through Slurm, collect identical to the local executor's"

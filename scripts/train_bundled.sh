#!/usr/bin/env bash
# Retrains the bundled models (models/bundled/*.json.gz) exactly as they were
# made: fixed seeds, one thread, so the files come out the same. About 20
# minutes on a 2-core machine (threshold layers learn their scales, the default).
#   bash scripts/train_bundled.sh [build/neuroppa]
set -euo pipefail
cd "$(dirname "$0")/.."
neuroppa=${1:-build/neuroppa}
out=models/bundled
mkdir -p "$out"
mlp=d128,d10
cnn=c8k3,p2,c16k3,p2,d10
for kind in mac shift threshold spike; do
  # Threshold CNNs take ten float epochs to come level with mac (docs/threshold-training.md).
  cnn_epochs=6
  [ $kind = threshold ] && cnn_epochs=10
  "$neuroppa" train --kind $kind --arch $mlp --epochs 8 --seed 1 -o "$out/$kind-mlp.json.gz"
  "$neuroppa" train --kind $kind --arch $cnn --epochs $cnn_epochs --seed 1 -o "$out/$kind-cnn.json.gz"
done
# Sigma-delta: converted from float ReLU networks, 4-bit graded spikes (the kind's default B), 8 timesteps.
"$neuroppa" train --kind sigma-delta --arch $mlp --epochs 8 --seed 1 --timesteps 8 -o "$out/sigma-delta-mlp.json.gz"
"$neuroppa" train --kind sigma-delta --arch $cnn --epochs 6 --seed 1 --timesteps 8 -o "$out/sigma-delta-cnn.json.gz"
# Multiplication injection (the Threshold Neuron paper keeps the first and
# last layers as multiplications).
"$neuroppa" train --kind threshold --arch c8k3@mac,p2,c16k3,p2,d10@mac --epochs 6 --seed 1 \
  -o "$out/threshold-cnn-mi.json.gz"

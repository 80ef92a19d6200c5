#!/usr/bin/env bash
# The PyTorch round trip (ctest label "torch"; `bash scripts/setup.sh torch`
# installs python3-torch and runs it): a CNN with padding, batch norm and a
# residual block trained in PyTorch for one epoch (tests/models/torch_cnn.py), exported as
# float ONNX, imported for mac, its float and integer accuracy within one point
# of PyTorch's own on the 10,000 test images, and the imported network on the
# platform equal to the reference inference on every test image (--check).
#
#   torch_roundtrip.sh NEUROPPA [WORK_DIR]
set -euo pipefail
neuroppa=$1
work=${2:-$(mktemp -d)}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$work"

/usr/bin/python3 "$here/torch_cnn.py" "$work"
read -r torch_accuracy mean std < <(/usr/bin/python3 -c "
import json; t = json.load(open('$work/torch.json')); print(t['accuracy'], t['mean'], t['std'])")

"$neuroppa" -q import "$work/cnn.onnx" --kind mac --input-normalize "$mean,$std" --out "$work/cnn-mac.json.gz" |
  tee "$work/import.txt"
read -r float_accuracy integer_accuracy < <(sed -n 's/.*float test accuracy \([0-9.]*\), integer (reference inference) \([0-9.]*\)/\1 \2/p' "$work/import.txt")
echo "PyTorch $torch_accuracy, imported float $float_accuracy, integer (mac) $integer_accuracy"
/usr/bin/python3 - "$torch_accuracy" "$float_accuracy" "$integer_accuracy" <<'PY'
import sys
torch_accuracy, float_accuracy, integer_accuracy = map(float, sys.argv[1:])
failed = False
for what, value in (("float", float_accuracy), ("integer", integer_accuracy)):
    if abs(value - torch_accuracy) > 0.01:
        print("FAIL: imported {} accuracy {:.4f} is more than 1 point from PyTorch's {:.4f}".format(
            what, value, torch_accuracy))
        failed = True
sys.exit(1 if failed else 0)
PY

"$neuroppa" -q run --model "$work/cnn-mac.json.gz" --level rtl --check | tee "$work/run.txt" | grep -E "accuracy \(platform\)|Check"
grep -q "Check: the platform equals the reference inference (models::infer) on all 10000 images" "$work/run.txt"
echo "torch round trip: passed"

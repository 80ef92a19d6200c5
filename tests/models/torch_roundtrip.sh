#!/usr/bin/env bash
# The PyTorch round trip (ctest label "torch"; `bash scripts/setup.sh torch`
# installs python3-torch and runs it): a CNN with padding, batch norm and a
# residual block trained in PyTorch for one epoch (tests/models/torch_cnn.py),
# exported as float ONNX and, quantised by PyTorch (int8), in the QDQ form;
# each imported for mac, its float and integer accuracy within one point of
# PyTorch's own (the float model's, the quantised model's) on the 10,000 test
# images, and the imported network on the platform equal to the reference
# inference on every test image (--check).
#
#   torch_roundtrip.sh NEUROPPA [WORK_DIR]
set -euo pipefail
neuroppa=$1
work=${2:-$(mktemp -d)}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$work"

/usr/bin/python3 "$here/torch_cnn.py" "$work"
read -r torch_accuracy qdq_accuracy mean std < <(/usr/bin/python3 -c "
import json; t = json.load(open('$work/torch.json')); print(t['accuracy'], t['qdq_accuracy'], t['mean'], t['std'])")

# Imports FORM (cnn or cnn-qdq) for mac and checks its float and integer accuracy against PyTorch's ($2).
import_and_check() {
  local form=$1 reference=$2
  "$neuroppa" -q import "$work/$form.onnx" --kind mac --input-normalize "$mean,$std" --out "$work/$form-mac.json.gz" |
    tee "$work/import-$form.txt"
  read -r float_accuracy integer_accuracy < <(sed -n 's/.*float test accuracy \([0-9.]*\), integer (reference inference) \([0-9.]*\).*/\1 \2/p' "$work/import-$form.txt")
  echo "$form: PyTorch $reference, imported float $float_accuracy, integer (mac) $integer_accuracy"
  /usr/bin/python3 - "$form" "$reference" "$float_accuracy" "$integer_accuracy" <<'PY'
import sys
form = sys.argv[1]
reference, float_accuracy, integer_accuracy = map(float, sys.argv[2:])
failed = False
for what, value in (("float", float_accuracy), ("integer", integer_accuracy)):
    if abs(value - reference) > 0.01:
        print("FAIL: {}: imported {} accuracy {:.4f} is more than 1 point from PyTorch's {:.4f}".format(
            form, what, value, reference))
        failed = True
sys.exit(1 if failed else 0)
PY
  "$neuroppa" -q run --model "$work/$form-mac.json.gz" --level rtl --check | tee "$work/run-$form.txt" |
    grep -E "accuracy \(platform\)|Check"
  grep -q "Check: the platform equals the reference inference (models::infer) on all 10000 images" "$work/run-$form.txt"
}
import_and_check cnn "$torch_accuracy"
import_and_check cnn-qdq "$qdq_accuracy"
echo "torch round trip: passed"

#!/usr/bin/env bash
# README's two tables, regenerated so that they cannot go stale:
#   kernels   the output of `neuroppa kernels` (bundled defaults)
#   networks  columns of T2 in docs/paper-sample/t2_networks.csv, which
#             `neuroppa paper --out docs/paper-sample` writes
#
#   bash scripts/readme_figures.sh            rewrite the tables in README.md
#   bash scripts/readme_figures.sh --check    exit 1 (with a diff) if README differs
#
# Each table sits between `<!-- figures: NAME ... -->` and `<!-- end figures -->`.
# NEUROPPA: the neuroppa binary (default build/neuroppa).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
neuroppa=${NEUROPPA:-$root/build/neuroppa}
mode=${1:-write}
case "$mode" in write | --check) ;; *) echo "readme_figures: unknown option '$mode' (none or --check)" >&2; exit 2 ;; esac
[ -x "$neuroppa" ] || { echo "readme_figures: $neuroppa: no neuroppa binary (build first, or set NEUROPPA)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$neuroppa" -q kernels --format md > "$work/kernels"

# T2's columns a new user needs, from the paper sample's CSV (# lines are its provenance).
python3 - "$root/docs/paper-sample/t2_networks.csv" > "$work/networks" <<'EOF'
import csv, sys
rows = [r for r in csv.reader(l for l in open(sys.argv[1], encoding="utf-8") if not l.startswith("#"))]
head, body = rows[0], rows[1:]
want = ["model", "accuracy", "cycles/inference", "energy/inference (nJ)",
        "energy vs mac, lanes only (×)", "energy vs mac (×)"]
missing = [w for w in want if w not in head]
if missing:
    sys.exit(f"readme_figures: {sys.argv[1]} has no column {missing[0]!r}")
idx = [head.index(w) for w in want]
print("| " + " | ".join(want) + " |")
print("|---|" + "---:|" * (len(want) - 1))
def shown(column, value):
    # Ratios to two decimals, energies and cycles to whole units; accuracy as written.
    if column == "model" or column.startswith("accuracy"):
        return value
    x = float(value)
    return f"{x:.2f}" if column.endswith("(×)") else f"{x:,.0f}"
for r in body:
    print("| " + " | ".join(shown(want[k], r[i]) for k, i in enumerate(idx)) + " |")
comments = [l[1:].strip() for l in open(sys.argv[1], encoding="utf-8") if l.startswith("#")]
provenance = [c for c in comments if c.startswith(("command:", "neuroppa ", "generated:"))]
print()
print("Sample's provenance: " + "; ".join(provenance) + ".")
EOF

python3 - "$root/README.md" "$work" > "$work/README.md" <<'EOF'
import re, sys, pathlib
readme, work = sys.argv[1], pathlib.Path(sys.argv[2])
text = open(readme, encoding="utf-8").read()
pattern = re.compile(r"(<!-- figures: (\w+)[^\n]*-->\n)(.*?)(<!-- end figures -->)", re.S)
seen = []
def fill(m):
    seen.append(m.group(2))
    table = (work / m.group(2)).read_text(encoding="utf-8")
    return m.group(1) + table + m.group(4)
out = pattern.sub(fill, text)
for name in ("kernels", "networks"):
    if name not in seen:
        sys.exit(f"readme_figures: {readme} has no '<!-- figures: {name} -->' block")
sys.stdout.write(out)
EOF

if [ "$mode" = --check ]; then
  if ! diff -u "$root/README.md" "$work/README.md"; then
    echo "readme_figures: README.md's tables differ from what neuroppa gives now; run bash scripts/readme_figures.sh" >&2
    exit 1
  fi
  echo "readme_figures: README.md's tables are current"
else
  cp "$work/README.md" "$root/README.md"
  echo "readme_figures: README.md's tables rewritten"
fi

#!/usr/bin/env bash
# The main job on an embedded default: installs and builds what is missing,
# exports torchvision's ResNet-18 trunk (random weights, no download) to ONNX
# with Debian's torch, imports it into the sstep dialect, and prints the halo
# analysis: for every layer, how many input pixels one output pixel sees and
# at what stride, which is the margin a tile of that layer needs.
# Usage: scripts/demo.sh [model.onnx]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh >/dev/null

MODEL=${1:-}
if [ -z "$MODEL" ]; then
  mkdir -p build/demo
  MODEL=build/demo/resnet18-trunk.onnx
  if [ ! -f "$MODEL" ]; then
    echo "Exporting torchvision's ResNet-18 trunk to $MODEL ..."
    /usr/bin/python3 test/e2e/export_model.py resnet18-trunk "$MODEL"
  fi
fi

echo "Importing $MODEL and analysing its receptive fields (H x W):"
build/bin/sstep-import "$MODEL" | build/bin/sstep-opt --sstep-receptive-field |
  /usr/bin/python3 -c '
import re, sys
n = 0
for line in sys.stdin:
    m = re.search(r"(%\w+) = (sstep\.\w+) .*after = array<i64: (\d+), (\d+)>, before = array<i64: (\d+), (\d+)>, input = (\d+) : i64, size = array<i64: (\d+), (\d+)>, stride = array<i64: (\d+), (\d+)>", line)
    if not m:
        continue
    v, op, ah, aw, bh, bw, arg, sh, sw, th, tw = m.groups()
    n += 1
    print(f"  {v:>5} {op:<17} sees {sh:>3} x {sw:<3} input pixels, stride {th:>2} x {tw:<2}, halo {bh}/{ah} x {bw}/{aw}")
if n == 0:
    sys.exit("demo: no spatial op was annotated")
print(f"{n} spatial ops. A tile of the last layer needs this halo around it to equal the whole-image result.")
'

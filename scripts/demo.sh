#!/usr/bin/env bash
# The main job on an embedded default: installs and builds what is missing,
# then shows the halo analysis on a bundled ResNet-18-shaped convolution trunk:
# for each layer, how many input pixels one output pixel sees and at what
# stride, which is the halo a tile of that layer needs.
# Usage: scripts/demo.sh [model.mlir]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-examples/resnet18-convs.mlir}
bash scripts/bootstrap.sh
bash scripts/build.sh >/dev/null
echo "Receptive field of every convolution in $MODEL (H x W):"
build/bin/sstep-opt "$MODEL" --sstep-receptive-field |
  python3 -c '
import re, sys
n = 0
for line in sys.stdin:
    m = re.search(r"(%\w+) = sstep.conv2d .*after = array<i64: (\d+), (\d+)>, before = array<i64: (\d+), (\d+)>, input = (\d+) : i64, size = array<i64: (\d+), (\d+)>, stride = array<i64: (\d+), (\d+)>", line)
    if not m:
        continue
    v, ah, aw, bh, bw, arg, sh, sw, th, tw = m.groups()
    n += 1
    print(f"  {v:>5}: sees {sh:>3} x {sw:<3} input pixels, stride {th} x {tw}, halo before {bh}/{bw}, after {ah}/{aw}")
if n == 0:
    sys.exit("demo: no convolution was annotated")
'

#!/usr/bin/env bash
# Tiled against whole-image execution on the reference backend, one run: the
# same model and input whole (--tile=none), at fixed tile edges, and at the
# tile the planner picks for a memory budget. Prints wall time, peak RSS,
# the planner's predicted and the measured tile working set, and the largest
# difference from the whole-image output (the invariant: 0 up to round-off).
#
# usage: bench/tiled-vs-whole.sh [BUILD] [MODEL] [SIZE] [BUDGET] [TILES]
#   defaults: build resnet18-trunk 1024 64MiB "256 512"
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MODEL=${2:-resnet18-trunk}
SIZE=${3:-1024}
BUDGET=${4:-64MiB}
TILES=${5:-256 512}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

PYTHONPATH=test/e2e $PY - "$MODEL" "$WORK" "$SIZE" <<'PY'
import sys, numpy as np, torch, models
name, work, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
models.export(name, f"{work}/model.onnx")
x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
np.save(f"{work}/in.npy", x.numpy())
PY

run() { # NAME sstep-run-options...
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$WORK/$name.time" \
    "$BUILD/bin/sstep-run" "$WORK/model.onnx" "$WORK/in.npy" \
    -o "$WORK/$name.npy" --stats="$WORK/$name.json" "$@"
}
row() { # NAME LABEL
  read -r wall kib < "$WORK/$1.time"
  $PY - "$WORK" "$1" "$2" "$wall" "$kib" <<'PY'
import sys, json, numpy as np
work, name, label, wall, kib = sys.argv[1:]
s = json.load(open(f"{work}/{name}.json"))
a, b = np.load(f"{work}/whole.npy"), np.load(f"{work}/{name}.npy")
err = float(np.abs(a - b).max() / np.abs(a).max())
tiles = "x".join(str(v) for v in s["grids"][-1])
mib = lambda b: b / 2**20
print(f"{label:<26} {tiles:>6} {float(wall):>9.2f} {int(kib) / 1024:>10.0f} "
      f"{mib(s['predicted_tile_bytes']):>10.1f} "
      f"{mib(s['measured_tile_bytes']):>10.1f} {err:>9.1e}")
PY
}

echo "model $MODEL, input 1x3x${SIZE}x${SIZE}, $(nproc) threads, reference backend"
run whole --tile=none
for t in $TILES; do run "tile$t" --tile="$t"; done
run budget --memory-budget="$BUDGET"
printf '%-26s %6s %9s %10s %10s %10s %9s\n' "" "tiles" "wall (s)" \
  "RSS (MiB)" "pred (MiB)" "meas (MiB)" "rel. err"
row whole "whole image (--tile=none)"
for t in $TILES; do row "tile$t" "--tile=$t"; done
row budget "--memory-budget=$BUDGET"
$PY -c "import json; print('planner chose tile edge', json.load(open('$WORK/budget.json'))['tile_edge'])"

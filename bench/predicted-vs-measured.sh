#!/usr/bin/env bash
# The memory planner's prediction beside what the backend measures, per
# tile, on every model of the end-to-end zoo (test/e2e/models.py): whole,
# in 128-pixel squares and in chained strips 32 rows tall, on the cpu
# backend (whose channel blocks are 16 wide on AVX-512 and 8 on AVX2: the
# prediction follows the CPU it runs on). With a second build, its
# prediction is printed beside (before/after comparisons in one run).
#
# usage: bench/predicted-vs-measured.sh [BUILD] [SIZE] [OTHER_BUILD]
#   defaults: build 512, no other build
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZE=${2:-512}
OTHER=${3:-}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

PYTHONPATH=test/e2e $PY - "$WORK" "$SIZE" 2>/dev/null <<'PY'
import sys, numpy as np, torch, models
work, size = sys.argv[1], int(sys.argv[2])
for name in models.MODELS:
    models.export(name, f"{work}/{name}.onnx")
x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
np.save(f"{work}/in.npy", x.numpy())
PY

stats() { # BUILD PLAN OUT TILES...
  local build=$1 plan=$2 out=$3
  shift 3
  "$build/bin/sstep-run" "$plan" "$WORK/in.npy" -o "$WORK/out.npy" \
    --stats="$out" --backend=cpu --quiet "$@"
}

echo "input 1x3x${SIZE}x${SIZE}, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(grep -q avx512f /proc/cpuinfo && echo AVX-512 || echo AVX2)"
printf '%-28s %-12s %12s %12s %7s' model tiles measured predicted error
[ -n "$OTHER" ] && printf ' | %12s %7s' "other build" error
echo
for f in "$WORK"/*.onnx; do
  model=$(basename "$f" .onnx)
  "$BUILD/bin/sstep-compile" "$f" -o "$WORK/new.sstep" --target=cpu 2>/dev/null
  if [ -n "$OTHER" ]; then
    "$OTHER/bin/sstep-compile" "$f" -o "$WORK/old.sstep" --target=cpu 2>/dev/null
  fi
  for tiles in "--tile=none" "--tile=128" "--tile=$SIZE --tile-rows=32"; do
    # shellcheck disable=SC2086
    stats "$BUILD" "$WORK/new.sstep" "$WORK/new.json" $tiles
    if [ -n "$OTHER" ]; then
      # shellcheck disable=SC2086
      stats "$OTHER" "$WORK/old.sstep" "$WORK/old.json" $tiles
    fi
    $PY - "$model" "$tiles" "$WORK" "$OTHER" <<'PY'
import json, sys
model, tiles, work, other = sys.argv[1:5]
n = json.load(open(f"{work}/new.json"))
measured, predicted = n["measured_tile_bytes"], n["predicted_tile_bytes"]
label = tiles.replace("--tile=", "").replace(" --tile-rows=", "x")
line = (f"{model:<28} {label:<12} {measured:>12} {predicted:>12} "
        f"{100 * (predicted - measured) / measured:>6.1f}%")
if other:
    o = json.load(open(f"{work}/old.json"))
    m = o["measured_tile_bytes"]
    line += (f" | {o['predicted_tile_bytes']:>12} "
             f"{100 * (o['predicted_tile_bytes'] - m) / m:>6.1f}%")
print(line)
PY
  done
done

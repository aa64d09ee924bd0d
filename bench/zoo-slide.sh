#!/usr/bin/env bash
# Every network of the test zoo over a slide beside the same network over a
# tensor of the same size, SSTEP's cpu backend, one run: the slide run reads
# and decodes a synthetic JPEG slide (sstep-slide mkslide), normalises it and
# writes the output map to .npy; the tensor run reads a float32 .npy of the
# same size and writes the same. Both under the same --memory-budget, so
# both tile. Prints each run's seconds and megapixels per second and the
# slide run's time over the tensor run's (the issue's goal: at most 1.2).
#
# usage: bench/zoo-slide.sh [BUILD] [SIZE] [THREADS] [BUDGET] [MODELS]
#   defaults: build 4096 $(nproc) 512MiB, every image-output model
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZE=${2:-4096}
THREADS=${3:-$(nproc)}
BUDGET=${4:-512MiB}
source bench/zoo-models.sh
MODELS=${5:-$ZOO_MODELS}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$BUILD/bin/sstep-slide" mkslide -o "$WORK/slide.tif" --size "$SIZE,$SIZE" \
  --tile 512 --seed 3 >/dev/null
$PY - "$WORK/in.npy" "$SIZE" <<'PY'
import sys, numpy as np
size = int(sys.argv[2])
x = np.random.default_rng(0).standard_normal((1, 3, size, size), np.float32)
np.save(sys.argv[1], x)
PY
echo "input ${SIZE}², $THREADS threads, budget $BUDGET, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-28s %9s %8s %9s %8s %8s\n' model "tensor s" "MP/s" "slide s" "MP/s" "ratio"
for MODEL in $MODELS; do
  PYTHONPATH=test/e2e $PY -c "import models; models.export('$MODEL', '$WORK/m.onnx')" 2>/dev/null
  "$BUILD/bin/sstep-compile" "$WORK/m.onnx" -o "$WORK/m.sstep"
  "$BUILD/bin/sstep-run" "$WORK/m.sstep" "$WORK/in.npy" -o "$WORK/t.npy" \
    --backend=cpu --threads="$THREADS" --memory-budget="$BUDGET" \
    --stats="$WORK/t.json"
  "$BUILD/bin/sstep-run" "$WORK/m.sstep" "$WORK/slide.tif" -o "$WORK/s.npy" \
    --backend=cpu --threads="$THREADS" --memory-budget="$BUDGET" --quiet \
    --stats="$WORK/s.json"
  rm -f "$WORK/t.npy" "$WORK/s.npy"
  $PY - "$WORK" "$MODEL" "$SIZE" <<'PY' | tee -a "$WORK/rows"
import sys, json
work, model, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = json.load(open(f"{work}/t.json"))["run_seconds"]
s = json.load(open(f"{work}/s.json"))
s = s.get("seconds", s.get("run_seconds"))
mp = size * size / 1e6
print(f"{model:<28} {t:9.2f} {mp / t:8.2f} {s:9.2f} {mp / s:8.2f} {s / t:8.2f}")
PY
done
$PY - "$WORK/rows" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
worst = max(rows, key=lambda r: float(r[5]))
over = [r[0] for r in rows if float(r[5]) > 1.2]
print(f"slowest slide run against its tensor run: {worst[0]} {float(worst[5]):.2f}x; "
      f"over 1.2x: {', '.join(over) if over else 'none'}")
PY

#!/usr/bin/env bash
# Peak memory against slide size, end to end: a model over synthetic JPEG
# slides of each size (read, decode, infer, write a pyramidal TIFF) under one
# --memory-budget, the stored images of a model of several stages on disk
# (STORE: --store=disk by default; auto puts them where the budget says).
# Prints each run's time, throughput, peak RSS (VmHWM of the whole
# process), the tile set, the peak the planner predicted (what the budget
# bounds: weights, tiles, stream buffers, output encoders), the RSS beyond
# it (the fixed overhead: libraries' code, heap slack, JIT kernels), the
# part of it that is the buffer pool's pages resident beyond its peak in use
# (fragmentation; cpu backend) and the scratch on disk at once, then whether
# the peaks are within ±10% of each other.
#
# usage: bench/flat-rss-slide.sh [BUILD] [THREADS] [MODEL] [SIZES] [BUDGET] [STORE]
#   defaults: build $(nproc) mobilenetv3-small-features "4096 16384 65536" 512MiB disk
# A 65536² slide takes about 4 minutes to make and 250 MB; the scratch of
# MobileNetV3-Small's features at that size is some 20 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${2:-$(nproc)}
MODEL=${3:-mobilenetv3-small-features}
SIZES=${4:-4096 16384 65536}
BUDGET=${5:-512MiB}
STORE=${6:-disk}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

PYTHONPATH=test/e2e $PY -c "import models; models.export('$MODEL', '$WORK/m.onnx')"
"$BUILD/bin/sstep-compile" "$WORK/m.onnx" -o "$WORK/m.sstep"
echo "$MODEL over synthetic slides, --memory-budget=$BUDGET --store=$STORE, $THREADS threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-8s %10s %8s %11s %10s %14s %15s %15s %11s %12s\n' size "make (s)" "run (s)" "MP/s" \
  "RSS (MiB)" "tile set (MiB)" "predicted (MiB)" "overhead (MiB)" "pool (MiB)" "scratch (MiB)"
for SIZE in $SIZES; do
  start=$(date +%s)
  "$BUILD/bin/sstep-slide" mkslide -o "$WORK/s.tif" --size "$SIZE,$SIZE" --tile 512 \
    --seed 7 --bigtiff > /dev/null
  made=$(( $(date +%s) - start ))
  "$BUILD/bin/sstep-run" "$WORK/m.sstep" "$WORK/s.tif" -o "$WORK/out.tif" \
    --backend=cpu --threads="$THREADS" --memory-budget="$BUDGET" --store="$STORE" --quiet \
    --stats="$WORK/s$SIZE.json"
  rm -f "$WORK/s.tif" "$WORK/out.tif"
  $PY - "$WORK/s$SIZE.json" "$SIZE" "$made" <<'PY'
import sys, json
s, size, made = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
print(f"{size:<8} {made:>10} {s['seconds']:>8.1f} {s['megapixels_per_second']:>11.2f} "
      f"{s['peak_rss_bytes'] / 2**20:>10.0f} {s['measured_tile_bytes'] / 2**20:>14.1f} "
      f"{s['predicted_peak_bytes'] / 2**20:>15.1f} "
      f"{(s['peak_rss_bytes'] - s['predicted_peak_bytes']) / 2**20:>15.1f} "
      f"{(s.get('pool_resident_peak_bytes', 0) - s.get('pool_peak_bytes', 0)) / 2**20:>11.1f} "
      f"{s['scratch_peak_bytes'] / 2**20:>12.0f}")
PY
done
$PY - "$WORK" $SIZES <<'PY'
import sys, json
peaks = [json.load(open(f"{sys.argv[1]}/s{n}.json"))["peak_rss_bytes"] for n in sys.argv[2:]]
print(f"peak RSS max/min {max(peaks) / min(peaks):.3f}: "
      f"{'flat within ±10%' if max(peaks) <= 1.1 * min(peaks) else 'NOT flat'}")
PY

#!/usr/bin/env bash
# Decode throughput of level 0 of a 20480^2 JPEG slide made by sstep-slide
# mkslide: SSTEP's reader with 1 and N threads beside OpenSlide, one run.
# Then the same on the real Aperio slide when present.
# usage: bench/slide-read.sh [BUILD_DIR] [SIZE] (defaults: build, 20480);
# REPEAT=K takes the best of K sweeps.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZE=${2:-20480}
cmake --build "$BUILD" --target sstep-slide slide_read_bench >/dev/null
data="$BUILD/bench-data"
mkdir -p "$data"
slide="$data/synth-$SIZE-jpeg.tif"
if [ ! -f "$slide" ]; then
  echo "making $slide ..."
  start=$(date +%s)
  "$BUILD/bin/sstep-slide" mkslide -o "$slide" --size "$SIZE,$SIZE" --tile 256 --compression jpeg
  echo "made in $(( $(date +%s) - start )) s, $(du -h "$slide" | cut -f1)"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$BUILD/bin/slide_read_bench" "$slide" --threads "$(nproc)" --region 2048 --repeat "${REPEAT:-1}"
# Real tissue, when the OpenSlide test slide is beside the checkout (small:
# repeated to get past timer noise).
svs=${SVS:-../shared/data/CMU-1-Small-Region.svs}
if [ -f "$svs" ]; then
  "$BUILD/bin/slide_read_bench" "$svs" --threads "$(nproc)" --region 960 --repeat 5
fi

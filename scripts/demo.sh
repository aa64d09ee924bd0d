#!/usr/bin/env bash
# The main job on an embedded default: a nuclear-density heatmap of a slide.
#
# Installs and builds what is missing, builds a small meaningful model without
# downloads (colour deconvolution into haematoxylin/eosin/DAB, a nuclear mask,
# density pooling: examples/nuclei-density/export_model.py), compiles it into
# a standalone inference binary, makes a synthetic H&E slide (or takes yours),
# runs the binary over it with a progress bar and writes the pyramidal TIFF
# heatmap and a PNG preview (the heatmap over the slide's thumbnail).
#
# Usage: scripts/demo.sh [SLIDE]   (any slide OpenSlide or libtiff reads)
# Outputs go to build/demo/; SSTEP_DEMO_SIZE=W,H sets the synthetic slide's
# size (default 12000,8000).
set -euo pipefail
# A slide named relative to where the user stands, before moving to the root.
GIVEN=${1:+$(realpath -m -- "$1")}
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh >/dev/null

OUT=build/demo
BIN=build/bin
mkdir -p "$OUT"
SLIDE=${GIVEN:-}
if [ -z "$SLIDE" ]; then
  SLIDE=$OUT/synthetic-he.tif
  if [ ! -f "$SLIDE" ]; then
    echo "demo: making a synthetic H&E slide, $SLIDE"
    "$BIN/sstep-slide" mkslide -o "$SLIDE" --size "${SSTEP_DEMO_SIZE:-12000,8000}" \
      --tile 512 --seed 7
  fi
fi
[ -r "$SLIDE" ] || { echo "demo: cannot read slide '$SLIDE'" >&2; exit 2; }
name=$(basename "${SLIDE%.*}")

echo "demo: building the nuclear-density model (stain physics, no training)"
/usr/bin/python3 examples/nuclei-density/export_model.py "$OUT/nuclei-density.onnx"
echo "demo: compiling it into a standalone binary, $OUT/nuclei-heatmap"
"$BIN/sstep-compile" "$OUT/nuclei-density.onnx" --emit=exe --target=cpu \
  -o "$OUT/nuclei-heatmap"

HEATMAP=$OUT/$name-nuclei.tif
PREVIEW=$OUT/$name-nuclei-preview.png
echo "demo: running it over $SLIDE"
"$OUT/nuclei-heatmap" "$SLIDE" -o "$HEATMAP" --normalize=none --output-scale=255 \
  --stats="$OUT/$name-stats.json"
if ! "$BIN/sstep-slide" overlay "$SLIDE" "$HEATMAP" -o "$PREVIEW" >/dev/null; then
  PREVIEW="(none: the slide has no pyramid level small enough to preview)"
fi

/usr/bin/python3 - "$OUT/$name-stats.json" "$HEATMAP" "$PREVIEW" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
h, w = s["level_size"]
print(f"demo: {w} x {h} pixels in {s['seconds']:.1f} s, "
      f"{s['megapixels_per_second']:.1f} MP/s, peak memory "
      f"{s['peak_rss_bytes'] / 2**20:.0f} MiB, {s['tiles_run']} tiles of "
      f"{s['tile_edge']} x {s['tile_rows']} px")
print(f"demo: heatmap (pyramidal TIFF, 1/16 scale, 255 = crowded nuclei): {sys.argv[2]}")
print(f"demo: preview (heatmap over the slide): {sys.argv[3]}")
PY

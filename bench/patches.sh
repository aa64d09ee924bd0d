#!/usr/bin/env bash
# Patch features, SSTEP beside the usual Python pipeline, one run: a patch
# encoder (CLAM's ResNet-50 through layer3 with average pooling, 1024 values
# per patch, random weights) on every whole PATCH x PATCH patch of a
# synthetic JPEG slide. The peer reads each patch with OpenSlide, normalises
# it with numpy and runs PyTorch on the CPU under torch.no_grad(), one patch
# at a time and in batches of 16 (CLAM's extract_features loop); SSTEP runs
# `sstep-run PLAN SLIDE --patches=PATCH --backend=cpu`, which decodes ahead on
# a thread and writes the HDF5 table. Prints patches/s and megapixels/s end to
# end (reading, inference and writing; model loading excluded on both
# sides), the ratio to PyTorch one at a time, peak RSS, and the largest
# difference between the two sets of features.
#
# A ViT encoder: bench/patches.sh build 896 224 2 vit-b16 (ViT-B/16 at its
# one input size, 224).
#
# usage: bench/patches.sh [BUILD] [SLIDE] [PATCH] [THREADS] [MODEL]
#   defaults: build 2048 256 $(nproc) resnet50-clam
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SLIDE=${2:-2048}
PATCH=${3:-256}
THREADS=${4:-$(nproc)}
MODEL=${5:-resnet50-clam}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$BUILD/bin/sstep-slide" mkslide -o "$WORK/s.tif" --size "$SLIDE,$SLIDE"
PYTHONPATH=test/e2e $PY -c "import models, sys; models.export(sys.argv[1], sys.argv[2])" \
  "$MODEL" "$WORK/$MODEL.onnx"
"$BUILD/bin/sstep-compile" "$WORK/$MODEL.onnx" -o "$WORK/$MODEL.sstep" --target=cpu
"$BUILD/bin/sstep-run" "$WORK/$MODEL.sstep" "$WORK/s.tif" -o "$WORK/sstep.h5" \
  --patches="$PATCH" --backend=cpu --threads="$THREADS" --quiet \
  --stats="$WORK/sstep.json"

PYTHONPATH=test/e2e $PY - "$MODEL" "$WORK" "$PATCH" "$THREADS" <<'PY'
import json, resource, sys, time
import h5py, numpy as np, openslide, torch, models
name, work, patch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
model = models.build(name)
coords = h5py.File(f"{work}/sstep.h5", "r")["coords"][()]
sstep_rows = h5py.File(f"{work}/sstep.h5", "r")["features"][()]
mean = np.array([0.485, 0.456, 0.406], np.float32)
std = np.array([0.229, 0.224, 0.225], np.float32)


def run(batch):
    slide = openslide.OpenSlide(f"{work}/s.tif")
    rows = []
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(coords), batch):
            imgs = []
            for x, y in coords[i:i + batch]:
                rgb = np.asarray(slide.read_region((int(x), int(y)), 0,
                                                   (patch, patch)).convert("RGB"))
                imgs.append(((rgb.astype(np.float32) / 255 - mean) / std)
                            .transpose(2, 0, 1))
            out = model(torch.from_numpy(np.stack(imgs)))
            rows.append(out.reshape(out.shape[0], -1).numpy())
    return time.perf_counter() - start, np.concatenate(rows)


with torch.no_grad():
    model(torch.randn(1, 3, patch, patch))  # warm-up
t1, rows1 = run(1)
t16, rows16 = run(16)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
s = json.load(open(f"{work}/sstep.json"))
n, mp = len(coords), len(coords) * patch * patch / 1e6
scale = float(np.abs(rows1).max())
err = float(np.abs(sstep_rows - rows1).max()) / scale
err16 = float(np.abs(rows16 - rows1).max()) / scale
print(f"{name}, {n} patches of {patch}^2 ({sstep_rows.shape[1]} values each), "
      f"{threads} threads, {open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}")
print(f"{'pipeline':<34} {'seconds':>8} {'patches/s':>10} {'MP/s':>7} {'vs torch':>9} {'RSS (MiB)':>10}")
for label, sec, rss in [("PyTorch + OpenSlide, batch 1", t1, peak),
                        ("PyTorch + OpenSlide, batch 16", t16, peak),
                        ("SSTEP --patches (cpu backend)", s["seconds"], s["peak_rss_bytes"])]:
    print(f"{label:<34} {sec:8.2f} {n / sec:10.2f} {mp / sec:7.2f} {t1 / sec:8.2f}x {rss / 2**20:10.0f}")
print(f"largest difference from PyTorch (batch 1), relative to its largest value: "
      f"SSTEP {err:.1e}, PyTorch batch 16 {err16:.1e}")
print(f"SSTEP: {s['tile_seconds']:.2f} s in the backend, {s['decode_seconds']:.2f} s decoding "
      f"(on its read-ahead thread), {s['finish_seconds']:.2f} s writing the table")
print("(PyTorch's RSS is the Python process's peak over both batch sizes)")
PY

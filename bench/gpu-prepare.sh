#!/usr/bin/env bash
# Prepares bench/gpu-bench.sh's data where the project builds (the GPU
# machine has no MLIR, so sstep-compile cannot run there). Run by
# `bash scripts/gpu-check.sh --prepare`, which carries OUTDIR to the GPU
# machine inside .deps/.
#
# usage: bench/gpu-prepare.sh OUTDIR        (the build: ${BUILD:-build})
#
# Exports torchvision's ResNet-18 and ResNet-50 trunks (test/e2e/models.py:
# up to layer4, no avgpool or fc; ONNX opset 13, dynamic H and W) with the
# fixed random weights of bench/gpu_bench.py, compiles them with
# `sstep-compile --target=cuda --precision=P` and writes into OUTDIR:
#   plans.tar.xz     resnet18-trunk-fp32, resnet18-trunk-fp16 and
#                    resnet50-trunk-fp16 plans (.sstep), xz-compressed
#   manifest.json    the seed, the plans, a digest of each model's weights
#   check-*.npy      a 96x96 input and each model's fp32 output in torch here
# The GPU machine rebuilds the same weights from the seed (no weights are
# carried for PyTorch) and checks them against the digest and the outputs.
#
# Size. Everything carried to the GPU machine must fit in 64 MiB, and plans
# store weights as float32 whatever their precision (94 MB for ResNet-50).
# Hence: no ResNet-50 fp32 plan and no ONNX files; convolution weights of
# 16 levels, which xz compresses about 6x (the two ResNet-18 plans share
# their weights within xz's window); OUTDIR is about 23 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 1 ] || [ "${1:0:1}" = "-" ]; then
  echo "usage: [BUILD=build] bench/gpu-prepare.sh OUTDIR" >&2
  exit 2
fi
OUT=$1
BUILD=${BUILD:-build}
PY=/usr/bin/python3
COMPILE=$BUILD/bin/sstep-compile
if [ ! -x "$COMPILE" ]; then
  echo "gpu-prepare: no $COMPILE (build the project first: scripts/build.sh)" >&2
  exit 1
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$OUT"
rm -f "$OUT"/manifest.json "$OUT"/plans.tar.xz "$OUT"/check-*.npy
$PY bench/gpu_bench.py export "$OUT" --onnx-dir "$WORK"

# The plans gpu_bench.py's manifest names, in this order: the two ResNet-18
# plans next to each other, so xz stores their shared weights once.
plans=(resnet18-trunk:fp32 resnet18-trunk:fp16 resnet50-trunk:fp16)
mkdir -p "$WORK/plans"
files=()
for entry in "${plans[@]}"; do
  model=${entry%%:*} precision=${entry##*:}
  start=$(date +%s)
  "$COMPILE" "$WORK/$model.onnx" --target=cuda --precision="$precision" \
    -o "$WORK/plans/$model-$precision.sstep"
  echo "gpu-prepare: $model-$precision.sstep ($(( $(date +%s) - start )) s)"
  files+=("plans/$model-$precision.sstep")
done
# Check that the manifest and this list agree.
$PY - "$OUT/manifest.json" "${files[@]}" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
named = sorted("plans/" + f for v in m["models"].values()
               for f in v["plans"].values())
if named != sorted(sys.argv[2:]):
    sys.exit(f"gpu-prepare: the manifest names {named}, compiled {sys.argv[2:]}")
PY
tar -C "$WORK" -cf - "${files[@]}" | xz -9 -T1 > "$OUT/plans.tar.xz"
echo "gpu-prepare: $OUT ready: $(du -sh "$OUT" | cut -f1)"

#!/usr/bin/env bash
# SSTEP's CUDA backend beside PyTorch on one GPU, in one run (run by
# `bash scripts/gpu-check.sh` on the GPU machine; the plans come from
# bench/gpu-prepare.sh, run where the project builds).
#
# usage: bench/gpu-bench.sh BUILD DATADIR [gpu_bench.py run options]
#   BUILD    a build with bin/sstep-run (the runtime-only build is enough)
#   DATADIR  gpu-prepare.sh's OUTDIR (gpu-check.sh: .deps/gpu-bench)
#   environment: SIZE (image edge, default 4096), PATCH (sliding-window
#   patch, 512), BUDGET (SSTEP's --memory-budget, 4GiB), MODELS
#   (resnet50-trunk,resnet18-trunk), PYTHON (python3: the one with torch)
#
# For the ResNet-50 and ResNet-18 trunks in fp16 on one random 1x3xSxS
# image: PyTorch whole image (channels_last, cudnn.benchmark, the largest
# size that fits), PyTorch sliding window (MONAI style: PATCH patches,
# overlap 0.25, constant importance, 16 patches a forward) and SSTEP
# (sstep-run --backend=cuda --tile=auto --memory-budget=BUDGET, one cold
# process, and its steady throughput from two wider runs): seconds, MP/s,
# peak device memory, achieved TFLOP/s and % of the GPU's dense fp16 peak,
# the ratio to PyTorch's whole image, and the error against PyTorch fp32;
# then the issue's goals. See bench/gpu_bench.py.
#
# Exit status: 0 when done, or skipped for want of a GPU; 1 when sstep-run
# fails or an output is off by more than its precision's tolerance
# (fp16 2e-2, fp32 1e-4 of the reference's largest magnitude); 2 on usage.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ] || [ "${1:0:1}" = "-" ] || [ "${2:0:1}" = "-" ]; then
  sed -n '6,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
BUILD=$1
DATA=$2
shift 2
PY=${PYTHON:-python3}
if [ ! -x "$BUILD/bin/sstep-run" ]; then
  echo "gpu-bench: no $BUILD/bin/sstep-run (build it: bash scripts/gpu-check.sh)" >&2
  exit 1
fi
if [ ! -f "$DATA/manifest.json" ] || [ ! -f "$DATA/plans.tar.xz" ]; then
  echo "gpu-bench: $DATA lacks manifest.json or plans.tar.xz; run" \
    "bash scripts/gpu-check.sh --prepare where the project builds" >&2
  exit 1
fi
if ! "$PY" -c "import torch, torchvision, numpy" 2>/dev/null; then
  echo "gpu-bench: $PY has no torch, torchvision and numpy" >&2
  exit 1
fi
# cuDNN 9 for sstep-run: the system's, else the one PyTorch's wheels bring
# (scripts/gpu-check.sh exports the same when it runs this script).
if [ -z "${SSTEP_CUDNN:-}" ] && ! ldconfig -p 2>/dev/null | grep -q libcudnn.so.9; then
  wheel=$("$PY" -c "import nvidia.cudnn, os; print(os.path.join(list(nvidia.cudnn.__path__)[0], 'lib'))" 2>/dev/null || true)
  if [ -n "$wheel" ] && [ -e "$wheel/libcudnn.so.9" ]; then
    export SSTEP_CUDNN=$wheel/libcudnn.so.9
    export LD_LIBRARY_PATH=$wheel${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  fi
fi
# Without a GPU, gpu_bench.py says so and exits 0 (unless --device cpu).
PYTHONUNBUFFERED=1 exec "$PY" bench/gpu_bench.py run --data "$DATA" \
  --sstep-run "$BUILD/bin/sstep-run" --size "${SIZE:-4096}" \
  --patch "${PATCH:-512}" --budget "${BUDGET:-4GiB}" \
  --models "${MODELS:-resnet50-trunk,resnet18-trunk}" "$@"

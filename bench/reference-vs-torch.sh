#!/usr/bin/env bash
# The reference backend (the oracle: plain loops, fp64 accumulation) beside
# PyTorch on the CPU, same model, same input, same thread count, one run:
# wall time and peak memory of each, and the largest relative difference.
#
# usage: bench/reference-vs-torch.sh [BUILD] [MODEL] [SIZE] [THREADS]
#   defaults: build resnet18-trunk 1024 $(nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MODEL=${2:-resnet18-trunk}
SIZE=${3:-1024}
THREADS=${4:-$(nproc)}
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

echo "model $MODEL, input 1x3x${SIZE}x${SIZE}, $THREADS threads"
/usr/bin/time -f "%e %M" -o "$WORK/sstep.time" \
  "$BUILD/bin/sstep-run" "$WORK/model.onnx" "$WORK/in.npy" -o "$WORK/sstep.npy" \
  --threads="$THREADS"
/usr/bin/time -f "%e %M" -o "$WORK/torch.time" \
  env PYTHONPATH=test/e2e $PY - "$MODEL" "$WORK" "$THREADS" <<'PY'
import sys, numpy as np, torch, models
name, work, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
x = torch.from_numpy(np.load(f"{work}/in.npy"))
with torch.no_grad():
    np.save(f"{work}/torch.npy", models.build(name)(x).numpy())
PY
read -r s_wall s_kib < "$WORK/sstep.time"
read -r t_wall t_kib < "$WORK/torch.time"
ERR=$($PY -c "import numpy as np; a=np.load('$WORK/sstep.npy'); b=np.load('$WORK/torch.npy'); print(f'{np.abs(a-b).max()/np.abs(b).max():.2e}')")
printf '%-28s %10s %14s\n' "" "wall (s)" "peak RSS (MiB)"
printf '%-28s %10s %14d\n' "SSTEP --backend=reference" "$s_wall" $((s_kib / 1024))
printf '%-28s %10s %14d\n' "PyTorch (CPU, whole image)" "$t_wall" $((t_kib / 1024))
echo "max |sstep - torch| / max |torch| = $ERR"

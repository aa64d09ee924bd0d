#!/usr/bin/env bash
# Every network of the test zoo on the CPU, SSTEP's cpu backend beside
# PyTorch, one run: the same model (random weights, BatchNorm folded by the
# importer), the same input, the same threads. PyTorch runs the whole image
# under torch.no_grad() after a warm-up; SSTEP runs the compiled plan whole
# (--tile=none) and at the tiles the planner picks for a memory budget.
# Prints per model the seconds, SSTEP's speed over PyTorch's (> 1: faster)
# and the largest difference from PyTorch's output, then the geometric mean
# of the speed-ups over the zoo.
#
# usage: bench/zoo-vs-torch.sh [BUILD] [SIZE] [THREADS] [BUDGET] [MODELS]
#   defaults: build 1024 $(nproc) 256MiB, every image-output model
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZE=${2:-1024}
THREADS=${3:-$(nproc)}
BUDGET=${4:-256MiB}
source bench/zoo-models.sh
MODELS=${5:-$ZOO_MODELS}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "input 1x3x${SIZE}x${SIZE}, $THREADS threads, budget $BUDGET, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-28s %9s %9s %8s %9s %8s %9s\n' model "torch s" "whole s" "speed" "budget s" "speed" "err"
for MODEL in $MODELS; do
  PYTHONPATH=test/e2e $PY - "$MODEL" "$WORK" "$SIZE" "$THREADS" <<'PY'
import sys, time, json, numpy as np, torch, models
name, work, size, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
models.export(name, f"{work}/m.onnx")
x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
np.save(f"{work}/in.npy", x.numpy())
torch.set_num_threads(threads)
model = models.build(name)
with torch.no_grad():
    model(torch.randn(1, 3, *models.MODELS[name][1]))
    start = time.perf_counter()
    y = model(x)
    seconds = time.perf_counter() - start
if isinstance(y, dict):
    y = y["out"]
np.save(f"{work}/torch.npy", y.numpy())
json.dump({"run_seconds": seconds}, open(f"{work}/torch.json", "w"))
PY
  "$BUILD/bin/sstep-compile" "$WORK/m.onnx" -o "$WORK/m.sstep"
  for run in whole budget; do
    opts=--tile=none
    [ $run = budget ] && opts=--memory-budget=$BUDGET
    "$BUILD/bin/sstep-run" "$WORK/m.sstep" "$WORK/in.npy" -o "$WORK/$run.npy" \
      --stats="$WORK/$run.json" --backend=cpu --threads="$THREADS" $opts
  done
  $PY - "$WORK" "$MODEL" <<'PY' | tee -a "$WORK/rows"
import sys, json, numpy as np
work, model = sys.argv[1], sys.argv[2]
t = json.load(open(f"{work}/torch.json"))["run_seconds"]
w = json.load(open(f"{work}/whole.json"))["run_seconds"]
b = json.load(open(f"{work}/budget.json"))["run_seconds"]
ref = np.load(f"{work}/torch.npy")
err = max(np.abs(np.load(f"{work}/{r}.npy") - ref).max() for r in ("whole", "budget"))
err /= max(np.abs(ref).max(), 1e-30)
print(f"{model:<28} {t:9.2f} {w:9.2f} {t / w:7.2f}x {b:9.2f} {t / b:7.2f}x {err:9.1e}")
PY
done
$PY - "$WORK/rows" <<'PY'
import sys, math
rows = [line.split() for line in open(sys.argv[1])]
for col, label in ((3, "whole"), (5, "budget")):
    speeds = [float(r[col].rstrip("x")) for r in rows]
    geo = math.exp(sum(map(math.log, speeds)) / len(speeds))
    slower = [r[0] for r in rows if float(r[col].rstrip("x")) < 1]
    print(f"geometric mean speed-up, {label}: {geo:.2f}x over {len(speeds)} models; "
          f"below PyTorch: {', '.join(slower) if slower else 'none'}")
PY

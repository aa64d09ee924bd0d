#!/usr/bin/env bash
# The oneDNN CPU backend beside PyTorch on the CPU, one run: the same model
# (random weights, BatchNorm folded by the importer), the same input, the
# same thread count. PyTorch runs the whole image under torch.no_grad();
# SSTEP runs it whole (--tile=none), at fixed tile edges, in chained tiles as
# wide as the image and as half of it, 32 rows tall (--tile-rows: each reuses the rows the
# tile above computed), and at the tiles the planner picks for a memory
# budget. Prints inference seconds (model loading
# excluded on both sides), throughput in input megapixels per second, the
# ratio to PyTorch's throughput, peak RSS of the whole process, and the
# largest difference from PyTorch's output.
#
# usage: bench/cpu-vs-torch.sh [BUILD] [SIZE] [THREADS] [MODELS] [TILES] [BUDGET]
#   defaults: build 2048 $(nproc) "resnet18-trunk resnet50-trunk" "512" 256MiB
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZE=${2:-2048}
THREADS=${3:-$(nproc)}
MODELS=${4:-resnet18-trunk resnet50-trunk}
TILES=${5:-512}
BUDGET=${6:-256MiB}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "input 1x3x${SIZE}x${SIZE}, $THREADS threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-16s %-26s %7s %9s %7s %9s %9s\n' model run "tiles" "infer (s)" "MP/s" "vs torch" "RSS (MiB)"
for MODEL in $MODELS; do
  PYTHONPATH=test/e2e $PY - "$MODEL" "$WORK" "$SIZE" <<'PY'
import sys, numpy as np, torch, models
name, work, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
models.export(name, f"{work}/{name}.onnx")
x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
np.save(f"{work}/in.npy", x.numpy())
PY
  # PyTorch: build the model, warm up on a small input, time one forward.
  PYTHONPATH=test/e2e $PY - "$MODEL" "$WORK" "$THREADS" <<'PY'
import sys, time, json, resource, numpy as np, torch, models
name, work, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
model = models.build(name)
x = torch.from_numpy(np.load(f"{work}/in.npy"))
with torch.no_grad():
    model(torch.randn(1, 3, 64, 64))
    start = time.perf_counter()
    y = model(x)
    seconds = time.perf_counter() - start
np.save(f"{work}/torch.npy", y.numpy())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
json.dump({"run_seconds": seconds, "peak_resident_bytes": peak},
          open(f"{work}/torch.json", "w"))
PY
  # SSTEP: compile once to a plan, as a user would, then run the plan.
  "$BUILD/bin/sstep-compile" "$WORK/$MODEL.onnx" -o "$WORK/$MODEL.sstep"
  run() { # NAME sstep-run-options...
    local name=$1
    shift
    "$BUILD/bin/sstep-run" "$WORK/$MODEL.sstep" "$WORK/in.npy" \
      -o "$WORK/$name.npy" --stats="$WORK/$name.json" --backend=cpu \
      --threads="$THREADS" "$@"
  }
  run whole --tile=none
  for t in $TILES; do run "tile$t" --tile="$t"; done
  run strip --tile="$SIZE" --tile-rows=32
  run halfstrip --tile=$((SIZE / 2)) --tile-rows=32
  run budget --memory-budget="$BUDGET"
  names="torch whole $(for t in $TILES; do echo -n "tile$t "; done) strip halfstrip budget"
  $PY - "$WORK" "$MODEL" "$SIZE" "$BUDGET" $names <<'PY'
import sys, json, numpy as np
work, model, size, budget, names = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
ref = np.load(f"{work}/torch.npy")
torch_mps = size * size / 1e6 / json.load(open(f"{work}/torch.json"))["run_seconds"]
torch_peak = json.load(open(f"{work}/torch.json"))["peak_resident_bytes"]
met = []
for name in names:
    s = json.load(open(f"{work}/{name}.json"))
    mps = size * size / 1e6 / s["run_seconds"]
    if name == "torch":
        label, tiles, err = "PyTorch (whole image)", "-", ""
    else:
        label = {"whole": "SSTEP cpu --tile=none",
                 "strip": f"SSTEP cpu {size}x32 chained",
                 "halfstrip": f"SSTEP cpu {size // 2}x32 chained",
                 "budget": f"SSTEP cpu budget {budget}"}.get(
                     name, f"SSTEP cpu --tile={name[4:]}")
        tiles = "x".join(str(v) for v in s["grids"][-1])
        out = np.load(f"{work}/{name}.npy")
        err = f"  err {np.abs(out - ref).max() / np.abs(ref).max():.1e}"
    print(f"{model:<16} {label:<26} {tiles:>7} {s['run_seconds']:>9.2f} "
          f"{mps:>7.2f} {mps / torch_mps:>8.2f}x "
          f"{s['peak_resident_bytes'] / 2**20:>9.0f}{err}")
    if (name != "torch" and mps / torch_mps >= 1.3
            and s["peak_resident_bytes"] * 8 <= torch_peak):
        met.append(label)
print(f"{model:<16} goal >= 1.3x at <= 1/8 of PyTorch's peak "
      f"({torch_peak / 8 / 2**20:.0f} MiB): "
      + (f"met by {', '.join(met)}" if met else "not met"))
PY
done

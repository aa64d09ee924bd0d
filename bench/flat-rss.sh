#!/usr/bin/env bash
# Peak memory against image size: the same model and tile shape on inputs of
# 2048², 8192² and 32768² pixels (a 12 GiB .npy), run by sstep-run with the
# input read and the output written tile by tile. Prints each run's time,
# throughput and peak RSS, and whether the peaks stay within ±10% of each
# other (issue: flat memory, whatever the image size).
#
# Multi-stage networks (squeeze-and-excitation: efficientnet-b0-features,
# mobilenetv3-small-features) keep images whole between stages; the table
# shows the most of them in memory and on disk (--store, default auto).
#
# usage: bench/flat-rss.sh [BUILD] [THREADS] [MODEL] [SIZES] [TILE] [STORE]
#   defaults: build $(nproc) resnet18-trunk "2048 8192 32768" "2048 32" auto
#   TILE: "EDGE ROWS" for --tile=EDGE --tile-rows=ROWS, or "budget SIZE"
#   for --memory-budget=SIZE. STORE: auto, memory or disk.
# PEER_MAX=N (default 0: none) also runs PyTorch's whole-image inference on
# the same input, in its own process, for sizes up to N: time and peak RSS.
# Needs about 15 GiB of free disk under ${TMPDIR:-/tmp} for the largest size.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${2:-$(nproc)}
MODEL=${3:-resnet18-trunk}
SIZES=${4:-2048 8192 32768}
TILE=${5:-2048 32}
STORE=${6:-auto}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

read -r a b <<<"$TILE"
if [ "$a" = budget ]; then tiling=(--memory-budget="$b"); else
  tiling=(--tile="$a" --tile-rows="$b"); fi
PYTHONPATH=test/e2e $PY -c "import models; models.export('$MODEL', '$WORK/m.onnx')"
"$BUILD/bin/sstep-compile" "$WORK/m.onnx" -o "$WORK/m.sstep"
echo "$MODEL, ${tiling[*]}, --store=$STORE, $THREADS threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-8s %-9s %10s %8s %10s %10s %12s %12s\n' size grid "run (s)" "MP/s" \
  "RSS (MiB)" "tile set" "stored (MiB)" "scratch (MiB)"
for SIZE in $SIZES; do
  # The input is written band by band: a 32768² one never fits in memory.
  $PY - "$WORK/in.npy" "$SIZE" <<'PY'
import sys, numpy as np
path, size = sys.argv[1], int(sys.argv[2])
a = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
                              shape=(1, 3, size, size))
rng = np.random.default_rng(0)
for y in range(0, size, 1024):
    a[:, :, y:y + 1024] = rng.random((1, 3, min(1024, size - y), size),
                                     dtype=np.float32) * 4 - 2
a.flush()
PY
  "$BUILD/bin/sstep-run" "$WORK/m.sstep" "$WORK/in.npy" -o "$WORK/out.npy" \
    --backend=cpu --threads="$THREADS" --stats="$WORK/s$SIZE.json" "${tiling[@]}" \
    --store="$STORE"
  rm -f "$WORK/out.npy"
  $PY - "$WORK/s$SIZE.json" "$SIZE" <<'PY'
import sys, json
s, size = json.load(open(sys.argv[1])), int(sys.argv[2])
grid = "x".join(str(v) for v in s["grids"][-1])
print(f"{size:<8} {grid:<9} {s['run_seconds']:>10.1f} "
      f"{size * size / 1e6 / s['run_seconds']:>8.2f} "
      f"{s['peak_resident_bytes'] / 2**20:>10.0f} "
      f"{s['measured_tile_bytes'] / 2**20:>6.0f} MiB"
      f"{s['stored_memory_peak_bytes'] / 2**20:>13.0f}"
      f"{s['scratch_peak_bytes'] / 2**20:>13.0f}")
PY
  if [ "$SIZE" -le "${PEER_MAX:-0}" ]; then
    PYTHONPATH=test/e2e $PY - "$WORK/in.npy" "$MODEL" "$THREADS" <<'PY' ||
import resource, sys, time
import numpy as np, torch
import models
path, name, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
model = models.build(name)
x = torch.from_numpy(np.load(path))
start = time.perf_counter()
with torch.no_grad():
    model(x)
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"  PyTorch whole image: {seconds:.1f} s, "
      f"{x.shape[2] * x.shape[3] / 1e6 / seconds:.2f} MP/s, "
      f"peak RSS {rss:.0f} MiB")
PY
      echo "  PyTorch whole image: failed (exit status $?)"
  fi
  rm -f "$WORK/in.npy"
done
$PY - "$WORK" $SIZES <<'PY'
import sys, json
work, sizes = sys.argv[1], sys.argv[2:]
peaks = [json.load(open(f"{work}/s{s}.json"))["peak_resident_bytes"]
         for s in sizes]
spread = max(peaks) / min(peaks)
print(f"peak RSS from {min(peaks) / 2**20:.0f} to {max(peaks) / 2**20:.0f} MiB:"
      f" max/min {spread:.3f}; flat within 10%: "
      + ("met" if spread <= 1.1 else "not met"))
PY

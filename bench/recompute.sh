#!/usr/bin/env bash
# Store or compute again: a model of several stages compiled with
# --recompute=never (every image between stages stored), auto (the cost
# model's choice) and always (every image that can be computed again is),
# each run over one input with the stored images on disk and in memory.
# Prints the run's seconds, the bytes stored between stages (all, and the
# most at once), peak RSS, and the largest difference from `never`'s output
# (0 on the reference backend; the cpu backend's fused steps round apart).
#
# usage: bench/recompute.sh [BUILD] [THREADS] [MODEL] [SIZE] [TILE]
#   defaults: build $(nproc) efficientnet-b0-features 4096 "2048 32"
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${2:-$(nproc)}
MODEL=${3:-efficientnet-b0-features}
SIZE=${4:-4096}
TILE=${5:-2048 32}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

read -r edge rows <<<"$TILE"
PYTHONPATH=test/e2e $PY -c "import models; models.export('$MODEL', '$WORK/m.onnx')"
for policy in never auto always; do
  "$BUILD/bin/sstep-compile" "$WORK/m.onnx" -o "$WORK/$policy.sstep" --recompute=$policy
done
$PY - "$WORK/x.npy" "$SIZE" <<'PY'
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
echo "$MODEL, ${SIZE}², --tile=$edge --tile-rows=$rows, $THREADS threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-8s %-7s %8s %9s %11s %12s %10s %10s\n' recompute store "run (s)" "stored" \
  "stored MiB" "at once MiB" "RSS (MiB)" "max diff"
for store in disk memory; do
  for policy in never auto always; do
    "$BUILD/bin/sstep-run" "$WORK/$policy.sstep" "$WORK/x.npy" -o "$WORK/$policy.npy" \
      --backend=cpu --threads="$THREADS" --tile="$edge" --tile-rows="$rows" \
      --store=$store --scratch="$WORK" --stats="$WORK/$policy.json"
    $PY - "$WORK" "$policy" "$store" <<'PY'
import json, sys, numpy as np
work, policy, store = sys.argv[1:]
s = json.load(open(f"{work}/{policy}.json"))
diff = np.abs(np.load(f"{work}/{policy}.npy", mmap_mode="r")
              - np.load(f"{work}/never.npy", mmap_mode="r")).max()
peak = s["scratch_peak_bytes"] if store == "disk" else s["stored_memory_peak_bytes"]
print(f"{policy:<8} {store:<7} {s['run_seconds']:>8.1f} {len(s['stored_values']):>9} "
      f"{s['stored_bytes'] / 2**20:>11.0f} {peak / 2**20:>12.0f} "
      f"{s['peak_resident_bytes'] / 2**20:>10.0f} {diff:>10.2g}")
PY
  done
done

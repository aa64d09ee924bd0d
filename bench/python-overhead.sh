#!/usr/bin/env bash
# What Python adds: the same plan on the same inputs through sstep-run and
# through the Python package (build/python), one run each on the same
# machine: a synthetic slide (Plan.run_slide against `sstep-run PLAN SLIDE`)
# and a tensor (Plan.run on a numpy array against `sstep-run PLAN IN.npy`,
# whose time includes reading and writing the .npy files the Python run
# does not need). Prints wall seconds of each and Python's share.
#
# usage: bench/python-overhead.sh [BUILD] [SLIDE] [SIZE] [MODEL]
#   defaults: build 8192 2048 resnet18-trunk
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build}" && pwd)
SLIDE=${2:-8192}
SIZE=${3:-2048}
MODEL=${4:-resnet18-trunk}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$BUILD/bin/sstep-slide" mkslide -o "$WORK/s.tif" --size "$SLIDE,$SLIDE" >/dev/null
PYTHONPATH=test/e2e $PY - "$MODEL" "$WORK" "$SIZE" 2>/dev/null <<'PY'
import sys, numpy as np, torch, models
name, work, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
models.export(name, f"{work}/{name}.onnx")
x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
np.save(f"{work}/in.npy", x.numpy())
PY
"$BUILD/bin/sstep-compile" "$WORK/$MODEL.onnx" -o "$WORK/$MODEL.sstep" --target=cpu

# Alternately, twice each (the first warms the page cache and the CPU);
# the faster of each pair counts.
PYTHONPATH="$BUILD/python" $PY - "$WORK" "$MODEL" "$BUILD" "$SLIDE" "$SIZE" <<'PY'
import subprocess, sys, time
import numpy as np
import sstep
work, model, build, slide, size = sys.argv[1:6]
plan_file = f"{work}/{model}.sstep"
cli = f"{build}/bin/sstep-run"

def wall(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start

def cli_slide():
    subprocess.run([cli, plan_file, f"{work}/s.tif", "-o", f"{work}/cli.tif",
                    "--backend=cpu", "--quiet"], check=True)

def py_slide():
    sstep.load(plan_file).run_slide(f"{work}/s.tif", f"{work}/py.tif")

def cli_tensor():
    subprocess.run([cli, plan_file, f"{work}/in.npy", "-o", f"{work}/cli.npy",
                    "--backend=cpu", "--tile=auto", "--memory-budget=256MiB"],
                   check=True, capture_output=True)

x = np.load(f"{work}/in.npy")
out = {}

def py_tensor():
    out["y"] = sstep.load(plan_file).run(x, memory_budget="256MiB")

times = {}
for name, fn in [("cli_slide", cli_slide), ("py_slide", py_slide)] * 2 + \
        [("cli_tensor", cli_tensor), ("py_tensor", py_tensor)] * 2:
    times[name] = min(times.get(name, float("inf")), wall(fn))
same = np.array_equal(out["y"], np.load(f"{work}/cli.npy"))
print(f"{model}; sstep-run timed as a process (start, plan load, .npy I/O "
      f"included), Python as the call (sstep.load included)")
print(f"{'job':<34} {'sstep-run (s)':>14} {'Python (s)':>11} {'Python adds':>12}")
for job, label in [("slide", f"slide {slide}x{slide}, run_slide"),
                   ("tensor", f"tensor {size}x{size}, run (256 MiB)")]:
    c, p = times[f"cli_{job}"], times[f"py_{job}"]
    print(f"{label:<34} {c:>14.2f} {p:>11.2f} {100 * (p - c) / c:>11.1f}%")
print(f"tensor output identical to sstep-run's: {same}")
PY

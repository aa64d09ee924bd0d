"""Runs a test network whole and in tiles with sstep-run; compares them.

Usage: compare_tiled.py NAME CACHE_DIR WORK_DIR --size H,W --tiles A,B,C
                        [--backend cpu]

For each tile edge (0: --tile=none) prints one line:
  NAME HxW tile T: grids G, max|tiled - whole| / max|whole| = E  ok|MISMATCH
The whole-image run is always the reference backend's. Fails when E > 1e-5
on the reference backend (the exactness invariant on CPU fp32), or > 1e-4
on another backend (fp32 accumulation against the oracle's fp64).
"""
import json
import os
import subprocess
import sys

import numpy as np

from compare_with_torch import cached_export

TOLERANCE = {"reference": 1e-5}
OTHER_TOLERANCE = 1e-4


def main():
    name, cache_dir, work = sys.argv[1], sys.argv[2], sys.argv[3]
    args = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    h, w = (int(v) for v in args["--size"].split(","))
    tiles = [int(t) for t in args["--tiles"].split(",")]
    backend = args.get("--backend", "reference")
    tolerance = TOLERANCE.get(backend, OTHER_TOLERANCE)
    onnx_path = cached_export(name, cache_dir)
    os.makedirs(work, exist_ok=True)
    x = np.random.default_rng(3).standard_normal((1, 3, h, w), np.float32)
    in_path = os.path.join(work, f"{name}-in.npy")
    whole_path = os.path.join(work, f"{name}-whole.npy")
    np.save(in_path, x)
    subprocess.run(["sstep-run", onnx_path, in_path, "-o", whole_path],
                   check=True)
    whole = np.load(whole_path)
    scale = float(np.abs(whole).max()) or 1.0
    failed = False
    for tile in tiles:
        out = os.path.join(work, f"{name}-tile{tile}.npy")
        stats = os.path.join(work, f"{name}-tile{tile}.json")
        subprocess.run(["sstep-run", onnx_path, in_path, "-o", out,
                        f"--tile={tile or 'none'}", f"--stats={stats}",
                        f"--backend={backend}"], check=True)
        got = np.load(out)
        grids = json.load(open(stats))["grids"]
        if got.shape != whole.shape:
            print(f"{name} {h}x{w} tile {tile}: shape {got.shape} != "
                  f"{whole.shape}  MISMATCH")
            failed = True
            continue
        err = float(np.abs(got - whole).max()) / scale
        verdict = "ok" if err <= tolerance else "MISMATCH"
        failed |= verdict != "ok"
        grid_text = " ".join(f"{g[0]}x{g[1]}" for g in grids if g[0])
        label = f"{backend} " if backend != "reference" else ""
        print(f"{label}{name} {h}x{w} tile {tile}: grids {grid_text}, "
              f"max|tiled - whole| / max|whole| = {err:.2e}  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

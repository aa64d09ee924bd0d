"""Runs a test network in torch and with sstep-run; compares the outputs.

Usage: compare_with_torch.py NAME CACHE_DIR WORK_DIR [--size H,W] [sstep-run options]

The export is cached in CACHE_DIR under a name that includes a hash of
models.py, so editing a model re-exports it. Prints one line:
  NAME HxW: max|sstep - torch| / max|torch| = E  ok|MISMATCH
and fails when E > 1e-4 (the oracle tolerance of the reference backend).
"""
import hashlib
import os
import subprocess
import sys

import numpy as np
import torch

import models

TOLERANCE = 1e-4


def cached_export(name, cache_dir):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models.py")
    with open(src, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:10]
    path = os.path.join(cache_dir, f"{name}-{digest}.onnx")
    models.export(name, path, reuse=True)
    return path


def verdict(got, expected):
    """The largest difference relative to torch's largest magnitude, and
    "ok" or "MISMATCH" against TOLERANCE."""
    scale = float(np.abs(expected).max()) or 1.0
    err = float(np.abs(got - expected).max()) / scale
    return err, "ok" if err <= TOLERANCE else "MISMATCH"


def main():
    name, cache_dir, work = sys.argv[1], sys.argv[2], sys.argv[3]
    rest = sys.argv[4:]
    h, w = models.MODELS[name][1]
    if rest[:1] == ["--size"]:
        h, w = (int(v) for v in rest[1].split(","))
        rest = rest[2:]
    onnx_path = cached_export(name, cache_dir)
    os.makedirs(work, exist_ok=True)
    x = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = models.build(name)(x).numpy()
    in_path = os.path.join(work, f"{name}-in.npy")
    out_path = os.path.join(work, f"{name}-out.npy")
    np.save(in_path, x.numpy())
    subprocess.run(["sstep-run", onnx_path, in_path, "-o", out_path] + rest,
                   check=True)
    got = np.load(out_path)
    if got.shape != expected.shape:
        print(f"{name} {h}x{w}: shape {got.shape} != torch's "
              f"{expected.shape}  MISMATCH")
        return 1
    err, result = verdict(got, expected)
    print(f"{name} {h}x{w}: max|sstep - torch| / max|torch| = {err:.2e}  "
          f"{result}")
    return 0 if result == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())

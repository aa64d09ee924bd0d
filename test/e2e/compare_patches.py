"""A patch encoder over every patch of a slide, SSTEP against PyTorch.

Usage: compare_patches.py NAME CACHE_DIR WORK_DIR SLIDE [sstep-run options]

Runs `sstep-run MODEL SLIDE --patches=S` (S: the model's input size from
models.py) and checks every row of the HDF5 table against the PyTorch model
on that patch as OpenSlide reads it, normalised as ImageNet models expect.
Prints one line:
  NAME patches of S: N rows, max|sstep - torch| / max|torch| = E  ok|MISMATCH
and fails when E > 1e-4.
"""
import os
import subprocess
import sys

import h5py
import numpy as np
import openslide
import torch

import models
from compare_with_torch import cached_export, verdict

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def main():
    name, cache_dir, work, slide = sys.argv[1:5]
    size = models.MODELS[name][1][0]
    onnx_path = cached_export(name, cache_dir)
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, f"{name}-patches.h5")
    subprocess.run(["sstep-run", onnx_path, slide, "-o", out,
                    f"--patches={size}", "--quiet"] + sys.argv[5:],
                   check=True)
    table = h5py.File(out, "r")
    coords, rows = table["coords"][()], table["features"][()]
    model = models.build(name)
    reader = openslide.OpenSlide(slide)
    expected = []
    with torch.no_grad():
        for x, y in coords:
            rgb = np.asarray(reader.read_region((int(x), int(y)), 0,
                                                (size, size)).convert("RGB"))
            patch = ((rgb.astype(np.float32) / 255 - MEAN) / STD)
            expected.append(model(torch.from_numpy(
                patch.transpose(2, 0, 1)[None].copy())).numpy().reshape(-1))
    expected = np.stack(expected)
    err, result = verdict(rows, expected)
    print(f"{name} patches of {size}: {len(rows)} rows, max|sstep - torch| / "
          f"max|torch| = {err:.2e}  {result}")
    return 0 if result == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())

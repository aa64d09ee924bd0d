"""Checks for sstep-run --patches: the HDF5 table against an oracle.

Usage:
  patch_helpers.py check SLIDE MODEL.onnx OUT.h5 SIZE STRIDE LEVEL
                   [--layout table|groups] [--tolerance T]
  patch_helpers.py same A.h5 B.h5

`check` reads every patch the table lists with OpenSlide (not SSTEP's
reader), normalises it as ImageNet models expect and runs the ONNX model on
it alone in PyTorch (a small interpreter over the ops the test models use);
the table's rows must match within T of the largest magnitude. The table's
coordinates must be the whole grid of SIZE-pixel patches STRIDE apart (or, with
a tissue dataset, a subset of it in the same order). `same` compares two
tables' rows exactly. Each prints one line ending in "ok" or exits 1.
"""
import sys

import h5py
import numpy as np

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def run_onnx(model, x):
    """`model` (onnx.ModelProto) on NCHW `x` with torch.nn.functional."""
    import torch
    import torch.nn.functional as F
    from onnx import helper, numpy_helper
    env = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
           for i in model.graph.initializer}
    env[model.graph.input[0].name] = torch.from_numpy(x)
    for node in model.graph.node:
        a = {p.name: helper.get_attribute_value(p) for p in node.attribute}
        ins = [env[n] for n in node.input]
        if node.op_type == "Conv":
            pads = a.get("pads", [0, 0, 0, 0])
            assert pads[:2] == pads[2:], "symmetric pads only"
            y = F.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                         stride=a.get("strides", [1, 1]), padding=pads[:2])
        elif node.op_type == "Relu":
            y = F.relu(ins[0])
        elif node.op_type == "Sigmoid":
            y = torch.sigmoid(ins[0])
        elif node.op_type == "MaxPool":
            y = F.max_pool2d(ins[0], a["kernel_shape"], a.get("strides"))
        elif node.op_type == "GlobalAveragePool":
            y = ins[0].mean(dim=(2, 3), keepdim=True)
        elif node.op_type == "Mul":
            y = ins[0] * ins[1]
        else:
            raise SystemExit(f"the oracle has no {node.op_type}")
        env[node.output[0]] = y
    return env[model.graph.output[0].name].numpy()


def rows_of(f, layout):
    if layout == "table":
        return f["features"][()]
    names = sorted(f["patches"].keys())
    if len(names) != f["coords"].shape[0]:
        raise SystemExit(f"{len(names)} groups for {f['coords'].shape[0]} "
                         "coordinates")
    for i, name in enumerate(names):
        g = f["patches"][name]
        if [g.attrs["x"], g.attrs["y"]] != list(f["coords"][i]):
            raise SystemExit(f"group {name}: x, y differ from coords[{i}]")
    return np.stack([f["patches"][n]["features"][()] for n in names])


def check(slide, model_path, out, size, stride, level, layout, tolerance):
    import onnx
    import openslide
    size, stride, level = int(size), int(stride), int(level)
    s = openslide.OpenSlide(slide)
    f = h5py.File(out, "r")
    coords = f["coords"][()]
    ds = s.level_downsamples[level]
    w, h = s.level_dimensions[level]
    grid = [(round(x * ds), round(y * ds))
            for y in range(0, h - size + 1, stride)
            for x in range(0, w - size + 1, stride)]
    listed = [tuple(c) for c in coords]
    if "tissue" in f:
        t = f["tissue"][()]
        if not (len(t) == len(listed) and (t > 0).all() and (t <= 1).all()):
            raise SystemExit("tissue shares are not in (0, 1]")
        it = iter(grid)
        if not all(c in it for c in listed):  # an ordered subset
            raise SystemExit("coords are not a subset of the grid in order")
    elif listed != grid:
        raise SystemExit(f"coords: {len(listed)} patches, the grid has "
                         f"{len(grid)}")
    for key, want in [("patch_size", size), ("patch_level", level),
                      ("patch_stride", stride)]:
        if f.attrs[key] != want or f["coords"].attrs[key] != want:
            raise SystemExit(f"attribute {key} is {f.attrs[key]}, not {want}")
    rows = rows_of(f, layout)
    model = onnx.load(model_path)
    worst = 0.0
    for i, (x, y) in enumerate(listed):
        rgb = np.asarray(s.read_region((int(x), int(y)), level,
                                       (size, size)).convert("RGB"))
        planes = (rgb.astype(np.float32) / np.float32(255) - MEAN) / STD
        want = run_onnx(model, planes.transpose(2, 0, 1)[None].copy())[0]
        want = want.reshape(rows[i].shape)
        err = float(np.abs(rows[i] - want).max()) / max(
            1e-30, float(np.abs(want).max()))
        worst = max(worst, err)
        if err > tolerance:
            raise SystemExit(f"patch {i} at {x},{y}: error {err:.2e}")
    print(f"{len(listed)} of {len(grid)} patches, rows "
          f"{list(rows.shape)}, largest error {worst:.1e} ok")


def same(a, b):
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    if not np.array_equal(fa["coords"][()], fb["coords"][()]):
        raise SystemExit("coords differ")
    if not np.array_equal(fa["features"][()], fb["features"][()]):
        raise SystemExit("features differ")
    print(f"{fa['features'].shape[0]} rows exactly equal ok")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    layout, tolerance = "table", 1e-5
    if "--layout" in args:
        i = args.index("--layout")
        layout = args[i + 1]
        del args[i:i + 2]
    if "--tolerance" in args:
        i = args.index("--tolerance")
        tolerance = float(args[i + 1])
        del args[i:i + 2]
    if cmd == "check":
        check(*args, layout=layout, tolerance=tolerance)
    elif cmd == "same":
        same(*args)
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()

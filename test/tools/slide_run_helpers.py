"""Helpers for the sstep-run slide tests: small models and checks.

Usage:
  slide_run_helpers.py model KIND OUT.onnx     conv|rgb|slow|twostage|pooled
  slide_run_helpers.py level-npy LEVEL.png OUT.npy NORMALIZE
  slide_run_helpers.py equal A.npy B.npy [--tolerance T]
  slide_run_helpers.py tiff OUT.tif EXPECTED.npy SCALE
  slide_run_helpers.py h5 OUT.h5 EXPECTED.npy
  slide_run_helpers.py masked MASKED.npy FULL.npy BACKGROUND MASKLIST TILE STRIDE
  slide_run_helpers.py corrupt SLIDE OUT.tif TILE

Models are built with onnx.helper (no torch) from seeded random weights, with
dynamic H and W. Each check prints one line ending in "ok" or exits 1.
"""
import sys

import numpy as np


def conv(name, x, cin, cout, k, rng, pad):
    from onnx import helper, numpy_helper
    w = rng.standard_normal((cout, cin, k, k)).astype(np.float32) / (cin * k)
    b = rng.standard_normal(cout).astype(np.float32) * 0.1
    inits = [numpy_helper.from_array(w, name + "_w"),
             numpy_helper.from_array(b, name + "_b")]
    node = helper.make_node("Conv", [x, name + "_w", name + "_b"], [name],
                            kernel_shape=[k, k], pads=[pad] * 4)
    return node, inits


def model(kind, path):
    import onnx
    from onnx import TensorProto, helper
    rng = np.random.default_rng(7)
    nodes, inits = [], []

    def add(result):
        node, i = result
        nodes.append(node)
        inits.extend(i)
        return node.output[0]

    x = "x"
    if kind == "conv":  # stride 2: 4 channels at half size
        h = add(conv("c1", x, 3, 8, 3, rng, 1))
        nodes.append(helper.make_node("Relu", [h], ["r1"]))
        nodes.append(helper.make_node("MaxPool", ["r1"], ["p1"],
                                      kernel_shape=[2, 2], strides=[2, 2]))
        y = add(conv("y", "p1", 8, 4, 3, rng, 1))
        channels = 4
    elif kind == "rgb":  # same size, 3 channels in 0..1
        h = add(conv("c1", x, 3, 3, 5, rng, 2))
        nodes.append(helper.make_node("Sigmoid", [h], ["y"]))
        y, channels = "y", 3
    elif kind == "slow":  # a wide halo, so tiles take a while
        h = x
        for i in range(6):
            h = add(conv(f"c{i}", h, 3 if i == 0 else 8, 8, 5, rng, 2))
        y = add(conv("y", h, 8, 1, 3, rng, 1))
        channels = 1
    elif kind == "twostage":  # squeeze-and-excitation: two tiled stages
        # Two convolutions before the pool cost more to compute again than
        # to store, so sstep-recompute leaves the image stored.
        h = add(conv("c1", x, 3, 8, 3, rng, 1))
        h = add(conv("c2", h, 8, 8, 5, rng, 2))
        nodes.append(helper.make_node("GlobalAveragePool", [h], ["g"]))
        nodes.append(helper.make_node("Mul", [h, "g"], ["m"]))
        y = add(conv("y", "m", 8, 2, 1, rng, 0))
        channels = 2
    elif kind == "pooled":  # a global head: two stages, nothing streams
        h = add(conv("c1", x, 3, 8, 3, rng, 1))
        nodes.append(helper.make_node("GlobalAveragePool", [h], ["y"]))
        y, channels = "y", 8
    else:
        raise SystemExit(f"unknown model kind {kind}")
    spatial = [1, 1] if kind == "pooled" else ["h2", "w2"]
    graph = helper.make_graph(
        nodes, kind,
        [helper.make_tensor_value_info(x, TensorProto.FLOAT,
                                       [1, 3, "h", "w"])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT,
                                       [1, channels] + spatial)],
        inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, path)


NORMS = {"none": ([0, 0, 0], [1, 1, 1]),
         "imagenet": ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])}


def level_npy(png, out, normalize):
    from PIL import Image
    rgb = np.asarray(Image.open(png).convert("RGB"))
    mean, std = NORMS[normalize]
    planes = [(rgb[:, :, c].astype(np.float32) / np.float32(255)
               - np.float32(mean[c])) / np.float32(std[c]) for c in range(3)]
    np.save(out, np.stack(planes)[None].astype(np.float32))


def equal(a, b, tolerance):
    x, y = np.load(a), np.load(b)
    if x.shape != y.shape:
        raise SystemExit(f"shape {x.shape} != {y.shape}")
    err = float(np.abs(x.astype(np.float64) - y).max())
    exact = bool(np.array_equal(x, y))
    if err > tolerance:
        raise SystemExit(f"{a} and {b} differ by up to {err}")
    print(f"shape {list(x.shape)}, {'exactly equal' if exact else 'max error %.2e' % err} ok")


def tiff(path, expected, scale):
    """Level 0 read by OpenSlide (uint8) or libvips (float32) equals the
    expected array; tiffinfo counts the pyramid's directories."""
    import subprocess
    want = np.load(expected)[0]
    pages = subprocess.run(["tiffinfo", path], capture_output=True,
                           text=True).stdout.count("TIFF Directory")
    if pages < 2:
        raise SystemExit(f"{path}: {pages} directory, no pyramid")
    if float(scale) > 0:
        import openslide
        s = openslide.OpenSlide(path)
        got = np.asarray(s.read_region((0, 0), 0, s.dimensions))[:, :, :3]
        # value * scale in float32, rounded half away from zero, clamped.
        product = (want * np.float32(scale)).astype(np.float64)
        exp = np.clip(np.floor(product + 0.5), 0, 255).astype(np.uint8)
        if exp.shape[0] == 3:
            exp = exp.transpose(1, 2, 0)
        else:
            got, exp = got[:, :, 0], exp[0]
        if not np.array_equal(got, exp):
            raise SystemExit(f"openslide reads other pixels: max diff "
                             f"{np.abs(got.astype(int) - exp).max()}")
        print(f"openslide: {s.level_count} levels, tiffinfo: {pages} "
              f"directories, pixels equal ok")
    else:
        raw = path + ".raw"
        subprocess.run(["vips", "rawsave", path, raw], check=True)
        got = np.fromfile(raw, np.float32).reshape(want.shape[1],
                                                   want.shape[2], -1)
        if not np.array_equal(got.transpose(2, 0, 1), want):
            raise SystemExit("libvips reads other pixels")
        print(f"libvips: {got.shape[2]} float32 bands, tiffinfo: {pages} "
              f"directories, pixels equal ok")


def h5(path, expected):
    import h5py
    want = np.load(expected)[0]
    with h5py.File(path, "r") as f:
        got = f["features"][...]
        attrs = dict(f["features"].attrs)
    if not np.array_equal(got, want):
        raise SystemExit(f"h5 differs: {np.abs(got - want).max()}")
    print(f"h5 {list(got.shape)} equal, stride {attrs.get('stride')} ok")


def masked(masked_path, full_path, background, mask_list, tile, stride):
    """Tiles `sstep-slide mask --tiles TILE` lists as tissue equal the
    unmasked run; every other tile's block is all background."""
    m, f = np.load(masked_path)[0], np.load(full_path)[0]
    tile, stride = int(tile), int(stride)
    tissue = set()
    for line in open(mask_list):
        if line.startswith("tile "):
            c, r = line.split()[1:3]
            tissue.add((int(r), int(c)))
    t = tile // stride
    rows, cols = -(-m.shape[1] // t), -(-m.shape[2] // t)
    ran = skipped = 0
    for r in range(rows):
        for c in range(cols):
            got = m[:, r * t:(r + 1) * t, c * t:(c + 1) * t]
            if (r, c) in tissue:
                ran += 1
                if not np.array_equal(got, f[:, r * t:(r + 1) * t,
                                             c * t:(c + 1) * t]):
                    raise SystemExit(f"tissue tile {r},{c} differs")
            else:
                skipped += 1
                if not np.all(got == np.float32(background)):
                    raise SystemExit(f"glass tile {r},{c} is not background")
    print(f"{ran} tissue tiles as unmasked, {skipped} background ok")


def corrupt(slide, out, tile):
    """Overwrites the last three quarters of level 0's tile `tile` (its
    offset and size from tiffinfo) with noise."""
    import re
    import subprocess
    info = subprocess.run(["tiffinfo", "-s", slide], capture_output=True,
                          text=True, check=True).stdout
    first = info.split("TIFF Directory")[1]
    spans = re.findall(r"^\s*\d+: \[\s*(\d+),\s*(\d+)\]", first, re.M)
    off, size = (int(v) for v in spans[int(tile)])
    data = bytearray(open(slide, "rb").read())
    for i in range(off + size // 4, off + size):
        data[i] = (i * 131) & 0xFF
    open(out, "wb").write(data)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "model":
        model(args[0], args[1])
    elif cmd == "level-npy":
        level_npy(*args)
    elif cmd == "equal":
        tol = float(args[3]) if len(args) > 3 else 0.0
        equal(args[0], args[1], tol)
    elif cmd == "tiff":
        tiff(*args)
    elif cmd == "h5":
        h5(*args)
    elif cmd == "masked":
        masked(*args)
    elif cmd == "corrupt":
        corrupt(*args)
    else:
        raise SystemExit(f"unknown command {cmd}")

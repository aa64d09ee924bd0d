#!/usr/bin/env python3
"""SSTEP's CUDA backend beside PyTorch on one GPU (bench/gpu-bench.sh).

Two steps, on two machines:

  gpu_bench.py export OUTDIR --onnx-dir DIR      (bench/gpu-prepare.sh, here)
      Builds the ResNet-18 and ResNet-50 trunks of test/e2e/models.py with
      the weights below, exports them with models.export (opset 13, dynamic
      H and W) into DIR for sstep-compile, and writes OUTDIR/manifest.json
      (the seed, a digest of every weight) and a small input and torch's
      fp32 output for each model, so the GPU machine can check that its
      PyTorch model holds the weights the plans were compiled from.

  gpu_bench.py run --data DIR --sstep-run BIN [options]   (on the GPU)
      For each model, on one random 1x3xSxS image: PyTorch whole image
      (fp16, channels_last, cudnn.benchmark), PyTorch sliding window (MONAI
      style: 512 patches, overlap 0.25, constant importance, batches of 16),
      and SSTEP (`sstep-run PLAN --backend=cuda --tile=auto
      --memory-budget=4GiB`), with accuracy against PyTorch fp32 and one
      table. Exits 1 when sstep-run fails or an output is off by more than
      the precision's tolerance, 0 (with a message) when there is no GPU.

Weights. Plans store every weight as float32 whatever their precision
(docs/plan-format.md), so the ResNet-50 plan alone is 94 MB while everything
carried to the GPU machine must fit in 64 MiB. The weights are therefore
random but compressible: each convolution's weights take 16 levels (He
scale, like a 4-bit quantised network), BatchNorm's parameters are random
floats; after the importer folds BatchNorm each output channel of a plan
holds 16 distinct values and xz shrinks the plans about 6x. Every number
comes from PCG64's raw 64-bit stream, which does not change between numpy
versions, so both machines build the same weights without carrying any.

Debug on a machine without a GPU:
  gpu_bench.py run --data DIR --sstep-run build/bin/sstep-run \
      --device cpu --backend cpu --size 256
(PyTorch's CPU convolutions have no fp16, so fp16 runs in fp32 there.)
"""
import argparse
import collections
import gc
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
import models  # noqa: E402  (test/e2e/models.py: the networks, the exporter)

SEED = 20261123
MODELS = ["resnet50-trunk", "resnet18-trunk"]
# The plans prepared (bench/gpu-prepare.sh): fp16 for both, fp32 for
# ResNet-18 too (a strict 1e-4 check of the backend's arithmetic).
PLANS = {"resnet50-trunk": ["fp16"], "resnet18-trunk": ["fp16", "fp32"]}
STRIDE = 32  # the trunks' output stride
CHECK_SIZE = 96  # the weight check's input edge
# Largest |sstep - fp32 reference| / largest |reference| accepted, as in
# docs/cuda.md (the GPU tests' tolerances).
TOLERANCE = {"fp32": 1e-4, "fp16": 2e-2, "bf16": 8e-2}
# Dense fp16 tensor-core peak (TFLOP/s, no sparsity), by device name; the
# first entry whose key is in torch.cuda.get_device_name() wins.
FP16_PEAK = [("H200", 989.4), ("H100 NVL", 835.0), ("H100 PCIe", 756.0),
             ("H100", 989.4)]  # "NVIDIA H100 80GB HBM3" is the SXM part
GOAL_VS_WHOLE, GOAL_VS_SLIDING, GOAL_DEVICE_BYTES = 1.1, 3.0, 4 * 2**30


# ----------------------------------------------------------------- weights

class Stream:
    """Numbers from PCG64's raw output (stable across numpy versions, unlike
    Generator's distributions)."""

    def __init__(self, seed):
        self.bits = np.random.PCG64(seed)

    def _raw(self, n):
        return np.asarray(self.bits.random_raw(n), dtype=np.uint64)

    def uniform(self, n, lo, hi):
        unit = (self._raw(n) >> np.uint64(11)).astype(np.float64) * 2.0**-53
        return lo + (hi - lo) * unit

    def levels(self, n):
        """16 levels, -7.5 .. 7.5."""
        return (self._raw(n) >> np.uint64(60)).astype(np.float64) - 7.5


LEVEL_STD = math.sqrt((16**2 - 1) / 12.0)


def set_weights(model, seed=SEED):
    """Every floating tensor of `model`'s state, by name in sorted order."""
    stream = Stream(seed)
    state = model.state_dict()
    with torch.no_grad():
        for name in sorted(state):
            t = state[name]
            if not t.is_floating_point():
                continue
            n = t.numel()
            if t.dim() == 4:  # convolution: He scale, 16 levels
                v = stream.levels(n) * (math.sqrt(2.0 / t[0].numel()) /
                                        LEVEL_STD)
            elif name.endswith("running_var"):
                v = stream.uniform(n, 0.5, 1.5)
            elif name.endswith("running_mean") or name.endswith("bias"):
                v = stream.uniform(n, -0.1, 0.1)
            elif name.endswith("weight"):  # BatchNorm's scale
                v = stream.uniform(n, 0.5, 1.0)
            else:
                raise SystemExit(f"gpu_bench: no rule for weight {name}")
            t.copy_(torch.from_numpy(v.reshape(tuple(t.shape))).to(t.dtype))
    return model


def weights_digest(model):
    h = hashlib.sha256()
    state = model.state_dict()
    for name in sorted(state):
        t = state[name]
        if t.is_floating_point():
            h.update(name.encode())
            h.update(t.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def build(name):
    """The architecture from test/e2e/models.py with this benchmark's weights,
    fp32, eval mode, on the CPU."""
    if name not in models.MODELS:
        raise SystemExit(f"gpu_bench: unknown model {name}")
    return set_weights(models.MODELS[name][0]().eval())


def check_input(size=CHECK_SIZE):
    v = Stream(SEED + 1).uniform(3 * size * size, -2.0, 2.0)
    return v.reshape(1, 3, size, size).astype(np.float32)


def cmd_export(args):
    os.makedirs(args.outdir, exist_ok=True)
    os.makedirs(args.onnx_dir, exist_ok=True)
    manifest = {"seed": SEED, "stride": STRIDE, "check_size": CHECK_SIZE,
                "torch_export": torch.__version__, "models": {}}
    x = check_input()
    np.save(os.path.join(args.outdir, "check-in.npy"), x)
    for name in args.models.split(","):
        model = build(name)
        # models.export builds the model by name; hand it this one instead,
        # so the ONNX conventions (names, axes, opset) stay in one place.
        original = models.build
        models.build = lambda _name: model
        try:
            models.export(name, os.path.join(args.onnx_dir, name + ".onnx"))
        finally:
            models.build = original
        with torch.no_grad():
            y = model(torch.from_numpy(x)).numpy()
        np.save(os.path.join(args.outdir, f"check-{name}.npy"), y)
        act = max_activation(model, x)
        manifest["models"][name] = {
            "weights_sha256": weights_digest(model),
            "plans": {p: f"{name}-{p}.sstep" for p in PLANS[name]},
            "check_output_max": float(np.abs(y).max()),
            "check_largest_activation": act}
        print(f"gpu_bench: exported {name} (largest activation at "
              f"{CHECK_SIZE}x{CHECK_SIZE}: {act:.1f}, fp16 max 65504)")
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return 0


def max_activation(model, x):
    """The largest magnitude any module produces (fp16 overflows at 65504)."""
    largest = [0.0]

    def hook(_m, _i, out):
        largest[0] = max(largest[0], float(out.abs().max()))

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if not list(m.children())]
    with torch.no_grad():
        model(torch.from_numpy(x))
    for h in handles:
        h.remove()
    return largest[0]


# -------------------------------------------------------------- measuring

def conv_flops(name, size):
    """2 x multiply-adds of every Conv2d for a 1x3xSIZExSIZE input, counted
    with forward hooks at 64x64 and scaled by (SIZE/64)^2: exact when SIZE
    is a multiple of the stride, as every layer's output is then SIZE/s."""
    model = models.MODELS[name][0]().eval()
    total = [0]

    def hook(m, _inputs, out):
        taps = m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups
        total[0] += 2 * out.numel() * taps

    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.zeros(1, 3, 64, 64))
    return total[0] * (size / 64) ** 2


def is_oom(e):
    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom is not None and isinstance(e, oom)) or \
        "out of memory" in str(e).lower()


def relative_error(got, ref):
    """Largest |got - ref| over the largest |ref| (the project's measure)."""
    if got.shape != ref.shape:
        raise SystemExit(f"gpu_bench: output shape {got.shape} != the "
                         f"reference's {ref.shape}")
    return float(np.abs(got.astype(np.float64) - ref).max() /
                 max(float(np.abs(ref).max()), 1e-30))


class Torch:
    """One model in PyTorch on one device, in fp16 ("low"; fp32 on the CPU,
    whose convolutions have no fp16) and fp32, both channels_last."""

    def __init__(self, name, device, repeat):
        self.device, self.repeat = torch.device(device), repeat
        self.cuda = self.device.type == "cuda"
        self.low = torch.float16 if self.cuda else torch.float32
        self.low_name = "fp16" if self.cuda else "fp32(cpu)"
        fp32 = build(name)
        self.digest = weights_digest(fp32)
        cl = torch.channels_last
        self.model = {
            "low": build(name).to(self.device, self.low).to(memory_format=cl),
            "fp32": fp32.to(self.device).to(memory_format=cl)}
        self.patches = 0

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def release(self):
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.empty_cache()

    def timed(self, fn):
        """Two warm-up calls (cudnn.benchmark picks its algorithms there),
        then the median of `repeat` timed calls, the peak device memory
        allocated during them, and the last call's result."""
        for _ in range(2):
            del_me = fn()
            del del_me
        self.release()
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
        times = []
        for _ in range(self.repeat):
            self.sync()
            start = time.perf_counter()
            out = fn()
            self.sync()
            times.append(time.perf_counter() - start)
        peak = torch.cuda.max_memory_allocated() if self.cuda else None
        return statistics.median(times), peak, out

    def whole(self, x_host, precision):
        """Host fp32 image -> device -> network -> host fp32 output, the
        copies included as in sstep-run's run_seconds."""
        model = self.model[precision]
        dtype = torch.float32 if precision == "fp32" else self.low

        def fn():
            with torch.no_grad():
                x = x_host.to(self.device).to(dtype).contiguous(
                    memory_format=torch.channels_last)
                return model(x).float().cpu()
        return self.timed(fn)

    def whole_on_device(self, x_host):
        """fp16 whole image with the input already on the device and the
        output left there: the network alone."""
        model = self.model["low"]
        with torch.no_grad():
            x = x_host.to(self.device).to(self.low).contiguous(
                memory_format=torch.channels_last)
            return self.timed(lambda: model(x))[0]

    def sliding(self, x_host, patch, overlap, batch):
        """MONAI's sliding_window_inference on the trunk: patches of `patch`
        pixels every int(patch * (1 - overlap)), the last one flush with the
        border, `batch` patches a forward, outputs averaged where they
        overlap (importance mode constant), accumulated in fp32."""
        _, _, height, width = x_host.shape
        step = max(int(patch * (1 - overlap)), 1)

        def starts(n):
            last = n - patch
            count = math.ceil(last / step) + 1 if last > 0 else 1
            return sorted({min(i * step, last) for i in range(count)})

        spots = [(y, x) for y in starts(height) for x in starts(width)]
        if any(y % STRIDE or x % STRIDE for y, x in spots):
            raise SystemExit(f"gpu_bench: patch positions must be multiples "
                             f"of {STRIDE}: change --patch or --overlap")
        self.patches = len(spots)
        model = self.model["low"]

        def fn():
            with torch.no_grad():
                image = x_host.to(self.device).to(self.low)
                out = count = None
                for i in range(0, len(spots), batch):
                    chunk = spots[i:i + batch]
                    xb = torch.cat([image[:, :, y:y + patch, x:x + patch]
                                    for y, x in chunk]).contiguous(
                                        memory_format=torch.channels_last)
                    yb = model(xb).float()
                    op = yb.shape[-1]  # output patch edge
                    if out is None:
                        out = torch.zeros(1, yb.shape[1], height * op // patch,
                                          width * op // patch,
                                          device=self.device)
                        count = torch.zeros(1, 1, out.shape[2], out.shape[3],
                                            device=self.device)
                    for j, (y, x) in enumerate(chunk):
                        oy, ox = y * op // patch, x * op // patch
                        out[:, :, oy:oy + op, ox:ox + op] += yb[j]
                        count[:, :, oy:oy + op, ox:ox + op] += 1
                return (out / count).cpu()
        return self.timed(fn)


def shrink_on_oom(fn, size, floor=256):
    """(size, fn(size)), halving `size` while the device runs out of
    memory."""
    while True:
        try:
            return size, fn(size)
        except (RuntimeError, MemoryError) as e:
            if not is_oom(e) or size // 2 < floor:
                raise
        print(f"  (out of device memory at {size}x{size}; trying "
              f"{size // 2})", flush=True)
        gc.collect()
        torch.cuda.empty_cache()
        size //= 2


class SStepFailed(Exception):
    pass


class SStep:
    """sstep-run on a plan, timed by its --stats JSON."""

    def __init__(self, binary, backend, budget, work):
        self.binary, self.backend = binary, backend
        self.budget, self.work = budget, work

    def run(self, plan, x, tag, tile, output=True):
        """(stats, output or None) of one sstep-run process; --memory-budget
        goes with --tile=auto."""
        src = os.path.join(self.work, f"{tag}-in.npy")
        out = os.path.join(self.work, f"{tag}-out.npy")
        stats = os.path.join(self.work, f"{tag}.json")
        np.save(src, x)
        cmd = [self.binary, plan, src, "-o", out, f"--backend={self.backend}",
               f"--tile={tile}", f"--stats={stats}"]
        if tile == "auto":
            cmd.append(f"--memory-budget={self.budget}")
        print("  $ " + " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        os.remove(src)
        if proc.returncode != 0:
            sys.stdout.write(proc.stdout)
            raise SStepFailed(f"sstep-run exited with {proc.returncode}: "
                              + " ".join(cmd))
        with open(stats) as f:
            s = json.load(f)
        y = np.load(out) if output else None
        os.remove(out)
        return s, y


def steady_widths(size, edge, extra):
    """Two input widths (height `size`) cut by --tile=`edge` into the same
    tile shapes: both at least 5 columns (first two, middle, last two), the
    second m columns wider, about `extra` times size*size more pixels. Their
    run-time difference is the cost of those pixels, without the backend's
    start or any new cuDNN algorithm search."""
    cols = math.ceil(size / edge)
    w1 = size + edge * max(0, 5 - cols)
    return w1, w1 + max(1, round(extra * size / edge)) * edge


def fmt(v, spec, none="-"):
    return none if v is None else format(v, spec)


def sig3(v):
    """Three significant digits, no exponent: 1234, 123, 12.3, 0.123."""
    if v is None:
        return "-"
    digits = 2 - int(math.floor(math.log10(abs(v)))) if v else 0
    return f"{v:.{max(0, digits)}f}"


# ------------------------------------------------------------------ main

Row = collections.namedtuple("Row", "label size seconds peak err tol fp16")


def verify_weights(t, name, info, data):
    if t.digest != info["weights_sha256"]:
        raise SystemExit(f"gpu_bench: {name}: this PyTorch builds other "
                         "weights than the plans hold (digest differs)")
    x = torch.from_numpy(np.load(os.path.join(data, "check-in.npy")))
    ref = np.load(os.path.join(data, f"check-{name}.npy"))
    with torch.no_grad():
        y = t.model["fp32"](x.to(t.device)).float().cpu().numpy()
    err = relative_error(y, ref.astype(np.float64))
    print(f"  weights: digest ok; fp32 output at {CHECK_SIZE}x{CHECK_SIZE} "
          f"matches the exporting PyTorch's to {err:.1e}")
    if err > 1e-3:
        raise SystemExit(f"gpu_bench: {name}: PyTorch here computes another "
                         "function than the exporting one")


def bench_model(name, info, args, plans, sstep, peak_tflops):
    size = args.size
    print(f"\n== {name}: input 1x3x{size}x{size}", flush=True)
    t = Torch(name, args.device, args.repeat)
    if t.cuda:
        set_tf32(False)
        verify_weights(t, name, info, args.data)
        torch.backends.cudnn.benchmark = True
        set_tf32(True)  # PyTorch's default for convolutions
    else:
        verify_weights(t, name, info, args.data)
    x = np.random.default_rng(0).standard_normal((1, 3, size, size),
                                                 dtype=np.float32)
    precs = [p for p in ("fp16", "fp32") if p in info["plans"]]
    plan = {p: os.path.join(plans, info["plans"][p]) for p in precs}
    notes, failures = [], []

    # SSTEP first, before PyTorch's caching allocator holds device memory.
    cold = {p: sstep.run(plan[p], x, f"{name}-{p}", "auto") for p in precs}
    s16 = cold["fp16"][0]
    edge = s16["tile_edge"]
    edge = size if edge <= 0 or edge >= size else max(
        STRIDE, edge // STRIDE * STRIDE)
    steady, steady_s = [], None
    if args.steady_extra > 0:
        w1, w2 = steady_widths(size, edge, args.steady_extra)
        for w in (w1, w2):
            xw = np.random.default_rng(1).standard_normal((1, 3, size, w),
                                                          dtype=np.float32)
            steady.append(sstep.run(plan["fp16"], xw, f"{name}-w{w}", edge,
                                    output=False)[0])
            del xw
        steady_s = (steady[1]["run_seconds"] - steady[0]["run_seconds"]) * \
            size / (w2 - w1)
        searches = [s.get("conv_algorithm_searches") for s in steady]
        if searches[0] != searches[1]:
            notes.append(f"the steady pair ran {searches[0]} and "
                         f"{searches[1]} cuDNN algorithm searches; the "
                         "difference is in the steady time")
        if steady_s <= 0:
            notes.append("the steady time came out <= 0 (noise): raise "
                         "--size or --steady-extra")
            steady_s = None

    # PyTorch: fp16 whole at the largest size that fits, sliding window,
    # fp32 whole (TF32 off) as the reference.
    xt = torch.from_numpy(x)
    if t.cuda:
        xt = xt.pin_memory()

    def crop(n):
        return xt[:, :, :n, :n].contiguous() if n != size else xt

    wsize, (w_s, w_peak, w_out) = shrink_on_oom(
        lambda n: t.whole(crop(n), "low"), size)
    on_device = t.whole_on_device(crop(wsize))
    t.release()
    sl_s, sl_peak, sl_out = t.sliding(xt, args.patch, args.overlap,
                                      args.sw_batch)
    t.release()
    if t.cuda:
        set_tf32(False)
    rsize, (r_s, r_peak, ref) = shrink_on_oom(
        lambda n: t.whole(crop(n), "fp32"), size)
    ref = ref.numpy().astype(np.float64)
    t.release()
    if rsize != size:
        notes.append(f"errors at {rsize}x{rsize}: PyTorch fp32 does not fit "
                     f"at {size}x{size}")
        xs = np.ascontiguousarray(x[:, :, :rsize, :rsize])
        for p in precs:
            cold[p] = (cold[p][0],
                       sstep.run(plan[p], xs, f"{name}-{p}-small", "auto")[1])

    def err_at(out, n):
        return relative_error(out.numpy(), ref) if n == rsize else None

    rows = [Row(f"PyTorch {t.low_name} whole", wsize, w_s, w_peak,
                err_at(w_out, wsize), None, True),
            Row(f"PyTorch {t.low_name} sliding {args.patch}/{args.overlap:g}"
                f" b{args.sw_batch}", size, sl_s, sl_peak,
                err_at(sl_out, size), None, True)]
    for p in precs:
        s, y = cold[p]
        err, tol = relative_error(y, ref), TOLERANCE[p]
        if err > tol:
            failures.append(f"{name}: SSTEP {p} is off by {err:.1e} "
                            f"(tolerance {tol:g})")
        grid = "x".join(str(v) for v in s["grids"][-1])
        rows.append(Row(f"SSTEP {p} cold, auto: {grid} tiles", size,
                        s["run_seconds"], s.get("device_peak_bytes"), err,
                        tol, p == "fp16"))
        if p == "fp16" and steady:
            rows.append(Row(f"SSTEP fp16 steady, --tile={edge}", size,
                            steady_s, max(st.get("device_peak_bytes", 0)
                                          for st in steady) or None,
                            None, None, True))
    rows.append(Row("PyTorch fp32 whole, no TF32 (reference)", rsize, r_s,
                    r_peak, 0.0, None, False))

    flops_px = conv_flops(name, size) / size**2
    whole_mps = wsize**2 / 1e6 / w_s
    print(f"  convolutions: {flops_px * size**2 / 1e12:.2f} TFLOP at "
          f"{size}x{size}; the sliding window runs {t.patches} patches, "
          f"{t.patches * args.patch**2 / size**2:.2f}x the image's pixels")
    head = (f"  {'method':<40} {'size':>5} {'time s':>8} {'MP/s':>7} "
            f"{'peak MiB':>8} {'TFLOP/s':>7} {'% peak':>6} {'vs whole':>8} "
            f"{'err/fp32':>8}")
    print(head + "\n  " + "-" * (len(head) - 2))
    for r in rows:
        mps = r.size**2 / 1e6 / r.seconds if r.seconds else None
        tflops = flops_px * r.size**2 / r.seconds / 1e12 if r.seconds \
            else None
        pct = 100 * tflops / peak_tflops \
            if tflops and peak_tflops and r.fp16 and t.cuda else None
        verdict = "" if r.tol is None else (" ok" if r.err <= r.tol
                                            else " FAIL")
        ratio = f"{mps / whole_mps:.2f}x" if mps else "-"
        print(f"  {r.label:<40} {r.size:>5} {sig3(r.seconds):>8} "
              f"{sig3(mps):>7} {fmt(r.peak and r.peak / 2**20, '.0f'):>8} "
              f"{sig3(tflops):>7} {fmt(pct, '.1f'):>6} {ratio:>8} "
              f"{fmt(r.err, '.1e'):>8}{verdict}")
    print(f"  PyTorch {t.low_name} whole, input already on the device and "
          f"output left there: {on_device:.3f} s "
          f"({wsize**2 / 1e6 / on_device:.1f} MP/s)")
    arena = s16.get("device_arena_bytes")
    print(f"  SSTEP cold: run_seconds of one sstep-run (backend start, "
          f"{s16.get('conv_algorithm_searches', '?')} cuDNN algorithm "
          f"searches, weight upload, host<->device copies; plan loading "
          f"excluded); arena {fmt(arena and arena / 2**20, '.0f')} MiB.")
    if steady:
        fixed = steady[0]["run_seconds"] - (steady_s or 0) * w1 / size
        arena = steady[0].get("device_arena_bytes")
        print(f"  SSTEP steady: (t[{size}x{w2}] - t[{size}x{w1}]) scaled to "
              f"{size}x{size}; fixed cost per run about {fixed:.2f} s; "
              f"arena {fmt(arena and arena / 2**20, '.0f')} MiB (sstep-run "
              f"sizes it by --memory-budget with --tile=auto only).")
    for n in notes:
        print("  note: " + n)
    return failures, {"size": size, "whole_mps": whole_mps,
                      "sliding_mps": size**2 / 1e6 / sl_s,
                      "steady_s": steady_s, "cold_s": s16["run_seconds"],
                      "peak": s16.get("device_peak_bytes")}


def set_tf32(allowed):
    """TF32 in fp32 convolutions (PyTorch's default) or IEEE fp32."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):  # torch >= 2.9
        conv.fp32_precision = "tf32" if allowed else "ieee"
    else:
        torch.backends.cudnn.allow_tf32 = allowed


def print_goals(r):
    """The issue's goals for the ResNet-50 trunk in fp16."""
    mp = r["size"]**2 / 1e6
    cold = mp / r["cold_s"]
    steady = mp / r["steady_s"] if r["steady_s"] else cold
    peak = r["peak"]
    fits = peak is not None and peak <= GOAL_DEVICE_BYTES
    print("\nGoals, ResNet-50 trunk fp16 (judged on SSTEP "
          f"{'steady' if r['steady_s'] else 'cold'}; cold in brackets):")
    vs_whole = steady / r["whole_mps"]
    print(f"  SSTEP >= {GOAL_VS_WHOLE}x PyTorch whole image, device memory "
          f"<= 4 GiB: {vs_whole:.2f}x ({cold / r['whole_mps']:.2f}x), "
          f"peak {fmt(peak and peak / 2**20, '.0f')} MiB: "
          f"{'met' if vs_whole >= GOAL_VS_WHOLE and fits else 'NOT met'}")
    vs_sliding = steady / r["sliding_mps"]
    print(f"  SSTEP >= {GOAL_VS_SLIDING:g}x the sliding window: "
          f"{vs_sliding:.2f}x ({cold / r['sliding_mps']:.2f}x): "
          f"{'met' if vs_sliding >= GOAL_VS_SLIDING else 'NOT met'}")


def extract_plans(data, work):
    archive = os.path.join(data, "plans.tar.xz")
    try:
        with tarfile.open(archive, "r:xz") as tar:
            try:
                tar.extractall(work, filter="data")
            except TypeError:  # Python < 3.11.4
                tar.extractall(work)
    except tarfile.CompressionError:  # a Python built without lzma
        subprocess.run(["tar", "-xJf", archive, "-C", work], check=True)
    return os.path.join(work, "plans")


def cmd_run(args):
    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu-bench: skipped: PyTorch sees no CUDA device")
        return 0
    if args.size % STRIDE or args.patch % STRIDE:
        raise SystemExit(f"gpu_bench: --size and --patch must be multiples "
                         f"of {STRIDE}")
    args.patch = min(args.patch, args.size)
    with open(os.path.join(args.data, "manifest.json")) as f:
        manifest = json.load(f)
    if manifest["seed"] != SEED:
        raise SystemExit("gpu_bench: the data comes from another version of "
                         "this script; rerun bench/gpu-prepare.sh")
    work = args.work or tempfile.mkdtemp(prefix="sstep-gpu-bench-")
    os.makedirs(work, exist_ok=True)
    try:
        plans = extract_plans(args.data, work)
        if args.device == "cuda":
            device = torch.cuda.get_device_name()
            peak = next((v for k, v in FP16_PEAK if k in device), None)
        else:
            device, peak = "CPU (debug run)", None
        print(f"device: {device}; dense fp16 tensor peak "
              f"{fmt(peak, '.0f', 'unknown')} TFLOP/s; torch "
              f"{torch.__version__}; sstep-run --backend={args.backend}, "
              f"--memory-budget={args.budget}; median of {args.repeat} "
              f"timed runs after 2 warm-ups (PyTorch)", flush=True)
        sstep = SStep(args.sstep_run, args.backend, args.budget, work)
        failures, summary = [], {}
        for name in args.models.split(","):
            if name not in manifest["models"]:
                raise SystemExit(f"gpu_bench: {name} was not prepared")
            try:
                f, summary[name] = bench_model(name, manifest["models"][name],
                                               args, plans, sstep, peak)
            except SStepFailed as e:
                print(f"gpu-bench: FAILED: {e}")
                return 1
            failures += f
        if "resnet50-trunk" in summary:
            print_goals(summary["resnet50-trunk"])
        for f in failures:
            print("gpu-bench: FAILED: " + f)
        return 1 if failures else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="export the models (here)")
    e.add_argument("outdir")
    e.add_argument("--onnx-dir", required=True)
    e.add_argument("--models", default=",".join(MODELS))
    r = sub.add_parser("run", help="run the benchmark (on the GPU machine)")
    r.add_argument("--data", required=True, help="gpu-prepare.sh's OUTDIR")
    r.add_argument("--sstep-run", required=True, help="the sstep-run binary")
    r.add_argument("--size", type=int, default=4096, help="image edge")
    r.add_argument("--patch", type=int, default=512,
                   help="sliding-window patch edge")
    r.add_argument("--overlap", type=float, default=0.25)
    r.add_argument("--sw-batch", type=int, default=16,
                   help="sliding-window patches per forward")
    r.add_argument("--budget", default="4GiB", help="SSTEP's memory budget")
    r.add_argument("--steady-extra", type=float, default=2.0,
                   help="SSTEP steady: the wider run's extra pixels, in "
                        "images (0: no steady runs)")
    r.add_argument("--repeat", type=int, default=3,
                   help="timed PyTorch runs (the median is shown)")
    r.add_argument("--models", default=",".join(MODELS))
    r.add_argument("--device", default="cuda", choices=["cuda", "cpu"],
                   help="PyTorch's device (cpu: a debug run)")
    r.add_argument("--backend", default="cuda", choices=["cuda", "cpu"],
                   help="sstep-run's backend (cpu: a debug run)")
    r.add_argument("--work", help="work folder (default: a temporary one)")
    r.add_argument("--keep", action="store_true", help="keep the work folder")
    args = p.parse_args()
    return cmd_export(args) if args.cmd == "export" else cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())

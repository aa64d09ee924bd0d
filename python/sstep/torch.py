"""Exact streaming training from PyTorch.

`StreamingModule` wraps a convolutional trunk so that it runs on images of
any size tile by tile, forward and backward, with gradients equal to
whole-image autograd (the tiled backward pass of `Plan.backward`). The head,
the loss, optimizers, `GradScaler` and DDP stay PyTorch's: the gradients land
in the wrapped module's own parameters' `.grad`.

    trunk = sstep.torch.StreamingModule(resnet_trunk, torch.randn(1, 3, 224, 224),
                                        tile=1024)
    features = trunk(slide_tensor)                  # (1, C, h, w), in the graph
    loss = criterion(head(features.amax((2, 3))), label)
    loss.backward()                                 # streamed, exact
    optimizer.step()

BatchNorm layers train as PyTorch's do in eval mode: their scale and shift
are trainable, their running statistics frozen (used, never updated).
"""

import copy
import io
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

import sstep as _sstep

__all__ = ["StreamingModule"]

_DEFAULT_BUDGET = "4GiB"


class _FrozenBatchNorm(torch.nn.Module):
    """A BatchNorm2d in eval mode as x * scale + shift, so that the export
    keeps it apart from the convolution before it (a folded one could not
    give the gradients of its own scale and shift)."""

    def __init__(self, channels):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(1, channels, 1, 1))
        self.shift = torch.nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return x * self.scale + self.shift


def _batchnorm_affine(bn):
    """The scale and shift of an eval-mode BatchNorm, differentiable in its
    weight and bias."""
    scale = torch.rsqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        scale = bn.weight * scale
    shift = -bn.running_mean * scale
    if bn.bias is not None:
        shift = shift + bn.bias
    return scale, shift


def _probe_copy(module):
    """A copy of `module` with BatchNorms made affine and every parameter
    filled with distinct random values, and the source of each: a function
    of the original module giving that parameter's current value."""
    probe = copy.deepcopy(module).eval()
    sources = {}
    for name, sub in list(probe.named_modules()):
        for child_name, child in list(sub.named_children()):
            if isinstance(child, torch.nn.BatchNorm2d):
                path = f"{name}.{child_name}" if name else child_name
                setattr(sub, child_name, _FrozenBatchNorm(child.num_features))
                original = module.get_submodule(path)
                sources[path + ".scale"] = (
                    lambda bn=original: _batchnorm_affine(bn)[0])
                sources[path + ".shift"] = (
                    lambda bn=original: _batchnorm_affine(bn)[1])
    originals = dict(module.named_parameters())
    generator = torch.Generator().manual_seed(20261206)
    with torch.no_grad():
        for name, p in probe.named_parameters():
            # Distinct, away from zero, of either sign: exact matches are
            # unambiguous after the export copies them.
            values = torch.rand(p.shape, generator=generator) + 0.5
            signs = torch.randint(0, 2, p.shape, generator=generator) * 2 - 1
            p.copy_(values * signs)
            if name not in sources:
                sources[name] = lambda p=originals[name]: p
    return probe, sources


def _export(module, example_input):
    buffer = io.BytesIO()
    with torch.no_grad():
        output = module(example_input)
        if output.dim() != 4:
            raise ValueError("StreamingModule wraps a trunk whose output is "
                             "an image (N, C, h, w); end it before the "
                             "global pool and head")
        torch.onnx.export(module, example_input, buffer,
                          input_names=["image"], output_names=["features"],
                          opset_version=17,
                          dynamic_axes={"image": {2: "H", 3: "W"},
                                        "features": {2: "h", 3: "w"}})
    return buffer.getvalue()


# Run by _compile_apart in a child interpreter.
_COMPILE_CHILD = """
import sys
import sstep
try:
    sstep.compile(sys.argv[1]).save(sys.argv[2])
except sstep.Error as e:
    sys.stderr.write(type(e).__name__ + "\\n" + str(e))
    sys.exit(3)
"""


def _compile_apart(data):
    """Compiles ONNX bytes in a child interpreter and loads the plan here.
    The compiler's code and heap stay in the child: compiled in this process
    they would hold about 45 MiB (libLLVM's pages) through every training
    step. Errors come back as the sstep exceptions they were; without a
    usable interpreter the compile runs here."""
    with tempfile.TemporaryDirectory(prefix="sstep-compile-") as folder:
        model = os.path.join(folder, "trunk.onnx")
        plan = os.path.join(folder, "trunk.plan")
        with open(model, "wb") as f:
            f.write(data)
        package = os.path.dirname(os.path.dirname(_sstep.__file__))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [package] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                         if p])
        try:
            child = subprocess.run([sys.executable, "-c", _COMPILE_CHILD,
                                    model, plan], env=env,
                                   capture_output=True, text=True)
        except OSError:
            return _sstep.compile(data)
        if child.returncode == 3:
            kind, _, message = child.stderr.partition("\n")
            raise getattr(_sstep, kind, _sstep.Error)(message)
        if child.returncode != 0:
            raise _sstep.Error("compiling the exported trunk failed in a "
                               "child process (exit %d): %s"
                               % (child.returncode, child.stderr.strip()))
        return _sstep.load(plan)


def _match(plan, probe, sources):
    """Plan weight name -> (parameter name, its shape in the plan), by the
    probe's distinct values; raises when a trainable parameter did not
    survive the export as a weight of its own. A parameter the plan holds
    twice (a shared layer, a copy laid out for another op) feeds both
    weights, and autograd sums their gradients."""
    weights = plan.get_weights()
    by_bytes = {}
    for name, value in weights.items():
        by_bytes.setdefault(np.ascontiguousarray(value).tobytes(), []).append(name)
    matched = {}
    for name, p in probe.named_parameters():
        found = by_bytes.get(p.detach().numpy().astype(np.float32).tobytes())
        if not found:
            if not p.requires_grad:
                continue
            raise _sstep.ModelError(
                f"parameter '{name}' is not one weight of the compiled plan "
                "(folded into another constant); StreamingModule trains "
                "parameters the export keeps as they are")
        for weight in found:
            matched[weight] = (name, weights[weight].shape)
    return matched


class _StreamFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, owner, x, *weights):
        ctx.owner = owner
        owner._load_weights(weights)
        array = x.detach().contiguous().numpy()
        stats = {}
        # A scratch folder holds the images crossing stages in both passes.
        y = owner.plan.run(array, backend=owner.backend, tile=owner.tile,
                           memory_budget=owner.memory_budget,
                           threads=owner.threads, stats=stats,
                           normalize=owner._normalize_for(x),
                           store="disk" if owner.scratch else "auto",
                           scratch=owner.scratch)
        owner.stats = {"forward": stats}
        # The next forward packs the updated weights anew and the backward
        # pass reads the plain ones: the packed copies go now, not after it,
        # with the pages of the rows the forward tiles kept.
        owner.plan._release_forward_memory()
        # The weights too: most are the parameters' own memory, which the
        # backward pass reads, and autograd's version counters then refuse
        # a backward pass after an in-place update, as PyTorch's own do.
        ctx.save_for_backward(x, *weights)
        return torch.from_numpy(y)

    @staticmethod
    def backward(ctx, dy):
        owner = ctx.owner
        x = ctx.saved_tensors[0]
        result = owner.plan.backward(
            x.detach().contiguous().numpy(),
            dy.detach().contiguous().numpy().astype(np.float32, copy=False),
            backend=owner.backend, tile=owner.tile, memory_budget=owner.memory_budget,
            threads=owner.threads, input_grad=ctx.needs_input_grad[1],
            normalize=owner._normalize_for(x), segments=owner.segments,
            scratch=owner.scratch)
        owner.stats["backward"] = result["stats"]
        grads = [None, None if result["input"] is None
                 else torch.from_numpy(result["input"])]
        for name in owner._names:
            g = result["weights"].get(name)
            grads.append(None if g is None else torch.from_numpy(g))
        return tuple(grads)


class StreamingModule(torch.nn.Module):
    """A torch trunk run tile by tile with exact gradients.

    module: an nn.Module mapping an NCHW image to an NCHW feature map, made
    of local ops (convolutions, pools, pointwise ops, pads, resizes,
    concatenations, BatchNorm in eval mode) and means over the image
    (squeeze-and-excitation, GroupNorm, instance norm). example_input: an NCHW tensor
    for the export (its height and width are dynamic in the plan).
    backend: "cpu" (oneDNN) or "reference" (the oracle), forward and
    backward. tile: "auto" (tiles and checkpoint segments that fit
    memory_budget, 4 GiB unless given, as sstep-run's), "none" or an edge in
    input pixels. normalize: for uint8
    inputs, None (x / 255) or "imagenet"; pixels are normalized a window at
    a time. segments: checkpointing in the backward pass (the trunk's nodes
    cut into this many segments, all but the last recomputed before their
    gradients, so that a tile holds less); None: none, or the planner's
    choice with memory_budget. scratch: a folder for the images a trunk with
    reductions inside (squeeze-and-excitation, GroupNorm) keeps between its
    stages, forward and backward; None: memory, or $TMPDIR when they would
    take over half of memory_budget (forward: beside the tiles).

    After each step, `.stats` says what ran: the forward pass's tiles and
    predicted and measured tile bytes, the backward pass's tiles, skipped
    tiles and peak tile bytes.
    """

    def __init__(self, module, example_input, *, backend="cpu", tile="auto",
                 memory_budget=None, precision="fp32", normalize=None,
                 threads=None, segments=None, scratch=None):
        super().__init__()
        if precision != "fp32":
            raise ValueError("StreamingModule trains in fp32")
        self.module = module
        self.backend, self.tile = backend, tile
        # "auto" without a budget plans for sstep-run's default budget, so
        # that a slide of any size fits without the caller sizing tiles.
        if tile == "auto" and memory_budget is None:
            memory_budget = _DEFAULT_BUDGET
        self.memory_budget, self.threads = memory_budget, threads
        if normalize not in (None, "imagenet"):
            raise ValueError("normalize is None or 'imagenet'")
        self.normalize = normalize
        self.segments, self.scratch = segments, scratch
        # Before the export, which frees large blocks: see _keep_heap_small.
        _sstep._sstep._keep_heap_small()
        probe, sources = _probe_copy(module)
        example = torch.as_tensor(example_input).float()
        self.plan = _compile_apart(_export(probe, example))
        matched = _match(self.plan, probe, sources)
        self._names = sorted(matched)
        self._sources = [sources[matched[n][0]] for n in self._names]
        self._shapes = [matched[n][1] for n in self._names]
        self._shared = self._share_parameters(module, matched)
        self.stats = {}
        # The export, the compiler and the matching made and freed several
        # copies of the weights; their pages would stay resident through
        # training.
        del probe
        _sstep._sstep._return_free_memory()

    def _share_parameters(self, module, matched):
        """Makes each float32 parameter of `module` that is one weight of the
        plan live in the plan's memory (its `.data` a view of it), so that the
        plan holds no copy of it and the optimizer's updates reach it in
        place. Returns plan weight name -> the array shared."""
        parameters = dict(module.named_parameters())
        shared, taken = {}, set()
        for name in self._names:
            p = parameters.get(matched[name][0])
            if (p is None or id(p) in taken or p.dtype != torch.float32
                    or p.device.type != "cpu"
                    or p.numel() != int(np.prod(matched[name][1]))):
                continue  # a BatchNorm's scale, or copied at each forward
            array = self.plan._share_weight(name)
            view = torch.from_numpy(array).view(p.shape)
            with torch.no_grad():
                view.copy_(p)
            p.data = view
            shared[name] = array
            taken.add(id(p))
        return shared

    def _load_weights(self, weights):
        given, rewritten = {}, []
        held = self.plan._weight_addresses(list(self._shared))
        for name, w in zip(self._names, weights):
            if name in self._shared and w.data_ptr() == held.get(name):
                rewritten.append(name)  # the plan's own memory, updated in place
                continue
            # Moved elsewhere (.to(), a new .data), or the plan's weight
            # replaced (set_weights): copied from now on.
            self._shared.pop(name, None)
            given[name] = w.detach().contiguous().float()
        if rewritten:
            self.plan._weights_rewritten(rewritten)
        if given:
            self.plan.set_weights(given)

    def _prepare(self, x):
        """Pixels stay uint8: the runtime normalizes each tile's window as it
        reads it, so no float copy of a slide-sized image is made."""
        if (x.dtype not in (torch.uint8, torch.float32) or x.dim() != 4
                or x.is_cuda):
            raise ValueError("StreamingModule takes an NCHW float32 or uint8 "
                             "tensor in host memory")
        return x

    def _normalize_for(self, x):
        if x.dtype != torch.uint8:
            return None
        return "none" if self.normalize is None else self.normalize

    def forward(self, x):
        x = self._prepare(x)
        weights = [source().reshape(shape)
                   for source, shape in zip(self._sources, self._shapes)]
        return _StreamFunction.apply(self, x, *weights)

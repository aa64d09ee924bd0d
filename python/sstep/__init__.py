"""SSTEP from Python: compile a CNN, run it on arrays of any size in a memory
budget with results equal to the whole-image run, and read whole-slide images.

    import sstep
    plan = sstep.compile("resnet18_trunk.onnx")      # or a torch.nn.Module
    features = plan.run(image, memory_budget="512MiB")
    plan.save("resnet18.sstep")                       # sstep-run reads it
    with sstep.Slide("slide.svs") as slide:
        tile = slide.read_region(level=1, x=0, y=0, w=512, h=512)
"""

import io
import os
import tempfile

from ._sstep import (BudgetError, Error, ModelError, Plan, SlideError,
                     backends, load)
from ._sstep import _compile_onnx

try:
    from ._sstep import Slide
except ImportError:  # a build without slide I/O (libtiff, OpenSlide, HDF5)
    pass

__all__ = ["compile", "load", "Plan", "Slide", "backends", "Error",
           "ModelError", "SlideError", "BudgetError"]


def _onnx_bytes_of_module(module, example_input):
    """Exports `module` to ONNX with dynamic height and width."""
    import torch

    if example_input is None:
        raise ValueError("compiling a torch.nn.Module needs an example_input "
                         "(an NCHW tensor)")
    if not isinstance(example_input, torch.Tensor):
        example_input = torch.as_tensor(example_input)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            output = module(example_input)
        output_axes = ({2: "h", 3: "w"} if getattr(output, "dim", lambda: 0)() == 4
                       else {0: "n"})
        buffer = io.BytesIO()
        with torch.no_grad():
            torch.onnx.export(
                module, example_input, buffer, input_names=["image"],
                output_names=["output"], opset_version=17,
                dynamic_axes={"image": {2: "H", 3: "W"},
                              "output": output_axes})
    finally:
        module.train(was_training)
    return buffer.getvalue()


def compile(model, example_input=None, *, target="cpu", precision="fp32",
            memory_budget=None, recompute="auto"):
    """Compiles `model` into a Plan.

    model: a path to an ONNX file, the bytes of one, or a torch.nn.Module
    (exported through torch.onnx with dynamic height and width; give an
    `example_input`). target: a backend of this build (sstep.backends()).
    precision: the storage type of the cuda target's blocks, "fp32",
    "fp16" or "bf16" (the cpu and reference targets compute in fp32).
    memory_budget: the default of Plan.run. recompute: which images
    stored between stages are computed again where read instead ("auto":
    where cheaper, "always", "never"; sstep-compile --recompute). Raises
    ModelError naming the node and op of a model that cannot be compiled.
    """
    if recompute not in ("auto", "always", "never"):
        raise ValueError("recompute '%s': auto, always or never" % recompute)
    if precision not in ("fp32", "fp16", "bf16"):
        raise ValueError("precision '%s': fp32, fp16 or bf16" % precision)
    if precision != "fp32" and target != "cuda":
        raise ValueError("precision '%s' is the cuda target's; the %s target "
                         "computes in fp32" % (precision, target))
    if isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
    elif isinstance(model, (str, os.PathLike)):
        data = None
        path = os.fspath(model)
    else:
        data = _onnx_bytes_of_module(model, example_input)
    if data is None:
        plan = _compile_onnx(path, target, precision, recompute)
    else:
        fd, path = tempfile.mkstemp(suffix=".onnx")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            plan = _compile_onnx(path, target, precision, recompute)
        finally:
            os.unlink(path)
    if memory_budget is not None:
        plan.memory_budget = memory_budget
    return plan

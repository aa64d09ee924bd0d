"""Shared fixtures: the build's tools and small models exported at test time."""

import os
import subprocess
import threading

import numpy as np
import pytest
import torch

BUILD = os.environ.get("SSTEP_BUILD", os.path.join(os.path.dirname(__file__),
                                                   "..", "..", "build"))


def tool(name):
    return os.path.join(BUILD, "bin", name)


class Net(torch.nn.Module):
    """Convolutions, a pool and a residual sum: halos and fused steps."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.a = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.b = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(3, stride=2, padding=1)
        self.c = torch.nn.Conv2d(8, 4, 1)

    def forward(self, x):
        y = torch.relu(self.a(x))
        y = torch.relu(self.b(y) + y)
        return self.c(self.pool(y))


@pytest.fixture(scope="session")
def net():
    return Net().eval()


@pytest.fixture(scope="session")
def onnx_path(tmp_path_factory, net):
    path = str(tmp_path_factory.mktemp("models") / "net.onnx")
    torch.onnx.export(net, torch.randn(1, 3, 32, 32), path,
                      input_names=["image"], output_names=["output"],
                      opset_version=13,
                      dynamic_axes={"image": {2: "H", 3: "W"},
                                    "output": {2: "h", 3: "w"}})
    return path


@pytest.fixture()
def image():
    rng = np.random.default_rng(5)
    return rng.standard_normal((1, 3, 70, 90)).astype(np.float32)


def sstep_run(*args):
    return subprocess.run([tool("sstep-run"), *args], check=True,
                          capture_output=True, text=True)


def make_slide(tmp_path_factory, width, height):
    """A synthetic pyramidal TIFF from `sstep-slide mkslide`, 256-pixel tiles."""
    path = str(tmp_path_factory.mktemp("slides") / "s.tif")
    subprocess.run([tool("sstep-slide"), "mkslide", "-o", path, "--size",
                    f"{width},{height}", "--tile", "256"], check=True,
                   capture_output=True)
    return path


def ticks_during(call):
    """How often another Python thread ran while `call()` ran: about one
    tick a millisecond when the call releases the GIL, none when not."""
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        before = len(ticks)
        call()
        return len(ticks) - before
    finally:
        done.set()
        t.join()

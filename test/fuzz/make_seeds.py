#!/usr/bin/env python3
"""Writes the seed corpora that are derived from other test data.

onnx/: every ONNX model in textual syntax under test/frontends/onnx (the ones
ONNX 1.12's parser reads), as the binary protobuf users hand to the tools and
as text.
embedded-plan/: each kept plan appended to a stand-in executable with the
trailer sstep-compile --emit=exe writes (runtime/core/EmbeddedPlan.h).

usage: /usr/bin/python3 test/fuzz/make_seeds.py
"""
import glob
import os
import struct
import zlib

import onnx
import onnx.parser

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def onnx_seeds():
    out = os.path.join(HERE, "corpus", "onnx")
    os.makedirs(out, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(ROOT, "test/frontends/onnx/*.onnxtxt"))):
        text = "".join(l for l in open(path) if not l.lstrip().startswith("#"))
        try:
            model = onnx.parser.parse_model(text)
        except Exception as e:  # a model only the lit tests' parser reads
            print(f"skipped {os.path.basename(path)}: {e}")
            continue
        name = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(out, name + ".onnx"), "wb") as f:
            f.write(model.SerializeToString())
        # The same model as text, for the harness's text parser path.
        with open(os.path.join(out, name + ".onnxtxt"), "w") as f:
            f.write(text.lstrip())


def torch_seeds():
    """Two small networks as PyTorch exports them: the node names, shape
    arithmetic and initializers a zoo model carries."""
    import torch
    import torch.nn as nn

    torch.manual_seed(0)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1, bias=False),
                                      nn.BatchNorm2d(4), nn.ReLU(),
                                      nn.MaxPool2d(3, 2, 1))
            self.body = nn.Sequential(nn.Conv2d(4, 4, 3, 1, 1), nn.ReLU(),
                                      nn.Conv2d(4, 4, 3, 1, 1, groups=2))
            self.up = nn.ConvTranspose2d(4, 2, 2, 2)

        def forward(self, x):
            y = self.stem(x)
            y = torch.relu(y + self.body(y))
            return torch.cat([self.up(y), nn.functional.interpolate(
                y[:, :2], scale_factor=2.0, mode="bilinear")], 1)

    class Squeeze(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.fc = nn.Conv2d(4, 4, 1)

        def forward(self, x):
            y = nn.functional.hardswish(self.conv(x))
            s = torch.sigmoid(self.fc(y.mean((2, 3), keepdim=True)))
            return nn.functional.avg_pool2d(y * s, 2)

    out = os.path.join(HERE, "corpus", "onnx")
    for name, net in (("torch-block.onnx", Block()), ("torch-se.onnx", Squeeze())):
        torch.onnx.export(net.eval(), torch.randn(1, 3, 32, 32),
                          os.path.join(out, name), opset_version=13,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {2: "h", 3: "w"}})


def embedded_seeds():
    out = os.path.join(HERE, "corpus", "embedded-plan")
    os.makedirs(out, exist_ok=True)
    runner = b"\x7fELF\x02\x01\x01" + bytes(57)  # 64 bytes, plan aligned
    for path in sorted(glob.glob(os.path.join(HERE, "corpus", "plan", "*.sstep"))):
        plan = open(path, "rb").read()
        head = b"SSTEPEXE" + struct.pack("<QQI", len(runner), len(plan), 1)
        trailer = head + struct.pack("<I", zlib.crc32(head))
        name = os.path.splitext(os.path.basename(path))[0] + ".exe"
        with open(os.path.join(out, name), "wb") as f:
            f.write(runner + plan + trailer)


if __name__ == "__main__":
    onnx_seeds()
    torch_seeds()
    embedded_seeds()

"""Exports a torchvision model with random weights to ONNX, for the tests.

Usage: export_model.py NAME OUT.onnx
NAME: resnet18-trunk (ResNet-18 without pooling head).
Dynamic H and W; opset 13; deterministic weights (seed 0).
"""
import sys

import torch
import torchvision


def build(name):
    if name == "resnet18-trunk":
        m = torchvision.models.resnet18()
        return torch.nn.Sequential(*list(m.children())[:-2])
    raise SystemExit(f"unknown model {name}")


def main():
    name, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    model = build(name).eval()
    x = torch.randn(1, 3, 67, 93)
    torch.onnx.export(
        model, x, out, input_names=["image"], output_names=["features"],
        opset_version=13,
        dynamic_axes={"image": {2: "H", 3: "W"}, "features": {2: "h", 3: "w"}})


if __name__ == "__main__":
    main()

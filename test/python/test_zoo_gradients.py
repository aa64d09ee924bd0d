"""Gradients of the end-to-end zoo's trunks (test/e2e/models.py: torchvision's
ResNet-18 and ResNet-50 trunks, DenseNet-121 and MobileNetV2 features, the
U-Net with a transposed convolution and a bilinear resize to its skip's size,
with trained-looking BatchNorm statistics; MobileNetV3-Small and
EfficientNet-B0 features and the RegNetY-400MF trunk, whose
squeeze-and-excitation blocks put means over the whole image inside the
trunk; a U-Net of GroupNorm blocks; CBAM's channel attention (a global
max pool inside the trunk) and spatial attention; and here ResNet-34's trunk and
ConvNeXt-Tiny's stem and first two stages: layer norm over channels, GELU,
7x7 depthwise convolutions, layer scale) through StreamingModule, tiled at an edge
that divides nothing, on the reference and cpu kernels, against whole-image
autograd in float64: every parameter's gradient and the input's within 1e-5
of their largest magnitude on the reference kernels, 3e-5 on the cpu ones.

The ReLUs become SiLUs here. At a kink the gradient follows the side of the
backend's own forward value, and a convolution whose rounding differs from
PyTorch's by one ulp puts a value exactly at 0 on the other side (one such
element in MobileNetV2's 200k moved its input gradient by 5e-3): the
comparison is exact only away from kinks. The oracle runs in float64. test_backward.py checks the kinks
themselves (relu, relu6, max-pool ties)."""

import copy
import os
import sys

import pytest
import torch
import torchvision

import sstep
import sstep.torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import models  # noqa: E402

# oneDNN sums in float32, as PyTorch's float32 does (whose own gradients
# are 1.3e-5 off float64's on ResNet-50 here); the reference sums in fp64.
TOL = {"reference": 1e-5, "cpu": 3e-5}
BACKENDS = [b for b in ("reference", "cpu") if b in sstep.backends()]


def smooth(net):
    for module in net.modules():
        for name, child in list(module.named_children()):
            if isinstance(child, (torch.nn.ReLU, torch.nn.ReLU6)):
                setattr(module, name, torch.nn.SiLU())
    return net


def resnet34_trunk():
    net = torchvision.models.resnet34()
    return torch.nn.Sequential(*list(net.children())[:-2])


def convnext_stages():
    """Stem, stage 1, downsampling, stage 2; every LayerNorm's affine and
    every layer scale random (torchvision starts them at 1, 0 and 1e-6)."""
    net = torch.nn.Sequential(*torchvision.models.convnext_tiny().features[:4])
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if p.dim() != 4 and "block.3" not in name and "block.5" not in name:
                p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
    return net


# name: (builder, image size)
EXTRA = {"resnet34-trunk": (resnet34_trunk, (67, 93)),
         "convnext-tiny-stages": (convnext_stages, (67, 93))}


def build(name):
    if name in EXTRA:
        torch.manual_seed(0)
        return EXTRA[name][0]().eval(), EXTRA[name][1]
    return models.build(name), models.MODELS[name][1]


def relative(got, want):
    return float((got - want).abs().max() / want.abs().max())


@pytest.mark.parametrize("name", ["resnet18-trunk", "resnet34-trunk",
                                  "resnet50-trunk", "densenet121-features",
                                  "mobilenetv2-features", "small-unet",
                                  "convnext-tiny-stages",
                                  "mobilenetv3-small-features",
                                  "efficientnet-b0-features",
                                  "regnety-400mf-trunk", "groupnorm-unet",
                                  "cbam-net"])
def test_zoo_gradients_equal_autograd(name):
    net, (h, w) = build(name)
    net = smooth(net)
    torch.manual_seed(12)
    x = torch.randn(1, 3, h + 10, w + 6)
    # The oracle in float64: fifty layers of PyTorch's own float32 rounding
    # reach 1e-5 of the largest gradient by themselves.
    exact = copy.deepcopy(net).double()
    xa = x.double().requires_grad_(True)
    y = exact(xa)
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    want = {n: p.grad.float() for n, p in exact.named_parameters()}
    xa_grad, dy = xa.grad.float(), dy.float()
    for backend in BACKENDS:
        net.zero_grad()
        streamed = sstep.torch.StreamingModule(
            net, torch.randn(1, 3, h, w), backend=backend, tile=41)
        xs = x.clone().requires_grad_(True)
        (streamed(xs) * dy).sum().backward()
        assert streamed.stats["backward"]["tiles"] > 1
        assert relative(xs.grad, xa_grad) <= TOL[backend], backend
        for n, p in net.named_parameters():
            assert relative(p.grad, want[n]) <= TOL[backend], (backend, n)

"""Builds the demo's nuclear-density model and exports it to ONNX.

No training and no download: every weight comes from stain physics.

1. Optical density. The slide's RGB, scaled to [0, 1] (sstep-run
   --normalize=none), becomes log transmittance, log(I * 255/256 + 1/256),
   which is finite on black pixels.
2. Colour deconvolution (Ruifrok & Johnston, 2001): a 1x1 convolution by the
   inverse of the haematoxylin / eosin / DAB optical-density matrix turns
   optical density into the three stains' concentrations.
3. Nuclei: haematoxylin stains nuclei. A 5x5 Gaussian smooths the
   haematoxylin channel and a steep sigmoid around 0.65 gives a soft nuclear
   mask: stroma and cytoplasm stay below it (under 0.1 and about 0.3-0.55 on
   the Aperio sample slide), nuclei above (0.8 and more).
4. Density: two 4x4 average pools and a 9x9 Gaussian (sigma 2 at 1/16
   scale, about 100 slide pixels across) give the fraction of nuclear
   pixels around each point at 1/16 of the slide's resolution; scaled by 5
   and clipped, 1.0 means a fifth or more of the area is nuclei (crowded,
   tumour-like), 0 means none.

Usage: export_model.py OUT.onnx
"""

import math
import sys

import numpy as np
import torch
from torch import nn

# Stain optical-density vectors (R, G, B), one row per stain.
STAINS = np.array([[0.65, 0.70, 0.29],   # haematoxylin
                   [0.07, 0.99, 0.11],   # eosin
                   [0.27, 0.57, 0.78]])  # DAB
NUCLEAR_THRESHOLD = 0.65
SIGMOID_GAIN = 20.0
DENSITY_GAIN = 5.0


def gaussian(size, sigma):
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-r**2 / (2 * sigma**2))
    k = np.outer(g, g)
    return k / k.sum()


class NucleiDensity(nn.Module):
    def __init__(self):
        super().__init__()
        stains = STAINS / np.linalg.norm(STAINS, axis=1, keepdims=True)
        # concentrations = OD @ inv(stains), OD = -log10(transmittance).
        unmix = -np.linalg.inv(stains).T / math.log(10)
        self.deconvolve = nn.Conv2d(3, 3, 1, bias=False)
        self.deconvolve.weight.data = torch.tensor(
            unmix[:, :, None, None], dtype=torch.float32)
        self.nuclei = nn.Conv2d(3, 1, 5, padding=2)
        w = np.zeros((1, 3, 5, 5))
        w[0, 0] = gaussian(5, 1.0) * SIGMOID_GAIN
        self.nuclei.weight.data = torch.tensor(w, dtype=torch.float32)
        self.nuclei.bias.data = torch.tensor(
            [-NUCLEAR_THRESHOLD * SIGMOID_GAIN])
        self.pool = nn.AvgPool2d(4)
        self.smooth = nn.Conv2d(1, 1, 9, padding=4, bias=False)
        self.smooth.weight.data = torch.tensor(
            gaussian(9, 2.0)[None, None] * DENSITY_GAIN, dtype=torch.float32)

    def forward(self, rgb):
        transmittance = torch.log(rgb * (255.0 / 256) + 1.0 / 256)
        stains = self.deconvolve(transmittance)
        nuclear = torch.sigmoid(self.nuclei(stains))
        density = self.smooth(self.pool(self.pool(nuclear)))
        return torch.clamp(density, 0.0, 1.0)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    model = NucleiDensity().eval()
    example = torch.rand(1, 3, 256, 256)
    torch.onnx.export(model, example, sys.argv[1], opset_version=13,
                      input_names=["rgb"], output_names=["nuclear_density"],
                      dynamic_axes={"rgb": {2: "height", 3: "width"},
                                    "nuclear_density": {2: "h16", 3: "w16"}})


if __name__ == "__main__":
    main()

"""Checks sstep-import's static output shapes against torch's, layer by layer.

Each case is a small torch module exported to ONNX at a size that is not a
multiple of its stride; sstep-import --static-shapes must infer exactly the
output shape torch computes. Prints one line per case; exits 1 on a mismatch.
Usage: check_output_shapes.py SSTEP_IMPORT WORKDIR
"""
import os
import re
import subprocess
import sys

import torch

nn = torch.nn
CASES = {
    "conv-s2-p3-k7": (nn.Conv2d(3, 4, 7, stride=2, padding=3), (37, 50)),
    "conv-dilated-asym": (nn.Conv2d(3, 4, (3, 5), stride=(1, 3), dilation=(2, 1), padding=(0, 2)), (23, 31)),
    "conv-grouped": (nn.Conv2d(4, 8, 3, stride=2, groups=2), (17, 16)),
    "conv-depthwise": (nn.Conv2d(4, 4, 3, padding=1, groups=4), (9, 11)),
    "maxpool-ceil": (nn.MaxPool2d(3, 2, ceil_mode=True), (20, 21)),
    "maxpool-ceil-pad": (nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (10, 13)),
    "maxpool-dilated": (nn.MaxPool2d(3, 1, dilation=2), (12, 15)),
    "avgpool-ceil-pad": (nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False), (14, 9)),
    "avgpool-floor": (nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), (13, 14)),
}


def main():
    tool, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    failures = 0
    for name, (module, (h, w)) in CASES.items():
        channels = module.in_channels if hasattr(module, "in_channels") else 3
        x = torch.randn(1, channels, h, w)
        expected = list(module.eval()(x).shape)
        path = os.path.join(work, name + ".onnx")
        torch.onnx.export(module, x, path, opset_version=13)
        ir = subprocess.run([tool, "--static-shapes", "--elide-weights", path],
                            check=True, capture_output=True, text=True).stdout
        m = re.search(r"-> \(?tensor<(\d+)x(\d+)x(\d+)x(\d+)xf32>", ir)
        got = [int(v) for v in m.groups()] if m else None
        ok = got == expected
        failures += not ok
        print(f"{'ok' if ok else 'MISMATCH'} {name}: torch {expected}, sstep {got}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

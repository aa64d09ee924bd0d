"""Exports one of the test networks (see models.py) to ONNX.

Usage: export_model.py NAME OUT.onnx
"""
import sys

import models

if __name__ == "__main__":
    models.export(sys.argv[1], sys.argv[2])

#!/usr/bin/env bash
# Serving, one run: sstep-serve on loopback beside the same work done without
# a server, with one model (the ResNet-18 trunk).
#
#   tensors   1, 4 and 16 concurrent clients, each sending 224 x 224 FP32
#             tiles as KServe v2 binary requests over a kept-alive
#             connection: requests/s, p50/p99 latency, tile MP/s; beside the
#             same tiles run in-process through the Python package (Plan.run
#             on one thread after another: no HTTP, no copies).
#   slide     a slide job (the server reads the slide) against sstep-run on
#             the same slide and options: the server's overhead.
#   client tiles  the same slide read on the client (OpenSlide) and sent
#             tile by tile to /infer by 4 clients, as Triton-fronted
#             pipelines do: what reading where the server runs saves.
#
# usage: bench/serve.sh [BUILD] [SECONDS] [SLIDE_SIDE]
#   defaults: build 10 4096
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(realpath "${1:-build}")
SECONDS_EACH=${2:-10}
SIDE=${3:-4096}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PATH="$BUILD/bin:$PATH"
mkdir -p "$WORK/models" "$WORK/slides"
PYTHONPATH=test/e2e $PY -c "import models, sys; models.export(sys.argv[1], sys.argv[2])" \
  resnet18-trunk "$WORK/r18.onnx"
sstep-compile "$WORK/r18.onnx" -o "$WORK/models/r18.sstep" --target=cpu
sstep-slide mkslide -o "$WORK/slides/s.tif" --size "$SIDE,$SIDE" --tile 256 \
  --compression jpeg >/dev/null
PYTHONPATH="$BUILD/python" $PY bench/serve_bench.py "$WORK" "$SECONDS_EACH" "$(nproc)"

#!/usr/bin/env bash
# One training step of a ResNet-34 trunk with a global-max head, SSTEP
# beside PyTorch, one run each, the same threads: PyTorch whole-image
# autograd (forward, loss, backward) against sstep.torch.StreamingModule on
# the cpu backend (the same forward and backward, tile by tile). Each side
# runs in its own process; prints the step's seconds (after a warm-up step
# on a small image), the process's peak RSS, and the largest relative
# difference of SSTEP's parameter gradients from PyTorch's (a separate,
# smaller run, so that neither side's memory holds the other's).
#
# SSTEP reuses freed pages in place (runtime/core/BufferPool.h): on
# virtual machines a fresh page costs a fault, about 3 s per GiB here.
# PyTorch runs twice, as it comes and with glibc keeping its freed memory
# in the heap (M_MMAP_MAX=0, M_TRIM_THRESHOLD unbounded), its nearest
# equivalent.
#
# TILES: SSTEP's tile edges, each optionally with a segment count for
# checkpointing (1024:4: tiles of 1024, nodes cut into 4 segments).
# INPUT=uint8 gives both sides a uint8 image (a slide's pixels): PyTorch
# divides it by 255 itself, SSTEP normalizes each tile's window as it
# reads it.
#
# SSTEP_ONLY=1 skips PyTorch (at sizes it cannot run in this memory).
# MODEL=efficientnet-b0 or mobilenetv3-small trains torchvision's features
# instead: squeeze-and-excitation in every block, means over the whole image
# inside the trunk (the backward pass runs its stages last first; SCRATCH=DIR
# keeps the images crossing them in scratch files there).
#
# usage: [INPUT=float|uint8] [SSTEP_ONLY=1] [MODEL=resnet34|efficientnet-b0|mobilenetv3-small] [SCRATCH=DIR] bench/train-vs-torch.sh [BUILD] [SIZES] [THREADS] [TILES]
#   defaults: build "2048 4096" $(nproc) "none 1024"
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(cd "${1:-build}" && pwd)
SIZES=${2:-2048 4096}
THREADS=${3:-$(nproc)}
TILES=${4:-none 1024}
PY=/usr/bin/python3
export PYTHONPATH="$BUILD/python"

INPUT=${INPUT:-float}
MODEL=${MODEL:-resnet34}
SCRATCH=${SCRATCH:-}

step() { # SIDE SIZE TILE[:SEGMENTS]
  $PY - "$1" "$2" "$THREADS" "$3" "$INPUT" "$MODEL" "$SCRATCH" <<'PY'
import resource, sys, time
import torch, torchvision
import sstep.torch

side, size, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tile, _, segments = sys.argv[4].partition(":")
tile = tile if tile in ("none", "auto", "-") else int(tile)
segments = int(segments) if segments else None
uint8 = sys.argv[5] == "uint8"
scratch = sys.argv[7] or None
torch.set_num_threads(threads)
torch.manual_seed(0)
trunk = {
    "resnet34": lambda: torch.nn.Sequential(
        *list(torchvision.models.resnet34().children())[:-2]),
    "efficientnet-b0": lambda: torchvision.models.efficientnet_b0().features,
    "mobilenetv3-small":
        lambda: torchvision.models.mobilenet_v3_small().features,
}[sys.argv[6]]()
# BatchNorm statistics of the data, as in a trained network: without them
# the random trunk's activations grow until the loss saturates and every
# gradient is zero.
for m in trunk.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.momentum = 1.0
with torch.no_grad():
    trunk.train()(torch.randn(2, 3, 224, 224))
trunk.eval()
with torch.no_grad():
    features = trunk(torch.zeros(1, 3, 64, 64)).shape[1]
head = torch.nn.Linear(features, 2)
if side.startswith("sstep"):
    model = sstep.torch.StreamingModule(trunk, torch.randn(1, 3, 224, 224),
                                        tile=tile, threads=threads,
                                        segments=segments, scratch=scratch)
elif uint8:
    model = lambda x: trunk(x.float() / 255)
else:
    model = trunk

def one_step(x):
    for p in list(trunk.parameters()) + list(head.parameters()):
        p.grad = None
    logits = head(model(x).amax((2, 3)))
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([1]))
    loss.backward()

def image(edge):
    g = torch.Generator().manual_seed(1)
    if uint8:
        return torch.randint(0, 256, (1, 3, edge, edge), dtype=torch.uint8,
                             generator=g)
    return torch.randn(1, 3, edge, edge, generator=g)

one_step(image(256))  # warm-up: primitives, allocator
x = image(size)
start = time.perf_counter()
one_step(x)
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
extra = ""
if side.startswith("sstep"):
    b = model.stats["backward"]
    extra = (f"tile {tile}, {b['segments']} segment(s): {b['tiles']} tiles, "
             f"{b['tiles_skipped']} skipped, "
             f"{b['peak_tile_bytes'] / 2**20:.0f} MiB in a tile")
    if b["stages"] > 1:
        where = "in files" if b["scratch_folder"] else "in memory"
        stored = b["scratch_peak_bytes"] or b["stored_peak_bytes"]
        extra += (f", {b['stages']} stages, {stored / 2**20:.0f} MiB "
                  f"between them {where}")
print(f"{side:18s} {size:6d}² {seconds:9.2f} {rss:10.0f}   {extra}", flush=True)
PY
}

echo "$MODEL trunk + global max + linear head, one step, $INPUT input, $THREADS threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-18s %7s %9s %10s\n' side input "step (s)" "RSS (MiB)"
for SIZE in $SIZES; do
  if [ -z "${SSTEP_ONLY:-}" ]; then
    step torch "$SIZE" - || echo "torch ${SIZE}² failed (out of memory?)"
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967295 step "torch keep-freed" "$SIZE" - ||
      echo "torch keep-freed ${SIZE}² failed (out of memory?)"
  fi
  for TILE in $TILES; do
    step "sstep cpu" "$SIZE" "$TILE"
  done
done

# The gradients of both sides on one image, in one process.
$PY - "$THREADS" "$MODEL" <<'PY'
import sys, torch, torchvision
import sstep.torch
torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
trunk = {
    "resnet34": lambda: torch.nn.Sequential(
        *list(torchvision.models.resnet34().children())[:-2]),
    "efficientnet-b0": lambda: torchvision.models.efficientnet_b0().features,
    "mobilenetv3-small":
        lambda: torchvision.models.mobilenet_v3_small().features,
}[sys.argv[2]]().eval()
x = torch.randn(1, 3, 333, 301)
y = trunk(x)
dy = torch.randn_like(y)
(y * dy).sum().backward()
want = {n: p.grad.clone() for n, p in trunk.named_parameters()}
trunk.zero_grad()
streamed = sstep.torch.StreamingModule(trunk, torch.randn(1, 3, 224, 224), tile=160)
(streamed(x) * dy).sum().backward()
worst = max(float((p.grad - want[n]).abs().max() / want[n].abs().max())
            for n, p in trunk.named_parameters())
print(f"largest relative gradient difference from PyTorch (333x301, tile 160): {worst:.2e}")
PY

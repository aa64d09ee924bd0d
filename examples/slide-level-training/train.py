"""Train a small CNN from slide-level labels only, on whole synthetic slides.

Half the slides hold a small region of planted "tumour" texture somewhere in
benign tissue; the label says only whether a slide has one, never where. The
trunk runs over each whole slide tile by tile with exact gradients
(sstep.torch.StreamingModule); the head is a global max over the trunk's
one-channel score map, so the network must find the region to be right, and
the score map afterwards shows where it looked.

    PYTHONPATH=build/python /usr/bin/python3 examples/slide-level-training/train.py \
        --out /tmp/slide-training

Writes DIR/log.json (loss per epoch, held-out accuracy, seconds) and
DIR/heatmap.png (a held-out tumour slide beside its score map).
"""

import argparse
import json
import os
import time

import numpy as np
import torch

import sstep.torch


def make_slide(rng, size, tumour):
    """A uint8 RGB slide (1, 3, size, size): pink tissue with smooth
    variation and fine grain; a tumour slide adds a region of dense dark
    nuclei, 96-160 pixels across, at a random place. Returns the slide and
    the region's box (or None)."""
    coarse = rng.random((3, size // 64 + 2, size // 64 + 2))
    smooth = np.kron(coarse, np.ones((64, 64)))[:, :size, :size]
    base = np.array([0.91, 0.62, 0.76])[:, None, None]
    image = base - 0.12 * smooth + 0.05 * rng.standard_normal((3, size, size))
    # Sparse benign nuclei everywhere: the tumour is about density and size.
    for _ in range(size * size // 4000):
        y, x = rng.integers(3, size - 3, 2)
        image[:, y - 2:y + 3, x - 2:x + 3] *= np.array([0.7, 0.55, 0.8])[:, None, None]
    box = None
    if tumour:
        side = int(rng.integers(96, 161))
        y0, x0 = rng.integers(0, size - side, 2)
        box = (int(y0), int(x0), side)
        for _ in range(side * side // 60):
            y = int(y0 + rng.integers(4, side - 4))
            x = int(x0 + rng.integers(4, side - 4))
            r = int(rng.integers(3, 5))
            image[:, y - r:y + r, x - r:x + r] = np.array(
                [0.32, 0.16, 0.45])[:, None, None] + 0.05 * rng.standard_normal((3, 1, 1))
    pixels = (np.clip(image, 0, 1) * 255).astype(np.uint8)
    return torch.from_numpy(pixels[None]), box


def trunk():
    """Three convolutions with BatchNorm (trained as eval-mode affine maps)
    down to a one-channel score map at 1/8 of the slide's size."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 5, stride=2, padding=2), torch.nn.BatchNorm2d(16),
        torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, 3, stride=2, padding=1), torch.nn.BatchNorm2d(32),
        torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 32, 3, padding=1), torch.nn.BatchNorm2d(32),
        torch.nn.ReLU(),
        torch.nn.Conv2d(32, 1, 1)).eval()


def save_heatmap(path, slide, scores, box):
    from PIL import Image, ImageDraw

    rgb = Image.fromarray(slide[0].permute(1, 2, 0).numpy())
    s = scores[0, 0]
    s = (s - s.min()) / max(float(s.max() - s.min()), 1e-6)
    heat = np.stack([s, 0.2 * s, 1 - s], -1)
    heat = Image.fromarray((heat * 255).astype(np.uint8)).resize(rgb.size, Image.NEAREST)
    if box:
        y0, x0, side = box
        ImageDraw.Draw(rgb).rectangle([x0, y0, x0 + side, y0 + side], outline=(0, 255, 0), width=6)
    side = 512
    canvas = Image.new("RGB", (2 * side + 16, side), "white")
    canvas.paste(rgb.resize((side, side)), (0, 0))
    canvas.paste(heat.resize((side, side)), (side + 16, 0))
    canvas.save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="slide-training")
    parser.add_argument("--slides", type=int, default=40)
    parser.add_argument("--held-out", type=int, default=12)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--tile", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--torch", action="store_true",
                        help="train with PyTorch's whole-slide autograd instead "
                        "(the comparison; needs the memory SSTEP saves)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(2026)
    start = time.perf_counter()
    slides = [make_slide(rng, args.size, i % 2 == 1) for i in range(args.slides)]
    labels = [float(i % 2) for i in range(args.slides)]
    train = list(range(args.slides - args.held_out))
    held = list(range(args.slides - args.held_out, args.slides))
    made = time.perf_counter() - start

    net = trunk()
    if args.torch:
        model = lambda x: net(x.float() / 255)
    else:
        model = sstep.torch.StreamingModule(
            net, torch.randn(1, 3, 256, 256), tile=args.tile, normalize=None,
            threads=args.threads or None)
    bias = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam(list(net.parameters()) + [bias], lr=args.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def logit(i):
        return model(slides[i][0]).amax() + bias

    log = {"slides": args.slides, "size": args.size, "tile": args.tile,
           "held_out": args.held_out, "seconds_making_slides": made,
           "epochs": []}
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        order = np.random.default_rng(epoch).permutation(train)
        total = 0.0
        for i in order:
            optimizer.zero_grad()
            loss = loss_fn(logit(i).view(1), torch.tensor([labels[i]]))
            loss.backward()
            optimizer.step()
            total += loss.item()
        stats = dict(getattr(model, "stats", {}))
        with torch.no_grad():
            right = sum((logit(i).item() > 0) == (labels[i] > 0.5) for i in held)
        entry = {"epoch": epoch + 1, "train_loss": total / len(train),
                 "held_out_accuracy": right / len(held),
                 "seconds": time.perf_counter() - t0,
                 "last_step": stats}
        log["epochs"].append(entry)
        print(f"epoch {epoch + 1}: loss {entry['train_loss']:.3f}, held-out "
              f"accuracy {entry['held_out_accuracy']:.2f}, "
              f"{entry['seconds']:.0f} s", flush=True)
    log["seconds"] = time.perf_counter() - start
    json.dump(log, open(os.path.join(args.out, "log.json"), "w"), indent=1)
    tumour = next(i for i in held if labels[i] > 0.5)
    with torch.no_grad():
        scores = model(slides[tumour][0]).numpy()
    save_heatmap(os.path.join(args.out, "heatmap.png"), slides[tumour][0],
                 scores, slides[tumour][1])
    print(f"done in {log['seconds']:.0f} s: {args.out}/log.json, "
          f"{args.out}/heatmap.png")


if __name__ == "__main__":
    main()

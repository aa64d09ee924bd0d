#!/usr/bin/env python3
"""Pixels read by `sstep-slide read` must equal OpenSlide's, exactly.

Each case makes a slide (with `sstep-slide mkslide`, or with vips from one),
checks `sstep-slide info --json` against OpenSlide's levels, then compares
regions: every level whole, and on levels whose downsample is an integer a
region crossing tile edges and one crossing the image's bottom-right corner
(outside pixels must be the white fill; OpenSlide leaves them transparent).
OpenSlide's read_region takes a level-0 origin: x0 = x * downsample, exact
only for integer downsamples, hence the whole-level reads elsewhere.

Known OpenSlide bugs are routed around: OpenSlide 3.4.1 reads non-JPEG tiles
through TIFFRGBAImage, which with libtiff >= 4.5 clips wrongly when a level is
smaller than one tile (garbage or transparent pixels), and fails outright on
some uncompressed tilings ("Invalid tile byte count"; libtiff's own
tiff2rgba reads those files fine). Such levels are compared with libvips
instead, another independent reader; the output says how many.
Exit 77 (ctest: skipped) when a case's input is absent.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import openslide
from PIL import Image

SKIP = 77

# name -> slides, each (mkslide args, post-processing or None). Each codec is
# tried with tiles of 240, 256 and 512 pixels and sizes that are no multiple
# of the tile (nor of 2, so reduced levels have odd sizes too).
TILINGS = [("240", "1001,777"), ("256", "1531,1147"), ("512", "1300,531")]
CASES = {
    f"mk-{codec}": [(["--size", size, "--tile", tile, "--compression", codec], None)
                    for tile, size in TILINGS]
    for codec in ("jpeg", "deflate", "lzw", "zstd", "none")
}
CASES.update({
    "mk-jpeg-bigtiff-512": [(["--size", "1800,1200", "--tile", "512", "--compression", "jpeg",
                              "--bigtiff"], None)],
    # Over 4 GiB (uncompressed, 4.6 GB): tile offsets past 2^32, which only
    # BigTIFF can hold, read back by both readers. Removed when checked.
    "mk-bigtiff-4gib": [(["--size", "34000,34000", "--tile", "512", "--compression", "none",
                          "--bigtiff"], None)],
    "vips-jpeg-256": [(["--size", "1400,1000", "--compression", "none"], "jpeg")],
    "vips-grey-deflate": [(["--size", "900,700", "--compression", "none"], "grey")],
    "vips-rgba-lzw": [(["--size", "900,700", "--compression", "none"], "rgba")],
    # Aperio-like SVS assembled with tiffcp/tiffset: JPEG levels of 240-pixel
    # tiles (RGB or YCbCr), a stripped thumbnail second, label and macro
    # named in their descriptions. Checks level/associated classification
    # without the real slide.
    "aperio-rgb": [(["--size", "1500,1100", "--compression", "none"], "aperio-rgb")],
    "aperio-ycbcr": [(["--size", "1500,1100", "--compression", "none"], "aperio-ycbcr")],
    # Not a TIFF: Hamamatsu VMS (JPEGs with restart markers and a key file),
    # read through the OpenSlide fallback.
    "openslide-vms": [(["--size", "1024,768", "--compression", "none"], "vms")],
    # Levels as SubIFDs of the first image (OME-TIFF's layout), which
    # OpenSlide 3.4 does not read: vips is the reference for levels above 0.
    "vips-subifd-jpeg": [(["--size", "1300,1000", "--compression", "none"], "subifd")],
})


def run(cmd):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if res.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {res.returncode}: {res.stderr}")
    return res.stdout


def make_vms(src, dst):
    """A Hamamatsu VMS slide: image and map JPEGs (with the restart markers
    OpenSlide requires) beside an INI key file."""
    folder = os.path.dirname(dst)
    for name, page in (("image.jpg", 0), ("map.jpg", 2)):
        run(["vips", "jpegsave", f"{src}[page={page}]", os.path.join(folder, name),
             "--Q", "90", "--restart-interval", "8"])
    with open(dst, "w") as f:
        f.write("[Virtual Microscope Specimen]\nNoLayers=1\nNoJpegColumns=1\n"
                "NoJpegRows=1\nImageFile=image.jpg\nMapFile=map.jpg\n"
                "PhysicalWidth=256000\nPhysicalHeight=192000\n")


def make_aperio(src, dst, photometric):
    """An SVS as Aperio lays it out, from pages of `src`, with libtiff's tools."""
    folder = os.path.dirname(dst)
    parts = {}
    pages = {"l0": ("copy", 0, ()), "l1": ("copy", 2, ()), "thumb": ("copy", 3, ()),
             "label": ("crop", 0, (0, 0, 300, 200)), "macro": ("crop", 1, (0, 0, 700, 300))}
    for name, (op, page, box) in pages.items():
        parts[name] = os.path.join(folder, name + ".tif")
        run(["vips", op, f"{src}[page={page}]", parts[name]] + [str(v) for v in box])
    jpeg = "jpeg:r:70" if photometric == "rgb" else "jpeg:70"
    tiled = ["-t", "-w", "240", "-l", "240", "-c", jpeg]
    if os.path.exists(dst):
        os.remove(dst)
    run(["tiffcp"] + tiled + [parts["l0"], dst])
    run(["tiffcp", "-a", "-s", "-r", "64", "-c", "jpeg:70", parts["thumb"], dst])
    run(["tiffcp", "-a"] + tiled + [parts["l1"], dst])
    run(["tiffcp", "-a", "-s", "-c", "lzw", parts["label"], dst])
    run(["tiffcp", "-a", "-s", "-c", "jpeg:70", parts["macro"], dst])
    header = "Aperio Image Library v12.0.15"
    run(["tiffset", "-d", "0", "-s", "270", f"{header} \r\n1500x1100 [0,0 1500x1100] (240x240) "
         "JPEG/RGB Q=70|AppMag = 40|MPP = 0.2520", dst])
    run(["tiffset", "-d", "3", "-s", "270", f"{header}\nlabel 300x200", dst])
    run(["tiffset", "-d", "4", "-s", "270", f"{header}\nmacro 700x300", dst])


def vips_pyramid(src, dst, kind):
    """Re-saves `src` through libvips (or libtiff's tools), independent writers."""
    if kind == "vms":
        return make_vms(src, dst)
    if kind.startswith("aperio-"):
        return make_aperio(src, dst, kind.split("-")[1])
    tile = ["--tile", "--pyramid", "--tile-width", "256", "--tile-height", "256"]
    if kind == "subifd":
        run(["vips", "tiffsave", f"{src}[page=0]", dst, "--compression", "jpeg", "--subifd"] + tile)
    elif kind == "jpeg":
        run(["vips", "tiffsave", src, dst, "--compression", "jpeg", "--Q", "85"] + tile)
    elif kind == "grey":
        mid = dst + ".v"
        run(["vips", "colourspace", src, mid + ".tif", "b-w"])
        run(["vips", "tiffsave", mid + ".tif", dst, "--compression", "deflate"] + tile)
    elif kind == "rgba":
        mid = dst + ".v"
        run(["vips", "bandjoin_const", src, mid + ".tif", "255"])
        run(["vips", "tiffsave", mid + ".tif", dst, "--compression", "lzw"] + tile)


def make_slide(tool, work, name, args, post):
    os.makedirs(work, exist_ok=True)
    ext = {"vms": ".vms", "aperio-rgb": ".svs", "aperio-ycbcr": ".svs"}.get(post, ".tif")
    out = os.path.join(work, name + ext)
    if post is None:
        run([tool, "mkslide", "-o", out] + args)
        return out
    src = os.path.join(work, name + ".src.tif")
    run([tool, "mkslide", "-o", src] + args)
    vips_pyramid(src, out, post)
    return out


def subifd_levels(path):
    """Level sizes of a SubIFD pyramid, as vips sees them."""
    dims = []
    for i in range(-1, 30):
        name = f"{path}[subifd={i}]" if i >= 0 else path
        res = subprocess.run(["vipsheader", "-f", "width", name], capture_output=True, text=True)
        if res.returncode != 0:
            break
        h = run(["vipsheader", "-f", "height", name])
        dims.append((int(res.stdout), int(h)))
    return dims


def check_info(tool, path, osr, subifd):
    info = json.loads(run([tool, "info", path, "--json"]))
    mine = [(l["width"], l["height"]) for l in info["levels"]]
    theirs = subifd_levels(path) if subifd else list(osr.level_dimensions)
    if mine != theirs:
        sys.exit(f"FAIL: levels {mine} != the reference's {theirs}")
    if subifd:
        return info
    for l, ds in zip(info["levels"], osr.level_downsamples):
        if abs(l["downsample"] - ds) > 1e-6 * ds:
            sys.exit(f"FAIL: downsample {l['downsample']} != OpenSlide's {ds}")
    theirs = sorted(osr.associated_images)
    if sorted(a["name"] for a in info["associated"]) != theirs:
        sys.exit(f"FAIL: associated {info['associated']} != OpenSlide's {theirs}")
    return info


# Levels larger than this are compared in regions, not whole.
WHOLE_LEVEL_PIXELS = 64 << 20


def regions(info):
    for level, l in enumerate(info["levels"]):
        ds = l["downsample"]
        w, h, tw, th = l["width"], l["height"], l["tile_width"], l["tile_height"]
        if w * h <= WHOLE_LEVEL_PIXELS:
            yield level, 0, 0, w, h
        else:
            # The first, a middle and the last tile rows: a 4 GiB level's
            # last tiles lie past 2^32 bytes.
            for y in (0, (h // 2) // th * th - 100, h - 600):
                yield level, w - 700, y, 700, 600
        if ds == int(ds) and w > max(tw, 64) + 40 and h > max(th, 64) + 40:
            x, y = max(1, tw - 37), max(1, th - 23)
            yield level, x, y, min(300, w - x), min(200, h - y)
            yield level, w - 100, h - 50, 250, 180


VIPS_READS = []  # regions whose reference came from vips, for the summary


def reference(work, path, osr, info, level, x, y, w, h, subifd):
    """RGBA of the region from OpenSlide, or from vips where OpenSlide errs
    or cannot see the level."""
    l = info["levels"][level]
    smaller_than_tile = l["width"] < l["tile_width"] or l["height"] < l["tile_height"]
    if not subifd and (l["compression"] == "jpeg" or not smaller_than_tile):
        ds = osr.level_downsamples[level]
        try:
            return np.asarray(osr.read_region((int(x * ds), int(y * ds)), level, (w, h)))
        except openslide.OpenSlideError:
            if l["compression"] == "jpeg":
                raise
    VIPS_READS.append((level, x, y, w, h))
    png = os.path.join(work, "vips.png")
    iw, ih = min(w, l["width"] - x), min(h, l["height"] - y)
    src = f"{path}[subifd={level - 1}]" if subifd and level else f"{path}[page={level}]"
    run(["vips", "crop", src, png, str(x), str(y), str(iw), str(ih)])
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[:ih, :iw] = np.asarray(Image.open(png).convert("RGBA"))
    return rgba


def compare(tool, work, path, osr, info, subifd, level, x, y, w, h):
    png = os.path.join(work, "region.png")
    run([tool, "read", path, "--level", str(level), "--region", f"{x},{y},{w},{h}", "-o", png])
    mine = np.asarray(Image.open(png).convert("RGB"))
    lw, lh = info["levels"][level]["width"], info["levels"][level]["height"]
    ref = reference(work, path, osr, info, level, x, y, w, h, subifd)
    iw, ih = min(w, lw - x), min(h, lh - y)
    inside, ref_in = mine[:ih, :iw], ref[:ih, :iw]
    opaque = ref_in[..., 3] == 255
    diff = np.abs(inside.astype(int) - ref_in[..., :3].astype(int)).max(axis=2)
    bad = np.count_nonzero((diff > 0) & opaque)
    where = f"level {level} region {x},{y},{w},{h}"
    if bad:
        ys, xs = np.nonzero((diff > 0) & opaque)
        sys.exit(f"FAIL: {where}: {bad} pixels differ from OpenSlide (max {diff.max()}), "
                 f"first at ({xs[0]}, {ys[0]})")
    if not opaque.all():
        sys.exit(f"FAIL: {where}: the reference has transparent pixels inside the level")
    outside = np.ones((h, w), bool)
    outside[:ih, :iw] = False
    if (mine[outside] != 255).any():
        sys.exit(f"FAIL: {where}: pixels outside the level are not the white fill")
    return w * h


def compare_associated(tool, work, path, osr, info):
    """Each associated image must equal OpenSlide's."""
    for a in info["associated"]:
        png = os.path.join(work, "associated.png")
        run([tool, "read", path, "--associated", a["name"], "-o", png])
        mine = np.asarray(Image.open(png).convert("RGB")).astype(int)
        ref = np.asarray(osr.associated_images[a["name"]].convert("RGBA")).astype(int)
        if mine.shape[:2] != ref.shape[:2] or (mine != ref[..., :3]).any():
            sys.exit(f"FAIL: associated image {a['name']} differs from OpenSlide's")
    return len(info["associated"])


def check_slide(a, path, case):
    """Levels, level pixels and associated images of one slide; pixels read."""
    osr = openslide.OpenSlide(path)
    subifd = case == "vips-subifd-jpeg"
    info = check_info(a.tool, path, osr, subifd)
    backend = "openslide" if case.startswith("openslide-") else "libtiff"
    if info["backend"] != backend:
        sys.exit(f"FAIL: read with {info['backend']}, expected {backend}")
    VIPS_READS.clear()
    todo = list(regions(info))
    pixels = 0
    for r in todo:
        pixels += compare(a.tool, a.work, path, osr, info, subifd, *r)
        if VIPS_READS and not subifd:
            osr = openslide.OpenSlide(path)  # an OpenSlide error is sticky
    images = compare_associated(a.tool, a.work, path, osr, info)
    print(f"ok: {os.path.basename(path)}: {len(info['levels'])} levels, {pixels} pixels and "
          f"{images} associated images equal to the reference's ({len(todo) - len(VIPS_READS)} "
          f"regions from OpenSlide, {len(VIPS_READS)} from vips)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tool", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--case", required=True, choices=sorted(CASES) + ["svs"])
    p.add_argument("--slide-dir", default="")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    if a.case == "svs":
        path = os.path.join(a.slide_dir, "CMU-1-Small-Region.svs")
        if not os.path.exists(path):
            print(f"skipped: {path} is absent")
            return SKIP
        check_slide(a, path, a.case)
        return 0
    for i, (args, post) in enumerate(CASES[a.case]):
        path = make_slide(a.tool, a.work, f"{a.case}-{i}", args, post)
        size = os.path.getsize(path)
        if "4gib" in a.case and size <= 4 << 30:
            sys.exit(f"FAIL: {path} is {size} bytes, not over 4 GiB")
        check_slide(a, path, a.case)
        if size > 4 << 30:
            os.remove(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

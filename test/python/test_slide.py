"""sstep.Slide against OpenSlide on a synthetic pyramidal TIFF."""

import subprocess

import numpy as np
import openslide
import pytest
from PIL import Image

import sstep
from conftest import make_slide, tool

if not hasattr(sstep, "Slide"):
    pytest.skip("a build without slide I/O", allow_module_level=True)


@pytest.fixture(scope="module")
def slide_path(tmp_path_factory):
    return make_slide(tmp_path_factory, 1500, 1100)


def test_levels_and_regions_equal_openslide_and_sstep_slide(slide_path,
                                                            tmp_path):
    ref = openslide.OpenSlide(slide_path)
    with sstep.Slide(slide_path) as slide:
        assert [(l["width"], l["height"]) for l in slide.levels] == \
            list(ref.level_dimensions)
        # Level 0 against OpenSlide (which has known bugs on small reduced
        # levels: test/slide/openslide_conformance.py); every level against
        # `sstep-slide read`, which that suite holds to OpenSlide.
        got = slide.read_region(0, 130, 70, 300, 200)
        assert got.shape == (200, 300, 3) and got.dtype == np.uint8
        want = np.asarray(ref.read_region((130, 70), 0, (300, 200)))[..., :3]
        assert np.array_equal(got, want)
        for level, info in enumerate(slide.levels):
            x, y = 30, 20
            w, h = min(300, info["width"] - x), min(200, info["height"] - y)
            png = str(tmp_path / f"l{level}.png")
            subprocess.run([tool("sstep-slide"), "read", slide_path,
                            "--level", str(level), "--region",
                            f"{x},{y},{w},{h}", "-o", png], check=True,
                           capture_output=True)
            want = np.asarray(Image.open(png).convert("RGB"))
            assert np.array_equal(slide.read_region(level, x, y, w, h), want)


def test_tissue_mask_equals_sstep_slide_mask(slide_path, tmp_path):
    png = str(tmp_path / "mask.png")
    subprocess.run([tool("sstep-slide"), "mask", slide_path, "-o", png,
                    "--max-side", "512"], check=True, capture_output=True)
    want = np.asarray(Image.open(png)) > 0
    with sstep.Slide(slide_path) as slide:
        mask, downsample = slide.tissue_mask(max_side=512)
        assert mask.dtype == np.bool_ and mask.shape == want.shape
        assert np.array_equal(mask, want)
        assert 0 < mask.mean() < 1  # the synthetic slide has tissue and glass
        assert downsample * max(mask.shape) >= 1500 * 0.99
        with pytest.raises(ValueError):
            slide.tissue_mask(max_side=0)


def test_bad_slides_and_regions_raise_slide_error(slide_path, tmp_path):
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00garbage")
    with pytest.raises(sstep.SlideError):
        sstep.Slide(str(bad))
    with pytest.raises(sstep.SlideError):
        sstep.Slide(str(tmp_path / "missing.svs"))
    slide = sstep.Slide(slide_path)
    with pytest.raises(sstep.SlideError):
        slide.read_region(9, 0, 0, 10, 10)
    slide.close()
    with pytest.raises(sstep.Error, match="closed"):
        slide.read_region(0, 0, 0, 10, 10)

"""Plan.run_slide: the job sstep-run runs, the same bytes; progress, the GIL
released, and Ctrl-C leaving a run that resumes to the same bytes."""

import numpy as np
import pytest
import torch

import sstep
from conftest import make_slide, sstep_run, ticks_during

if not hasattr(sstep, "Slide"):
    pytest.skip("a build without slide I/O", allow_module_level=True)


@pytest.fixture(scope="module")
def slide_path(tmp_path_factory):
    return make_slide(tmp_path_factory, 2000, 1500)


def test_run_slide_equals_sstep_run(onnx_path, slide_path, tmp_path):
    plan = sstep.compile(onnx_path)
    plan.save(str(tmp_path / "net.sstep"))
    sstep_run(str(tmp_path / "net.sstep"), slide_path, "-o",
              str(tmp_path / "cli.npy"), "--backend=cpu", "--tile=256")
    seen = []
    stats = plan.run_slide(slide_path, str(tmp_path / "py.npy"), tile=256,
                           progress=lambda *a: seen.append(a))
    assert np.array_equal(np.load(tmp_path / "py.npy"),
                          np.load(tmp_path / "cli.npy"))
    assert stats["tiles_run"] == len(seen) == seen[-1][1]
    assert [s[0] for s in seen] == list(range(1, len(seen) + 1))
    assert stats["level_size"] == (1500, 2000)
    assert stats["predicted_tile_bytes"] == stats["measured_tile_bytes"]


def test_run_slide_counts_its_outputs_in_the_budget(onnx_path, slide_path,
                                                     tmp_path):
    plan = sstep.compile(onnx_path)
    budget = 64 << 20
    stats = plan.run_slide(slide_path, str(tmp_path / "out.tif"),
                           memory_budget=budget)
    # A float TIFF: its encoder's tiles while tiles run, its pyramid after.
    assert stats["predicted_stream_bytes"] > 0
    assert stats["predicted_finish_bytes"] > 0
    assert stats["predicted_peak_bytes"] == stats["weight_bytes"] + max(
        stats["predicted_tile_bytes"] + stats["predicted_stream_bytes"],
        stats["predicted_finish_bytes"])
    assert stats["predicted_peak_bytes"] <= budget
    with pytest.raises(sstep.BudgetError, match="writing the outputs"):
        plan.run_slide(slide_path, str(tmp_path / "small.tif"),
                       memory_budget=stats["predicted_finish_bytes"] // 2)
    assert not (tmp_path / "small.tif").exists()


def test_run_slide_releases_the_gil(onnx_path, slide_path, tmp_path):
    plan = sstep.compile(onnx_path)
    assert ticks_during(lambda: plan.run_slide(
        slide_path, str(tmp_path / "out.npy"), tile=128,
        backend="reference")) > 5


def test_interrupted_run_resumes_to_the_same_bytes(onnx_path, slide_path,
                                                   tmp_path):
    plan = sstep.compile(onnx_path)
    whole = str(tmp_path / "whole.npy")
    plan.run_slide(slide_path, whole, tile=256)

    def interrupt(done, total, mps):
        if done == 12:
            raise KeyboardInterrupt

    out = str(tmp_path / "out.npy")
    with pytest.raises(KeyboardInterrupt):
        plan.run_slide(slide_path, out, tile=256, progress=interrupt)
    stats = plan.run_slide(slide_path, out, tile=256)
    assert stats["tiles_resumed"] > 0
    assert stats["tiles_run"] + stats["tiles_resumed"] == 48
    with open(out, "rb") as a, open(whole, "rb") as b:
        assert a.read() == b.read()


class SqueezeExcite(torch.nn.Module):
    """A convolution (a 7x7 kernel: it costs more to compute again than to
    store) scaled by its own pooled mean: two tile stages, the image stored
    between them."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.a = torch.nn.Conv2d(3, 8, 7, padding=3)
        self.fc = torch.nn.Conv2d(8, 8, 1)
        self.out = torch.nn.Conv2d(8, 4, 1)

    def forward(self, x):
        y = torch.relu(self.a(x))
        return self.out(y * torch.sigmoid(self.fc(y.mean((2, 3), True))))


def test_interrupted_run_of_two_stages_resumes_from_checkpoints(slide_path,
                                                                tmp_path):
    plan = sstep.compile(SqueezeExcite().eval(), torch.randn(1, 3, 64, 64))
    whole = str(tmp_path / "whole.npy")
    plan.run_slide(slide_path, whole, tile=256, store="disk")
    calls = []

    def interrupt(done, total, mps):
        calls.append(done)
        if len(calls) == 60:  # the 12th tile of the second stage
            raise KeyboardInterrupt

    out = str(tmp_path / "out.npy")
    with pytest.raises(KeyboardInterrupt):
        plan.run_slide(slide_path, out, tile=256, store="disk",
                       progress=interrupt)
    assert (tmp_path / "out.npy.resume" / "checkpoint").exists()
    stats = plan.run_slide(slide_path, out, tile=256, store="disk")
    # The first stage's 48 tiles were done when the second stage began.
    assert stats["tiles_resumed"] >= 48
    assert stats["tiles_run"] + stats["tiles_resumed"] == 96
    assert not (tmp_path / "out.npy.resume").exists()
    with open(out, "rb") as a, open(whole, "rb") as b:
        assert a.read() == b.read()


def test_bad_slide_runs_raise(onnx_path, slide_path, tmp_path):
    plan = sstep.compile(onnx_path)
    with pytest.raises(sstep.SlideError):
        plan.run_slide(str(tmp_path / "missing.svs"), str(tmp_path / "o.npy"))
    with pytest.raises(sstep.Error, match="level"):
        plan.run_slide(slide_path, str(tmp_path / "o.npy"), level=7)
    with pytest.raises(sstep.Error, match="unknown output type"):
        plan.run_slide(slide_path, str(tmp_path / "o.xyz"))
    with pytest.raises(ValueError):
        plan.run_slide(slide_path, str(tmp_path / "o.npy"), normalize="odd")


def test_run_patches_equals_sstep_run_and_resumes(onnx_path, slide_path,
                                                  tmp_path):
    import h5py

    plan = sstep.compile(onnx_path)
    plan.save(str(tmp_path / "net.sstep"))
    sstep_run(str(tmp_path / "net.sstep"), slide_path, "-o",
              str(tmp_path / "cli.h5"), "--backend=cpu", "--patches=128",
              "--patch-stride=160")
    seen = []
    stats = plan.run_patches(slide_path, str(tmp_path / "py.h5"), 128,
                             stride=160, progress=lambda *a: seen.append(a))
    with h5py.File(tmp_path / "cli.h5") as a, h5py.File(tmp_path / "py.h5") as b:
        assert np.array_equal(a["features"][...], b["features"][...])
        assert np.array_equal(a["coords"][...], b["coords"][...])
    assert stats["patches"] == stats["patches_run"] == len(seen) == 12 * 9

    def interrupt(done, total, mps):
        if done == 30:
            raise KeyboardInterrupt

    out = str(tmp_path / "again.h5")
    with pytest.raises(KeyboardInterrupt):
        plan.run_patches(slide_path, out, 128, stride=160, progress=interrupt)
    stats = plan.run_patches(slide_path, out, 128, stride=160)
    assert stats["patches_resumed"] > 0
    with h5py.File(tmp_path / "py.h5") as a, h5py.File(out) as b:
        assert np.array_equal(a["features"][...], b["features"][...])
    with pytest.raises(ValueError):
        plan.run_patches(slide_path, out, 0)
    with pytest.raises(ValueError):
        plan.run_patches(slide_path, out, 128, layout="pile")

"""Plan.run_slide: the job sstep-run runs, the same bytes; progress, the GIL
released, and Ctrl-C leaving a run that resumes to the same bytes."""

import subprocess
import threading

import numpy as np
import pytest

import sstep
from conftest import sstep_run, tool


@pytest.fixture(scope="module")
def slide_path(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("slides") / "s.tif")
    subprocess.run([tool("sstep-slide"), "mkslide", "-o", path, "--size",
                    "2000,1500", "--tile", "256"], check=True,
                   capture_output=True)
    return path


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


def test_run_slide_releases_the_gil(onnx_path, slide_path, tmp_path):
    plan = sstep.compile(onnx_path)
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        plan.run_slide(slide_path, str(tmp_path / "out.npy"), tile=128,
                       backend="reference")
    finally:
        done.set()
        t.join()
    assert len(ticks) > 5


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

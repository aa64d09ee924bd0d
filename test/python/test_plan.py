"""sstep.compile, sstep.load, Plan.run and Plan.save against sstep-run and
PyTorch; zero-copy at the boundary; errors as typed exceptions."""

import numpy as np
import pytest
import torch

import sstep
from conftest import sstep_run, ticks_during


def test_compile_from_path_bytes_and_module_equal_torch(net, onnx_path, image):
    want = net(torch.from_numpy(image)).detach().numpy()
    with open(onnx_path, "rb") as f:
        data = f.read()
    for model, example in [(onnx_path, None), (data, None),
                           (net, torch.randn(1, 3, 32, 32))]:
        plan = sstep.compile(model, example)
        got = plan.run(image)
        assert got.shape == want.shape
        assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()


def test_inputs_and_outputs_describe_the_model(onnx_path):
    plan = sstep.compile(onnx_path)
    assert plan.inputs == [{"name": "image", "shape": (1, 3, None, None)}]
    assert plan.outputs[0]["name"] == "output"
    assert plan.outputs[0]["shape"][:2] == (1, 4)
    assert "cpu" in sstep.backends() and "reference" in sstep.backends()


def test_saved_plan_runs_bit_identical_to_sstep_run(onnx_path, image,
                                                    tmp_path):
    plan = sstep.compile(onnx_path)
    plan.save(str(tmp_path / "net.sstep"))
    np.save(tmp_path / "in.npy", image)
    loaded = sstep.load(str(tmp_path / "net.sstep"))
    for backend in ["reference", "cpu"]:
        for tile in ["none", "24"]:
            sstep_run(str(tmp_path / "net.sstep"), str(tmp_path / "in.npy"),
                      "-o", str(tmp_path / "out.npy"), "--tile=" + tile,
                      "--backend=" + backend)
            want = np.load(tmp_path / "out.npy")
            edge = "none" if tile == "none" else int(tile)
            assert np.array_equal(loaded.run(image, backend=backend,
                                             tile=edge), want)
            # A torch tensor gives the same bits as the array it views.
            assert np.array_equal(loaded.run(torch.from_numpy(image),
                                             backend=backend, tile=edge),
                                  want)


def test_tiled_equals_whole_on_every_backend(onnx_path, image):
    plan = sstep.compile(onnx_path)
    whole = plan.run(image, backend="reference", tile="none")
    for backend in ["reference", "cpu"]:
        for tile in [16, 40]:
            got = plan.run(image, backend=backend, tile=tile)
            assert np.abs(got - whole).max() <= 1e-5 * np.abs(whole).max()
    budget = plan.run(image, memory_budget="200KiB")
    assert np.abs(budget - whole).max() <= 1e-5 * np.abs(whole).max()


def test_outputs_are_returned_without_a_copy(onnx_path, image):
    plan = sstep.compile(onnx_path)
    out = plan.run(image)
    # The array views the runtime's buffer, kept alive by its base.
    assert not out.flags.owndata
    assert out.base is not None
    assert out.flags.c_contiguous and out.dtype == np.float32


def test_dict_inputs_and_other_layouts(onnx_path, net):
    plan = sstep.compile(onnx_path)
    rng = np.random.default_rng(9)
    batch = rng.standard_normal((1, 3, 40, 52)).astype(np.float32)
    want = net(torch.from_numpy(batch)).detach().numpy()
    scale = np.abs(want).max()
    for x in [batch, {"image": batch}, batch.astype(np.float64),
              np.asfortranarray(batch)]:
        for tile in ["none", 16]:
            got = plan.run(x, tile=tile)
            assert np.abs(got - want).max() <= 1e-5 * scale
    with pytest.raises(sstep.Error, match="not given"):
        plan.run({"picture": batch})
    with pytest.raises(TypeError):
        plan.run(batch, tile=None)
    with pytest.raises(ValueError):
        plan.run(batch, threads=-1)


def test_threads_share_a_plan(onnx_path, image):
    from concurrent.futures import ThreadPoolExecutor

    plan = sstep.compile(onnx_path)
    want = plan.run(image, tile=24)
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: plan.run(image, tile=24), range(8)))
    for out in outs:
        assert np.array_equal(out, want)


def test_runs_release_the_gil(onnx_path):
    plan = sstep.compile(onnx_path)
    big = np.random.default_rng(1).standard_normal(
        (1, 3, 768, 768)).astype(np.float32)
    assert ticks_during(lambda: plan.run(big, backend="reference",
                                         tile=256)) > 5


def test_bad_input_raises_typed_errors(onnx_path, image, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(sstep.ModelError):
        sstep.compile(str(bad))
    with pytest.raises(sstep.ModelError, match="not an SSTEP plan"):
        sstep.load(str(bad))
    plan = sstep.compile(onnx_path)
    with pytest.raises(sstep.BudgetError, match="smallest tile needs"):
        plan.run(image, memory_budget=100)
    with pytest.raises(sstep.Error, match="unknown backend 'abacus'"):
        plan.run(image, backend="abacus")
    with pytest.raises(sstep.Error, match="shape"):
        plan.run(image[:, :2])
    with pytest.raises(ValueError):
        plan.run(image, tile="sometimes")
    assert issubclass(sstep.BudgetError, sstep.Error)


def test_compile_time_budget_is_run_default(onnx_path, image):
    plan = sstep.compile(onnx_path, memory_budget="200KiB")
    assert plan.memory_budget == "200KiB"
    with pytest.raises(sstep.BudgetError):
        sstep.compile(onnx_path, memory_budget=64).run(image)
    whole = plan.run(image, tile="none")
    assert np.abs(plan.run(image) - whole).max() <= 1e-5 * np.abs(whole).max()


def test_inputs_are_read_in_place(onnx_path, image):
    plan = sstep.compile(onnx_path)
    whole = plan.run(image, tile="none")
    assert plan._read_from == [image.ctypes.data]
    tiled = plan.run(image, tile=24)
    assert plan._read_from == [image.ctypes.data]
    assert np.abs(tiled - whole).max() <= 1e-5 * np.abs(whole).max()
    # A torch tensor is read from its own storage too.
    t = torch.from_numpy(image.copy())
    assert np.array_equal(plan.run(t, tile="none"), whole)
    assert plan._read_from == [t.data_ptr()]
    # An array of another type is converted first: read from the copy.
    plan.run(image.astype(np.float64), tile="none")
    assert plan._read_from[0] not in (0, image.ctypes.data)


def test_uint8_inputs_are_normalized_a_window_at_a_time(onnx_path):
    plan = sstep.compile(onnx_path)
    pixels = np.random.default_rng(8).integers(
        0, 256, (1, 3, 70, 90), dtype=np.uint8)
    mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
    cases = {None: pixels.astype(np.float32) / np.float32(255),
             "imagenet": (pixels.astype(np.float32) / np.float32(255) - mean)
             / std}
    for normalize, floats in cases.items():
        want = plan.run(floats, tile="none")
        for tile in ("none", 24):
            got = plan.run(pixels, tile=tile, normalize=normalize)
            assert plan._read_from == [pixels.ctypes.data]
            assert np.abs(got - want).max() <= 1e-5 * np.abs(want).max()
    with pytest.raises(ValueError, match="uint8 inputs"):
        plan.run(cases[None], normalize="imagenet")
    with pytest.raises(ValueError, match="expected none, imagenet"):
        plan.run(pixels, normalize="ImageNet")


def test_precision(onnx_path):
    assert sstep.compile(onnx_path).precision == "fp32"
    with pytest.raises(ValueError, match="cuda target"):
        sstep.compile(onnx_path, precision="fp16")
    with pytest.raises(ValueError, match="fp32, fp16 or bf16"):
        sstep.compile(onnx_path, target="cuda", precision="fp8")
    if "cuda" not in sstep.backends():
        pytest.skip("this build has no cuda backend")
    plan = sstep.compile(onnx_path, target="cuda", precision="bf16")
    assert (plan.target, plan.precision) == ("cuda", "bf16")


class SqueezeExcite(torch.nn.Module):
    """Two squeeze-and-excitation blocks: three tile stages, two images
    stored between them."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        # Kernels large enough that each image costs more to compute again
        # than to store (sstep-recompute leaves them stored).
        self.a = torch.nn.Conv2d(3, 8, 7, padding=3)
        self.b = torch.nn.Conv2d(8, 8, 5, stride=2, padding=2)
        self.fc = torch.nn.ModuleList([torch.nn.Conv2d(8, 8, 1)
                                       for _ in range(2)])

    def excite(self, y, i):
        return y * torch.sigmoid(self.fc[i](y.mean((2, 3), keepdim=True)))

    def forward(self, x):
        y = self.excite(torch.relu(self.a(x)), 0)
        return self.excite(torch.relu(self.b(y)), 1)


def test_stored_images_on_disk_equal_memory_and_torch(tmp_path):
    net = SqueezeExcite().eval()
    image = np.random.default_rng(4).standard_normal(
        (1, 3, 75, 61)).astype(np.float32)
    with torch.no_grad():
        want = net(torch.from_numpy(image)).numpy()
    plan = sstep.compile(net, torch.from_numpy(image))
    memory, disk = {}, {}
    in_memory = plan.run(image, tile=24, store="memory", stats=memory)
    on_disk = plan.run(image, tile=24, store="disk", scratch=tmp_path,
                       stats=disk)
    assert np.array_equal(in_memory, on_disk)
    assert np.abs(on_disk - want).max() <= 1e-5 * np.abs(want).max()
    assert [v["place"] for v in memory["stored_values"]] == ["memory"] * 2
    assert [v["place"] for v in disk["stored_values"]] == ["disk"] * 2
    # The second stage reads the first image while it writes the second.
    assert [v["stages"] for v in disk["stored_values"]] == [(0, 1), (1, 2)]
    total = sum(v["bytes"] for v in disk["stored_values"])
    assert disk["scratch_peak_bytes"] == total
    assert disk["scratch_written_bytes"] == total
    assert memory["scratch_peak_bytes"] == 0
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="store takes auto, memory or disk"):
        plan.run(image, tile=24, store="ssd")
    with pytest.raises(sstep.Error, match="scratch folder .*missing"):
        plan.run(image, tile=24, store="disk", scratch=tmp_path / "missing")


def test_recompute_policy_chooses_what_is_stored():
    net = SqueezeExcite().eval()
    image = np.random.default_rng(5).standard_normal(
        (1, 3, 57, 49)).astype(np.float32)
    stats = {}
    outputs = {}
    for policy in ("never", "always"):
        plan = sstep.compile(net, torch.from_numpy(image), recompute=policy)
        stats[policy] = {}
        outputs[policy] = plan.run(image, tile=20, stats=stats[policy])
    # "always" computes the first stage's image again where the later
    # stages read it: one image fewer stored, the same outputs.
    assert stats["never"]["recomputed_values"] == []
    assert len(stats["always"]["recomputed_values"]) > 0
    assert (len(stats["always"]["stored_values"])
            < len(stats["never"]["stored_values"]))
    assert np.array_equal(outputs["always"], outputs["never"])
    with pytest.raises(ValueError, match="recompute 'sometimes'"):
        sstep.compile(net, torch.from_numpy(image), recompute="sometimes")

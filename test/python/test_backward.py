"""Plan.backward against PyTorch autograd on the whole image: every weight's
gradient and the input's within 1e-5 of their largest magnitude, for image
sizes that are no multiple of any stride and tile edges that divide nothing;
max-pool ties; unsupported models refused by name."""

import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import sstep

TOL = 1e-5
BACKENDS = [b for b in ("reference", "cpu") if b in sstep.backends()]


def export(module, channels=3):
    buffer = io.BytesIO()
    torch.onnx.export(module, torch.randn(1, channels, 37, 41), buffer,
                      input_names=["image"], output_names=["out"],
                      opset_version=13,
                      dynamic_axes={"image": {2: "H", 3: "W"},
                                    "out": {2: "h", 3: "w"}})
    return sstep.compile(buffer.getvalue())


def relative(got, want):
    scale = np.abs(want).max()
    return float(np.abs(got - want).max() / scale) if scale > 0 else 0.0


def check_gradients(module, x, tiles=("none", 13, 29), channels=3):
    module = module.eval()
    plan = export(module, channels)
    x = torch.as_tensor(x).clone().requires_grad_(True)
    y = module(x)
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    params = dict(module.named_parameters())
    # The export renames some parameters (GroupNorm's affine map becomes
    # 'onnx::Mul_22'): those are found by their values, as StreamingModule
    # finds them.
    stored = plan.get_weights()
    names = {}
    for name, p in params.items():
        values = p.detach().numpy().ravel()
        names[name] = name if name in stored else next(
            (w for w, a in stored.items()
             if a.size == values.size and np.array_equal(a.ravel(), values)),
            name)
    for backend, tile in [(b, t) for b in BACKENDS for t in tiles]:
        got = plan.backward(x.detach().numpy(), dy.numpy(), backend=backend,
                            tile=tile)
        assert relative(got["input"], x.grad.numpy()) <= TOL, (backend, tile)
        if backend == "cpu":  # the convolutions ran on oneDNN
            assert got["stats"]["reference_convolutions"] == 0
            assert got["stats"]["onednn_convolutions"] > 0
        for name, p in params.items():
            assert names[name] in got["weights"], (name, sorted(got["weights"]))
            assert relative(got["weights"][names[name]].reshape(p.shape),
                            p.grad.numpy()) <= TOL, (backend, tile, name)
    return plan


class Convs(torch.nn.Module):
    """Strides, groups, dilation, asymmetric pads, a channel slice, a
    residual sum and a max pool."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.b = torch.nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2)
        self.c = torch.nn.Conv2d(8, 6, 3, padding=2, dilation=2)
        self.d = torch.nn.Conv2d(6, 4, (1, 3), stride=(1, 2), bias=False)
        self.pool = torch.nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x):
        y = torch.relu(self.a(x))
        y = self.b(F.pad(y, (1, 0, 2, 0)))
        y = torch.relu(self.c(y) + y[:, :6])
        return self.d(self.pool(y))


class Pools(torch.nn.Module):
    """Average pools with and without counted pads, ceil mode, concat."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 6, 3)
        self.b = torch.nn.Conv2d(12, 5, 1)
        self.p1 = torch.nn.AvgPool2d(3, stride=2, padding=1,
                                     count_include_pad=False, ceil_mode=True)
        self.p2 = torch.nn.AvgPool2d(3, stride=2, padding=1,
                                     count_include_pad=True)
        self.p3 = torch.nn.MaxPool2d(2, stride=2, ceil_mode=True)

    def forward(self, x):
        y = self.a(x)
        y = torch.cat([self.p1(y), self.p2(torch.sigmoid(y))], 1)
        return self.p3(self.b(y))


class Activations(torch.nn.Module):
    """The pointwise family, per-channel affine maps (a BatchNorm's form
    when trained) and broadcasting arithmetic. (PReLU's slope, which the
    export renames, is test_streaming_module.py's.)"""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.scale = torch.nn.Parameter(torch.rand(1, 8, 1, 1) + 0.5)
        self.shift = torch.nn.Parameter(torch.randn(1, 8, 1, 1))
        self.b = torch.nn.Conv2d(8, 4, 3, padding=1)

    def forward(self, x):
        y = self.a(x)
        y = y * self.scale + self.shift
        y = F.hardswish(y) + F.leaky_relu(y, 0.1) - torch.tanh(y)
        y = y * torch.sigmoid(y) / (1.5 + torch.exp(y * y * -0.5))
        y = F.relu6(y) + F.hardsigmoid(y) - torch.abs(-y) * 0.25
        return self.b(y)


class Decoder(torch.nn.Module):
    """U-Net pieces: a transposed convolution, bilinear and nearest
    resizes, reflect and replicate pads."""

    def __init__(self):
        super().__init__()
        self.down = torch.nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.up = torch.nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1,
                                           output_padding=1)
        self.c = torch.nn.Conv2d(4, 3, 3)

    def forward(self, x):
        y = torch.relu(self.down(x))
        y = self.up(y)
        y = F.interpolate(y, scale_factor=2, mode="bilinear",
                          align_corners=False)
        y = F.pad(y, (1, 2, 2, 1), mode="reflect")
        y = F.interpolate(y, scale_factor=0.5, mode="nearest")
        return self.c(F.pad(y, (1, 1, 0, 1), mode="replicate"))


class Softmaxes(torch.nn.Module):
    """Softmax and log softmax over channels inside a trunk (attention
    maps, per-pixel class scores), whose gradients read their results."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.b = torch.nn.Conv2d(6, 4, 3, padding=1)

    def forward(self, x):
        y = self.a(x)
        y = y * torch.softmax(y, 1) + torch.log_softmax(0.5 * y, 1)
        return self.b(y)


class ChannelPools(torch.nn.Module):
    """CBAM's spatial attention: the channels' maximum and mean, a 7x7
    convolution, a sigmoid gate. The maximum follows a ReLU, so pixels whose
    channels are all zero tie them all (amax splits the gradient evenly)."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 6, 3, padding=1)
        self.spatial = torch.nn.Conv2d(3, 1, 7, padding=3)

    def forward(self, x):
        y = torch.relu(self.a(x) - 0.5)
        pooled = torch.cat([y.amax(1, keepdim=True), y.mean(1, keepdim=True),
                            y.sum(1, keepdim=True)], 1)
        return y * torch.sigmoid(self.spatial(pooled))


class SqueezeExcite(torch.nn.Module):
    """MobileNetV3's and EfficientNet's squeeze-and-excitation blocks
    (torchvision's form: 1x1 convolutions on the pooled means, a hard or a
    plain sigmoid), one after a stride: each mean over the whole image cuts
    the trunk into another stage."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.fc1 = torch.nn.Conv2d(8, 4, 1)
        self.fc2 = torch.nn.Conv2d(4, 8, 1)
        self.b = torch.nn.Conv2d(8, 6, 3, stride=2, padding=1)
        self.fc3 = torch.nn.Conv2d(6, 6, 1)
        self.c = torch.nn.Conv2d(6, 4, 3, padding=1)

    def forward(self, x):
        y = F.hardswish(self.a(x))
        s = F.hardsigmoid(self.fc2(torch.relu(self.fc1(y.mean((2, 3), True)))))
        y = self.b(y * s)
        y = y * torch.sigmoid(self.fc3(F.adaptive_avg_pool2d(y, 1))) + y
        return self.c(y)


class ChannelAttention(torch.nn.Module):
    """CBAM's channel attention, as pathology CNNs use it: one MLP on the
    average- and max-pooled channels. The maximum's gradient goes to the
    first maximum of each plane, as adaptive_max_pool2d's does; after a
    ReLU, a plane of zeros ties everywhere."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.mlp = torch.nn.Sequential(torch.nn.Conv2d(8, 4, 1),
                                       torch.nn.ReLU(),
                                       torch.nn.Conv2d(4, 8, 1))
        self.b = torch.nn.Conv2d(8, 4, 3, padding=1)

    def forward(self, x):
        y = torch.relu(self.a(x) - 0.3)
        gate = self.mlp(F.adaptive_avg_pool2d(y, 1)) + \
            self.mlp(F.adaptive_max_pool2d(y, 1))
        return self.b(y * torch.sigmoid(gate))


class AmaxAttention(ChannelAttention):
    """Gates by amax, whose gradient PyTorch splits evenly among tied
    maxima: of the input (tested on an image with a saturated patch, whose
    pixels tie), and of a convolution's output (constant over the patch's
    interior, where its maxima tie)."""

    def forward(self, x):
        y = self.a(x * torch.sigmoid(x.amax((2, 3), keepdim=True)))
        gate = self.mlp(y.amax((2, 3), keepdim=True))
        return self.b(y * torch.sigmoid(gate))


class Norms(torch.nn.Module):
    """GroupNorm and an affine instance norm over the whole image, each a
    reduction of the mean and one of the variance: five stages."""

    def __init__(self):
        super().__init__()
        # No biases before the norms, whose means remove them (their
        # gradients are sums that cancel to rounding noise, on both sides).
        self.a = torch.nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.gn = torch.nn.GroupNorm(4, 8)
        self.b = torch.nn.Conv2d(8, 6, 3, stride=2, padding=1, bias=False)
        self.inorm = torch.nn.InstanceNorm2d(6, affine=True)
        self.c = torch.nn.Conv2d(6, 4, 3, padding=1)

    def forward(self, x):
        y = torch.relu(self.gn(self.a(x)))
        y = torch.relu(self.inorm(self.b(y)))
        return self.c(y)


@pytest.mark.parametrize("net", [Convs, Pools, Activations, Decoder,
                                 Softmaxes, ChannelPools, SqueezeExcite,
                                 ChannelAttention, AmaxAttention, Norms])
def test_gradients_equal_autograd(net):
    torch.manual_seed(3)
    # The norms' affine parameters: not 1 and 0.
    if net in (SqueezeExcite, ChannelAttention, AmaxAttention, Norms):
        module = net()
        with torch.no_grad():
            for m in module.modules():
                if isinstance(m, (torch.nn.GroupNorm,
                                  torch.nn.InstanceNorm2d)):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.5, 0.5)
        x = torch.randn(1, 3, 45, 53)
        if net is AmaxAttention:
            x[:, :, 10:30, 12:32] = 10.0
        plan = check_gradients(module, x)
        got = plan.backward(np.zeros((1, 3, 45, 53), np.float32),
                            np.ones(plan.run(np.zeros((1, 3, 45, 53),
                                                      np.float32),
                                             backend="reference").shape,
                                    np.float32), tile=13)
        assert got["stats"]["stages"] > 1
        return
    check_gradients(net(), torch.randn(1, 3, 45, 53))


def test_max_pool_ties_follow_pytorch():
    class Ties(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Conv2d(2, 2, 1)
            self.pool = torch.nn.MaxPool2d(3, stride=1, padding=1)

        def forward(self, x):
            return self.pool(self.pool(torch.relu(self.a(x))))

    torch.manual_seed(4)
    net = Ties()
    with torch.no_grad():  # a positive identity: ties survive the conv
        net.a.weight.copy_(torch.eye(2).view(2, 2, 1, 1))
        net.a.bias.zero_()
    # Plateaus of equal values: most windows hold several maxima.
    x = torch.randint(0, 3, (1, 2, 23, 19)).float()
    check_gradients(net, x, tiles=("none", 5, 7), channels=2)


def test_gradients_are_deterministic_and_skip_silent_tiles():
    torch.manual_seed(5)
    plan = export(Convs().eval())
    x = np.random.default_rng(1).standard_normal((1, 3, 64, 64)).astype(
        np.float32)
    y = plan.run(x, backend="reference")
    dy = np.zeros_like(y)
    dy[0, 1, 3, 4] = 1.0  # a global-max head's gradient: one pixel
    for backend in BACKENDS:
        a = plan.backward(x, dy, backend=backend, tile=16)
        b = plan.backward(x, dy, backend=backend, tile=16)
        assert np.array_equal(a["input"], b["input"])
        for name in a["weights"]:
            assert np.array_equal(a["weights"][name], b["weights"][name])
        assert a["stats"]["tiles"] == 1 and a["stats"]["tiles_skipped"] > 0
        whole = plan.backward(x, dy, backend=backend, tile="none")
        assert relative(a["input"], whole["input"]) <= TOL


def test_set_weights_changes_runs_and_gradients(tmp_path):
    torch.manual_seed(6)
    net = Pools().eval()
    plan = export(net)
    assert set(plan.weights) == {"a.weight", "a.bias", "b.weight", "b.bias"}
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(-0.5)
    plan.set_weights({n: p.detach() for n, p in net.named_parameters()})
    x = torch.randn(1, 3, 45, 53)
    want = net(x).detach().numpy()
    assert relative(plan.run(x.numpy(), backend="reference"), want) <= TOL
    check = export(net)  # compiled with the new weights
    assert np.array_equal(plan.run(x.numpy(), backend="cpu"),
                          check.run(x.numpy(), backend="cpu"))
    plan.save(str(tmp_path / "p.sstep"))
    assert np.array_equal(sstep.load(str(tmp_path / "p.sstep")).run(
        x.numpy(), backend="reference"), plan.run(x.numpy(),
                                                  backend="reference"))
    with pytest.raises(sstep.Error, match="no weight 'nope'"):
        plan.set_weights({"nope": np.zeros(3, np.float32)})
    with pytest.raises(sstep.Error, match="has shape"):
        plan.set_weights({"a.weight": np.zeros((1, 1), np.float32)})


def test_unsupported_models_are_refused_by_name():
    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return F.adaptive_avg_pool2d(self.a(x), 1)

    plan = export(Head())
    x = np.zeros((1, 3, 20, 20), np.float32)
    with pytest.raises(sstep.Error, match="end the trunk before its global "
                                          "pool and head"):
        plan.backward(x, np.ones((1, 4, 1, 1), np.float32))

    class ColumnSoftmax(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return torch.softmax(self.a(x), 2)

    with pytest.raises(sstep.Error, match=r"\(sstep.softmax\) needs the "
                                          "whole image"):
        export(ColumnSoftmax()).backward(x, np.ones((1, 4, 18, 18),
                                                    np.float32))
    trunk = export(Convs())
    y = trunk.run(x, backend="reference")
    with pytest.raises(sstep.Error, match="output gradient has shape"):
        trunk.backward(x, y[:, :, :-1])
    with pytest.raises(sstep.Error, match="output gradient has shape .*NCHW"):
        trunk.backward(x, y[0])
    with pytest.raises(sstep.Error, match="no kernels for the 'cuda'"):
        trunk.backward(x, y, backend="cuda")


def test_a_memory_budget_chooses_backward_tiles_that_fit_it():
    torch.manual_seed(7)
    plan = export(Convs().eval())
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 3, 90, 77)).astype(np.float32)
    dy = rng.standard_normal(plan.run(x).shape).astype(np.float32)
    whole = plan.backward(x, dy, tile="none")
    assert whole["stats"]["predicted_tile_bytes"] == \
        whole["stats"]["peak_tile_bytes"]
    budget = whole["stats"]["peak_tile_bytes"] // 3
    tiled = plan.backward(x, dy, memory_budget=budget)
    stats = tiled["stats"]
    assert stats["tile_edge"] > 0 and stats["tiles"] > 1
    assert stats["predicted_tile_bytes"] == stats["peak_tile_bytes"] <= budget
    assert relative(tiled["input"], whole["input"]) <= TOL
    for name, g in whole["weights"].items():
        assert relative(tiled["weights"][name], g) <= TOL, name
    with pytest.raises(sstep.BudgetError, match="no tile fits"):
        plan.backward(x, dy, memory_budget=1000)


def test_uint8_images_train_without_a_float_copy():
    torch.manual_seed(4)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 5, 3, padding=1),
                              torch.nn.ReLU(), torch.nn.Conv2d(5, 4, 3, 2, 1))
    plan = export(net)
    pixels = np.random.default_rng(9).integers(0, 256, (1, 3, 45, 38),
                                               dtype=np.uint8)
    floats = pixels.astype(np.float32) / np.float32(255)
    dy = np.random.default_rng(10).standard_normal(
        plan.run(floats).shape).astype(np.float32)
    want = plan.backward(floats, dy, tile="none")["weights"]
    got = plan.backward(pixels, dy, tile=17, input_grad=False)
    assert got["input"] is None and got["stats"]["tiles"] > 1
    for name, g in want.items():
        assert relative(got["weights"][name], g) <= TOL, name
    with pytest.raises(ValueError, match="no gradient"):
        plan.backward(pixels, dy)


def test_checkpoint_segments_hold_less_for_the_same_gradients():
    torch.manual_seed(7)
    layers = [torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU()]
    for _ in range(7):
        layers += [torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU()]
    plan = export(torch.nn.Sequential(*layers).eval())
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 3, 90, 77)).astype(np.float32)
    dy = rng.standard_normal(plan.run(x).shape).astype(np.float32)
    plain = plan.backward(x, dy, tile=31)
    cut = plan.backward(x, dy, tile=31, segments=3)
    assert plain["stats"]["segments"] == 1 and cut["stats"]["segments"] == 3
    assert cut["stats"]["predicted_tile_bytes"] == \
        cut["stats"]["peak_tile_bytes"] < plain["stats"]["peak_tile_bytes"]
    assert relative(cut["input"], plain["input"]) <= TOL
    for name, g in plain["weights"].items():
        assert relative(cut["weights"][name], g) <= TOL, name
    # A budget with segments given: tiles for the budget at that count.
    budget = cut["stats"]["peak_tile_bytes"]
    fitted = plan.backward(x, dy, memory_budget=budget, segments=3)
    stats = fitted["stats"]
    assert stats["segments"] == 3 and stats["tile_edge"] > 0
    assert stats["predicted_tile_bytes"] == stats["peak_tile_bytes"] <= budget
    with pytest.raises(ValueError, match="segments"):
        plan.backward(x, dy, segments=0)


def test_images_between_stages_go_to_scratch_files(tmp_path, monkeypatch):
    """A squeeze-and-excitation trunk keeps its feature maps between its
    stages: in memory out of the budget's share, or in scratch files when
    asked or when they would take over half of it; the same bits."""
    torch.manual_seed(5)
    plan = export(SqueezeExcite().eval())
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 3, 61, 70)).astype(np.float32)
    dy = rng.standard_normal(plan.run(x).shape).astype(np.float32)
    memory = plan.backward(x, dy, tile=23)
    stats = memory["stats"]
    assert stats["stages"] == 3 and stats["scratch_folder"] is None
    assert stats["predicted_stored_bytes"] > 0
    assert stats["stored_peak_bytes"] >= stats["predicted_stored_bytes"]
    disk = plan.backward(x, dy, tile=23, scratch=str(tmp_path))
    assert disk["stats"]["scratch_folder"] == str(tmp_path)
    assert disk["stats"]["scratch_peak_bytes"] == \
        stats["predicted_stored_bytes"]
    assert disk["stats"]["scratch_written_bytes"] > 0
    assert disk["stats"]["scratch_read_bytes"] > 0
    assert list(tmp_path.iterdir()) == []  # unlinked as soon as made
    assert np.array_equal(disk["input"], memory["input"])
    for name, g in memory["weights"].items():
        assert np.array_equal(disk["weights"][name], g), name
    # A budget the stored images would take over half of: $TMPDIR.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    tight = plan.backward(x, dy, memory_budget=stats["predicted_stored_bytes"])
    assert tight["stats"]["scratch_folder"] == str(tmp_path)
    assert relative(tight["input"], memory["input"]) <= TOL
    with pytest.raises(sstep.Error, match="scratch folder /nonexistent"):
        plan.backward(x, dy, tile=23, scratch="/nonexistent")

"""sstep.torch.StreamingModule: a torch trunk trained tile by tile, its
gradients (BatchNorm's scale and shift included) equal to whole-image
autograd, in the wrapped module's own .grad."""

import numpy as np
import pytest
import torch

import sstep
import sstep.torch

TOL = 1e-5


class Block(torch.nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(cout)
        self.conv2 = torch.nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(cout)
        self.down = torch.nn.Sequential(
            torch.nn.Conv2d(cin, cout, 1, stride, bias=False),
            torch.nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.down(x))


def trunk():
    torch.manual_seed(11)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 5, 2, 2, bias=False), torch.nn.BatchNorm2d(8),
        torch.nn.PReLU(8), torch.nn.MaxPool2d(3, 2, 1), Block(8, 8, 1),
        Block(8, 12, 2))
    with torch.no_grad():  # running statistics of a trained network
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return net.eval()


def relative(got, want):
    return float((got - want).abs().max() / want.abs().max())


def autograd(net, x):
    """Whole-image autograd on the module itself: a random output gradient
    and every parameter's gradient for it (.grad is cleared again)."""
    y = net(x)
    dy = torch.randn_like(y)
    (y * dy).sum().backward()
    want = {n: p.grad.clone() for n, p in net.named_parameters()}
    net.zero_grad()
    return dy, want


def check_streamed(module, net, x, dy, want):
    """`module` (wrapping `net`) back-propagates dy into net's .grad as
    autograd did."""
    net.zero_grad()
    (module(x) * dy).sum().backward()
    for n, p in net.named_parameters():
        assert relative(p.grad, want[n]) <= TOL, n


@pytest.mark.parametrize("tile", ["none", 37])
def test_gradients_equal_whole_image_autograd(tile):
    net = trunk()
    streamed = sstep.torch.StreamingModule(net, torch.randn(1, 3, 64, 64),
                                           tile=tile)
    x = torch.randn(1, 3, 83, 97)
    dy = None

    # Whole-image autograd on the module itself.
    xa = x.clone().requires_grad_(True)
    ya = net(xa)
    dy = torch.randn_like(ya)
    (ya * dy).sum().backward()
    want = {n: p.grad.clone() for n, p in net.named_parameters()}
    net.zero_grad()

    xs = x.clone().requires_grad_(True)
    ys = streamed(xs)
    assert relative(ys.detach(), ya.detach()) <= TOL
    (ys * dy).sum().backward()
    assert relative(xs.grad, xa.grad) <= TOL
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert relative(p.grad, want[name]) <= TOL, name
    stats = streamed.stats
    if tile == "none":
        assert stats["backward"]["tiles"] == 1
    else:
        assert stats["backward"]["tiles"] > 1
        assert stats["forward"]["tiles"] > 1
    assert stats["backward"]["peak_tile_bytes"] > 0


def test_an_optimizer_step_reaches_the_next_forward():
    net = trunk()
    streamed = sstep.torch.StreamingModule(net, torch.randn(1, 3, 64, 64),
                                           tile=40)
    head = torch.nn.Linear(2, 2)
    params = list(net.parameters()) + list(head.parameters())
    optimizer = torch.optim.SGD(params, lr=0.5)
    x = torch.randn(1, 3, 150, 140)
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        logits = head(streamed(x)[:, :2].amax((2, 3)))
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor([1]))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        stats = streamed.stats
        # The streamed forward equals the module's own with its new weights.
        assert relative(streamed(x).detach(), net(x).detach()) <= TOL
    assert losses[-1] < losses[0]
    # A global-max head on two channels reaches two tiles at most: the
    # rest are skipped.
    assert stats["backward"]["tiles_skipped"] > 0


def test_the_plan_holds_the_parameters_not_a_copy():
    net = trunk()
    streamed = sstep.torch.StreamingModule(net, torch.randn(1, 3, 64, 64),
                                           tile=40)
    shared = {a.ctypes.data for a in streamed._shared.values()}
    convs = [m.weight for m in net.modules()
             if isinstance(m, torch.nn.Conv2d)]
    # Every convolution's weights are the plan's memory...
    assert {w.data_ptr() for w in convs} <= shared
    x = torch.randn(1, 3, 90, 77)
    with torch.no_grad():
        convs[0].mul_(-2.0)  # ... so an in-place write is what it runs
    assert relative(streamed(x).detach(), net(x).detach()) <= TOL
    # A parameter given new memory is copied from then on.
    convs[1].data = convs[1].data * 0.5
    assert convs[1].data_ptr() not in shared
    assert relative(streamed(x).detach(), net(x).detach()) <= TOL
    with torch.no_grad():
        convs[1].mul_(3.0)
    assert relative(streamed(x).detach(), net(x).detach()) <= TOL
    dy, want = autograd(net, x)
    check_streamed(streamed, net, x, dy, want)
    # The plan's weight replaced by name: the parameter is copied again.
    name = next(n for n, a in streamed._shared.items()
                if a.ctypes.data == convs[2].data_ptr())
    streamed.plan.set_weights({name: np.zeros(convs[2].shape, np.float32)})
    assert relative(streamed(x).detach(), net(x).detach()) <= TOL
    # An in-place update between forward and backward is refused, as
    # autograd refuses it for PyTorch's own layers.
    y = streamed(x)
    with torch.no_grad():
        convs[3].add_(1.0)
    with pytest.raises(RuntimeError, match="inplace operation"):
        y.sum().backward()


def test_uint8_inputs_and_refusals():
    net = trunk()
    streamed = sstep.torch.StreamingModule(net, torch.randn(1, 3, 64, 64),
                                           normalize="imagenet")
    pixels = torch.randint(0, 256, (1, 3, 50, 60), dtype=torch.uint8)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    want = net((pixels.float() / 255 - mean) / std)
    assert relative(streamed(pixels).detach(), want.detach()) <= TOL

    class Pooled(torch.nn.Module):
        def forward(self, x):
            return net(x).mean((2, 3))

    with pytest.raises(ValueError, match="global pool and head"):
        sstep.torch.StreamingModule(Pooled(), torch.randn(1, 3, 64, 64))

    class Folded(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(4, 3, 3, 3))

        def forward(self, x):  # the export folds 2 * w into a new constant
            return torch.nn.functional.conv2d(x, self.w * 2)

    with pytest.raises(sstep.ModelError, match="parameter 'w'"):
        sstep.torch.StreamingModule(Folded(), torch.randn(1, 3, 16, 16))

    class Cumulative(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x):
            return torch.cumsum(self.net(x), 3)

    # The compiler runs in a child interpreter; its refusal arrives here
    # as the same exception, naming the node.
    with pytest.raises(sstep.ModelError, match="node '/CumSum'.*CumSum"):
        sstep.torch.StreamingModule(Cumulative(), torch.randn(1, 3, 32, 32))


def test_a_layer_used_twice_gets_both_gradients():
    torch.manual_seed(5)

    class Shared(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = torch.nn.Conv2d(3, 6, 3, padding=1)
            self.conv = torch.nn.Conv2d(6, 6, 3, padding=1)

        def forward(self, x):
            y = torch.tanh(self.conv(torch.tanh(self.stem(x))))
            return self.conv(y)

    net = Shared().eval()
    streamed = sstep.torch.StreamingModule(net, torch.randn(1, 3, 32, 32),
                                           tile=13)
    x = torch.randn(1, 3, 41, 35)
    dy, want = autograd(net, x)
    check_streamed(streamed, net, x, dy, want)
    assert streamed.stats["backward"]["tiles"] > 1


def test_auto_tiles_plan_for_a_budget_by_default():
    net = trunk()
    x = torch.randn(1, 3, 83, 97)
    dy, want = autograd(net, x)
    # Without a budget, sstep-run's default: this image fits in one tile.
    streamed = sstep.torch.StreamingModule(net, torch.randn(1, 3, 64, 64))
    assert streamed.memory_budget == "4GiB"
    check_streamed(streamed, net, x, dy, want)
    stats = streamed.stats["backward"]
    assert stats["tiles"] == 1 and stats["segments"] == 1
    # A small budget: tiles and segments the planner chose, within it.
    whole = stats["peak_tile_bytes"]
    small = sstep.torch.StreamingModule(net, torch.randn(1, 3, 64, 64),
                                        memory_budget=whole // 4)
    check_streamed(small, net, x, dy, want)
    stats = small.stats["backward"]
    assert stats["peak_tile_bytes"] == stats["predicted_tile_bytes"] <= whole // 4
    assert stats["tiles"] > 1 or stats["segments"] > 1


def test_distributed_data_parallel_wraps_it_unchanged(tmp_path):
    """DDP (gloo, one process) around StreamingModule: its hooks see the
    streamed gradients arrive in the parameters' .grad and all-reduce them,
    so they equal whole-image autograd's."""
    import torch.distributed as dist
    if not dist.is_available():
        pytest.skip("this torch has no torch.distributed")
    net = trunk()
    x = torch.randn(1, 3, 83, 97)
    dy, want = autograd(net, x)
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/store",
                            rank=0, world_size=1)
    try:
        ddp = torch.nn.parallel.DistributedDataParallel(
            sstep.torch.StreamingModule(net, torch.randn(1, 3, 64, 64),
                                        tile=37))
        check_streamed(ddp, net, x, dy, want)
    finally:
        dist.destroy_process_group()

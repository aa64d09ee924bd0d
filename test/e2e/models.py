"""The real networks the end-to-end tests export with Debian's torch.

Random weights (seed 0), dynamic H and W, opset 13 (17 where OPSET says). `export(name, path)`
writes through a temporary file, so parallel tests sharing a cache never read
a half-written model.
"""
import os
import tempfile

import torch
import torch.nn.functional as F
import torchvision


class SmallUNet(torch.nn.Module):
    """Two levels down, two up: one up-step by ConvTranspose, one by bilinear
    Resize to the skip's size (a Shape subgraph), with concatenated skips."""

    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return torch.nn.Sequential(
                torch.nn.Conv2d(cin, cout, 3, padding=1),
                torch.nn.BatchNorm2d(cout), torch.nn.ReLU())

        self.enc1, self.enc2, self.mid = block(3, 8), block(8, 16), block(16, 32)
        self.dec2 = block(32 + 16, 16)
        self.up1 = torch.nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.dec1 = block(8 + 8, 8)
        self.head = torch.nn.Conv2d(8, 2, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        up = F.interpolate(m, size=e2.shape[-2:], mode="bilinear",
                           align_corners=False)
        d2 = self.dec2(torch.cat([up, e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.head(d1)


class GroupNormUNet(torch.nn.Module):
    """A diffusion-style U-Net level: GroupNorm + SiLU blocks (PyTorch
    exports GroupNorm as Reshape to N x G x -1, InstanceNormalization,
    Reshape back to the input's Shape, Mul, Add), one down and one up step,
    a concatenated skip; non-trivial GroupNorm affine parameters."""

    def __init__(self):
        super().__init__()

        def block(cin, cout, groups):
            norm = torch.nn.GroupNorm(groups, cout)
            torch.nn.init.uniform_(norm.weight, 0.5, 1.5)
            torch.nn.init.uniform_(norm.bias, -0.5, 0.5)
            return torch.nn.Sequential(
                torch.nn.Conv2d(cin, cout, 3, padding=1), norm,
                torch.nn.SiLU())

        self.enc = block(3, 16, 4)
        self.mid = block(16, 32, 8)
        self.dec = block(32 + 16, 16, 1)
        self.head = torch.nn.Conv2d(16, 2, 1)

    def forward(self, x):
        e = self.enc(x)
        m = self.mid(F.max_pool2d(e, 2))
        up = F.interpolate(m, scale_factor=2.0, mode="nearest")
        return self.head(self.dec(torch.cat([up, e], 1)))


class GlobalResponseNorm(torch.nn.Module):
    """ConvNeXt-V2's GRN on NCHW: the L2 norm of each channel over H and W
    (torch.norm exports as ReduceL2), divided by its mean over channels."""

    def __init__(self, channels):
        super().__init__()
        self.gamma = torch.nn.Parameter(0.5 * torch.randn(1, channels, 1, 1))
        self.beta = torch.nn.Parameter(0.5 * torch.randn(1, channels, 1, 1))

    def forward(self, x):
        gx = torch.norm(x, p=2, dim=(2, 3), keepdim=True)
        nx = gx / (gx.mean(dim=1, keepdim=True) + 1e-6)
        return self.gamma * (x * nx) + self.beta + x


class ConvNeXtV2Blocks(torch.nn.Module):
    """A stem and two ConvNeXt-V2 blocks as the paper writes them: a 7x7
    depthwise convolution, LayerNorm and Linear layers on channels-last
    permutes, GELU, GRN, a residual sum."""

    def __init__(self, dim=16):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, dim, 4, stride=4)
        self.dw = torch.nn.ModuleList(
            [torch.nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
             for _ in range(2)])
        self.norm = torch.nn.ModuleList(
            [torch.nn.LayerNorm(dim, eps=1e-6) for _ in range(2)])
        self.up = torch.nn.ModuleList(
            [torch.nn.Linear(dim, 4 * dim) for _ in range(2)])
        self.grn = torch.nn.ModuleList(
            [GlobalResponseNorm(4 * dim) for _ in range(2)])
        self.down = torch.nn.ModuleList(
            [torch.nn.Linear(4 * dim, dim) for _ in range(2)])

    def forward(self, x):
        x = self.stem(x)
        for i in range(2):
            y = self.norm[i](self.dw[i](x).permute(0, 2, 3, 1))
            y = F.gelu(self.up[i](y)).permute(0, 3, 1, 2)
            y = self.grn[i](y).permute(0, 2, 3, 1)
            x = x + self.down[i](y).permute(0, 3, 1, 2)
        return x


class GeometryNet(torch.nn.Module):
    """Every pixel-moving op torch exports: reflect and replicate padding,
    average pooling that counts its zero padding (exported as Pad +
    AveragePool), nearest and bilinear resizing by scale and to a measured
    size, and dilated transposed convolution with output padding."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 6, 3)
        self.pool = torch.nn.AvgPool2d(3, stride=2, padding=1,
                                       count_include_pad=True)
        self.up = torch.nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1,
                                           output_padding=1, dilation=2)
        self.head = torch.nn.Conv2d(4, 2, 1)
        self.skip = torch.nn.Conv2d(3, 2, 1)

    def forward(self, x):
        y = self.conv(F.pad(x, (1, 2, 2, 1), mode="reflect"))
        y = self.pool(F.pad(y, (1, 1, 0, 2), mode="replicate"))
        y = F.interpolate(y, scale_factor=2, mode="nearest")
        y = self.up(torch.relu(y))
        y = F.interpolate(y, size=x.shape[-2:], mode="bilinear",
                          align_corners=True)
        return self.head(y) + self.skip(x)


class SqueezeExciteOps(torch.nn.Module):
    """Squeeze-and-excitation by `mean`, and the per-pixel and per-image ops
    around it: PReLU, ReduceMax, Pow, Concat, InstanceNorm, a LayerNorm over
    channels between two Transposes, Softmax and LogSoftmax over channels."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.prelu = torch.nn.PReLU(8)
        self.squeeze = torch.nn.Conv2d(8, 4, 1)
        self.excite = torch.nn.Conv2d(4, 8, 1)
        self.inorm = torch.nn.InstanceNorm2d(16, affine=True)
        self.lnorm = torch.nn.LayerNorm(16)
        self.conv2 = torch.nn.Conv2d(16, 6, 3, padding=1)

    def forward(self, x):
        x = self.prelu(self.conv1(x))
        s = x.mean((2, 3), keepdim=True)
        x = x * torch.sigmoid(self.excite(torch.relu(self.squeeze(s))))
        x = torch.cat([x - x.amax((2, 3), keepdim=True), x.pow(2)], 1)
        x = self.inorm(x)
        x = self.lnorm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = torch.softmax(self.conv2(x), 1)
        return torch.log_softmax(4 * x, 1)


class HeadOps(torch.nn.Module):
    """A classifier head on pooled features: Flatten, LayerNorm, Reshape,
    Transpose, MatMul, LogSoftmax over the last axis, Gemm."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2)
        self.lnorm = torch.nn.LayerNorm(8)
        self.weight = torch.nn.Parameter(torch.randn(2, 5))
        self.fc = torch.nn.Linear(20, 10)

    def forward(self, x):
        v = F.adaptive_avg_pool2d(torch.relu(self.conv(x)), 1).flatten(1)
        t = self.lnorm(v).reshape(1, 2, 4).transpose(1, 2)
        t = torch.log_softmax(torch.matmul(t, self.weight), -1)
        return self.fc(t.flatten(1))


class CbamNet(torch.nn.Module):
    """Convolutions with CBAM attention, as many pathology CNNs use: channel
    attention (an MLP on the average- and max-pooled channels) and spatial
    attention (a 7x7 convolution of the channels' mean and maximum, which
    export as ReduceMean/ReduceMax over axis 1)."""

    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.mlp = torch.nn.Sequential(torch.nn.Conv2d(16, 4, 1),
                                       torch.nn.ReLU(),
                                       torch.nn.Conv2d(4, 16, 1))
        self.spatial = torch.nn.Conv2d(2, 1, 7, padding=3)
        self.c2 = torch.nn.Conv2d(16, 8, 3, padding=1, stride=2)

    def forward(self, x):
        x = torch.relu(self.c1(x))
        gate = self.mlp(F.adaptive_avg_pool2d(x, 1)) + \
            self.mlp(F.adaptive_max_pool2d(x, 1))
        x = x * torch.sigmoid(gate)
        pooled = torch.cat([x.mean(1, keepdim=True),
                            x.amax(1, keepdim=True)], 1)
        x = x * torch.sigmoid(self.spatial(pooled))
        return self.c2(x)


def _crop(x, cropping):
    """HoVer-Net's crop_op: `cropping` pixels off H and W, centred."""
    top, left = cropping[0] // 2, cropping[1] // 2
    bottom, right = cropping[0] - top, cropping[1] - left
    return x[:, :, top:-bottom, left:-right]


def _crop_to_shape(x, y):
    """HoVer-Net's crop_to_shape: the offsets are differences of sizes."""
    return _crop(x, (x.shape[2] - y.shape[2], x.shape[3] - y.shape[3]))


class TFSamePadding(torch.nn.Module):
    """HoVer-Net's TFSamepaddingLayer: TensorFlow's "same" padding, computed
    from the traced input size (F.pad with constant pads in the export)."""

    def __init__(self, ksize, stride):
        super().__init__()
        self.ksize, self.stride = ksize, stride

    def forward(self, x):
        if x.shape[2] % self.stride == 0:
            pad = max(self.ksize - self.stride, 0)
        else:
            pad = max(self.ksize - (x.shape[2] % self.stride), 0)
        start = pad // 2
        return F.pad(x, (start, pad - start, start, pad - start), "constant", 0)


class UpSample2x(torch.nn.Module):
    """HoVer-Net's UpSample2x: a tensordot with a 2 x 2 matrix of ones, a
    permute and a reshape (torch exports an Einsum of 6-D tensors)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("unpool_mat", torch.ones(2, 2))

    def forward(self, x):
        shape = list(x.shape)
        ret = torch.tensordot(x.unsqueeze(-1), self.unpool_mat.unsqueeze(0),
                              dims=1)
        ret = ret.permute(0, 1, 2, 4, 3, 5)
        return ret.reshape((-1, shape[1], shape[2] * 2, shape[3] * 2))


class HoVerResidualBlock(torch.nn.Module):
    """HoVer-Net's pre-activated bottleneck block, "same" padding by
    TFSamePadding before each strided or 3 x 3 convolution."""

    def __init__(self, cin, ch, count, stride):
        super().__init__()
        self.units = torch.nn.ModuleList()
        for i in range(count):
            s = stride if i == 0 else 1
            unit = [torch.nn.BatchNorm2d(cin if i == 0 else ch[2]),
                    torch.nn.ReLU(),
                    torch.nn.Conv2d(cin if i == 0 else ch[2], ch[0], 1,
                                    bias=False),
                    torch.nn.BatchNorm2d(ch[0]), torch.nn.ReLU(),
                    TFSamePadding(3, s),
                    torch.nn.Conv2d(ch[0], ch[1], 3, stride=s, bias=False),
                    torch.nn.BatchNorm2d(ch[1]), torch.nn.ReLU(),
                    torch.nn.Conv2d(ch[1], ch[2], 1, bias=False)]
            self.units.append(torch.nn.Sequential(*(unit if i else unit[2:])))
        self.shortcut = torch.nn.Conv2d(cin, ch[2], 1, stride=stride,
                                        bias=False)
        self.bna = torch.nn.Sequential(torch.nn.BatchNorm2d(ch[2]),
                                       torch.nn.ReLU())

    def forward(self, x):
        shortcut = self.shortcut(x)
        for unit in self.units:
            x = unit(x) + shortcut
            shortcut = x
        return self.bna(x)


class HoVerDenseBlock(torch.nn.Module):
    """HoVer-Net's decoder dense block: pre-activated 1x1 then a "valid"
    grouped 5x5 convolution per unit, the input centre-cropped to match
    (crop_to_shape), concatenated."""

    def __init__(self, cin, count):
        super().__init__()
        self.units = torch.nn.ModuleList()
        for i in range(count):
            c = cin + 8 * i
            self.units.append(torch.nn.Sequential(
                torch.nn.BatchNorm2d(c), torch.nn.ReLU(),
                torch.nn.Conv2d(c, 16, 1, bias=False),
                torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
                torch.nn.Conv2d(16, 8, 5, groups=4, bias=False)))
        c = cin + 8 * count
        self.blk_bna = torch.nn.Sequential(torch.nn.BatchNorm2d(c),
                                           torch.nn.ReLU())

    def forward(self, x):
        for unit in self.units:
            new = unit(x)
            x = torch.cat([_crop_to_shape(x, new), new], 1)
        return self.blk_bna(x)


class HoVerNet(torch.nn.Module):
    """HoVer-Net ("original" mode) as its reference code writes it, small: a
    "valid" 7x7 stem, pre-activated residual levels, and three decoder
    branches (nuclear pixels, horizontal/vertical maps, types) of valid
    convolutions and dense blocks, upsampled by UpSample2x and added to the
    skip cropped by a fixed margin (crop_op), as the paper's network does for
    its 270 x 270 patches. The branches' outputs are concatenated (the
    reference returns a dict). Input sizes 6 more than a multiple of 4 keep
    the skips and the upsampled branches the same size."""

    def __init__(self):
        super().__init__()
        self.conv0 = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 7, padding=0, bias=False),
            torch.nn.BatchNorm2d(16), torch.nn.ReLU())
        self.d0 = HoVerResidualBlock(16, [8, 8, 32], 2, 1)
        self.d1 = HoVerResidualBlock(32, [16, 16, 64], 2, 2)
        self.d2 = HoVerResidualBlock(64, [16, 16, 64], 1, 2)
        self.conv_bot = torch.nn.Conv2d(64, 64, 1, bias=False)
        self.upsample2x = UpSample2x()

        def branch(out):
            return torch.nn.ModuleList([
                torch.nn.Sequential(
                    torch.nn.Conv2d(64, 32, 5, bias=False),
                    HoVerDenseBlock(32, 2),
                    torch.nn.Conv2d(48, 32, 1, bias=False)),
                torch.nn.Sequential(
                    TFSamePadding(5, 1),
                    torch.nn.Conv2d(32, 16, 5, bias=False)),
                torch.nn.Sequential(
                    torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
                    torch.nn.Conv2d(16, out, 1))])

        self.branches = torch.nn.ModuleList([branch(2), branch(2), branch(4)])

    def forward(self, imgs):
        d0 = self.d0(self.conv0(imgs / 255.0))
        d1 = self.d1(d0)
        d2 = self.conv_bot(self.d2(d1))
        outs = []
        for u in self.branches:
            x = u[0](self.upsample2x(d2) + d1)
            x = u[1](self.upsample2x(x) + _crop(d0, [24, 24]))
            outs.append(u[2](x))
        return torch.cat(outs, 1)


class DeepLabOut(torch.nn.Module):
    """torchvision's DeepLabV3 returns a dict; its "out" is the image."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)["out"]


def _deeplab(backbone):
    seg = torchvision.models.segmentation
    build = {"mobilenetv3": seg.deeplabv3_mobilenet_v3_large,
             "resnet50": seg.deeplabv3_resnet50}[backbone]
    return DeepLabOut(build(weights=None, weights_backbone=None,
                            num_classes=5, aux_loss=False))


class TimmAttention(torch.nn.Module):
    """timm's Attention: one qkv Linear, reshaped and permuted to
    3 x B x heads x N x d, unbound (Split and Squeeze in ONNX)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv = torch.nn.Linear(dim, dim * 3)
        self.proj = torch.nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class TimmBlock(torch.nn.Module):
    """timm's pre-norm transformer block with LayerScale."""

    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = torch.nn.LayerNorm(dim, eps=1e-6)
        self.attn = TimmAttention(dim, heads)
        self.ls1 = torch.nn.Parameter(torch.rand(dim))
        self.norm2 = torch.nn.LayerNorm(dim, eps=1e-6)
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(dim, 4 * dim), torch.nn.GELU(),
            torch.nn.Linear(4 * dim, dim))
        self.ls2 = torch.nn.Parameter(torch.rand(dim))

    def forward(self, x):
        x = x + self.ls1 * self.attn(self.norm1(x))
        return x + self.ls2 * self.mlp(self.norm2(x))


class TimmViT(torch.nn.Module):
    """A ViT the way timm writes the foundation models pathology runs (UNI,
    Virchow2, H-optimus: timm's VisionTransformer): patch embedding, class
    token and position embedding, register tokens, LayerScale, and Virchow's
    embedding, the class token beside the mean of the patch tokens."""

    def __init__(self, size=64, patch=16, dim=64, depth=2, heads=4,
                 registers=4):
        super().__init__()
        self.registers = registers
        self.patch_embed = torch.nn.Conv2d(3, dim, patch, stride=patch)
        tokens = (size // patch) ** 2
        self.cls_token = torch.nn.Parameter(torch.randn(1, 1, dim))
        self.reg_token = torch.nn.Parameter(torch.randn(1, registers, dim))
        self.pos_embed = torch.nn.Parameter(torch.randn(1, tokens + 1, dim))
        self.blocks = torch.nn.Sequential(
            *[TimmBlock(dim, heads) for _ in range(depth)])
        self.norm = torch.nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed
        reg = self.reg_token.expand(x.shape[0], -1, -1)
        x = torch.cat([x[:, :1], reg, x[:, 1:]], dim=1)
        x = self.norm(self.blocks(x))
        return torch.cat([x[:, 0], x[:, 1 + self.registers:].mean(1)], dim=-1)


def _vit_encoder(vit):
    """A ViT as a patch encoder (UNI, Virchow, CONCH's image tower): the
    class token's final features, no classification head."""
    vit.heads = torch.nn.Identity()
    return vit


def _trunk(model, drop):
    return torch.nn.Sequential(*list(model.children())[:-drop])


def _shufflenet_trunk():
    """ShuffleNetV2 x0.5 through conv5: channel shuffles sized at run time."""
    m = torchvision.models.shufflenet_v2_x0_5()
    return torch.nn.Sequential(m.conv1, m.maxpool, m.stage2, m.stage3,
                               m.stage4, m.conv5)


def _clam_encoder():
    """CLAM's patch encoder: ResNet-50 through layer3, average-pooled to a
    1024-vector per patch (1 x 1024 x 1 x 1)."""
    r = torchvision.models.resnet50()
    return torch.nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool, r.layer1,
                               r.layer2, r.layer3,
                               torch.nn.AdaptiveAvgPool2d(1))


# name -> (constructor, an input height and width that the tests use)
MODELS = {
    "resnet18-trunk": (lambda: _trunk(torchvision.models.resnet18(), 2),
                       (67, 93)),
    "resnet50-trunk": (lambda: _trunk(torchvision.models.resnet50(), 2),
                       (67, 93)),
    "resnet50-clam": (_clam_encoder, (67, 93)),
    "convnext-tiny-features":
        (lambda: torchvision.models.convnext_tiny().features, (67, 93)),
    "shufflenetv2-trunk": (_shufflenet_trunk, (67, 93)),
    "cbam-net": (CbamNet, (37, 45)),
    "densenet121-features":
        (lambda: torchvision.models.densenet121().features, (75, 97)),
    "mobilenetv2-features":
        (lambda: torchvision.models.mobilenet_v2().features, (70, 85)),
    "googlenet": (lambda: torchvision.models.googlenet(
        aux_logits=False, init_weights=True), (99, 111)),
    "small-unet": (SmallUNet, (70, 86)),
    "geometry-net": (GeometryNet, (37, 51)),
    "mobilenetv3-small-features":
        (lambda: torchvision.models.mobilenet_v3_small().features, (83, 71)),
    "se-ops": (SqueezeExciteOps, (37, 45)),
    "head-ops": (HeadOps, (29, 34)),
    "groupnorm-unet": (GroupNormUNet, (70, 86)),
    "convnextv2-blocks": (ConvNeXtV2Blocks, (67, 93)),
    # ASPP's image-pooling branch: a global pool, a 1x1 convolution, a
    # bilinear resize back to the feature map's size.
    "deeplabv3-mobilenetv3": (lambda: _deeplab("mobilenetv3"), (67, 93)),
    "deeplabv3-resnet50": (lambda: _deeplab("resnet50"), (67, 93)),
    # "Valid" convolutions and centre crops of the skips, whose offsets are
    # differences of sizes.
    "hovernet": (HoVerNet, (70, 86)),
    # ViT patch encoders: a patch grid assertion (Equal/Where on shapes),
    # token reshapes and transposes, a class token concatenated and
    # gathered, attention by matmuls of two activations, softmax and layer
    # norm over the last axis, exact GELU. Exported at their one input size.
    "vit-small": (lambda: _vit_encoder(torchvision.models.VisionTransformer(
        image_size=64, patch_size=16, num_layers=2, num_heads=4,
        hidden_dim=64, mlp_dim=128)), (64, 64)),
    "vit-b16": (lambda: _vit_encoder(torchvision.models.vit_b_16()),
                (224, 224)),
    "vit-timm": (TimmViT, (64, 64)),
    # Squeeze-and-excitation inside every block (global pools between
    # stages), SiLU.
    "efficientnet-b0-features":
        (lambda: torchvision.models.efficientnet_b0().features, (67, 93)),
    "regnety-400mf-trunk":
        (lambda: _trunk(torchvision.models.regnet_y_400mf(), 2), (67, 93)),
}
# Models whose output is a vector per image, not an image.
VECTOR_OUTPUT = {"googlenet", "head-ops", "vit-small", "vit-b16", "vit-timm"}
# Models that run at their one input size only (ViT's patch grid is fixed).
STATIC_INPUT = {"vit-small", "vit-b16", "vit-timm"}
# Opset 17 for LayerNormalization; the rest export as opset 13.
OPSET = {"se-ops": 17, "head-ops": 17, "convnext-tiny-features": 17,
         "groupnorm-unet": 17, "convnextv2-blocks": 17, "vit-small": 17,
         "vit-b16": 17, "vit-timm": 17}


def build(name):
    if name not in MODELS:
        raise SystemExit(f"unknown model {name}; known: {sorted(MODELS)}")
    torch.manual_seed(0)
    model = MODELS[name][0]().eval()
    # Non-trivial BatchNorm statistics, so folding them is really tested.
    gen = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5, generator=gen)
            m.running_var.uniform_(0.5, 2.0, generator=gen)
            m.weight.data.uniform_(0.5, 1.5, generator=gen)
            m.bias.data.uniform_(-0.5, 0.5, generator=gen)
    return model


def export(name, path, reuse=False):
    """Exports `name` to `path`; with `reuse`, keeps a file already there."""
    if reuse and os.path.exists(path):
        return
    model = build(name)
    h, w = MODELS[name][1]
    out_dir = os.path.dirname(os.path.abspath(path))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=out_dir)
    os.close(fd)
    output_axes = {0: "n"} if name in VECTOR_OUTPUT else {2: "h", 3: "w"}
    dynamic = None if name in STATIC_INPUT else {
        "image": {2: "H", 3: "W"}, "output": output_axes}
    # Under no_grad, torch 1.13 runs nn.MultiheadAttention on a fused kernel
    # that has no ONNX export; with gradients on it exports its parts.
    grad = torch.enable_grad() if name in STATIC_INPUT else torch.no_grad()
    with grad:
        torch.onnx.export(
            model, torch.randn(1, 3, h, w), tmp, input_names=["image"],
            output_names=["output"], opset_version=OPSET.get(name, 13),
            dynamic_axes=dynamic)
    os.replace(tmp, path)

"""The TypeScript engine on PyTorch runs: CIFAR-style models recorded for one epoch, then measured,
queried, summarised and reported by `node dist/cli.js`; the engine's channel ablation must equal
PyTorch's own forward with that channel zeroed.

The models are those of scripts/onnx-fixtures.py (VGG with BatchNorm, ResNet BasicBlocks,
MobileNetV2, DenseNet, squeeze-and-excitation), imported from it, on 3x32x32 inputs. Needs
dist/cli.js (`npm run build`; `npm test` builds it before `npm run test:python`).
"""

import base64
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cnn_slicer import Recorder
from tests.training import train_one_epoch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(ROOT, "dist", "cli.js")
FIXTURES = os.path.join(ROOT, "scripts", "onnx-fixtures.py")
# A probe of 32 inputs (3 or so a class) is enough for the exact ablation comparisons and costs
# the report (every answer reads the probe) ≈ 20% less than 64.
TRAIN_SIZE, PROBE_SIZE, BATCH = 320, 32, 32
CLASSES = 10
LOSS_RTOL = 1e-4


def load_fixture_models():
    """scripts/onnx-fixtures.py as a module, for its model classes. It imports the onnx package at
    the top, which the classes do not use; where onnx is not installed (the tests need only torch
    and numpy) an empty stand-in is given for the import and removed after."""
    stand_ins = {}
    try:
        import onnx  # noqa: F401
    except ImportError:
        onnx_stub = types.ModuleType("onnx")
        onnx_stub.numpy_helper = types.ModuleType("onnx.numpy_helper")
        stand_ins = {"onnx": onnx_stub, "onnx.numpy_helper": onnx_stub.numpy_helper}
    sys.modules.update(stand_ins)
    try:
        spec = importlib.util.spec_from_file_location("cnn_slicer_onnx_fixtures", FIXTURES)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        for name in stand_ins:
            sys.modules.pop(name, None)


fixtures = load_fixture_models()


def cifar_like(count, seed):
    """`count` CIFAR-format inputs: float32 [count, 3, 32, 32] in [0, 1], labels 0..9. Uniform noise
    with a brighter 8x10 patch whose place and colour channel depend on the label, so that one epoch
    learns something and ablations move predictions."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, CLASSES, (count,), generator=generator)
    pattern = torch.zeros(CLASSES, 3, 32, 32)
    for k in range(CLASSES):
        row, col = (k // 3) * 8, (k % 3) * 10
        pattern[k, k % 3, row : row + 8, col : col + 10] = 1
    images = 0.6 * torch.rand(count, 3, 32, 32, generator=generator) + 0.4 * pattern[labels]
    return images.clamp(0, 1), labels


# The fixtures' models take 3x16x16 inputs; on 3x32x32 the ones whose classifier reads a fixed
# spatial size get one more pooling (VGG's config) or a classifier of the larger flattened size.
def vgg_bn():
    return fixtures.VGG(cfg=(8, "M", 16, "M", 32, "M", 32, "M"))


def resnet():
    model = fixtures.ResNet()
    model.linear = nn.Linear(32 * 2 * 2, CLASSES)  # avg_pool2d(out, 4) of 8x8 maps: 2x2
    return model


def densenet():
    model = fixtures.DenseNet()
    model.linear = nn.Linear(12 * 2 * 2, CLASSES)  # avg_pool2d(out, 8) of 16x16 maps: 2x2
    return model


class SizeIdioms(nn.Module):
    """Squeeze-and-excitation whose sizes come from the tensors, as public CIFAR code writes them:
    `F.avg_pool2d(out, out.size(2))`, `out.size()[2:]`, `out.shape[-1]`, `b, c, h, w = out.shape`,
    `int(out.size(1))`. Traced, each size is a tensor, which the pooling refuses (torch 1.13's own
    export fails on the first): the recorder's export must not break the model."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.fc1 = nn.Conv2d(16, 8, 1)
        self.fc2 = nn.Conv2d(8, 16, 1)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.linear = nn.Linear(16 * 2 * 2, CLASSES)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        w = F.avg_pool2d(out, out.size(2))
        w = torch.sigmoid(self.fc2(F.relu(self.fc1(w))))
        out = out * w
        out = F.relu(self.bn2(self.conv2(out)))
        out = F.max_pool2d(out, out.shape[-1] // 4)
        out = F.avg_pool2d(out, [s // 2 for s in out.size()[2:]])
        b, c, h, w = out.shape
        return self.linear(out.view(b, int(out.size(1)) * h * w))


class SpatialMean(nn.Module):
    """Global pooling as MnasNet and much public code write it: `x.mean([2, 3])` and
    `torch.amax(x, dim=(-2, -1))`, the two concatenated before the classifier."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 12, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(12)
        self.conv2 = nn.Conv2d(12, 16, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.classifier = nn.Linear(32, CLASSES)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.classifier(torch.cat([x.mean([2, 3]), torch.amax(x, dim=(-2, -1))], 1))


class FlattenedOutput(nn.Module):
    """SqueezeNet's head: class scores from a 1x1 convolution pooled to [N, classes, 1, 1], the
    model's output that pooling flattened (`torch.flatten(x, 1)`), and the first layer of a dense
    block concatenating a list of one tensor (torchvision's DenseNet, `torch.cat([x], 1)`)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Conv2d(16, CLASSES, 1), nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1))

    def forward(self, x):
        x = torch.cat([F.relu(self.bn1(self.conv1(x)))], 1)
        return torch.flatten(self.classifier(x), 1)


class ChannelSplit(nn.Module):
    """ShuffleNetV2's channel split and shuffle as public code writes them: `x[:, :c]` and
    `x[:, c:]`, `x.chunk(2, dim=1)`, `torch.split(x, [3, 5], dim=1)`, the shuffle a view, a
    transpose and a reshape. Each piece is a layer of its own."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.conv3 = nn.Conv2d(8, 8, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(8)
        self.linear = nn.Linear(16 * 4 * 4, CLASSES)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        left, right = out[:, :8], out[:, 8:]
        out = torch.cat([left, F.relu(self.bn2(self.conv2(right)))], 1)
        n, c, h, w = out.shape
        out = out.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        a, b = out.chunk(2, dim=1)
        b1, b2 = torch.split(self.bn3(self.conv3(b)), [3, 5], dim=1)
        out = F.avg_pool2d(torch.cat([a, F.relu(b1), b2], 1), 4)
        return self.linear(out.view(out.size(0), -1))


class ConvMixer(nn.Module):
    """ConvMixer's blocks (a depthwise convolution, GELU and BatchNorm in a residual, then a
    pointwise one), with GELU as a module and as `F.gelu`."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 4, stride=4)
        self.act = nn.GELU()
        self.bn = nn.BatchNorm2d(16)
        self.depthwise = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.bn1 = nn.BatchNorm2d(16)
        self.pointwise = nn.Conv2d(16, 16, 1)
        self.bn2 = nn.BatchNorm2d(16)
        self.linear = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = self.bn(self.act(self.stem(x)))
        x = x + self.bn1(F.gelu(self.depthwise(x)))
        x = self.bn2(F.gelu(self.pointwise(x)))
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Upsampling(nn.Module):
    """A classifier that resamples its maps as FPN-style and U-Net-like public code writes it: the
    coarse map brought up by nn.Upsample (nearest, by 2) and by F.interpolate to another map's size
    (bilinear), each added to the finer map, then nn.UpsamplingBilinear2d (align_corners=True) by
    1.5 and F.interpolate by 0.3 (bilinear: 24x24 to 7x7, read with PyTorch's ratio 1 / 0.3); GELU's
    tanh approximation as a module and as F.gelu."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 12, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(12)
        self.conv2 = nn.Conv2d(12, 16, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.act = nn.GELU(approximate="tanh")
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.lateral = nn.Conv2d(12, 16, 1)
        self.smooth = nn.UpsamplingBilinear2d(scale_factor=1.5)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1)
        self.linear = nn.Linear(16, CLASSES)

    def forward(self, x):
        c1 = F.relu(self.bn1(self.conv1(x)))
        c2 = self.act(self.bn2(self.conv2(c1)))
        p = self.up(c2) + self.lateral(c1)
        p = p + F.interpolate(c2, size=p.shape[-2:], mode="bilinear", align_corners=False)
        p = F.gelu(self.conv3(self.smooth(p)), approximate="tanh")
        p = F.interpolate(p, scale_factor=0.3, mode="bilinear")
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(p, 1), 1))


class DualPathBlock(nn.Module):
    """A dual path block in the style of DPN (grouped bottleneck; the first `d` channels added to
    the shortcut's, the rest of both concatenated), written for this test."""

    def __init__(self, last, inner, d, dense, stride):
        super().__init__()
        self.d = d
        self.conv1 = nn.Conv2d(last, inner, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(inner)
        self.conv2 = nn.Conv2d(inner, inner, 3, stride=stride, padding=1, groups=4, bias=False)
        self.bn2 = nn.BatchNorm2d(inner)
        self.conv3 = nn.Conv2d(inner, d + dense, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(d + dense)
        self.shortcut = nn.Sequential(nn.Conv2d(last, d + dense, 1, stride=stride, bias=False), nn.BatchNorm2d(d + dense))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn3(self.conv3(F.relu(self.bn2(self.conv2(out)))))
        x = self.shortcut(x)
        d = self.d
        return F.relu(torch.cat([x[:, :d, :, :] + out[:, :d, :, :], x[:, d:, :, :], out[:, d:, :, :]], 1))


class DualPath(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.block1 = DualPathBlock(16, 16, 16, 4, 1)
        self.block2 = DualPathBlock(24, 16, 16, 4, 2)
        self.linear = nn.Linear(24, CLASSES)

    def forward(self, x):
        out = self.block2(self.block1(F.relu(self.bn1(self.conv1(x)))))
        out = F.avg_pool2d(out, out.size(2))
        return self.linear(out.view(out.size(0), -1))


class LayerNorm(nn.Module):
    """A LayerNorm over the channels as public ConvNeXt ports write it: F.layer_norm on a channels-last
    map, and `(x - u) / torch.sqrt(s + eps)` over dim 1 on a channels-first one."""

    def __init__(self, channels, eps=1e-6, channels_first=False):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps
        self.channels_first = channels_first

    def forward(self, x):
        if not self.channels_first:
            return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class DropPath(nn.Module):
    """Stochastic depth as ports write it: the identity in eval."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape[0], 1, 1, 1, device=x.device) >= self.p
        return x * keep / (1 - self.p)


class ConvNeXtBlock(nn.Module):
    """ConvNeXt's block: a depthwise 7x7, then on the channels-last map a LayerNorm, a Linear to 4x,
    GELU, a Linear back and the layer scale, permuted back and added to the input."""

    def __init__(self, dim, drop=0.1):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = LayerNorm(dim)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(0.5 * torch.ones(dim))
        self.drop_path = DropPath(drop)

    def forward(self, x):
        shortcut = x
        x = self.dwconv(x).permute(0, 2, 3, 1)
        x = self.pwconv2(self.act(self.pwconv1(self.norm(x))))
        x = (self.gamma * x).permute(0, 3, 1, 2)
        return shortcut + self.drop_path(x)


class ConvNeXt(nn.Module):
    """A small ConvNeXt in the style of public ports: a 4x4 patch stem and a channels-first LayerNorm,
    two stages with a downsampling (LayerNorm, 2x2 convolution) between, the global mean and a
    LayerNorm on the vector before the head."""

    def __init__(self, dims=(16, 32)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, dims[0], 4, stride=4), LayerNorm(dims[0], channels_first=True))
        self.stage1 = ConvNeXtBlock(dims[0])
        self.down = nn.Sequential(LayerNorm(dims[0], channels_first=True), nn.Conv2d(dims[0], dims[1], 2, stride=2))
        self.stage2 = ConvNeXtBlock(dims[1])
        self.norm = nn.LayerNorm(dims[1])
        self.head = nn.Linear(dims[1], CLASSES)

    def forward(self, x):
        x = self.stage2(self.down(self.stage1(self.stem(x))))
        return self.head(self.norm(x.mean([-2, -1])))


class Elu(nn.Module):
    """ELU as a module and as F.elu in place (ONNX Elu, imported as Keras ELU)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.act = nn.ELU()
        self.conv2 = nn.Conv2d(16, 16, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.linear = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = self.act(self.bn1(self.conv1(x)))
        x = F.elu(self.bn2(self.conv2(x)), inplace=True)
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


# name -> (model, optimizer, the layer to ablate (a module's name = the manifest layer's), its class, a channel besides 0)
MODELS = {
    "vgg_bn": (vgg_bn, "sgd", "features.5", "BatchNorm2d", 9),
    # bn2's output is the left side of the in-place `out += self.shortcut(x)`.
    "resnet": (resnet, "adam", "layer2.0.bn2", "BatchNorm2d", 11),
    # the depthwise 3x3 convolution of the inverted residual block with a residual add.
    "mobilenetv2": (fixtures.MobileNetV2, "sgd", "layers.2.conv2", "Conv2d", 37),
    # the second bottleneck's 3x3 convolution, whose output leads the torch.cat of the dense block.
    "densenet": (densenet, "adam", "dense1.1.conv2", "Conv2d", 3),
    # bn2 of the stride-2 SE block: both the squeezed average and the `out * w` read it.
    "se": (fixtures.SENet, "adam", "layer2.bn2", "BatchNorm2d", 13),
    # bn1 feeds both the squeeze (`avg_pool2d(out, out.size(2))`) and the `out * w`.
    "size_idioms": (SizeIdioms, "adam", "bn1", "BatchNorm2d", 5),
    # bn2 feeds both global poolings.
    "spatial_mean": (SpatialMean, "adam", "bn2", "BatchNorm2d", 7),
    "flattened_output": (FlattenedOutput, "adam", "bn1", "BatchNorm2d", 6),
    # bn2 computes the right half of the channel split.
    "channel_split": (ChannelSplit, "adam", "bn2", "BatchNorm2d", 5),
    # bn1 follows the depthwise convolution's GELU.
    "convmixer": (ConvMixer, "adam", "bn1", "BatchNorm2d", 9),
    # block1's bn3: its first 16 channels join the shortcut's sum, the last 4 the concatenation.
    "dual_path": (DualPath, "adam", "block1.bn3", "BatchNorm2d", 18),
    # the first Linear of stage1's block, on the channels-last map (a 1x1 convolution of 64 channels).
    "convnext": (ConvNeXt, "adam", "stage1.pwconv1", "Linear", 37),
    # bn2's map reaches the classifier only through the GELU (tanh) and the two upsamplings.
    "upsampling": (Upsampling, "adam", "bn2", "BatchNorm2d", 11),
    # bn2's output is the input of the in-place F.elu.
    "elu": (Elu, "adam", "bn2", "BatchNorm2d", 7),
}

# Models whose ablated layer computes on a channels-last map: PyTorch's channel c is its last axis.
CHANNELS_LAST_ABLATIONS = ("convnext",)


def node():
    return shutil.which("node") or "node"


def cli(*args, timeout=600):
    """`node dist/cli.js args…`: its stdout; a non-zero exit fails with its stderr."""
    r = subprocess.run([node(), CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError(f"node dist/cli.js {' '.join(args)} exited {r.returncode}:\n{r.stderr.strip()}")
    return r.stdout


def torch_probe(model, x, y, module=None, channels=(), last=False):
    """PyTorch's accuracy and mean cross-entropy on (x, y) in eval mode, `channels` of `module`'s output
    zeroed (along its last axis where `last`: a channels-last map)."""

    def zero(_module, _inputs, output):
        output = output.clone()
        if last:
            output[..., list(channels)] = 0
        else:
            output[:, list(channels)] = 0
        return output

    handle = module.register_forward_hook(zero) if module is not None else None
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(x)
    finally:
        if handle is not None:
            handle.remove()
        model.train(was_training)
    accuracy = int((logits.argmax(1) == y).sum()) / len(y)
    return accuracy, float(F.cross_entropy(logits.double(), y))


class EngineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(CLI):
            raise AssertionError(f"{CLI} is missing: run `npm run build` first")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def record(self, name):
        make, optimizer_name, _, _, _ = MODELS[name]
        torch.manual_seed(46)
        model = make()
        if optimizer_name == "sgd":
            optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
        x, y = cifar_like(TRAIN_SIZE, seed=1)
        probe = cifar_like(PROBE_SIZE, seed=2)
        runs = os.path.join(self.tmp.name, "runs")
        with Recorder(model, probe=probe, name=name, runs_dir=runs, optimizer=optimizer, loss="cross_entropy", epochs=1, batch_size=BATCH, train_size=TRAIN_SIZE) as rec:
            rec.epoch(0)
            loss, accuracy = train_one_epoch(model, optimizer, x, y, BATCH)
            rec.epoch(1, train_loss=loss, train_accuracy=accuracy)
        return model, probe, rec.run_dir

    def check_model(self, name):
        """Records the model and checks its engine ablations, inputs, findings and report; returns the
        run's manifest layers, for a test's own checks of the layer axis (no second recording)."""
        _, _, layer_name, class_name, other = MODELS[name]
        model, (px, py), run = self.record(name)
        with open(os.path.join(run, "manifest.json"), encoding="utf-8") as f:
            recorded = json.load(f)["layers"]
        layers = {layer["name"]: layer for layer in recorded}
        layer = layers[layer_name]
        self.assertEqual(layer["className"], class_name)
        module = dict(model.named_modules())[layer_name]
        self.assertLess(other, layer["channels"])

        baseline = torch_probe(model, px, py)
        losses = []
        for channels in ([0], [other]):
            with self.subTest(layer=layer_name, channels=channels):
                answer = json.loads(cli("query", run, "ablation", "--epoch", "1", "--layer", str(layer["index"]), "--channels", ",".join(map(str, channels))))
                self.assertEqual((answer["epoch"], answer["layer"], answer["channels"], answer["inputCount"]), (1, layer["index"], channels, PROBE_SIZE))
                self.assertEqual(answer["baseline"]["accuracy"], baseline[0])
                self.assertAlmostEqual(answer["baseline"]["loss"], baseline[1], delta=LOSS_RTOL * abs(baseline[1]))
                accuracy, loss = torch_probe(model, px, py, module, channels, last=name in CHANNELS_LAST_ABLATIONS)
                self.assertEqual(answer["ablated"]["accuracy"], accuracy)
                self.assertAlmostEqual(answer["ablated"]["loss"], loss, delta=LOSS_RTOL * abs(loss))
                losses.append(loss)
        self.assertNotEqual(losses, [baseline[1]] * 2, "neither ablation changes PyTorch's loss: choose another layer or channel")

        # The probe images are answered channels last ([n, H, W, C], the inputs contract), from the run's [N, C, H, W].
        images = json.loads(cli("query", run, "inputs", "--inputs", "0,3"))["images"]
        self.assertEqual(images["shape"], [2, 32, 32, 3])
        values = np.frombuffer(base64.b64decode(images["base64"]), dtype=np.float32).reshape(images["shape"])
        self.assertTrue(np.array_equal(values, px[[0, 3]].permute(0, 2, 3, 1).numpy()))

        findings = json.loads(cli("findings", run, "--json"))
        self.assertIsInstance(findings, dict)
        page = os.path.join(self.tmp.name, "r.html")
        # One deconvolution per layer: the report of this architecture is what is tested; the
        # default 16 channels a layer make it ≈ 8x slower (≈ 14 s against ≈ 2 s for the ResNet).
        cli("report", run, "--out", page, "--deconvolution-channels", "1")
        self.assertGreater(os.path.getsize(page), 0)
        return recorded

    def test_vgg_bn(self):
        self.check_model("vgg_bn")

    def test_resnet(self):
        self.check_model("resnet")

    def test_mobilenetv2(self):
        self.check_model("mobilenetv2")

    def test_densenet(self):
        self.check_model("densenet")

    def test_se(self):
        self.check_model("se")

    def test_sizes_from_tensors(self):
        self.check_model("size_idioms")

    def test_an_output_that_flattens_the_last_layer(self):
        self.check_model("flattened_output")

    def test_channel_split_slice_chunk_and_split(self):
        recorded = self.check_model("channel_split")
        pieces = [(layer["name"], layer["className"], layer["outputShape"][0]) for layer in recorded if layer["className"] in ("slice", "chunk", "split")]
        self.assertEqual(pieces, [("slice", "slice", 8), ("slice-2", "slice", 8), ("chunk", "chunk", 8), ("chunk-2", "chunk", 8), ("split", "split", 3), ("split-2", "split", 5)])

    def test_dual_path_slices_sums_and_concatenations(self):
        self.check_model("dual_path")

    def test_gelu(self):
        self.check_model("convmixer")

    def test_convnext_layer_norm_channels_last_and_layer_scale(self):
        recorded = self.check_model("convnext")
        layers = [(layer["name"], layer["className"], layer["outputShape"]) for layer in recorded][1:]
        self.assertEqual(
            layers[:10],
            [
                ("stem.0", "Conv2d", [16, 8, 8]),
                ("stem.1", "LayerNorm", [16, 8, 8]),
                ("stage1.dwconv", "Conv2d", [16, 8, 8]),
                # The channels-last stretch, recorded channels first: the Linear is a 1x1 convolution's layer.
                ("stage1.norm", "LayerNorm", [16, 8, 8]),
                ("stage1.pwconv1", "Linear", [64, 8, 8]),
                ("stage1.act", "GELU", [64, 8, 8]),
                ("stage1.pwconv2", "Linear", [16, 8, 8]),
                ("stage1.mul", "layer_scale", [16, 8, 8]),
                ("stage1.add", "add", [16, 8, 8]),
                ("down.0", "LayerNorm", [16, 8, 8]),
            ],
        )
        self.assertEqual(layers[-3:], [("mean", "mean", [32]), ("norm", "LayerNorm", [32]), ("head", "Linear", [10])])

    def test_upsample_interpolate_and_gelu_tanh(self):
        recorded = self.check_model("upsampling")
        layers = [(layer["name"], layer["className"], layer["outputShape"]) for layer in recorded][1:]
        self.assertEqual(
            [layer for layer in layers if layer[1] in ("GELU", "gelu", "Upsample", "interpolate")],
            [
                ("act", "GELU", [16, 8, 8]),
                ("up", "Upsample", [16, 16, 16]),
                ("interpolate", "interpolate", [16, 16, 16]),
                ("smooth", "Upsample", [16, 24, 24]),
                ("gelu", "gelu", [16, 24, 24]),
                ("interpolate-2", "interpolate", [16, 7, 7]),
            ],
        )

    def test_elu_as_a_module_and_a_function(self):
        recorded = self.check_model("elu")
        classes = [(layer["name"], layer["className"]) for layer in recorded if layer["className"] in ("ELU", "elu")]
        self.assertEqual(classes, [("act", "ELU"), ("elu", "elu")])

    def test_global_pooling_as_mean_and_amax(self):
        recorded = self.check_model("spatial_mean")
        classes = {layer["name"]: layer["className"] for layer in recorded}
        self.assertEqual((classes.get("mean"), classes.get("amax")), ("mean", "amax"))


if __name__ == "__main__":
    unittest.main()

"""kuangliu/pytorch-cifar's architectures as a new user brings them: one small model per
architecture of its `models/` (the package tests/cifar_zoo, written anew in the style of that
collection), recorded for epoch 0 on a probe of 4 inputs of 3×32×32 and measured by `cnn-slicer
measure`; then, on ONNX Runtime and on the TensorFlow.js import alike, its output compared with
PyTorch's and one channel ablation with PyTorch's hooked forward (tests/zoo_checks.py, as
test_zoo.py does for torchvision's zoo). Each ablation is of a layer at the architecture's own
idiom and must move PyTorch's loss by more than the comparison's tolerance; the layers the idioms
make are checked by name, kind and shape (docs/pytorch.md, "The CIFAR zoo").

Needs dist/cli.js (`npm run build`).
"""

import os
import tempfile
import unittest

import torch

from tests.cifar_zoo import CLASSES, MODELS
from tests.zoo_checks import LOSS_RTOL, record_and_check

PROBE = 4

# name -> (layer, channel[, module]) ablated: a layer whose channel reaches the architecture's own
# operations; PyTorch's forward hook is on the module of the layer's name, or on the module given,
# whose output is the (functional) layer's value.
ABLATE = {
    "LeNet": ("conv2", 9),
    # the BatchNorm of the third convolution, before in-place ReLU and max pooling.
    "VGG": ("features.9", 17),
    # the left side of the in-place `out += self.shortcut(x)`.
    "ResNet": ("layer1.0.bn2", 3),
    # the shortcut's convolution of the pre-activated input (`hasattr(self, 'shortcut')`).
    "PreActResNet": ("layer2.0.shortcut.0", 5),
    # the functional `torch.cat` of Inception's four branches (the module a3 returns it): channel 25
    # is the second of the branch after the 3×3 stride-1 max pooling (channels 24–27).
    "GoogLeNet": ("a3.cat", 25, "a3"),
    # a bottleneck's `torch.cat([out, x], 1)` (the module dense2.1 returns it): channel 6 is one of
    # the input's, after the 4 new features.
    "DenseNet": ("dense2.1.cat", 6, "dense2.1"),
    # the grouped 3×3 convolution's BatchNorm (the second of 4 groups).
    "ResNeXt": ("layer1.0.bn2", 5),
    # a depthwise strided convolution's BatchNorm.
    "MobileNet": ("layers.1.bn1", 7),
    # a depthwise convolution in an inverted residual with its `out + self.shortcut(x)`.
    "MobileNetV2": ("layers.2.conv2", 11),
    # an identity-shortcut block's bn3: channel 17 is in the dense part, `out[:, d:]` concatenated.
    "DPN": ("layer1.1.bn3", 17),
    # before the channel shuffle (3 groups of 5): channel 1 becomes channel 3.
    "ShuffleNet": ("layer1.1.bn1", 1),
    # the convolution that both the squeeze `F.avg_pool2d(out, out.size(2))` and `out * w` read.
    "SENet": ("layer2.0.conv2", 12),
    # the right branch of a down block: channel 13 of the concatenation, 11 after the shuffle, in
    # the half `x[:, c:]` the next block's convolutions read.
    "ShuffleNetV2": ("layer1.0.bn5", 5),
    # a depthwise convolution's BatchNorm, before swish (`x * x.sigmoid()`) and the SE block.
    "EfficientNet": ("layers.1.bn2", 9),
    # the grouped convolution's BatchNorm, before the SE block.
    "RegNet": ("layer2.0.bn2", 5),
    # the block on the tree's input (`prev_root`): the first of the root's concatenated maps.
    "DLA": ("layer4.prev_root.bn2", 5),
    # the root of a subtree, whose output is the right subtree's input and the upper root's first map.
    "SimpleDLA": ("layer4.left_tree.root.bn", 3),
    # a reduction cell's separable 7×7 convolution: two filters per input channel, stride 2.
    "PNASNet": ("layer2.sep_conv1.bn1", 14),
}

# name -> layers that the architecture's own idioms make (name, className, [C, H, W]): each one
# module output or functional op, named by its scope, channels as PyTorch numbers them.
IDIOMS = {
    # the 3×3 stride-1 max pooling of the fourth branch; the four branches concatenated (8 + 12 + 4 + 4).
    "GoogLeNet": [("a3.b4.0", "MaxPool2d", [16, 32, 32]), ("a3.cat", "cat", [28, 32, 32])],
    # `x[:, :d] + out[:, :d]`, then `x[:, d:]`, `out[:, d:]` and the concatenation (16 + 4 + 4).
    "DPN": [("layer1.0.add", "add", [16, 32, 32]), ("layer1.0.slice-3", "slice", [4, 32, 32]), ("layer1.0.cat", "cat", [24, 32, 32])],
    # SplitBlock's `x[:, :c, :, :], x[:, c:, :, :]`: two layers of the module that returns them.
    "ShuffleNetV2": [("layer1.1.split.slice", "slice", [8, 16, 16]), ("layer1.1.split.slice-2", "slice", [8, 16, 16])],
    # the squeeze `F.avg_pool2d(out, out.size(2))`, `F.sigmoid` and the excitation `out * w`.
    "SENet": [("layer2.0.avg_pool2d", "avg_pool2d", [16, 1, 1]), ("layer2.0.sigmoid", "sigmoid", [16, 1, 1]), ("layer2.0.mul", "mul", [16, 16, 16])],
    "RegNet": [("layer2.0.se.adaptive_avg_pool2d", "adaptive_avg_pool2d", [16, 1, 1]), ("layer2.0.se.mul", "mul", [16, 32, 32])],
    # swish `x * x.sigmoid()` (a function, not a module: the block's scope) and the SE's `x * out`.
    "EfficientNet": [("layers.1.sigmoid", "sigmoid", [32, 32, 32]), ("layers.1.mul", "mul", [32, 32, 32]), ("layers.1.se.mul-2", "mul", [32, 16, 16])],
    # the root of a level-2 tree concatenates prev_root, the level-1 subtree and the two blocks (4 × 16).
    "DLA": [("layer4.root.cat", "cat", [64, 16, 16])],
    "SimpleDLA": [("layer4.root.cat", "cat", [32, 16, 16])],
    # the reduction cell's max pooling, both sums and their concatenation.
    "PNASNet": [("layer2.max_pool2d", "max_pool2d", [8, 16, 16]), ("layer2.add-2", "add", [16, 16, 16]), ("layer2.cat", "cat", [32, 16, 16])],
}


def probe():
    generator = torch.Generator().manual_seed(7)
    return torch.rand(PROBE, 3, 32, 32, generator=generator), torch.tensor([0, 1, 2, 3])


def calibrated(model):
    """`model` with its BatchNorm statistics those of 64 inputs, as training leaves them: with the
    initial statistics (mean 0, variance 1) each BatchNorm of an untrained model shrinks its input in
    eval mode, the deeper maps are near constant, and an ablation moves the loss by less than the
    tolerance of its comparison."""
    generator = torch.Generator().manual_seed(11)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # the cumulative average of the batches seen
    model.train()
    with torch.no_grad():
        model(torch.rand(64, 3, 32, 32, generator=generator))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    return model


class CifarZooTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.runs = os.path.join(self.tmp.name, "runs")

    def test_one_model_per_architecture(self):
        self.assertEqual(sorted(ABLATE), sorted(MODELS))
        self.assertEqual(len(MODELS), 18)

    def test_every_architecture_records_imports_and_ablates_as_pytorch(self):
        x, y = probe()
        for name, make in MODELS.items():
            with self.subTest(model=name):
                torch.manual_seed(68)
                layers, answer = record_and_check(self, calibrated(make()), x, y, CLASSES, name, self.runs, ablate=ABLATE[name], engines=("native", "wasm"))
                # The ablation compared must change the loss, so that an engine ignoring it would fail.
                baseline, ablated = answer["baseline"]["loss"], answer["ablated"]["loss"]
                self.assertGreater(abs(ablated - baseline), 10 * LOSS_RTOL * abs(baseline))
                recorded = {layer["name"]: (layer["name"], layer["className"], layer["outputShape"]) for layer in layers}
                for idiom in IDIOMS.get(name, []):
                    self.assertEqual(recorded.get(idiom[0]), idiom)


if __name__ == "__main__":
    unittest.main()

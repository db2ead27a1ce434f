"""torchvision's classification zoo as a new user brings it: each model built with 10 classes,
recorded for epoch 0 on a probe of 4 inputs (64×64 where the model allows), measured by
`cnn-slicer measure`, its imported output compared with PyTorch's (within 1e-5 of the output's
largest score, at least 1) and one channel
ablation compared with PyTorch's hooked forward: all 19 of torchvision 0.14's.

Needs torchvision (Debian's python3-torchvision) and dist/cli.js (`npm run build`).
"""

import base64
import json
import os
import tempfile
import unittest

import numpy as np
import torch

from cnn_slicer import Recorder
from tests.test_engine import cli

try:
    import torchvision
except ImportError:  # the test needs it: fail in one line, never skip
    torchvision = None

PROBE = 4
CLASSES = 10
OUTPUT_TOLERANCE = 1e-5
LOSS_RTOL = 1e-4

# name -> input side: 64 where the model takes it; AlexNet's and VGG's adaptive pooling to 6×6 and
# 7×7 needs maps that divide into it (ONNX exports no other), Inception v3 needs 75 or more.
RECORDED = {
    "alexnet": 224,
    "vgg11_bn": 224,
    "resnet50": 64,
    "resnext50_32x4d": 64,
    "wide_resnet50_2": 64,
    "densenet121": 64,
    "googlenet": 64,
    "inception_v3": 80,
    "mobilenet_v2": 64,
    "mobilenet_v3_small": 64,
    "mobilenet_v3_large": 64,
    "squeezenet1_1": 64,
    "mnasnet1_0": 64,
    "efficientnet_b0": 64,
    "efficientnet_v2_s": 64,
    "regnet_y_400mf": 64,
    "regnet_x_400mf": 64,
    "shufflenet_v2_x1_0": 64,
    "convnext_tiny": 64,
}


def build(name):
    torch.manual_seed(68)
    kwargs = {"aux_logits": False, "init_weights": True} if name in ("googlenet", "inception_v3") else {}
    return getattr(torchvision.models, name)(num_classes=CLASSES, **kwargs)


def probe_of(side):
    generator = torch.Generator().manual_seed(7)
    return torch.rand(PROBE, 3, side, side, generator=generator), torch.tensor([0, 1, 2, 3])


def torch_probe(model, x, y, module, channels):
    """PyTorch's accuracy and loss on (x, y) in eval mode with `channels` of `module`'s output zeroed,
    the loss as the engine defines it (docs/estimators.md): the mean of −ln p(label), the logits
    softmaxed in float64 and p clamped at 1e-7, which a randomly initialised Inception v3's scores of
    1e7 and more reach (PyTorch's own cross-entropy is then 1e7 too)."""

    def zero(_module, _inputs, output):
        output = output.clone()
        output[:, list(channels)] = 0
        return output

    handle = module.register_forward_hook(zero)
    model.eval()
    try:
        with torch.no_grad():
            logits = model(x)
    finally:
        handle.remove()
    p = torch.softmax(logits.double(), 1)[torch.arange(len(y)), y].clamp(min=1e-7)
    return int((logits.argmax(1) == y).sum()) / len(y), float(-p.log().mean())


def ablated_layer(model, layers):
    """The first recorded BatchNorm2d (else Conv2d) module with at least 4 channels: (manifest layer, module)."""
    modules = dict(model.named_modules())
    for class_name in ("BatchNorm2d", "Conv2d"):
        for layer in layers:
            if layer["className"] == class_name and layer["name"] in modules and layer["channels"] >= 4:
                return layer, modules[layer["name"]]
    raise AssertionError("no BatchNorm2d or Conv2d layer to ablate")


class ZooTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if torchvision is None:
            raise AssertionError("torchvision is not installed (Debian: apt-get install python3-torchvision)")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.runs = os.path.join(self.tmp.name, "runs")

    def check(self, name, side):
        model = build(name)
        x, y = probe_of(side)
        rec = Recorder(model, probe=(x, y), classes=[str(c) for c in range(CLASSES)], name=name, runs_dir=self.runs, epochs=0)
        rec.epoch(0)
        rec.close()
        cli("measure", rec.run_dir, timeout=900)
        with open(os.path.join(rec.run_dir, "manifest.json"), encoding="utf-8") as f:
            layers = json.load(f)["layers"]

        # The imported output: the last layer's values on the engine against PyTorch's eval output.
        last = layers[-1]
        channels = ",".join(str(c) for c in range(last["channels"]))
        answer = json.loads(cli("query", rec.run_dir, "featureMaps", "--epoch", "0", "--layer", str(last["index"]), "--channels", channels))
        maps = np.frombuffer(base64.b64decode(answer["maps"]["base64"]), dtype=np.float32).reshape(PROBE, -1)
        model.eval()
        with torch.no_grad():
            expected = model(x).numpy().reshape(PROBE, -1)
        self.assertEqual(maps.shape, expected.shape)
        # Relative to the output's scale: a randomly initialised Inception v3 scores up to 9e7, where
        # PyTorch's own float32 output is 1.3e-5 of it away from its float64 one.
        scale = max(1.0, float(np.max(np.abs(expected))))
        self.assertLessEqual(float(np.max(np.abs(maps - expected))) / scale, OUTPUT_TOLERANCE)

        # One ablation: the engine's against PyTorch's forward with that channel of that module zeroed.
        layer, module = ablated_layer(model, layers)
        answer = json.loads(cli("query", rec.run_dir, "ablation", "--epoch", "0", "--layer", str(layer["index"]), "--channels", "1"))
        accuracy, loss = torch_probe(model, x, y, module, [1])
        self.assertEqual(answer["ablated"]["accuracy"], accuracy)
        self.assertAlmostEqual(answer["ablated"]["loss"], loss, delta=LOSS_RTOL * abs(loss))

    def test_every_model_that_imports(self):
        for name, side in RECORDED.items():
            with self.subTest(model=name):
                self.check(name, side)


if __name__ == "__main__":
    unittest.main()

"""torchvision's classification zoo as a new user brings it: each model built with 10 classes,
recorded for epoch 0 on a probe of 4 inputs (64×64 where the model allows), measured by
`cnn-slicer measure`, its imported output compared with PyTorch's (within 1e-5 of the output's
largest score, at least 1) and one channel
ablation compared with PyTorch's hooked forward: all 19 of torchvision 0.14's.

Needs torchvision (Debian's python3-torchvision) and dist/cli.js (`npm run build`).
"""

import os
import tempfile
import unittest

import torch

from tests.zoo_checks import record_and_check

try:
    import torchvision
except ImportError:  # the test needs it: fail in one line, never skip
    torchvision = None

PROBE = 4
CLASSES = 10

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
        x, y = probe_of(side)
        record_and_check(self, build(name), x, y, CLASSES, name, self.runs)

    def test_every_model_that_imports(self):
        for name, side in RECORDED.items():
            with self.subTest(model=name):
                self.check(name, side)


if __name__ == "__main__":
    unittest.main()

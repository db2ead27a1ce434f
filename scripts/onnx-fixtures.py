"""Writes the ONNX fixtures of the TypeScript ONNX reader's tests (test/unit/onnx/) into test/fixtures/onnx/.

Run it with Debian's Python, which has torch 1.13 and onnx 1.12 (python3-torch, python3-onnx):

    /usr/bin/python3 scripts/onnx-fixtures.py

(The `python3` on PATH may be another Python without torch.) Each model is exported the way the
PyTorch recorder of issue 46 will export a checkpoint: in eval mode, `training=TrainingMode.PRESERVE`
(so BatchNormalization stays its own node), `do_constant_folding=False`, opset 14, the batch axis
dynamic. Beside each `<name>.onnx` it writes `<name>.json`, the facts the tests compare with:
  - `ops`: the nodes' op types in the file's order, read back with the `onnx` package;
  - `initializers`: each initializer's name and dims as the file holds them (torch 1.13 merges
    initializers with equal values and recreates the copies as Identity nodes);
  - `stateDict`: every tensor of the model's state_dict (torch's names), with its dims, its first
    values and its sum, so a test can check that each one is reachable from the file;
  - `input`, `output`: one forward pass of PyTorch on a fixed input, for later exactness tests.
The seeds are fixed, so running it again writes the same files. The TypeScript tests only read the
checked-in files; they never need Python.
"""

import json
import os
import sys
import warnings

import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "onnx")
OPSET = 14


class TinyLeNet(nn.Module):
    """A LeNet with few channels on 1x16x16 inputs; `view` flattens with the batch dynamic."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 8, 3)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = x.view(x.size(0), -1)
        return self.fc2(self.relu3(self.fc1(x)))


class Block(nn.Module):
    """conv + BatchNorm + ReLU; its BatchNorm keeps PyTorch's initial values (weight 1, bias 0, mean 0, var 1)."""

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class TinyResidual(nn.Module):
    """conv+BatchNorm+ReLU, a residual `+`, a `torch.cat` of two branches, global pooling and a linear layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.block = Block(4)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        y = x + self.block(x)
        z = torch.cat([y, x], 1)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(z, 1), 1))


def floats(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def export(name, model, example, sample):
    model.eval()
    path = os.path.join(OUT, name + ".onnx")
    with warnings.catch_warnings():
        # torch 1.13 recommends do_constant_folding=False with PRESERVE, which is passed.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            example,
            path,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
            opset_version=OPSET,
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False,
        )
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    with torch.no_grad():
        output = model(sample)
    state = {
        key: {"dims": list(value.shape), "first": floats(value)[:4], "sum": float(value.double().sum())}
        for key, value in model.state_dict().items()
        if value.is_floating_point()
    }
    facts = {
        "torch": torch.__version__,
        "opset": OPSET,
        "ops": [node.op_type for node in proto.graph.node],
        "initializers": [{"name": i.name, "dims": list(i.dims)} for i in proto.graph.initializer],
        "stateDict": state,
        "input": {"dims": list(sample.shape), "data": floats(sample)},
        "output": {"dims": list(output.shape), "data": floats(output)},
    }
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(facts, f, indent=1)
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes, ops {' '.join(facts['ops'])}")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(46)
    lenet = TinyLeNet()
    export("lenet", lenet, torch.randn(1, 1, 16, 16), torch.randn(2, 1, 16, 16))

    torch.manual_seed(46)
    residual = TinyResidual()
    with torch.no_grad():  # bn1 gets statistics of its own; block.bn keeps the initial ones
        residual.bn1.weight.uniform_(0.5, 2)
        residual.bn1.bias.uniform_(-0.5, 0.5)
        residual.bn1.running_mean.uniform_(-1, 1)
        residual.bn1.running_var.uniform_(0.5, 2)
    export("residual", residual, torch.randn(1, 3, 8, 8), torch.randn(2, 3, 8, 8))


if __name__ == "__main__":
    if not torch.__version__.startswith("1.13"):
        sys.exit(f"scripts/onnx-fixtures.py writes torch 1.13's exports; this is torch {torch.__version__}")
    main()

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

The PyTorch recorder's fixtures (`vgg_bn`, `resnet`, `mobilenetv2`, `densenet`, `se`, `ops`: small
models in the style of common public CIFAR code) are exported by `cnn_slicer.export_onnx` (python/),
the code path of a run's checkpoint: graph output 0 is `output`, output k + 1 is manifest layer k,
named as the layer. Their `<name>.json` holds `torch`, `opset`, `ops`, `layers` (the manifest's
layers 1..L: name, className, outputShape, channels, dataFormat), `input` (two inputs), `output`, and
`layerOutputs`: per layer its name and, of its output on that input, the first 4 values, the sum and
the sum of absolute values.

    /usr/bin/python3 scripts/onnx-fixtures.py                # every fixture
    /usr/bin/python3 scripts/onnx-fixtures.py resnet se      # only these

`pytorch_run` writes `test/fixtures/pytorch-run/<run id>/`, a whole run folder recorded by
`cnn_slicer.Recorder` (two epochs of the tiny LeNet) for the TypeScript reader's tests; its
times, process and paths are those of the machine that wrote it.
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

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "onnx")
sys.path[:0] = [os.path.join(ROOT, "python"), os.path.dirname(os.path.abspath(__file__))]  # cnn_slicer; resnet_block
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


# --- The PyTorch recorder's fixtures ------------------------------------------------------------


class VGG(nn.Module):
    """kuangliu-style VGG: Conv-BN-ReLU blocks with max pooling from a config list, a Linear classifier."""

    def __init__(self, cfg=(8, "M", 16, "M", 16, 32, "M")):
        super().__init__()
        self.features = self._make_layers(cfg)
        self.classifier = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        out = self.features(x)
        out = out.view(out.size(0), -1)
        return self.classifier(out)

    def _make_layers(self, cfg):
        layers = []
        in_channels = 3
        for x in cfg:
            if x == "M":
                layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
            else:
                layers += [nn.Conv2d(in_channels, x, kernel_size=3, padding=1), nn.BatchNorm2d(x), nn.ReLU(inplace=True)]
                in_channels = x
        layers += [nn.AvgPool2d(kernel_size=1, stride=1)]
        return nn.Sequential(*layers)


# scripts/resnet_block.py (scripts/bench-resnet18.py's block too); importable also where
# python/tests/test_engine.py loads this file, as this folder is put on sys.path above.
from resnet_block import BasicBlock  # noqa: E402


class ResNet(nn.Module):
    """kuangliu-style ResNet with few channels: stride-2 stages with 1x1 conv + BN shortcuts."""

    def __init__(self, block=BasicBlock, num_blocks=(1, 1, 1), num_classes=10):
        super().__init__()
        self.in_planes = 8
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = self._make_layer(block, 8, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 16, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 32, num_blocks[2], stride=2)
        self.linear = nn.Linear(32 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, 3x3 depthwise (stride 1 or 2), ReLU6, 1x1 project; residual add at stride 1."""

    def __init__(self, in_planes, out_planes, expansion, stride):
        super().__init__()
        self.stride = stride
        planes = expansion * in_planes
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, groups=planes, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_planes, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.relu6 = nn.ReLU6(inplace=True)
        self.use_residual = stride == 1 and in_planes == out_planes

    def forward(self, x):
        out = self.relu6(self.bn1(self.conv1(x)))
        out = self.relu6(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.use_residual:
            out = out + x
        return out


class MobileNetV2(nn.Module):
    cfg = [(1, 8, 1, 1), (4, 12, 2, 2), (4, 16, 1, 2)]  # (expansion, out_planes, num_blocks, stride)

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layers = self._make_layers(in_planes=8)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.linear = nn.Linear(32, num_classes)

    def _make_layers(self, in_planes):
        layers = []
        for expansion, out_planes, num_blocks, stride in self.cfg:
            strides = [stride] + [1] * (num_blocks - 1)
            for stride in strides:
                layers.append(InvertedResidual(in_planes, out_planes, expansion, stride))
                in_planes = out_planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu6(self.bn1(self.conv1(x)))
        out = self.layers(out)
        out = F.relu6(self.bn2(self.conv2(out)))
        out = F.adaptive_avg_pool2d(out, 1)
        out = out.view(out.size(0), -1)
        return self.linear(out)


class Bottleneck(nn.Module):
    def __init__(self, in_planes, growth_rate):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, 4 * growth_rate, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4 * growth_rate)
        self.conv2 = nn.Conv2d(4 * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        out = torch.cat([out, x], 1)
        return out


class Transition(nn.Module):
    def __init__(self, in_planes, out_planes):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_planes)
        self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=1, bias=False)

    def forward(self, x):
        out = self.conv(F.relu(self.bn(x)))
        out = F.avg_pool2d(out, 2)
        return out


class DenseNet(nn.Module):
    """kuangliu-style DenseNet: a dense block of two bottlenecks (torch.cat), a transition, a second dense block."""

    def __init__(self, growth_rate=4, num_classes=10):
        super().__init__()
        planes = 2 * growth_rate
        self.conv1 = nn.Conv2d(3, planes, kernel_size=3, padding=1, bias=False)
        self.dense1 = nn.Sequential(Bottleneck(planes, growth_rate), Bottleneck(planes + growth_rate, growth_rate))
        planes += 2 * growth_rate
        self.trans1 = Transition(planes, planes // 2)
        planes //= 2
        self.dense2 = nn.Sequential(Bottleneck(planes, growth_rate))
        planes += growth_rate
        self.bn = nn.BatchNorm2d(planes)
        self.linear = nn.Linear(planes, num_classes)

    def forward(self, x):
        out = self.conv1(x)
        out = self.trans1(self.dense1(out))
        out = self.dense2(out)
        out = F.avg_pool2d(F.relu(self.bn(out)), 8)
        out = out.view(out.size(0), -1)
        return self.linear(out)


class SEBlock(BasicBlock):
    """A BasicBlock with squeeze-and-excitation before the shortcut: global average, 1x1 conv down, ReLU,
    1x1 conv up, sigmoid, `x * s`."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__(in_planes, planes, stride)
        self.fc1 = nn.Conv2d(planes, planes // 4, kernel_size=1)
        self.fc2 = nn.Conv2d(planes // 4, planes, kernel_size=1)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        w = F.adaptive_avg_pool2d(out, 1)
        w = F.relu(self.fc1(w))
        w = torch.sigmoid(self.fc2(w))
        out = out * w
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class SENet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = SEBlock(8, 8)
        self.layer2 = SEBlock(8, 16, stride=2)
        self.linear = nn.Linear(16, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer2(self.layer1(out))
        out = F.adaptive_avg_pool2d(out, 1)
        out = out.view(out.size(0), -1)
        return self.linear(out)


def channel_shuffle(x, groups):
    n, c, h, w = x.size()
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


class Ops(nn.Module):
    """The other activations and poolings: LeakyReLU, Tanh, Hardswish, Hardsigmoid, SiLU, padded 3x3 pooling,
    a grouped conv with a channel shuffle, a dilated conv, and log-probabilities out."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.act1 = nn.LeakyReLU(0.1)
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 8, kernel_size=3, padding=1, groups=2)
        self.bn2 = nn.BatchNorm2d(8)
        self.act2 = nn.Hardswish()
        self.conv3 = nn.Conv2d(8, 16, kernel_size=3, padding=2, dilation=2)
        self.act3 = nn.Tanh()
        self.pool2 = nn.AvgPool2d(3, stride=2, padding=1)
        self.conv4 = nn.Conv2d(16, 16, kernel_size=1)
        self.act4 = nn.SiLU()
        self.gate = nn.Hardsigmoid()
        self.linear = nn.Linear(16 * 4 * 4, num_classes)

    def forward(self, x):
        out = self.pool1(self.act1(self.conv1(x)))
        out = self.act2(self.bn2(self.conv2(out)))
        out = channel_shuffle(out, 2)
        out = self.pool2(self.act3(self.conv3(out)))
        out = self.gate(self.act4(self.conv4(out)))
        out = out.view(out.size(0), -1)
        return F.log_softmax(self.linear(out), dim=1)


# name -> (model class, input shape without the batch)
RECORDER_MODELS = {
    "vgg_bn": (VGG, (3, 16, 16)),
    "resnet": (ResNet, (3, 16, 16)),
    "mobilenetv2": (MobileNetV2, (3, 16, 16)),
    "densenet": (DenseNet, (3, 16, 16)),
    "se": (SENet, (3, 16, 16)),
    "ops": (Ops, (3, 16, 16)),
}


def give_statistics(model):
    """Every BatchNorm gets a scale, shift, mean and variance of its own (not the initial 1, 0, 0, 1)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 2)
                module.bias.uniform_(-0.5, 0.5)
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)


def write_recorder_fixture(name):
    from cnn_slicer import export_onnx, layer_table, tapped_outputs

    cls, shape = RECORDER_MODELS[name]
    torch.manual_seed(46)
    model = cls()
    give_statistics(model)
    model.eval()
    example, sample = torch.randn(1, *shape), torch.randn(2, *shape)
    layers, _ = layer_table(model, example)
    names = [layer["name"] for layer in layers[1:]]
    path = os.path.join(OUT, name + ".onnx")
    export_onnx(model, example, path, names)
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    assert [o.name for o in proto.graph.output] == ["output", *names]
    values = tapped_outputs(model, sample, names)
    with torch.no_grad():
        assert torch.equal(values[0], model(sample))
    facts = {
        "torch": torch.__version__,
        "opset": OPSET,
        "ops": [node.op_type for node in proto.graph.node],
        "layers": [{key: layer[key] for key in ("name", "className", "outputShape", "channels", "dataFormat") if key in layer} for layer in layers[1:]],
        "input": {"dims": list(sample.shape), "data": floats(sample)},
        "output": {"dims": list(values[0].shape), "data": floats(values[0])},
        "layerOutputs": [
            {"name": n, "first": floats(v)[:4], "sum": float(v.double().sum()), "sumAbs": float(v.double().abs().sum())}
            for n, v in zip(names, values[1:])
        ],
    }
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(facts, f, indent=1)
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes, {len(names)} layers, ops {' '.join(sorted(set(facts['ops'])))}")


def write_lenet():
    torch.manual_seed(46)
    lenet = TinyLeNet()
    export("lenet", lenet, torch.randn(1, 1, 16, 16), torch.randn(2, 1, 16, 16))


def write_residual():
    torch.manual_seed(46)
    residual = TinyResidual()
    with torch.no_grad():  # bn1 gets statistics of its own; block.bn keeps the initial ones
        residual.bn1.weight.uniform_(0.5, 2)
        residual.bn1.bias.uniform_(-0.5, 0.5)
        residual.bn1.running_mean.uniform_(-1, 1)
        residual.bn1.running_var.uniform_(0.5, 2)
    export("residual", residual, torch.randn(1, 3, 8, 8), torch.randn(2, 3, 8, 8))


def write_pytorch_run():
    """test/fixtures/pytorch-run/<run id>/: a run folder as the Python recorder writes it (the tiny LeNet, 2 epochs, probe 12)."""
    import shutil

    from cnn_slicer import Recorder

    runs = os.path.join(ROOT, "test", "fixtures", "pytorch-run")
    shutil.rmtree(runs, ignore_errors=True)
    os.makedirs(runs)  # made here, so the recorder writes no .gitignore into it
    torch.manual_seed(46)
    model = TinyLeNet()
    x, y = torch.randn(12, 1, 16, 16), torch.arange(12) % 10
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with Recorder(model, probe=(x, y), name="tiny-lenet", runs_dir=runs, optimizer=optimizer, loss="cross_entropy", epochs=2) as rec:
        rec.epoch(0)
        for epoch in (1, 2):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            rec.epoch(epoch, train_loss=float(loss), train_accuracy=0.25)
    # The model's file as a machine-neutral path (the repository's tests refuse paths of this machine).
    manifest = os.path.join(rec.run_dir, "manifest.json")
    with open(manifest) as f:
        text = f.read()
    with open(manifest, "w") as f:
        f.write(text.replace(json.dumps(os.path.abspath(__file__)), json.dumps("/models/tiny_lenet.py")))
    print(f"{rec.run_dir}: {', '.join(sorted(os.listdir(rec.run_dir)))}")


FIXTURES = {"lenet": write_lenet, "residual": write_residual, "pytorch_run": write_pytorch_run}
FIXTURES.update({name: (lambda name=name: write_recorder_fixture(name)) for name in RECORDER_MODELS})


def main(names):
    os.makedirs(OUT, exist_ok=True)
    unknown = [n for n in names if n not in FIXTURES]
    if unknown:
        sys.exit(f"unknown fixture {', '.join(unknown)}; there are {', '.join(FIXTURES)}")
    for name in names or FIXTURES:
        FIXTURES[name]()


if __name__ == "__main__":
    if not torch.__version__.startswith("1.13"):
        sys.exit(f"scripts/onnx-fixtures.py writes torch 1.13's exports; this is torch {torch.__version__}")
    main(sys.argv[1:])

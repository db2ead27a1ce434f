"""PyTorch's own answer to the service's ablations, for test/integration/service/ablation.test.ts.

Reads one JSON request on stdin and prints one JSON answer on stdout. Two commands:

    torch_ablation.py record   {"runs": D, "probe": 60, "passes": 6, "models": ["resnet", ...]}
    torch_ablation.py          {"runs": [{"model": "resnet", "onnx": ".../model.onnx", "inputs": ".../inputs.npy",
                                "labels": ".../labels.npy", "cases": [{"layer": "layer2.0.bn2", "channels": [3, 5],
                                "mode": "zero", "classes": [3, 7]}, ...]}, ...]}

`record` trains each model (python/tests/test_engine.py's models on 3x32x32 inputs, and scripts/onnx-fixtures.py's
`Ops` with a Linear of that size) `passes` times over test_engine's 320 CIFAR-like inputs, as test_engine does
(seed 46, its optimizers), and records it with the Python recorder in D: epoch 0 before training, epoch 1 after,
both left pending (CNN_SLICER_MEASURE=0: no measurer starts). It prints {model: run folder}.

The default command answers the ablations. `model` names the class (`lenet` is scripts/onnx-fixtures.py's
TinyLeNet, the checked-in PyTorch run's model); the model is given the checkpoint's own weights, read from the
ONNX file's initializers (the exporter names them after the state_dict under the recorder's wrapper,
`model.<key>`), so PyTorch runs the weights the engine runs. Each case runs in eval mode, no grad, on the probe
inputs, with the layer's output replaced as docs/estimators.md "Ablation" defines it:

- zero: every value of the channels (axis 1: a convolution's channels, a Linear layer's units) is 0;
- mean: every value of channel c is the mean of channel c over all probe inputs and all positions of the
  unablated layer, whatever `classes` (computed in float64 from the float32 values, then float32).

A layer that is a module (Conv2d, BatchNorm2d, ReLU, Linear, ...) is replaced by a forward hook on that
module. A layer that is a functional call in a forward() (`F.relu`, `out += shortcut`, `torch.cat`,
`F.avg_pool2d`) has no module to hook: it is found by the recorder's own layer names (cnn_slicer's Capture,
the pass that named the manifest's layers) and its result replaced as it is returned.

The answer: per run, per case, `{baseline, ablated}` on the inputs whose label is in `classes` (all without
it), each `{correct, loss, margin}`: the count of inputs whose argmax is their label, the mean of
−ln max(p(label), 1e-7) (the softmax of the output in float64), and the smallest |output[label] − the largest
other output| over the inputs (how far the count is from a tie).
"""

import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "python")]

from cnn_slicer.onnx_names import _fields, _varint  # noqa: E402
from cnn_slicer.trace import Capture, run_captured  # noqa: E402
from tests import test_engine  # noqa: E402

fixtures = test_engine.fixtures


def _ops():
    model = fixtures.Ops()
    model.linear = torch.nn.Linear(16 * 8 * 8, test_engine.CLASSES)  # 3x32x32 inputs: 8x8 maps after two stride-2 poolings
    return model


# name -> the model's class on 3x32x32 inputs (python/tests/test_engine.py's), or the checked-in PyTorch run's TinyLeNet.
MAKERS = {"lenet": fixtures.TinyLeNet, "ops": _ops, **{name: entry[0] for name, entry in test_engine.MODELS.items()}}
OPTIMIZERS = {"ops": "adam", **{name: entry[1] for name, entry in test_engine.MODELS.items()}}

LOSS_EPSILON = 1e-7
ONNX_FLOAT = 1


def _tensor(payload):
    """(name, float32 array) of an ONNX TensorProto of floats."""
    dims, name, data_type, raw, floats = [], None, None, None, []
    for number, kind, _raw, value in _fields(payload):
        if number == 1:
            if kind == 2:  # packed
                at = 0
                while at < len(value):
                    d, at = _varint(value, at)
                    dims.append(d)
            else:
                dims.append(_varint(_raw, len(_key(_raw)))[0])
        elif number == 2:
            data_type = _varint(_raw, 1)[0]
        elif number == 4:
            floats.extend(struct.unpack(f"<{len(value) // 4}f", value) if kind == 2 else struct.unpack("<f", _raw[1:5]))
        elif number == 8:
            name = value.decode()
        elif number == 9:
            raw = value
    if data_type != ONNX_FLOAT:
        return name, None
    array = np.frombuffer(raw, dtype="<f4") if raw is not None else np.array(floats, dtype=np.float32)
    return name, array.reshape(dims).copy()


def _key(raw):
    """The bytes of a field's key (a varint) at the start of `raw`."""
    end = 0
    while raw[end] & 0x80:
        end += 1
    return raw[: end + 1]


def onnx_weights(path):
    """The float initializers of an ONNX model, by name; Identity copies (torch merges equal initializers) under their own names."""
    with open(path, "rb") as f:
        data = f.read()
    graph = next(value for number, _, _, value in _fields(data) if number == 7)
    weights, aliases = {}, {}
    for number, _, _, value in _fields(graph):
        if number == 5:
            name, array = _tensor(value)
            if array is not None:
                weights[name] = array
        elif number == 1:
            node = list(_fields(value))
            op = next((v.decode() for n, _, _, v in node if n == 4), None)
            if op == "Identity":
                inputs = [v.decode() for n, _, _, v in node if n == 1]
                outputs = [v.decode() for n, _, _, v in node if n == 2]
                aliases[outputs[0]] = inputs[0]
    for alias, source in aliases.items():
        if source in weights:
            weights.setdefault(alias, weights[source])
    return weights


def build(name, onnx_path):
    """The model of `name` with the checkpoint's weights; every floating tensor of its state_dict is read from the file."""
    model = MAKERS[name]()
    weights = onnx_weights(onnx_path)
    state = model.state_dict()
    for key, value in state.items():
        if not value.is_floating_point():
            continue  # num_batches_tracked: not used in eval
        found = weights.get("model." + key, weights.get(key))
        if found is None:
            raise SystemExit(f"{onnx_path}: no initializer for {key} (the model is not {name}?)")
        if list(found.shape) != list(value.shape):
            raise SystemExit(f"{onnx_path}: {key} is {list(found.shape)} in the file, {list(value.shape)} in {name}")
        state[key] = torch.from_numpy(found)
    model.load_state_dict(state)
    model.eval()
    return model


class _Replacing(Capture):
    """The recorder's pass that names the layers, replacing the result of the functional layer `target`."""

    def __init__(self, model, target, replace):
        super().__init__(model)
        self.target, self.replace = target, replace

    def __torch_function__(self, func, types, args=(), kwargs=None):
        count = len(self.layers)
        result = super().__torch_function__(func, types, args, kwargs)
        if len(self.layers) > count and self.layers[-1].name == self.target:
            result = self.replace(result)
            self.layers[-1].value = result
        return result


def measures(output, labels):
    scores = output.double()
    correct = int((scores.argmax(1) == labels).sum())
    p = F.softmax(scores, dim=1).gather(1, labels[:, None])[:, 0]
    loss = float((-torch.log(p.clamp_min(LOSS_EPSILON))).mean())
    own = scores.gather(1, labels[:, None])[:, 0]
    others = scores.scatter(1, labels[:, None], float("-inf")).max(1).values
    return {"correct": correct, "loss": loss, "margin": float((own - others).abs().min())}


def ablate(model, x, labels, layer, channels, mode, classes=None):
    """`{baseline, ablated}` measures on the inputs of `classes` (every input when None); a mean is over every input."""
    with torch.no_grad():
        _, captured = run_captured(model, x)
        found = [c for c in captured if c.name == layer]
        if not found:
            raise SystemExit(f"no layer {layer}; the layers are {' '.join(c.name for c in captured)}")
        target = found[0]
        index = list(channels)
        if mode == "mean":
            axes = [0, *range(2, target.value.dim())]
            fill = target.value.double().mean(dim=axes)[index].float()
        elif mode == "zero":
            fill = torch.zeros(len(index))
        else:
            raise SystemExit(f"unknown mode {mode}")

        def replace(value):
            value = value.clone()
            shape = [1, len(index)] + [1] * (value.dim() - 2)
            value[:, index] = fill.reshape(shape).expand(value[:, index].shape)
            return value

        if target.module is not None:
            handle = target.module.register_forward_hook(lambda _m, _i, out: replace(out))
            try:
                output = model(x)
            finally:
                handle.remove()
        else:
            with _Replacing(model, layer, replace):
                output = model(x)
        baseline = model(x)
    rows = torch.ones(len(labels), dtype=torch.bool) if classes is None else torch.isin(labels, torch.tensor(classes))
    return {"baseline": measures(baseline[rows], labels[rows]), "ablated": measures(output[rows], labels[rows])}


def record(request):
    """Each model trained one epoch and recorded as python/tests/test_engine.py does (seed 46, its optimizers,
    its CIFAR-like inputs), with a probe of `probe` inputs; the epochs are left pending (no measurer)."""
    from cnn_slicer import Recorder
    from tests.training import train_one_epoch

    os.environ["CNN_SLICER_MEASURE"] = "0"
    folders = {}
    for name in request["models"]:
        torch.manual_seed(46)
        model = MAKERS[name]()
        if OPTIMIZERS[name] == "sgd":
            optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
        x, y = test_engine.cifar_like(test_engine.TRAIN_SIZE, seed=1)
        probe = test_engine.cifar_like(request["probe"], seed=2)
        batch, size = test_engine.BATCH, test_engine.TRAIN_SIZE
        with Recorder(model, probe=probe, name=name, runs_dir=request["runs"], optimizer=optimizer, loss="cross_entropy", epochs=1, batch_size=batch, train_size=size) as rec:
            rec.epoch(0)
            for _ in range(request["passes"]):
                loss, accuracy = train_one_epoch(model, optimizer, x, y, batch)
            rec.epoch(1, train_loss=loss, train_accuracy=accuracy)
        folders[name] = rec.run_dir
    return folders


def ablations(request):
    answer = []
    for run in request["runs"]:
        model = build(run["model"], run["onnx"])
        x = torch.from_numpy(np.load(run["inputs"]).astype(np.float32))
        labels = torch.from_numpy(np.load(run["labels"]).astype(np.int64))
        answer.append([ablate(model, x, labels, c["layer"], c["channels"], c["mode"], c.get("classes")) for c in run["cases"]])
    return answer


def main():
    torch.set_num_threads(1)
    request = json.load(sys.stdin)
    json.dump(record(request) if sys.argv[1:] == ["record"] else ablations(request), sys.stdout)


if __name__ == "__main__":
    main()

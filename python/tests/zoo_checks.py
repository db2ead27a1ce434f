"""The checks of the zoo tests (test_zoo.py: torchvision's classification models; test_cifar_zoo.py:
kuangliu/pytorch-cifar's architectures): a model recorded for epoch 0 on a small probe, measured by
`cnn-slicer measure`, its imported output compared with PyTorch's (within 1e-5 of the output's
largest score, at least 1) and one channel ablation compared with PyTorch's hooked forward
(accuracy by count, loss within 1e-4)."""

import base64
import contextlib
import json
import os
import shutil

import numpy as np
import torch

from cnn_slicer import Recorder
from tests.test_engine import cli

OUTPUT_TOLERANCE = 1e-5
LOSS_RTOL = 1e-4


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


def record_and_check(test, model, x, y, classes, name, runs_dir, ablate=None, engines=("native",)):
    """Records `model` for epoch 0 on the probe (x, y), measures it and asserts (on the unittest
    case `test`) its imported output and one ablation equal PyTorch's: `ablate` (a layer's name, a
    channel and, for a functional layer, the module whose output is that layer's value: Inception's
    `torch.cat` of its branches; else the module of that name), else channel 1 of `ablated_layer`.
    The queries are asked of each engine in `engines`: "native" (ONNX Runtime, the default) and
    "wasm" (the checkpoint imported into TensorFlow.js: src/onnx/plan.ts, `CNN_SLICER_ENGINE=wasm`),
    the run's answer cache emptied before each. The recorder must leave the model as it was: its
    modes, and its eval output bit for bit. Returns the manifest's layers and the last engine's
    ablation answer."""
    modes = [m.training for m in model.modules()]
    before = _eval_output(model, x)
    rec = Recorder(model, probe=(x, y), classes=[str(c) for c in range(classes)], name=name, runs_dir=runs_dir, epochs=0)
    rec.epoch(0)
    rec.close()
    test.assertEqual([m.training for m in model.modules()], modes)
    test.assertTrue(torch.equal(_eval_output(model, x), before), "the recorder changed what the model computes")
    cli("measure", rec.run_dir, timeout=900)
    with open(os.path.join(rec.run_dir, "manifest.json"), encoding="utf-8") as f:
        layers = json.load(f)["layers"]
    model.eval()
    with torch.no_grad():
        expected = model(x).numpy().reshape(len(x), -1)
    if ablate is None:
        (layer, module), channel = ablated_layer(model, layers), 1
    else:
        layer_name, channel, module_name = ablate if len(ablate) == 3 else (*ablate, ablate[0])
        layer, module = next(layer for layer in layers if layer["name"] == layer_name), dict(model.named_modules())[module_name]
    accuracy, loss = torch_probe(model, x, y, module, [channel])
    last = layers[-1]
    for engine in engines:
        with test.subTest(engine=engine), _engine(engine):
            shutil.rmtree(os.path.join(rec.run_dir, "cache"), ignore_errors=True)
            # The imported output: the last layer's values on the engine against PyTorch's eval output.
            channels = ",".join(str(c) for c in range(last["channels"]))
            answer = json.loads(cli("query", rec.run_dir, "featureMaps", "--epoch", "0", "--layer", str(last["index"]), "--channels", channels))
            maps = np.frombuffer(base64.b64decode(answer["maps"]["base64"]), dtype=np.float32).reshape(len(x), -1)
            test.assertEqual(maps.shape, expected.shape)
            # Relative to the output's scale: a randomly initialised Inception v3 scores up to 9e7, where
            # PyTorch's own float32 output is 1.3e-5 of it away from its float64 one.
            scale = max(1.0, float(np.max(np.abs(expected))))
            test.assertLessEqual(float(np.max(np.abs(maps - expected))) / scale, OUTPUT_TOLERANCE)

            # One ablation: the engine's against PyTorch's forward with that channel of that module zeroed.
            answer = json.loads(cli("query", rec.run_dir, "ablation", "--epoch", "0", "--layer", str(layer["index"]), "--channels", str(channel)))
            test.assertEqual(answer["ablated"]["accuracy"], accuracy)
            test.assertAlmostEqual(answer["ablated"]["loss"], loss, delta=LOSS_RTOL * abs(loss))
    return layers, answer


def _eval_output(model, x):
    """The model's output on x in eval mode without gradients, every module's mode put back after."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            return model(x)
    finally:
        for module, training in modes:
            module.training = training


@contextlib.contextmanager
def _engine(engine):
    """`CNN_SLICER_ENGINE=wasm` in the environment of the CLI's processes for "wasm", unset for "native"."""
    saved = os.environ.pop("CNN_SLICER_ENGINE", None)
    if engine == "wasm":
        os.environ["CNN_SLICER_ENGINE"] = "wasm"
    try:
        yield
    finally:
        os.environ.pop("CNN_SLICER_ENGINE", None)
        if saved is not None:
            os.environ["CNN_SLICER_ENGINE"] = saved

"""The recorder against the contract it shares with the TypeScript side (cnn_slicer/contract.json,
generated from src/contract): its tables are the contract's, every class it can record is one the
contract lists (a forward pass through one of each), and its defaults and constants are read from it."""

import inspect
import unittest

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cnn_slicer import measures, ops, recorder
from cnn_slicer.contract import CONTRACT
from cnn_slicer.trace import UnsupportedModelError, module_args, run_captured

MODULES = CONTRACT["modules"]
OPS = CONTRACT["ops"]


def role(name):
    return [n for n, m in MODULES.items() if m["role"] == name]


def recorded_classes():
    """Every className a run's layer may have, as the contract lists them (a subclass recorded as its base left out)."""
    return {n for n, m in MODULES.items() if m["role"] == "layer" and "recordedAs" not in m} | set(OPS)


class EveryOp(nn.Module):
    """One of each layer module and functional op the contract lists, on a [N, 4, 8, 8] map."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.acts = nn.ModuleList([nn.ReLU(), nn.ReLU6(), nn.LeakyReLU(), nn.ELU(), nn.Sigmoid(), nn.Tanh(), nn.Hardswish(), nn.Hardsigmoid(), nn.SiLU(), nn.GELU()])
        self.ln = nn.LayerNorm(4)
        self.gamma = nn.Parameter(torch.full((4, 1, 1), 0.5))
        self.pools = nn.Sequential(nn.MaxPool2d(2), nn.AvgPool2d(1), nn.AdaptiveMaxPool2d(4), nn.AdaptiveAvgPool2d(4))
        self.up = nn.Upsample(scale_factor=2)
        self.up_nearest = nn.UpsamplingNearest2d(scale_factor=2)
        self.up_bilinear = nn.UpsamplingBilinear2d(scale_factor=0.5)
        self.passes = nn.ModuleDict({"drop": nn.Dropout(), "drop2": nn.Dropout2d(), "alpha": nn.AlphaDropout(), "id": nn.Identity()})
        self.drop1 = nn.Dropout1d()
        self.flat = nn.Flatten()
        self.bn1 = nn.BatchNorm1d(4)
        self.fc = nn.Linear(4, 3)
        self.softmax, self.log_softmax = nn.Softmax(1), nn.LogSoftmax(1)

    def forward(self, x):
        x = self.bn(self.conv(x))
        for act in self.acts:
            x = act(x)
        x = F.gelu(F.silu(F.hardsigmoid(F.hardswish(torch.tanh(torch.sigmoid(F.elu(F.leaky_relu(F.relu6(F.relu(x))))))))))
        x = self.ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = F.layer_norm(x.permute(0, 2, 3, 1), (4,)).permute(0, 3, 1, 2)
        x = self.gamma * x
        x = (x + x) * x
        a, b = x.chunk(2, 1)
        c, d = torch.split(x, 2, 1)
        x = torch.cat([a, d], 1) + torch.cat([c, b], 1) + x[:, 0:4]
        x = F.avg_pool2d(F.max_pool2d(self.pools(x), 1), 1)
        x = F.adaptive_max_pool2d(F.adaptive_avg_pool2d(x, 4), 4)
        x = F.interpolate(self.up_bilinear(self.up_nearest(self.up(x))), scale_factor=0.5)
        for p in self.passes.values():
            x = p(x)
        v = self.flat(x.mean([2, 3]) + x.amax((2, 3)))
        v = self.fc(self.bn1(self.drop1(v)))
        return self.softmax(v) + F.softmax(v, 1) + self.log_softmax(v) + F.log_softmax(v, 1)


class TablesTest(unittest.TestCase):
    def test_the_module_tables_are_the_contract_s(self):
        self.assertEqual(list(ops.LAYER_MODULES), [n for n in role("layer") if "recordedAs" not in MODULES[n]])
        for name, cls in ops.LAYER_MODULES.items():
            self.assertIs(cls, getattr(nn, name))
        self.assertEqual([c.__name__ for c in ops.PASS_MODULES], role("pass"))
        self.assertEqual([c.__name__ for c in ops.CONTAINERS], role("container"))
        for name, m in MODULES.items():
            if "recordedAs" in m:
                self.assertTrue(issubclass(getattr(nn, name), ops.LAYER_MODULES[m["recordedAs"]]), name)

    def test_the_function_tables_are_the_contract_s(self):
        self.assertEqual(ops.LAYER_FUNCTIONS, {d: op for op, e in OPS.items() for d in e["dispatch"]})
        self.assertEqual(ops.PASS_FUNCTIONS, frozenset(CONTRACT["passFunctions"]))
        self.assertEqual(ops.METADATA, frozenset(CONTRACT["metadata"]))
        self.assertEqual(ops.RESAMPLE_MODES, tuple(CONTRACT["resampleModes"]))
        # A name is one thing: a layer's dispatch, a pass or a read.
        names = list(ops.LAYER_FUNCTIONS) + list(ops.PASS_FUNCTIONS) + list(ops.METADATA)
        self.assertEqual(len(names), len(set(names)))

    def test_what_the_contract_says_of_torch_is_true(self):
        # The Python scan finds `x.relu()` by the ops marked as Tensor methods; `F.<op>`'s inplace flag
        # sits where the contract says (the recorder turns it off there).
        for op, entry in OPS.items():
            for name in entry["dispatch"]:
                if entry.get("tensorMethod") and not name.startswith("__"):
                    self.assertTrue(hasattr(torch.Tensor, name), f"{op}: Tensor.{name}")
            if "inplaceAt" in entry:
                params = list(inspect.signature(getattr(F, op)).parameters)
                self.assertEqual(params.index("inplace"), entry["inplaceAt"], op)
        self.assertEqual(ops.INPLACE_POSITIONS, {op: e["inplaceAt"] for op, e in OPS.items() if "inplaceAt" in e})
        # Every functional activation with an inplace flag is listed.
        for op in OPS:
            try:
                params = inspect.signature(getattr(F, op)).parameters
            except (AttributeError, TypeError, ValueError):  # not in F, or a builtin without a signature
                continue
            if "inplace" in params:
                self.assertIn("inplaceAt", OPS[op], op)

    def test_every_class_the_recorder_can_name_is_in_the_contract(self):
        # What trace.py writes as a className: a layer module's (or "LayerNorm" for a layer norm of the
        # user's), an op's, the layer scale's.
        emitted = set(ops.LAYER_MODULES) | set(ops.LAYER_FUNCTIONS.values()) | {ops.LAYER_SCALE, "LayerNorm"}
        self.assertEqual(emitted, recorded_classes())
        self.assertEqual(ops.PROBABILITIES, ("Softmax", "softmax"))
        for table in (ops.CHANNELS_LAST_MODULES, ops.CHANNELS_LAST_OPS, ops.TWO_TENSOR_OPS, ops.SPATIAL_REDUCTIONS, ops.CHANNEL_SPLITS, ops.OPTIONS, ops.PROBABILITIES):
            self.assertLessEqual(set(table), recorded_classes())

    def test_one_of_each_records_every_class_of_the_contract_and_no_other(self):
        torch.manual_seed(0)
        model = EveryOp().eval()
        _, layers = run_captured(model, torch.randn(2, 4, 8, 8))
        self.assertEqual({layer.class_name for layer in layers}, recorded_classes())
        ups = [layer.class_name for layer in layers if layer.module is not None and isinstance(layer.module, nn.Upsample)]
        self.assertEqual(ups, ["Upsample"] * 3)
        # The recorded options follow the contract's: pairs as [h, w], a pooling's strides its size by default.
        self.assertEqual(module_args(model.conv), {"filters": 4, "kernelSize": [3, 3], "strides": [1, 1]})
        self.assertEqual(module_args(model.pools[0]), {"poolSize": [2, 2], "strides": [2, 2]})
        self.assertEqual(module_args(model.fc), {"units": 3})
        self.assertIsNone(module_args(model.bn))
        pools = [layer.args for layer in layers if layer.class_name in ("max_pool2d", "avg_pool2d")]
        self.assertEqual(pools, [{"poolSize": [1, 1], "strides": [1, 1]}] * 2)


class Functional(nn.Module):
    """A convolution, then `fn` of its value."""

    def __init__(self, fn):
        super().__init__()
        self.conv, self.fn = nn.Conv2d(2, 3, 3), fn

    def forward(self, x):
        return self.fn(self.conv(x))


class EluTest(unittest.TestCase):
    """F.elu, which the kinds listed before the recorder recorded it (issue 69): a layer `elu`, its
    in-place form computed out of place so that the layer before it keeps its value."""

    def test_functional_elu_in_place_is_a_layer_and_keeps_the_convolution_s_value(self):
        class ConvElu(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(2, 3, 3)

            def forward(self, x):
                return F.elu(F.elu(self.conv(x), 1.0, True), inplace=True)

        torch.manual_seed(0)
        model = ConvElu()
        x = torch.randn(2, 2, 6, 6)
        with torch.no_grad():
            expected = model(x)
            output, layers = run_captured(model, x)
        self.assertEqual([(l.name, l.class_name) for l in layers], [("conv", "Conv2d"), ("elu", "elu"), ("elu-2", "elu")])
        conv, elu, elu2 = (l.value for l in layers)
        self.assertLess(float(conv.min()), 0.0, "the convolution's value before the in-place ELU")
        self.assertTrue(torch.equal(elu, F.elu(conv)))
        self.assertTrue(torch.equal(elu2, F.elu(elu)))
        self.assertTrue(torch.equal(output, expected))

    def test_another_alpha_is_refused_in_one_line(self):
        # TensorFlow.js's ELU, which the engine runs an imported Elu as, has alpha 1 only.
        for model, names in [
            (nn.Sequential(nn.Conv2d(2, 3, 3), nn.ELU(alpha=0.5)), ["1 (ELU)", "alpha=0.5"]),
            (Functional(lambda x: F.elu(x, 0.5)), ["elu", "alpha=0.5"]),
            (Functional(lambda x: F.elu(x, alpha=2.0, inplace=True)), ["elu", "alpha=2.0"]),
        ]:
            with self.assertRaises(UnsupportedModelError) as e:
                run_captured(model, torch.randn(1, 2, 6, 6))
            message = str(e.exception)
            self.assertEqual(len(message.splitlines()), 1, message)
            self.assertIn("CNN Slicer imports an ELU with alpha=1 only", message)
            for name in names:
                self.assertIn(name, message)


class PredictionsTest(unittest.TestCase):
    """The probe measures against the known answers of the TypeScript definition (src/analysis/predictions.ts)."""

    def test_softmax_loss_accuracy_and_confusion_are_the_engine_s(self):
        answer = CONTRACT["knownAnswers"]["predictions"]
        logits = np.array(answer["logits"], dtype=np.float32).reshape(-1, answer["classes"])
        scores = measures.softmax_rows(logits)
        # exp may differ from JavaScript's Math.exp in its last bits: 1e-14 relative, not bit for bit.
        np.testing.assert_allclose(scores.ravel(), answer["scores"], rtol=1e-14, atol=0)
        loss, accuracy, confusion = measures.prediction_measures(scores, np.array(answer["labels"]), answer["classes"])
        self.assertAlmostEqual(loss, answer["loss"], delta=1e-14 * answer["loss"])
        self.assertEqual((accuracy, confusion), (answer["accuracy"], answer["confusion"]))
        # The confident row's loss is about 2e-9, not 0 (a float32 p(label) rounds to 1).
        self.assertGreater(-np.log(scores[2, 0]), 1e-9)


class ConstantsTest(unittest.TestCase):
    def test_defaults_and_constants_come_from_the_contract(self):
        # Known answers: the values src/contract/recordSettings.ts and src/analysis/predictions.ts define.
        self.assertEqual((recorder.DEFAULT_BINS, recorder.DEFAULT_K, recorder.DEFAULT_PROBE_SIZE), (32, 1000, 500))
        self.assertEqual(measures.LOSS_EPSILON, 1e-7)
        self.assertEqual(CONTRACT["recordDefaults"]["probeSize"], recorder.DEFAULT_PROBE_SIZE)


if __name__ == "__main__":
    unittest.main()

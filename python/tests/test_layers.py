"""The layer axis: names, classes, shapes, source lines, refusals, and what the ONNX checkpoint holds."""

import inspect
import os
import tempfile
import unittest
import unittest.mock

import torch
import torch.nn as nn

from cnn_slicer import UnsupportedModelError, export_onnx, layer_table, tapped_outputs
from tests.models import Block, ConvInplaceRelu, Fourier, LeNet, Nested, Regression, Scaled
from tests.onnx_graph import producers, read_graph

MODELS = os.path.abspath(inspect.getsourcefile(LeNet))


def line_of(text, occurrence=1):
    """The 1-based line of the `occurrence`-th line of models.py that contains `text`."""
    with open(MODELS, encoding="utf-8") as f:
        lines = [i + 1 for i, line in enumerate(f) if text in line]
    return lines[occurrence - 1]


def line_of_here(text):
    """The 1-based line of this file that contains `text`."""
    with open(__file__, encoding="utf-8") as f:
        return next(i + 1 for i, line in enumerate(f) if text in line)


def by_name(layers):
    return {layer["name"]: layer for layer in layers}


class _RepeatedBlock(nn.Module):
    """A block used only by test_each_class_s_source_is_found_once."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x))


class LayerTableTest(unittest.TestCase):
    def test_lenet_layers_in_execution_order_with_shapes_parameters_and_args(self):
        layers, kind = layer_table(LeNet(), torch.zeros(1, 1, 28, 28))
        self.assertEqual(kind, "logits")
        self.assertEqual(
            [(l["name"], l["className"]) for l in layers],
            [
                ("input", "InputLayer"),
                ("conv1", "Conv2d"),
                ("relu", "relu"),
                ("pool", "MaxPool2d"),
                ("conv2", "Conv2d"),
                ("bn", "BatchNorm2d"),
                ("relu-2", "relu"),
                ("pool-2", "MaxPool2d"),
                ("fc", "Linear"),
            ],
        )
        self.assertEqual(layers[0], {"index": 0, "name": "input", "className": "InputLayer", "outputShape": [1, 28, 28], "channels": 1, "dataFormat": "channelsFirst", "parameters": 0})
        conv1 = layers[1]
        self.assertEqual((conv1["outputShape"], conv1["channels"], conv1["dataFormat"], conv1["parameters"]), ([4, 24, 24], 4, "channelsFirst", 104))
        self.assertEqual(conv1["args"], {"filters": 4, "kernelSize": [5, 5], "strides": [1, 1]})
        self.assertEqual(layers[3]["args"], {"poolSize": [2, 2], "strides": [2, 2]})
        fc = layers[-1]
        self.assertEqual((fc["outputShape"], fc["channels"], fc["parameters"], fc["args"]), ([10], 1, 8 * 16 * 10 + 10, {"units": 10}))
        self.assertNotIn("dataFormat", fc)
        self.assertEqual([l["index"] for l in layers], list(range(len(layers))))

    def test_source_lines_of_modules_and_functional_ops(self):
        layers = by_name(layer_table(LeNet(), torch.zeros(1, 1, 28, 28))[0])
        self.assertEqual(layers["conv1"]["source"], {"file": MODELS, "line": line_of("self.conv1 = nn.Conv2d(1, 4, 5)"), "column": 22})
        self.assertEqual(layers["pool-2"]["source"]["line"], line_of("self.pool = nn.MaxPool2d(2)"))
        self.assertEqual(layers["relu"]["source"], {"file": MODELS, "line": line_of("x = self.pool(F.relu(self.conv1(x)))"), "column": 23})
        self.assertEqual(layers["relu-2"]["source"]["line"], line_of("x = self.pool(F.relu(self.bn(self.conv2(x))))"))
        self.assertNotIn("source", layers["input"])

    def test_nested_blocks_sequential_entries_helpers_and_repeated_calls(self):
        layers = by_name(layer_table(Nested(), torch.zeros(1, 3, 8, 8))[0])
        names = list(layers)
        self.assertEqual(
            names[:12],
            [
                "input",
                "stem.0",
                "stem.1",
                "layer1.0.conv",
                "layer1.0.bn",
                "layer1.0.relu",
                "layer1.0.shortcut.0",
                "layer1.0.shortcut.1",
                "layer1.0.add",
                "layer1.0.relu-2",
                "layer1.0.relu-3",
                "layer1.1.conv",
            ],
        )
        self.assertEqual(names[-4:], ["layer1.1.relu-3", "layer1.2", "adaptive_avg_pool2d", "fc"])
        self.assertEqual(layers["layer1.0.add"]["className"], "add")
        self.assertEqual(layers["layer1.0.relu-2"]["className"], "relu")
        self.assertEqual(layers["layer1.0.relu-3"]["className"], "ReLU")
        stem = line_of("self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True))")
        self.assertEqual((layers["stem.0"]["source"]["line"], layers["stem.0"]["source"]["column"]), (stem, 35))
        self.assertEqual((layers["stem.1"]["source"]["line"], layers["stem.1"]["source"]["column"]), (stem, 66))
        self.assertEqual(layers["layer1.1.conv"]["source"]["line"], line_of("self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)"))
        # The Sequential with its entries, not the empty one assigned first.
        self.assertEqual(layers["layer1.0.shortcut.1"]["source"]["line"], line_of("nn.BatchNorm2d(c),"))
        # Built by a helper that appends it: the append line.
        self.assertEqual(layers["layer1.2"]["source"]["line"], line_of("layers.append(nn.ReLU())"))
        self.assertEqual(layers["layer1.0.add"]["source"]["line"], line_of("out += self.shortcut(x)"))
        self.assertEqual(layers["adaptive_avg_pool2d"]["source"]["line"], line_of("x = F.adaptive_avg_pool2d(x, 1)"))

    def test_each_class_s_source_is_found_once(self):
        # inspect.getsourcelines parses the class's whole file: once per class, not once per module.
        model = nn.Sequential(nn.Conv2d(3, 4, 1), *[_RepeatedBlock() for _ in range(5)], nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
        real = inspect.getsourcelines
        with unittest.mock.patch.object(inspect, "getsourcelines", side_effect=real) as looked_up:
            layers = by_name(layer_table(model, torch.zeros(1, 3, 4, 4))[0])
        self.assertEqual([call.args[0] for call in looked_up.call_args_list].count(_RepeatedBlock), 1)
        conv = line_of_here("self.conv = nn.Conv2d(4, 4, 3, padding=1)")
        self.assertEqual([layers[f"{i}.conv"]["source"]["line"] for i in range(1, 6)], [conv] * 5)

    def test_helper_functions_returning_a_sequential_locate_their_entries_inside(self):
        # MobileNet's `conv_bn(3, 8, 2)` inside `nn.Sequential(...)`: the Conv2d is the helper's
        # `nn.Conv2d(...)`, not the call's first argument (the literal `3`).
        import importlib.util

        path = os.path.join(os.path.dirname(MODELS), "..", "..", "test", "fixtures", "python-models", "mobilenet.py")
        path = os.path.abspath(path)
        spec = importlib.util.spec_from_file_location("fixture_mobilenet", path)
        module = importlib.util.module_from_spec(spec)
        import sys

        sys.modules["fixture_mobilenet"] = module
        spec.loader.exec_module(module)
        layers = by_name(layer_table(module.MobileNet(), torch.zeros(1, 3, 16, 16))[0])
        with open(path, encoding="utf-8") as f:
            text = f.read().splitlines()

        def at(line_text, occurrence=1):
            line = [i + 1 for i, l in enumerate(text) if line_text in l][occurrence - 1]
            return {"file": path, "line": line, "column": text[line - 1].index(line_text) + 1}

        self.assertEqual(layers["model.0.0"]["source"], at("nn.Conv2d(inp, oup, 3, stride, 1, bias=False)"))
        self.assertEqual(layers["model.0.2"]["source"], at("nn.ReLU(inplace=True)"))
        self.assertEqual(layers["model.1.3"]["source"], at("nn.Conv2d(inp, oup, 1, 1, 0, bias=False)"))
        self.assertEqual(layers["model.2.3"]["source"], layers["model.1.3"]["source"])
        self.assertEqual(layers["model.3"]["source"], at("nn.AdaptiveAvgPool2d(1)"))

    def test_softmax_output_kind(self):
        model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.Softmax(dim=1))
        layers, kind = layer_table(model, torch.zeros(1, 4))
        self.assertEqual(kind, "softmax")
        self.assertEqual([l["name"] for l in layers], ["input", "1", "2"])
        self.assertEqual(layers[0]["outputShape"], [4])
        self.assertNotIn("dataFormat", layers[0])

    def test_refusals_are_one_line_naming_module_class_and_op(self):
        cases = [
            (Fourier(), torch.zeros(1, 1, 8, 8), r"^cnn_slicer: <model> \(Fourier\) calls torch\._C\._fft\.fft_fft2|fft2"),
            (Scaled(), torch.zeros(1, 4), r"^cnn_slicer: <model> \(Scaled\) calls Tensor\.mul with a scalar operand"),
            (Regression(), torch.zeros(1, 4), r"squeeze"),
            (nn.Sequential(nn.Linear(4, 1)), torch.zeros(1, 4), r"output is \[1, 1\], not \[N, classes\] class scores"),
            (LeNet(), torch.zeros(1, 3, 28, 28), r"cannot run on a probe input of shape \[3, 28, 28\]"),
            # A module the importer cannot run yet: GroupNorm is refused where it is called.
            (nn.Sequential(nn.Conv2d(3, 4, 1), nn.GroupNorm(2, 4), nn.Flatten(), nn.Linear(4, 3)), torch.zeros(1, 3, 1, 1), r"^cnn_slicer: 1 \(GroupNorm\) calls [\w.]*group_norm"),
        ]
        for model, example, pattern in cases:
            with self.subTest(model=type(model).__name__):
                with self.assertRaises(UnsupportedModelError) as caught:
                    layer_table(model, example)
                message = str(caught.exception)
                self.assertEqual(len(message.splitlines()), 1, message)
                self.assertRegex(message, pattern)
        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: <model> \(Fourier\) calls [\w.]*fft2, an operation CNN Slicer cannot import"):
            layer_table(Fourier(), torch.zeros(1, 1, 8, 8))

    def test_a_custom_autograd_function_is_refused_by_what_it_computes(self):
        class Clamp(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.clamp(min=0)

            @staticmethod
            def backward(ctx, grad):
                return grad

        class Custom(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 3)

            def forward(self, x):
                return self.fc(Clamp.apply(x))

        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: <model> \(Custom\) calls Tensor\.clamp, an operation CNN Slicer cannot import"):
            layer_table(Custom(), torch.zeros(1, 4))

    def test_an_unknown_op_inside_a_nested_module_names_its_path(self):
        class Inner(nn.Module):
            def forward(self, x):
                return x.cumsum(dim=1)

        model = nn.Sequential(nn.Conv2d(1, 2, 3), Inner(), nn.Flatten(), nn.Linear(72, 2))
        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: 1 \(Inner\) calls Tensor\.cumsum, an operation"):
            layer_table(model, torch.zeros(1, 1, 8, 8))

    def test_pieces_of_the_channels_are_layers_and_other_cuts_are_refused(self):
        class Cut(nn.Module):
            def __init__(self, how):
                super().__init__()
                self.conv = nn.Conv2d(1, 4, 3)
                self.how = how

            def forward(self, x):
                x = self.conv(x)
                if self.how == "slice":
                    x = torch.cat([x[:, 2:], x[:, :2]], 1)
                elif self.how == "chunk":
                    a, b = x.chunk(2, dim=1)
                    x = torch.cat([b, a], 1)
                elif self.how == "rows":
                    x = x[:, :, :3]
                elif self.how == "chunk rows":
                    x = torch.cat(x.chunk(2, dim=2), 1)
                return torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)

        layers, _ = layer_table(Cut("slice"), torch.zeros(1, 1, 8, 8))
        self.assertEqual([(l["name"], l["className"], l["outputShape"]) for l in layers[2:4]], [("slice", "slice", [2, 6, 6]), ("slice-2", "slice", [2, 6, 6])])
        layers, _ = layer_table(Cut("chunk"), torch.zeros(1, 1, 8, 8))
        self.assertEqual([(l["name"], l["className"]) for l in layers[2:4]], [("chunk", "chunk"), ("chunk-2", "chunk")])
        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: <model> \(Cut\) indexes a tensor other than by a slice of its channels"):
            layer_table(Cut("rows"), torch.zeros(1, 1, 8, 8))
        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: <model> \(Cut\) calls Tensor\.chunk along another axis than the channels"):
            layer_table(Cut("chunk rows"), torch.zeros(1, 1, 8, 8))

    def test_gelu_exact_and_tanh_are_layers(self):
        layers, _ = layer_table(nn.Sequential(nn.Linear(4, 3), nn.GELU()), torch.zeros(1, 4))
        self.assertEqual(layers[2]["className"], "GELU")
        layers, _ = layer_table(nn.Sequential(nn.Linear(4, 3), nn.GELU(approximate="tanh")), torch.zeros(1, 4))
        self.assertEqual((layers[2]["name"], layers[2]["className"]), ("1", "GELU"))

        class Functional(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 3)

            def forward(self, x):
                return nn.functional.gelu(self.fc(x), approximate="tanh")

        layers, _ = layer_table(Functional(), torch.zeros(1, 4))
        self.assertEqual((layers[2]["name"], layers[2]["className"]), ("gelu", "gelu"))

    def test_interpolate_and_upsample_are_layers_nearest_and_bilinear_only(self):
        class Up(nn.Module):
            def __init__(self, **how):
                super().__init__()
                self.how = how
                self.conv = nn.Conv2d(1, 2, 3, padding=1)
                self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
                self.up2 = nn.UpsamplingNearest2d(size=(5, 7))
                self.head = nn.Linear(2 * 5 * 7, 3)

            def forward(self, x):
                x = nn.functional.interpolate(self.up(self.conv(x)), **self.how)
                return self.head(self.up2(x).flatten(1))

        layers, _ = layer_table(Up(scale_factor=0.5), torch.zeros(1, 1, 6, 6))
        got = [(l["name"], l["className"], l["outputShape"]) for l in layers[2:5]]
        self.assertEqual(got, [("up", "Upsample", [2, 12, 12]), ("interpolate", "interpolate", [2, 6, 6]), ("up2", "Upsample", [2, 5, 7])])
        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: <model> \(Up\) calls torch\.nn\.functional\.interpolate resamples by mode 'bicubic'; CNN Slicer imports the modes nearest and bilinear$"):
            layer_table(Up(scale_factor=0.5, mode="bicubic"), torch.zeros(1, 1, 6, 6))
        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: <model> \(Up\) calls torch\.nn\.functional\.interpolate resamples with antialias=True"):
            layer_table(Up(scale_factor=0.5, mode="bilinear", antialias=True), torch.zeros(1, 1, 6, 6))
        model = Up(scale_factor=0.5)
        model.up2.mode = "area"
        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: up2 \(Upsample\) resamples by mode 'area'"):
            layer_table(model, torch.zeros(1, 1, 6, 6))

    def test_a_channels_last_stretch_is_recorded_channels_first(self):
        class Block(nn.Module):
            def __init__(self, mode="block"):
                super().__init__()
                self.mode = mode
                self.conv = nn.Conv2d(3, 4, 3, padding=1)
                self.norm = nn.LayerNorm(4)
                self.fc = nn.Linear(4, 6)
                self.gamma = nn.Parameter(torch.ones(6))
                self.head = nn.Linear(6 * 5 * 5, 3)

            def forward(self, x):
                x = self.conv(x).permute(0, 2, 3, 1)
                if self.mode == "view":
                    x = x.reshape(x.shape[0], -1, 4)
                x = torch.relu(self.fc(self.norm(x)))
                x = (self.gamma * x).permute(0, 3, 1, 2)
                return self.head(x.flatten(1))

        layers, _ = layer_table(Block(), torch.zeros(1, 3, 5, 5))
        got = [(layer["name"], layer["className"], layer["outputShape"]) for layer in layers[1:]]
        self.assertEqual(
            got,
            [("conv", "Conv2d", [4, 5, 5]), ("norm", "LayerNorm", [4, 5, 5]), ("fc", "Linear", [6, 5, 5]), ("relu", "relu", [6, 5, 5]), ("mul", "layer_scale", [6, 5, 5]), ("head", "Linear", [3])],
        )
        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: <model> \(Block\) calls Tensor\.reshape on a map with its channels last"):
            layer_table(Block("view"), torch.zeros(1, 3, 5, 5))

    def test_layer_norm_over_the_channels_only(self):
        class Wide(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 4, 1)
                self.norm = nn.LayerNorm(6)
                self.head = nn.Linear(4 * 5 * 6, 3)

            def forward(self, x):
                return self.head(torch.flatten(self.norm(self.conv(x)), 1))

        # Over the width of a channels-first map: refused, though it runs.
        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: norm \(LayerNorm\) normalises over the shape \[6\], not the 4 channels"):
            layer_table(Wide(), torch.zeros(1, 3, 5, 6))
        # torchvision's LayerNorm2d (a LayerNorm whose forward permutes) over the channels of a map: a layer.
        import torchvision.models.convnext as convnext

        layers, _ = layer_table(nn.Sequential(nn.Conv2d(3, 4, 1), convnext.LayerNorm2d(4), nn.Flatten(), nn.Linear(4, 3)), torch.zeros(1, 3, 1, 1))
        self.assertEqual(layers[2]["className"], "LayerNorm")

        class LayerNorm(nn.Module):
            """A user's LayerNorm that normalises the width, not the channels: refused, checked by its values."""

            def __init__(self, c):
                super().__init__()
                self.weight, self.bias, self.eps = nn.Parameter(torch.ones(c)), nn.Parameter(torch.zeros(c)), 1e-6

            def forward(self, x):
                return nn.functional.layer_norm(x, (x.shape[-1],), None, None, self.eps) * self.weight[:, None, None] + self.bias[:, None, None]

        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: 1 \(LayerNorm\) does not compute a layer normalisation over the channels"):
            layer_table(nn.Sequential(nn.Conv2d(3, 4, 1), LayerNorm(4), nn.Flatten(), nn.Linear(64, 3)), torch.rand(1, 3, 4, 4))

    def test_modes_and_inplace_flags_are_restored(self):
        model = Nested()
        model.train()
        model.layer1[1].eval()
        layer_table(model, torch.zeros(1, 3, 8, 8))
        self.assertTrue(model.training and model.stem.training)
        self.assertFalse(model.layer1[1].training)
        self.assertTrue(model.stem[1].inplace and model.layer1[0].relu.inplace)


class CheckpointTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def export(self, model, example):
        layers, _ = layer_table(model, example)
        names = [l["name"] for l in layers[1:]]
        path = os.path.join(self.tmp.name, "model.onnx")
        export_onnx(model, example, path, names)
        return names, read_graph(path)

    def test_outputs_are_the_model_output_then_every_layer_named_as_the_manifest(self):
        torch.manual_seed(0)
        model = Nested()
        names, graph = self.export(model, torch.randn(1, 3, 8, 8))
        self.assertEqual(graph["inputs"], ["input"])
        self.assertEqual(graph["outputs"], ["output", *names])
        made_by = producers(graph)
        self.assertEqual(made_by["layer1.0.conv"], "Conv")
        self.assertEqual(made_by["layer1.0.bn"], "BatchNormalization")
        self.assertEqual(made_by["layer1.0.add"], "Add")
        self.assertEqual(made_by["adaptive_avg_pool2d"], "GlobalAveragePool")

    def test_a_layer_named_output_keeps_its_name_and_the_model_output_is_renamed(self):
        class Head(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(4, 5)
                self.output = nn.Linear(5, 3)

            def forward(self, x):
                return self.output(torch.relu(self.hidden(x)))

        names, graph = self.export(Head(), torch.zeros(1, 4))
        self.assertEqual(names, ["hidden", "relu", "output"])
        self.assertEqual(graph["outputs"], ["cnn_slicer_output", "hidden", "relu", "output"])

    def test_a_root_sequential_s_layers_keep_their_digit_names(self):
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 6 * 6, 3))
        names, graph = self.export(model, torch.zeros(1, 1, 8, 8))
        self.assertEqual(names, ["0", "1", "3"])
        self.assertEqual(graph["outputs"], ["output", "0", "1", "3"])
        self.assertEqual(producers(graph)["0"], "Conv")

    def test_batch_norm_stays_its_own_node_and_keeps_its_statistics(self):
        torch.manual_seed(0)
        model = LeNet()
        with torch.no_grad():
            model.bn.running_mean.uniform_(-1, 1)
        model.train()
        before = {k: v.clone() for k, v in model.state_dict().items()}
        _, graph = self.export(model, torch.randn(1, 1, 28, 28))
        self.assertIn("BatchNormalization", [op for op, _, _ in graph["nodes"]])
        self.assertEqual(producers(graph)["bn"], "BatchNormalization")
        for key, value in model.state_dict().items():
            self.assertTrue(torch.equal(value, before[key]), key)
        self.assertTrue(model.training)

    def test_an_inplace_relu_does_not_overwrite_the_conv_output(self):
        torch.manual_seed(0)
        model = ConvInplaceRelu()
        x = torch.randn(2, 1, 8, 8)
        names, graph = self.export(model, x[:1])
        self.assertEqual(names, ["conv", "relu", "fc"])
        self.assertEqual(producers(graph)["conv"], "Conv")
        self.assertEqual(producers(graph)["relu"], "Relu")
        output, conv, relu, fc = tapped_outputs(model, x, names)
        self.assertLess(float(conv.min()), 0.0)
        self.assertTrue(torch.equal(relu, torch.relu(conv)))
        self.assertTrue(torch.equal(output, fc))
        with torch.no_grad():
            self.assertTrue(torch.equal(output, model(x)))

    def test_inplace_add_and_functional_inplace_relu_keep_earlier_values(self):
        torch.manual_seed(0)
        block = nn.Sequential(Block(2), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
        with torch.no_grad():
            block[0].bn.running_mean.uniform_(-1, 1)
        x = torch.randn(2, 2, 4, 4)
        layers, _ = layer_table(block, x[:1])
        names = [l["name"] for l in layers[1:]]
        values = dict(zip(["output", *names], tapped_outputs(block, x, names)))
        bn, shortcut, added = values["0.bn"], values["0.shortcut.1"], values["0.add"]
        self.assertLess(float(bn.min()), 0.0, "the BatchNorm output before the in-place ReLU")
        self.assertTrue(torch.allclose(added, values["0.relu"] + shortcut))
        self.assertTrue(torch.equal(values["0.relu-2"], torch.relu(added)))
        block.eval()
        with torch.no_grad():
            self.assertTrue(torch.equal(values["output"], block(x)))
        _, graph = self.export(block, x[:1])
        self.assertEqual(producers(graph)["0.bn"], "BatchNormalization")
        self.assertEqual(producers(graph)["0.add"], "Add")


if __name__ == "__main__":
    unittest.main()

"""The one table of what CNN Slicer records from a PyTorch model, and what it lets pass.

Modules: a module whose class (or a base class) is in ``LAYER_MODULES`` is one layer of the layer
axis and is opaque (the operations its forward() issues are not looked at). A module in
``PASS_MODULES`` is not a layer; the operations inside it are still checked. Any other module is a
scope: the operations its forward() issues are checked, and the ones in ``LAYER_FUNCTIONS`` are
layers named ``<scope>.<op>``.

Functions: ``LAYER_FUNCTIONS`` maps the name torch dispatches under (``F.relu``, ``torch.relu`` and
``Tensor.relu`` all dispatch as ``relu``; ``a + b`` as ``add``, ``a += b`` as ``add_``) to the
layer's op name. ``PASS_FUNCTIONS`` are operations the TypeScript importer knows that are not layers
(reshaping, dropout, functional linear/conv/batch norm), ``METADATA`` are reads that compute nothing.
Anything else inside a forward() is refused with one line naming the module and the operation.
"""

import torch.nn as nn

# Class name written as `className` -> module classes (isinstance). Only what CNN Slicer's importer
# runs exactly (src/onnx/plan.ts, docs/pytorch.md): no 1-D convolutions, group or instance
# normalisation yet; LayerNorm over the channels only (trace.py checks its axis: a vector's, a
# channels-last map's after `x.permute(0, 2, 3, 1)`, or LayerNorm2d's, which permutes inside); GELU
# exact or tanh; Upsample (and its UpsamplingNearest2d / UpsamplingBilinear2d) nearest or bilinear on
# a [N, C, H, W] map only (trace.py checks the mode).
LAYER_MODULES = {
    "Conv2d": nn.Conv2d,
    "Linear": nn.Linear,
    "BatchNorm1d": nn.BatchNorm1d,
    "BatchNorm2d": nn.BatchNorm2d,
    "LayerNorm": nn.LayerNorm,
    "ReLU": nn.ReLU,
    "ReLU6": nn.ReLU6,
    "LeakyReLU": nn.LeakyReLU,
    "ELU": nn.ELU,
    "Sigmoid": nn.Sigmoid,
    "Tanh": nn.Tanh,
    "Hardswish": nn.Hardswish,
    "Hardsigmoid": nn.Hardsigmoid,
    "SiLU": nn.SiLU,
    "GELU": nn.GELU,
    "Softmax": nn.Softmax,
    "LogSoftmax": nn.LogSoftmax,
    "MaxPool2d": nn.MaxPool2d,
    "AvgPool2d": nn.AvgPool2d,
    "AdaptiveAvgPool2d": nn.AdaptiveAvgPool2d,
    "AdaptiveMaxPool2d": nn.AdaptiveMaxPool2d,
    "Upsample": nn.Upsample,
}

# Not layers; what they compute inside is checked like any forward().
PASS_MODULES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout, nn.Identity, nn.Flatten)

# Containers: a scope, never a layer.
CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)

# Dispatch name -> op name of the layer (the `<op>` of `<scope>.<op>` and its className).
LAYER_FUNCTIONS = {
    "relu": "relu",
    "relu_": "relu",
    "relu6": "relu6",
    "leaky_relu": "leaky_relu",
    "leaky_relu_": "leaky_relu",
    "sigmoid": "sigmoid",
    "sigmoid_": "sigmoid",
    "tanh": "tanh",
    "tanh_": "tanh",
    "hardswish": "hardswish",
    "hardsigmoid": "hardsigmoid",
    "silu": "silu",
    "gelu": "gelu",
    # Over the channels only (trace.py checks the axis, as for the LayerNorm module).
    "layer_norm": "layer_norm",
    "softmax": "softmax",
    "log_softmax": "log_softmax",
    "max_pool2d": "max_pool2d",
    "avg_pool2d": "avg_pool2d",
    "adaptive_avg_pool2d": "adaptive_avg_pool2d",
    "adaptive_max_pool2d": "adaptive_max_pool2d",
    # Over the spatial axes only (a global pooling, `x.mean([2, 3])`): trace.py refuses other axes.
    "mean": "mean",
    "amax": "amax",
    # F.interpolate, nearest or bilinear on a [N, C, H, W] map (trace.py refuses other modes).
    "interpolate": "interpolate",
    "add": "add",
    "add_": "add",
    "__add__": "add",
    "__radd__": "add",
    "__iadd__": "add",
    "mul": "mul",
    "mul_": "mul",
    "__mul__": "mul",
    "__rmul__": "mul",
    "__imul__": "mul",
    "cat": "cat",
    "concat": "cat",
    # Along the channels only (trace.py refuses other axes): each piece is a layer of its own.
    "chunk": "chunk",
    "split": "split",
    # A channel slice `x[:, a:b]` (trace.py refuses any other index).
    "__getitem__": "slice",
}

# Ops whose operands must be two tensors of more than one value (a scalar `x + 1` or `x * 0.5` is refused).
TWO_TENSOR_OPS = ("add", "mul")

# The className of a `mul` by a tensor without the batch axis, one value a channel (`[C, 1, 1]`, or
# `[C]` on a channels-last map): ConvNeXt's layer scale, `self.gamma * x`.
LAYER_SCALE = "layer_scale"

# A value with its channels last (`x.permute(0, 2, 3, 1)` of a map, until the permute back): the
# layers that may read one, each computing along the channels or on each value alone, so that it is
# recorded as the same layer of the channels-first map (a Linear is then a 1x1 convolution); trace.py
# records their values channels first. Modules by className, then ops.
CHANNELS_LAST_MODULES = ("Linear", "LayerNorm", "ReLU", "ReLU6", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "SiLU", "GELU")
CHANNELS_LAST_OPS = ("relu", "relu6", "leaky_relu", "sigmoid", "tanh", "hardswish", "hardsigmoid", "silu", "gelu", "layer_norm", "add", "mul", LAYER_SCALE)

# Reductions recorded only over the spatial axes of a [N, C, H, W] value (a global pooling).
SPATIAL_REDUCTIONS = ("mean", "amax")

# Resampling of a map: its modes CNN Slicer imports (ONNX Resize, src/onnx/ops/resize.ts).
RESAMPLE_MODES = ("nearest", "bilinear")

# Ops that cut a value into pieces along the channels: each piece is a layer.
CHANNEL_SPLITS = ("chunk", "split")

PASS_FUNCTIONS = frozenset(
    [
        "view",
        "reshape",
        "flatten",
        "permute",
        "transpose",
        "contiguous",
        "dropout",
        "dropout1d",
        "dropout2d",
        "feature_dropout",
        "alpha_dropout",
        "feature_alpha_dropout",
        "linear",
        "conv2d",
        "batch_norm",
    ]
)

METADATA = frozenset(["size", "dim", "numel", "__get__", "__len__", "is_floating_point", "is_contiguous", "__format__", "__repr__"])

# The operations a message lists as importable.
KNOWN_TEXT = "convolutions, linear, normalisation (layer normalisation over the channels), activations, 2-d pooling, mean/amax over the spatial axes, interpolate/Upsample (nearest, bilinear), +, * of two tensors, torch.cat, channel slices x[:, a:b], chunk/split along the channels, view/reshape/flatten/permute/transpose, dropout"

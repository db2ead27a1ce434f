"""What CNN Slicer records from a PyTorch model, and what it lets pass: the tables of contract.json.

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

import torch
import torch.nn as nn

# Every class, op and option below is read from the contract shared with the TypeScript side
# (src/contract/pytorchOps.ts), so that the recorder's tables and the engine's cannot drift apart.
from .contract import CONTRACT


def _nn_class(name: str) -> type:
    cls = getattr(nn, name, None)
    if not isinstance(cls, type):
        raise ImportError(f"cnn_slicer: torch.nn has no class {name}, which CNN Slicer records (contract.json); torch {torch.__version__} is older than CNN Slicer needs")
    return cls


_MODULES = CONTRACT["modules"]
_OPS = CONTRACT["ops"]

# Class name written as `className` -> module classes (isinstance). Only what CNN Slicer's importer
# runs exactly (src/onnx/plan.ts, docs/pytorch.md): no 1-D convolutions, group or instance
# normalisation yet; LayerNorm over the channels only (trace.py checks its axis: a vector's, a
# channels-last map's after `x.permute(0, 2, 3, 1)`, or LayerNorm2d's, which permutes inside); GELU
# exact or tanh; Upsample (and its UpsamplingNearest2d / UpsamplingBilinear2d, subclasses recorded as
# it) nearest or bilinear on a [N, C, H, W] map only (trace.py checks the mode).
LAYER_MODULES = {name: _nn_class(name) for name, m in _MODULES.items() if m["role"] == "layer" and "recordedAs" not in m}

# Not layers; what they compute inside is checked like any forward().
PASS_MODULES = tuple(_nn_class(name) for name, m in _MODULES.items() if m["role"] == "pass")

# Containers: a scope, never a layer.
CONTAINERS = tuple(_nn_class(name) for name, m in _MODULES.items() if m["role"] == "container")

# Dispatch name -> op name of the layer (the `<op>` of `<scope>.<op>` and its className). `mean` and
# `amax` over the spatial axes only, `interpolate` nearest or bilinear on a [N, C, H, W] map,
# `layer_norm` over the channels, `chunk` and `split` along the channels, `__getitem__` a channel
# slice `x[:, a:b]`: trace.py refuses the rest.
LAYER_FUNCTIONS = {name: op for op, entry in _OPS.items() for name in entry["dispatch"]}

# Layers whose value is class probabilities: a model ending in one outputs softmax scores, else logits.
PROBABILITIES = tuple(name for table in (_MODULES, _OPS) for name, entry in table.items() if entry.get("probabilities"))

# Functional activations whose `inplace` flag is positional at this index (`F.relu(x, True)`): computed out of place.
INPLACE_POSITIONS = {op: entry["inplaceAt"] for op, entry in _OPS.items() if "inplaceAt" in entry}

# Ops whose operands must be two tensors of more than one value (a scalar `x + 1` or `x * 0.5` is refused).
TWO_TENSOR_OPS = tuple(op for op, entry in _OPS.items() if entry.get("twoTensors"))

# The className of a `mul` by a tensor without the batch axis, one value a channel (`[C, 1, 1]`, or
# `[C]` on a channels-last map): ConvNeXt's layer scale, `self.gamma * x`. The one op no name dispatches as.
(LAYER_SCALE,) = [op for op, entry in _OPS.items() if not entry["dispatch"]]

# A value with its channels last (`x.permute(0, 2, 3, 1)` of a map, until the permute back): the
# layers that may read one, each computing along the channels or on each value alone, so that it is
# recorded as the same layer of the channels-first map (a Linear is then a 1x1 convolution); trace.py
# records their values channels first. Modules by className, then ops.
CHANNELS_LAST_MODULES = tuple(name for name, m in _MODULES.items() if m.get("channelsLast"))
CHANNELS_LAST_OPS = tuple(op for op, entry in _OPS.items() if entry.get("channelsLast"))

# Reductions recorded only over the spatial axes of a [N, C, H, W] value (a global pooling).
SPATIAL_REDUCTIONS = tuple(op for op, entry in _OPS.items() if entry.get("spatialReduction"))

# Resampling of a map: its modes CNN Slicer imports (ONNX Resize, src/onnx/ops/resize.ts).
RESAMPLE_MODES = tuple(CONTRACT["resampleModes"])

# Ops that cut a value into pieces along the channels: each piece is a layer.
CHANNEL_SPLITS = tuple(op for op, entry in _OPS.items() if entry.get("channelPieces"))

# Operations the TypeScript importer knows that are not layers (reshaping, dropout, functional
# linear/conv/batch norm), and reads that compute nothing.
PASS_FUNCTIONS = frozenset(CONTRACT["passFunctions"])
METADATA = frozenset(CONTRACT["metadata"])

# The options a run records of a layer, by className (a module class or an op): its Python
# parameters in positional order, recorded arg -> parameter, defaults and [h, w] pairs (trace.py
# recorded_options).
OPTIONS = {name: entry["options"] for table in (_MODULES, _OPS) for name, entry in table.items() if "options" in entry}

# The operations a message lists as importable.
KNOWN_TEXT = "convolutions, linear, normalisation (layer normalisation over the channels), activations, 2-d pooling, mean/amax over the spatial axes, interpolate/Upsample (nearest, bilinear), +, * of two tensors, torch.cat, channel slices x[:, a:b], chunk/split along the channels, view/reshape/flatten/permute/transpose, dropout"

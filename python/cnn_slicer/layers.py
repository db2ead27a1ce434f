"""The manifest's layer table of a PyTorch model, and its ONNX checkpoint.

``layer_table`` runs one forward pass of one input (eval mode, no grad) under a ``Capture`` and
returns the manifest's ``layers[]``: index 0 the input, then every layer in execution order.

``export_onnx`` writes the checkpoint: ``torch.onnx.export`` of a wrapper whose forward returns
``(model_output, *layer_outputs)`` in manifest order, with graph outputs named ``output`` and then
exactly as the layers 1..L. It exports in eval mode with ``TrainingMode.PRESERVE`` (so each
BatchNormalization stays its own node), ``do_constant_folding=False``, opset 14, the batch axis
dynamic on the input and every output; the model's modes are restored afterwards.
"""

from __future__ import annotations

from typing import Any, Sequence

import inspect
import re
import warnings

import torch
import torch.nn as nn

from . import ops
from .onnx_names import rename_values
from .notebook import Cells
from .sources import SourceFinder
from .run_format import Json
from .trace import Capture, Captured, UnsupportedModelError, module_args

# A layer's name is a TensorFlow.js layer name in the checkpoint's import (CNN Slicer's engine).
_LAYER_NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9._/]*$")
# The `-2`, `-3`, … of a module's second and later calls (trace.py `_unique`).
_CALL_SUFFIX = re.compile(r"-\d+$")

OPSET = 14


class ModelModes:
    """Saves the training flag of a model and every submodule; ``restore()`` puts them back."""

    def __init__(self, model: nn.Module) -> None:
        self.modes = [(m, m.training) for m in model.modules()]

    def restore(self) -> None:
        for module, training in self.modes:
            module.training = training


def _shape_entry(shape: list[int]) -> Json:
    """`outputShape`, `channels` and `dataFormat` as the reader checks them (src/analysis/layout.ts channelsOf):
    from rank 2 channels first, the first axis; a vector `[F]` is F units of 1 channel, without a data format."""
    if len(shape) >= 2:
        return {"outputShape": shape, "channels": shape[0], "dataFormat": "channelsFirst"}
    return {"outputShape": shape, "channels": 1}


def input_layer(example: torch.Tensor) -> Json:
    """Layer 0: the model input, per-input shape `example.shape[1:]`."""
    shape = [int(d) for d in example.shape[1:]]
    return {"index": 0, "name": "input", "className": "InputLayer", **_shape_entry(shape), "parameters": 0}


def traced_layers(model: nn.Module, example: torch.Tensor) -> tuple[Any, list[Captured]]:
    """(output, [Captured]) of one forward pass of `example` in eval mode without grad; the modes restored."""
    modes = ModelModes(model)
    model.eval()
    try:
        with torch.no_grad():
            with Capture(model, sources=True) as capture:
                try:
                    output = model(example)
                except UnsupportedModelError:
                    raise
                except RuntimeError as e:
                    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                    raise UnsupportedModelError(
                        f"the model cannot run on a probe input of shape {list(example.shape[1:])}: {first}"
                    ) from e
    finally:
        modes.restore()
    return output, capture.layers


def layer_table(model: nn.Module, example: torch.Tensor, classes: int | None = None, cells: Cells | None = None) -> tuple[list[Json], str]:
    """The manifest's `layers[]` of `model` on one input `example` ([1, ...]), and the output kind.

    Raises UnsupportedModelError (one line) for an operation CNN Slicer cannot import or an output
    that is not [N, classes] class scores. Returns (layers, output_kind).

    Args:
        model: the model, run once in eval mode without grad (its modes restored).
        example: one input with its batch axis, ``[1, ...]``.
        classes: the number of classes the output must score; default any (2 or more).
        cells: the notebook cells positions are found in (notebook.py); default the kernel's, if any.
    """
    output, captured = traced_layers(model, example)
    if not isinstance(output, torch.Tensor) or output.dim() != 2 or output.shape[1] < 2:
        described = list(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise UnsupportedModelError(f"the model's output is {described}, not [N, classes] class scores")
    if classes is not None and output.shape[1] != classes:
        raise UnsupportedModelError(f"the model's output has {output.shape[1]} scores per input, but there are {classes} classes")
    if not captured:
        raise UnsupportedModelError("the model has no layer CNN Slicer records")
    last = captured[-1]
    # The output may be the last layer's value flattened (SqueezeNet's `torch.flatten(x, 1)` after its
    # pooling to [N, classes, 1, 1]): the same scores in the same order.
    flattened = last.value.dim() > 2 and last.value.shape[0] == output.shape[0] and last.value[0].numel() == output.shape[1]
    same = last.value is output or (last.value.shape == output.shape and torch.equal(last.value, output))
    if not (same or (flattened and torch.equal(last.value.reshape(output.shape), output))):
        raise UnsupportedModelError(f"the model's output is not the output of its last layer ({last.name}, {last.class_name})")
    finder = SourceFinder(model)
    cells = cells or Cells()  # a position in a notebook cell as one in its notebook
    layers = [input_layer(example)]
    for index, layer in enumerate(captured, start=1):
        if layer.name == "input":
            raise UnsupportedModelError('a layer is named "input", the name of the model\'s input (layer 0); rename the attribute')
        if not _LAYER_NAME.match(layer.name):
            raise UnsupportedModelError(
                f"{layer.name} ({layer.class_name}): CNN Slicer names layers with letters, digits and - . _ / only "
                "(the names TensorFlow.js takes); rename the module"
            )
        shape = [int(d) for d in layer.value.shape[1:]]
        if not shape:
            raise UnsupportedModelError(f"{layer.name} ({layer.class_name}) outputs one value per input, not a layer output")
        entry: Json = {"index": index, "name": layer.name, "className": layer.class_name, **_shape_entry(shape)}
        if layer.module is not None:
            entry["parameters"] = sum(p.numel() for p in layer.module.parameters())
            site = finder.position(_CALL_SUFFIX.sub("", layer.name))
            source = None if site is None else cells.position(site["file"], site["line"], site["column"])
            args = module_args(layer.module)
        else:
            entry["parameters"] = 0
            source = None if layer.source is None else cells.position(*layer.source)
            args = layer.args
        if source is not None:
            entry["source"] = source
        if args:
            entry["args"] = args
        layers.append(entry)
    kind = "softmax" if captured[-1].class_name in ops.PROBABILITIES else "logits"
    return layers, kind


class _Tapped(nn.Module):
    """Returns (model output, *layer outputs) in the order of `names`."""

    def __init__(self, model: nn.Module, names: list[str]) -> None:
        super().__init__()
        self.model = model
        self.names = names

    def forward(self, x: torch.Tensor) -> tuple[Any, ...]:
        with Capture(self.model, tracing=torch.jit.is_tracing()) as capture:
            output = self.model(x)
        names = [layer.name for layer in capture.layers]
        if names != self.names:
            raise UnsupportedModelError(f"the model's layers changed between two passes ({len(names)} layers, then {len(self.names)})")
        return (output, *[layer.value for layer in capture.layers])


def model_output_name(names: Sequence[str]) -> str:
    """Graph output 0's name: `output`, or `cnn_slicer_output` when a layer is named `output` (`self.output = nn.Linear(...)`)."""
    return "cnn_slicer_output" if "output" in names else "output"


def torch_version(version: str | None = None) -> tuple[int, int]:
    """(major, minor) of torch's version string (`2.6.0`, `2.11.0+cu128`, `2.10.0a0+git…`)."""
    found = re.match(r"(\d+)\.(\d+)", str(torch.__version__ if version is None else version))
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def torchscript_exporter() -> dict[str, bool]:
    """The keyword arguments that make ``torch.onnx.export`` use its TorchScript exporter, the one
    whose graph keeps every tapped layer its own output and each BatchNorm its own node (PRESERVE):
    none before torch 2.5 (the only exporter), ``dynamo=False`` where export takes ``dynamo`` (2.5
    on; from 2.9 its default is True). A torch from 2.5 on whose export takes no ``dynamo`` has only
    the dynamo exporter (torch.export), which nothing here has tested: refused in one line."""
    parameters = inspect.signature(torch.onnx.export).parameters
    if "dynamo" in parameters:
        return {"dynamo": False}
    if torch_version() < (2, 5):
        return {}
    raise UnsupportedModelError(
        f"torch {torch.__version__}'s torch.onnx.export has only the dynamo exporter (no dynamo=False); CNN Slicer writes its "
        "checkpoints with the TorchScript exporter, which keeps each layer its own output and each BatchNorm unfolded: "
        "record with a torch that has it (tested: 1.13, 2.6)"
    )


def export_onnx(model: nn.Module, example: torch.Tensor, path: str, names: Sequence[str]) -> None:
    """Writes `model`'s ONNX checkpoint to `path`: outputs `output` (model_output_name), then `names` (the manifest's layers 1..L).

    Args:
        model: the model, exported in eval mode (its modes restored).
        example: one input ``[1, ...]`` the exporter traces with; the batch axis stays dynamic.
        path: the ``.onnx`` file to write.
        names: the manifest's layer names 1..L, as ``layer_table`` gives them.
    """
    modes = ModelModes(model)
    model.eval()
    wrapper = _Tapped(model, list(names))
    # torch refuses names of digits only ("2" in a root nn.Sequential): exported as a stand-in, renamed after.
    stand_ins = {name: f"cnn_slicer_layer_{name}" for name in names if name.isdigit()}
    outputs = [model_output_name(names), *[stand_ins.get(name, name) for name in names]]
    kwargs = torchscript_exporter()
    try:
        with warnings.catch_warnings():
            # torch 1.13 recommends do_constant_folding=False with PRESERVE, which is passed.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                (example,),
                path,
                input_names=["input"],
                output_names=outputs,
                dynamic_axes={name: {0: "N"} for name in ["input", *outputs]},
                opset_version=OPSET,
                training=torch.onnx.TrainingMode.PRESERVE,
                do_constant_folding=False,
                **kwargs,
            )
    except (UnsupportedModelError, OSError):
        raise
    except Exception as e:  # torch's exporter: one line, not its traceback through the user's loop
        lines = str(e).strip().splitlines() or [""]
        raise UnsupportedModelError(f"torch.onnx.export cannot export the model: {type(e).__name__}: {lines[0]}") from e
    finally:
        modes.restore()
    rename_values(path, {stand_in: name for name, stand_in in stand_ins.items()})


def tapped_outputs(model: nn.Module, x: torch.Tensor, names: Sequence[str]) -> tuple[Any, ...]:
    """What the checkpoint computes, run in torch: (output, *layer outputs), eval mode, no grad; modes restored.

    Args:
        model: the model.
        x: a batch of inputs.
        names: the manifest's layer names 1..L; a pass that sees other layers raises UnsupportedModelError.
    """
    modes = ModelModes(model)
    model.eval()
    try:
        with torch.no_grad():
            return _Tapped(model, list(names))(x)
    finally:
        modes.restore()

"""The layer axis of a PyTorch model: one forward pass that sees every layer (ops.py) in execution order.

A ``Capture`` is active around one ``model(x)`` call. Forward pre-hooks and hooks on every module keep
the stack of running modules; a ``TorchFunctionMode`` sees every torch function the model's forward()
methods call (but not the ones a recorded module issues inside itself, nor the ones nested inside
another torch function). Each layer's value is its output tensor as computed, protected from later
in-place operations: ``inplace`` attributes of modules are off while a capture is active, an
``inplace=True`` argument is dropped, ``a += b`` and ``a *= b`` compute a new tensor (Python rebinds
``a`` to it), and before any other in-place operation on a tensor that is a recorded value, the
recorded value is replaced by a copy.

A map with its channels last (`x.permute(0, 2, 3, 1)`, ConvNeXt's block: LayerNorm, Linear, GELU,
Linear and its layer scale on the last axis, then the permute back) is followed until the permute
back: each layer in that stretch computes along the channels or on each value alone, and is recorded
as the same layer of the channels-first map (a Linear on the channels is a 1x1 convolution), its
value the channels-first view `value.permute(0, 3, 1, 2)`. While the export traces, the stretch reads
on from that view permuted back (the same numbers), so that the checkpoint's layer value is the one
the rest of the network reads (docs/pytorch.md, "Channels last").
"""

from __future__ import annotations

from types import FrameType
from typing import Any, Callable, Iterator, Sequence, Tuple

import contextlib
import dis
import os
import sys
import weakref

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from . import ops
from .run_format import Json, Site

_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep
_OWN_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

# In-place dispatch names and their out-of-place twins, for `a += b` / `a *= b`.
_OUT_OF_PLACE: dict[str, Callable[..., Any]] = {"add_": torch.add, "__iadd__": torch.add, "mul_": torch.mul, "__imul__": torch.mul}


class UnsupportedModelError(ValueError):
    """A model, probe or operation CNN Slicer cannot record; the message is one line."""

    def __init__(self, message: str) -> None:
        super().__init__("cnn_slicer: " + message)


def layer_class_name(module: nn.Module) -> str | None:
    """The ``className`` of a module that is a layer (ops.LAYER_MODULES, or a layer normalisation of
    its own, :func:`_layer_norm_like`), else None."""
    name = type(module).__name__
    if ops.LAYER_MODULES.get(name) is type(module):
        return name
    for name, cls in ops.LAYER_MODULES.items():
        if isinstance(module, cls):
            return name
    return "LayerNorm" if _layer_norm_like(module) else None


def _layer_norm_like(module: nn.Module) -> bool:
    """A module of the user's that stands for a LayerNorm (public ConvNeXt ports write one, with
    `(x - mean) / sqrt(var + eps)` over dim 1 for channels-first maps): a class named ...LayerNorm...
    with a weight and a bias of one value a channel and an `eps`. What it computes is checked against
    F.layer_norm over its input's channels when it runs (:func:`_layer_norm_refusal`)."""
    weight, bias = getattr(module, "weight", None), getattr(module, "bias", None)
    return (
        "LayerNorm" in type(module).__name__
        and isinstance(weight, nn.Parameter)
        and isinstance(bias, nn.Parameter)
        and weight.dim() == 1
        and weight.shape == bias.shape
        and isinstance(getattr(module, "eps", None), float)
    )


def is_scope(module: nn.Module) -> bool:
    """Whether a module's forward() is looked into (a container, a pass-through or the user's own module)."""
    return layer_class_name(module) is None


def user_site() -> tuple[FrameType | None, Site | None]:
    """(file, line, column) of the innermost frame outside torch and this package, 1-based, or None."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        # `<ipython-input-…>` and the like name no file: kept as compiled (notebook.py finds their cell).
        file = name if name.startswith("<") else os.path.abspath(name)
        if not file.startswith(_TORCH_DIR) and not file.startswith(_OWN_DIR):
            column = 1
            positions = getattr(frame.f_code, "co_positions", None)
            if positions is not None:
                try:
                    pos = list(positions())[frame.f_lasti // 2]
                    if pos[2] is not None:
                        column = pos[2] + 1
                except IndexError:
                    pass
            return frame, (file, frame.f_lineno, column)
        frame = frame.f_back
    return None, None


_AUGMENTED = {}


def _is_augmented_assignment(frame: FrameType | None) -> bool:
    """Whether the frame is executing `a += b` / `a *= b` (so a new tensor may be returned)."""
    if frame is None:
        return False
    key = (frame.f_code, frame.f_lasti)
    if key not in _AUGMENTED:
        found = False
        for ins in dis.get_instructions(frame.f_code):
            if ins.offset == frame.f_lasti:
                found = ins.opname in ("INPLACE_ADD", "INPLACE_MULTIPLY") or (ins.opname == "BINARY_OP" and ins.argrepr in ("+=", "*="))
                break
        _AUGMENTED[key] = found
    return _AUGMENTED[key]


def _func_name(func: Callable[..., Any]) -> str:
    return getattr(func, "__name__", None) or repr(func)


def _qualified(func: Callable[..., Any]) -> str:
    name = _func_name(func)
    module = getattr(func, "__module__", None)
    if module is None:
        return "Tensor." + name
    if module == "torch._C._nn":
        module = "torch.nn.functional"
    return f"{module}.{name}"


def _has_tensor_operand(args: Sequence[Any]) -> bool:
    """Whether a call has an operand with a batch axis (a tensor, or a list of them for cat)."""
    for value in args:
        if isinstance(value, (list, tuple)):
            if _has_tensor_operand(value):
                return True
        elif isinstance(value, torch.Tensor) and value.dim() >= 1:
            return True
    return False


def _is_multi_value_tensor(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and value.dim() >= 1 and value.numel() > 1


class Captured:
    """One layer seen in a pass: its name, className, output value, module (None for an op) and extras."""

    __slots__ = ("name", "class_name", "value", "module", "op", "source", "args")

    def __init__(
        self, name: str, class_name: str, value: torch.Tensor, module: nn.Module | None = None, op: str | None = None, source: Site | None = None, args: Json | None = None
    ) -> None:
        self.name, self.class_name, self.value, self.module = name, class_name, value, module
        self.op, self.source, self.args = op, source, args


class Capture(TorchFunctionMode):
    """Active around one ``model(x)``: ``with Capture(model) as cap: model(x)``, then ``cap.layers``."""

    def __init__(self, model: nn.Module, sources: bool = False, tracing: bool = False) -> None:
        super().__init__()
        self.model = model
        self.sources = sources
        # While torch.jit traces (the ONNX export), sizes are 0-dim tensors: arithmetic on them is not a layer.
        self.tracing = tracing
        self.paths: dict[nn.Module, str] = {}
        for path, module in model.named_modules():
            self.paths.setdefault(module, path)
        self.stack: list[nn.Module] = []
        self.opaque = 0
        self.layers: list[Captured] = []
        self.counts: dict[str, int] = {}
        self._handles: list[Any] = []
        self._inplace: list[Any] = []
        # Maps with their channels last (id -> weak reference), followed until their permute back.
        self._last: dict[int, weakref.ref[torch.Tensor]] = {}

    # -- naming ------------------------------------------------------------------------------
    def _unique(self, base: str) -> str:
        n = self.counts.get(base, 0) + 1
        self.counts[base] = n
        return base if n == 1 else f"{base}-{n}"

    def _scope(self) -> nn.Module:
        return self.stack[-1] if self.stack else self.model

    def _describe_scope(self) -> str:
        module = self._scope()
        path = self.paths.get(module, "")
        return f"{path or '<model>'} ({type(module).__name__})"

    # -- module hooks ------------------------------------------------------------------------
    def _pre(self, module: nn.Module, _inputs: tuple[Any, ...]) -> None:
        self.stack.append(module)
        if not is_scope(module):
            self.opaque += 1

    def _post(self, module: nn.Module, inputs: tuple[Any, ...], output: Any) -> Any:
        self.stack.pop()
        class_name = layer_class_name(module)
        if class_name is None:
            return None
        self.opaque -= 1
        if self.opaque:
            return None
        path = self.paths.get(module, "")
        if not isinstance(output, torch.Tensor):
            raise UnsupportedModelError(f"{path} ({class_name}) does not return one tensor")
        x = inputs[0] if inputs and isinstance(inputs[0], torch.Tensor) else None
        last = x is not None and self._is_last(x)
        with self._unseen():
            refusal = _module_refusal(class_name, module, x, output, last, checked=not self.tracing)
        if refusal:
            raise UnsupportedModelError(f"{path} ({class_name}) {refusal}")
        if last and class_name not in ops.CHANNELS_LAST_MODULES:
            raise UnsupportedModelError(f"{path} ({class_name}) {_LAST_REFUSAL}")
        with self._unseen():
            output, value = self._channels_first(output, last)
        self.layers.append(Captured(self._unique(path), class_name, value, module=module))
        return output if last and self.tracing else None

    # -- channels last -----------------------------------------------------------------------
    def _is_last(self, tensor: torch.Tensor) -> bool:
        ref = self._last.get(id(tensor))
        return ref is not None and ref() is tensor

    def _mark_last(self, tensor: torch.Tensor) -> torch.Tensor:
        self._last[id(tensor)] = weakref.ref(tensor)
        return tensor

    @contextlib.contextmanager
    def _unseen(self) -> Iterator[None]:
        """The capture's own torch calls (a check, a view of a value): not looked at, as inside a layer."""
        self.opaque += 1
        try:
            yield
        finally:
            self.opaque -= 1

    def _channels_first(self, result: torch.Tensor, last: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """(what the model reads on, the layer's recorded value) of a layer's `result`: as it is, or for a
        channels-last result its channels-first view, which the export's stretch reads on from."""
        if not last:
            return result, result
        if not self.tracing:
            return self._mark_last(result), result.permute(0, 3, 1, 2)
        # torch's exporter fuses a transpose of a transpose: the product by 1 (exact) keeps the layer's
        # value a node of its own that the stretch reads on from (the importer passes it on).
        value = result.permute(0, 3, 1, 2) * 1.0
        return self._mark_last(value.permute(0, 2, 3, 1)), value

    def _pass(self, name: str, func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """A function that is not a layer (ops.PASS_FUNCTIONS), with the channels-last maps followed."""
        last = [a for a in args if isinstance(a, torch.Tensor) and self._is_last(a)]
        result = func(*args, **kwargs)
        if name == "permute" and args and isinstance(args[0], torch.Tensor) and args[0].dim() == 4:
            dims = kwargs.get("dims", args[1] if len(args) == 2 else tuple(args[1:]))
            dims = tuple(int(d) % 4 for d in dims) if isinstance(dims, (list, tuple)) else None
            if not last and dims == (0, 2, 3, 1):
                return self._mark_last(result)
            if last and dims == (0, 3, 1, 2):
                return result
        if not last:
            return result
        if name in ("contiguous", "dropout", "dropout1d", "dropout2d", "feature_dropout", "alpha_dropout", "feature_alpha_dropout"):
            return self._mark_last(result)
        raise UnsupportedModelError(f"{self._describe_scope()} calls {_qualified(func)} {_LAST_REFUSAL}")

    # -- functions ---------------------------------------------------------------------------
    def __torch_function__(self, func: Callable[..., Any], types: Any, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        name = _func_name(func)
        # Inside a layer too (`F.layer_norm(x, (x.shape[-1],), ...)` in a LayerNorm of the user's).
        if self.tracing and name in ("size", "__get__"):
            return _traced_size(func, args, kwargs)
        if self.opaque:
            return func(*args, **kwargs)
        if name in ops.METADATA:
            return func(*args, **kwargs)
        if name in ops.PASS_FUNCTIONS:
            return self._pass(name, func, args, kwargs)
        op = ops.LAYER_FUNCTIONS.get(name)
        if self.tracing and (op is None or not _has_tensor_operand(args)):
            return func(*args, **kwargs)
        if op is None:
            raise UnsupportedModelError(
                f"{self._describe_scope()} calls {_qualified(func)}, an operation CNN Slicer cannot import (it imports {ops.KNOWN_TEXT})"
            )
        last = any(isinstance(a, torch.Tensor) and self._is_last(a) for a in args)
        class_name = ops.LAYER_SCALE if op == "mul" and _layer_scale(args, last) else op
        refusal = _argument_refusal(op, args, kwargs, last) if class_name == op else None
        if refusal:
            raise UnsupportedModelError(f"{self._describe_scope()} {refusal(_qualified(func))}")
        if last and class_name not in ops.CHANNELS_LAST_OPS:
            raise UnsupportedModelError(f"{self._describe_scope()} calls {_qualified(func)} {_LAST_REFUSAL}")
        frame, site = user_site()
        if kwargs.get("inplace"):
            kwargs = dict(kwargs, inplace=False)
        position = ops.INPLACE_POSITIONS.get(name)
        if position is not None and len(args) > position and args[position] is True:
            args = tuple(args[:position]) + (False,) + tuple(args[position + 1 :])
        if name in _OUT_OF_PLACE and _is_augmented_assignment(frame):
            result = _OUT_OF_PLACE[name](*args, **kwargs)
        else:
            if name.endswith("_") or name.startswith("__i"):
                self._protect(args[0] if args else None)
            result = func(*args, **kwargs)
        scope = self.paths.get(self._scope(), "")
        base = f"{scope}.{op}" if scope else op
        if op in ops.CHANNEL_SPLITS and isinstance(result, (tuple, list)) and all(isinstance(r, torch.Tensor) for r in result):
            # Each piece is a layer, its channels numbered as in PyTorch: <scope>.chunk, <scope>.chunk-2, …
            for piece in result:
                self.layers.append(Captured(self._unique(base), op, piece, op=op, source=site if self.sources else None))
            return result
        if not isinstance(result, torch.Tensor):
            raise UnsupportedModelError(f"{self._describe_scope()} calls {_qualified(func)}, which does not return one tensor")
        with self._unseen():
            result, value = self._channels_first(result, last)
        self.layers.append(Captured(self._unique(base), class_name, value, op=op, source=site if self.sources else None, args=_pool_args(op, args, kwargs)))
        return result

    def _protect(self, tensor: Any) -> None:
        """Before an in-place operation on `tensor`: a recorded value that is it becomes a copy."""
        if not isinstance(tensor, torch.Tensor):
            return
        for layer in self.layers:
            if layer.value is tensor:
                layer.value = tensor.clone()

    # -- activation --------------------------------------------------------------------------
    def __enter__(self) -> Capture:
        for module in self.model.modules():
            self._handles.append(module.register_forward_pre_hook(self._pre))
            self._handles.append(module.register_forward_hook(self._post))
            if isinstance(getattr(module, "inplace", None), bool) and module.inplace:
                self._inplace.append(module)
                module.inplace = False  # type: ignore[assignment]  # a bool attribute, which torch's Module.__setattr__ types as tensors and modules
        return super().__enter__()

    def __exit__(self, *exc: Any) -> Any:
        try:
            return super().__exit__(*exc)
        finally:
            for handle in self._handles:
                handle.remove()
            for module in self._inplace:
                module.inplace = True
            self._handles, self._inplace = [], []


_LAST_REFUSAL = (
    "on a map with its channels last (after x.permute(0, 2, 3, 1)); CNN Slicer imports there only what computes along the "
    "channels or on each value (LayerNorm, Linear, activations, a layer scale, +) until x.permute(0, 3, 1, 2)"
)


def _layer_scale(args: Sequence[Any], last: bool) -> bool:
    """Whether `a * b` multiplies a map by one value a channel without the batch axis (a layer scale):
    `[C, 1, 1]` on a channels-first map, `[C]` on a channels-last one."""
    if len(args) < 2 or not all(isinstance(a, torch.Tensor) for a in args[:2]):
        return False
    x, scale = (args[0], args[1]) if args[0].dim() >= args[1].dim() else (args[1], args[0])
    if x.dim() != 4 or scale.dim() >= x.dim():
        return False
    channels = x.shape[3] if last else x.shape[1]
    return tuple(scale.shape) == ((channels,) if last else (channels, 1, 1))


def _layer_norm_refusal(module_or_args: nn.Module | tuple[Any, ...], x: torch.Tensor | None, output: torch.Tensor | None, last: bool, checked: bool) -> str | None:
    """Why a layer normalisation is not one over its input's channels (a vector's, a channels-last map's,
    or a channels-first map's for a module that permutes inside), or None. `module_or_args`: the module,
    or (normalized_shape, weight, bias, eps) of F.layer_norm. Where `checked`, its output is compared with
    F.layer_norm over the channels (a module of the user's, LayerNorm2d)."""
    if isinstance(module_or_args, nn.Module):
        m: Any = module_or_args
        shape, weight, bias, eps = tuple(getattr(m, "normalized_shape", tuple(m.weight.shape))), m.weight, m.bias, m.eps
    else:
        shape, weight, bias, eps = module_or_args
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if x is None or x.dim() not in (2, 4) or (x.dim() == 4 and not last and not isinstance(module_or_args, nn.Module)):
        return "over another axis than the channels"
    channels = x.shape[-1] if x.dim() == 2 or last else x.shape[1]
    if shape != (channels,):
        return f"over the shape {list(shape)}, not the {channels} channels"
    if checked and output is not None:
        moved = x if x.dim() == 2 or last else x.permute(0, 2, 3, 1)
        expected = F.layer_norm(moved, shape, weight, bias, eps)
        if not (x.dim() == 2 or last):
            expected = expected.permute(0, 3, 1, 2)
        if expected.shape != output.shape or not torch.allclose(expected, output, rtol=1e-4, atol=1e-5):
            return "does not compute a layer normalisation over the channels of its input"
    return None


# TensorFlow.js's ELU layer, which an imported Elu runs as (src/onnx/ops/activations.ts), takes no other alpha.
_ELU_ALPHA = "CNN Slicer imports an ELU with alpha=1 only"


def _module_refusal(class_name: str, module: Any, x: torch.Tensor | None, output: torch.Tensor, last: bool, checked: bool) -> str | None:
    """Why a layer module cannot be imported as it is called (its message after the module), or None."""
    if class_name == "LayerNorm":
        why = _layer_norm_refusal(module, x, output, last, checked)
        return why and f"{why if why.startswith('does not') else 'normalises ' + why}; CNN Slicer imports a layer normalisation over the channels only"
    if class_name == "Upsample":
        return _resample_refusal(x, module.mode, False)
    if class_name == "ELU" and float(module.alpha) != 1.0:
        return f"has alpha={module.alpha}; {_ELU_ALPHA}"
    if class_name == "Linear" and x is not None and x.dim() > 2 and not last:
        return f"is applied to the last axis of a [N, {', '.join(map(str, x.shape[1:]))}] value; CNN Slicer imports a Linear on vectors, or on the channels of a map permuted to channels last"
    return None


def _resample_refusal(x: torch.Tensor | None, mode: Any, antialias: Any) -> str | None:
    """Why a resampling (F.interpolate, nn.Upsample) of `x` cannot be imported (ONNX Resize), or None."""
    if mode not in ops.RESAMPLE_MODES:
        return f"resamples by mode {mode!r}; CNN Slicer imports the modes {' and '.join(ops.RESAMPLE_MODES)}"
    if antialias:
        return "resamples with antialias=True; CNN Slicer imports it without"
    if x is None or x.dim() != 4:
        return f"resamples a value of {x.dim() if x is not None else 'no'} axes; CNN Slicer imports it on [N, C, H, W] maps"
    return None


def _argument_refusal(op: str, args: Sequence[Any], kwargs: dict[str, Any], last: bool = False) -> Callable[[str], str] | None:
    """Why a layer op's arguments cannot be imported, as a function of the call's qualified name (the
    message after the scope), or None: each op's check and its one line."""
    if op in ops.TWO_TENSOR_OPS and not (len(args) >= 2 and _is_multi_value_tensor(args[0]) and _is_multi_value_tensor(args[1])):
        return lambda call: f"calls {call} with a scalar operand; CNN Slicer imports {op} of two tensors only"
    if op in ops.TWO_TENSOR_OPS and args[0].dim() != args[1].dim():
        return lambda call: f"calls {call} with a tensor without the batch axis; CNN Slicer imports {op} of two layers' values, or a layer scale (one value a channel)"
    if op == "layer_norm":
        x = args[0] if args and isinstance(args[0], torch.Tensor) else None
        norm = (kwargs.get("normalized_shape", args[1] if len(args) > 1 else None), *[kwargs.get(k, args[i] if len(args) > i else d) for i, (k, d) in enumerate((("weight", None), ("bias", None), ("eps", 1e-5)), start=2)])
        why = _layer_norm_refusal(norm, x, None, last, False)
        if why:
            return lambda call: f"calls {call} {why}; CNN Slicer imports a layer normalisation over the channels only"
    if op == "interpolate":
        x = args[0] if args and isinstance(args[0], torch.Tensor) else None
        why = _resample_refusal(x, kwargs.get("mode", args[3] if len(args) > 3 else "nearest"), kwargs.get("antialias", args[6] if len(args) > 6 else False))
        if why:
            return lambda call: f"calls {call} {why}"
    if op == "elu":
        alpha = kwargs.get("alpha", args[1] if len(args) > 1 else 1.0)
        if float(alpha) != 1.0:
            return lambda call: f"calls {call} with alpha={alpha}; {_ELU_ALPHA}"
    if op in ops.CHANNEL_SPLITS and not _along_channels(args, kwargs):
        return lambda call: f"calls {call} along another axis than the channels; CNN Slicer imports {op} along the channels only (dim=1)"
    if op == "slice" and not _channel_slice(args):
        return lambda _call: "indexes a tensor other than by a slice of its channels; CNN Slicer imports x[:, a:b] only"
    if op in ops.SPATIAL_REDUCTIONS and not _over_spatial_axes(args, kwargs):
        return lambda call: (
            f"calls {call} over other axes than the spatial ones of a [N, C, H, W] value; "
            f"CNN Slicer imports {op} over the spatial axes only (a global pooling: x.{op}([2, 3]))"
        )
    return None


def _along_channels(args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
    """Whether `chunk`/`split` cuts a tensor of 2 or more axes along axis 1 (its channels)."""
    x = args[0] if args else None
    dim = kwargs.get("dim", args[2] if len(args) > 2 else 0)
    return isinstance(x, torch.Tensor) and x.dim() >= 2 and isinstance(dim, int) and dim % x.dim() == 1


def _channel_slice(args: Sequence[Any]) -> bool:
    """Whether `x[index]` takes a slice of the channels, step 1, and every input and value: `x[:, a:b]`, `x[:, a:b, ...]`."""
    x, index = (args[0], args[1]) if len(args) == 2 else (None, None)
    if not isinstance(x, torch.Tensor) or x.dim() < 2 or not isinstance(index, tuple) or len(index) < 2:
        return False
    whole = slice(None)
    batch, channels, rest = index[0], index[1], index[2:]
    if rest and rest[0] is Ellipsis:
        rest = rest[1:]
    ints = all(v is None or isinstance(v, int) for v in (channels.start, channels.stop)) if isinstance(channels, slice) else False
    return batch == whole and ints and channels.step in (None, 1) and all(r == whole for r in rest) and len(index) - (Ellipsis in index) <= x.dim()


def _over_spatial_axes(args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
    """Whether `mean`/`amax` reduces a 4-D tensor over its axes 2 and 3 exactly (negative axes counted from the end)."""
    x = args[0] if args else None
    dims = kwargs.get("dim", args[1] if len(args) > 1 else None)
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or dims is None:
        return False
    dims = [dims] if isinstance(dims, int) else list(dims)
    return all(isinstance(d, int) for d in dims) and sorted({d % 4 for d in dims}) == [2, 3] and len(dims) == 2


def _traced_size(func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """``x.size(d)``, ``x.size()`` or ``x.shape`` while torch.jit traces the ONNX export: ints for
    every axis but the batch.

    Traced, a size is a 0-dim tensor (and a shape a ``torch.Size`` of them), which
    ``F.avg_pool2d(x, x.size(2))`` (SENet's global pooling), ``F.avg_pool2d(x, x.shape[-1])`` or
    ``F.avg_pool2d(x, x.size()[2:])`` refuse with a TypeError or an export error: the export of such
    a model failed inside the user's training loop, though the model runs untraced. The exported
    graph has one dynamic axis, the batch; every other size is the traced input's, a constant of the
    graph either way, so it is given as the int it is. The batch axis stays traced, so that
    ``x.view(x.size(0), -1)`` and ``b, c, h, w = x.shape`` run on any number of inputs.
    """
    result = func(*args, **kwargs)
    if isinstance(result, torch.Size) and len(result) > 1:
        return torch.Size([result[0], *[int(v) for v in list(result)[1:]]])
    dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
    if isinstance(result, torch.Tensor) and result.dim() == 0 and isinstance(dim, int) and args and isinstance(args[0], torch.Tensor):
        if dim % max(1, args[0].dim()) != 0:
            return int(result)
    return result


def _pool_args(op: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Json | None:
    """The recorded options of a functional op's call (`poolSize` and `strides` of a max/avg pooling), where given as numbers."""
    spec = ops.OPTIONS.get(op)
    if spec is None:
        return None
    given = dict(zip(spec["params"], args))
    given.update((k, v) for k, v in kwargs.items() if k in spec["params"])
    return recorded_options(spec, given)


def _pair(value: int | Sequence[int]) -> list[int]:
    if isinstance(value, int):
        return [value, value]
    return [int(v) for v in value]


def recorded_options(spec: Json, given: dict[str, Any]) -> Json | None:
    """The options a run records (contract.json `options`: `filters`, `units`, `kernelSize`, `strides`,
    `poolSize`) from the values of a layer's parameters, by name; a default where a parameter is not
    given (None or empty), a pair as [h, w]. None when none is recorded."""
    out: Json = {}
    for arg, param in spec["args"].items():
        value = given.get(param)
        if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
            value = spec.get("defaults", {}).get(arg)
            if isinstance(value, dict):
                value = out.get(value["same"])
        if value is None:
            continue
        out[arg] = _pair(value) if arg in spec.get("pairs", ()) else int(value)
    return out or None


def module_args(module: nn.Module) -> Json | None:
    """The layer's options a source may give (`filters`, `units`, `kernelSize`, `strides`, `poolSize`), or None."""
    spec = ops.OPTIONS.get(layer_class_name(module))
    if spec is None:
        return None
    return recorded_options(spec, {param: getattr(module, param, None) for param in spec["params"]})


def run_captured(model: nn.Module, x: torch.Tensor, sources: bool = False) -> tuple[Any, list[Captured]]:
    """One forward pass of `model` on `x` with a capture: (output, [Captured])."""
    with Capture(model, sources=sources, tracing=torch.jit.is_tracing()) as capture:
        output = model(x)
    return output, capture.layers

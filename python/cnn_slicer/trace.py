"""The layer axis of a PyTorch model: one forward pass that sees every layer (ops.py) in execution order.

A ``Capture`` is active around one ``model(x)`` call. Forward pre-hooks and hooks on every module keep
the stack of running modules; a ``TorchFunctionMode`` sees every torch function the model's forward()
methods call (but not the ones a recorded module issues inside itself, nor the ones nested inside
another torch function). Each layer's value is its output tensor as computed, protected from later
in-place operations: ``inplace`` attributes of modules are off while a capture is active, an
``inplace=True`` argument is dropped, ``a += b`` and ``a *= b`` compute a new tensor (Python rebinds
``a`` to it), and before any other in-place operation on a tensor that is a recorded value, the
recorded value is replaced by a copy.
"""

import dis
import os
import sys

import torch
import torch.nn as nn
from torch.overrides import TorchFunctionMode

from . import ops

_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep
_OWN_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

# In-place dispatch names and their out-of-place twins, for `a += b` / `a *= b`.
_OUT_OF_PLACE = {"add_": torch.add, "__iadd__": torch.add, "mul_": torch.mul, "__imul__": torch.mul}

# Functional activations whose `inplace` flag is positional at this index.
_INPLACE_POSITION = {"relu": 1, "relu6": 1, "hardswish": 1, "hardsigmoid": 1, "silu": 1, "leaky_relu": 2}


class UnsupportedModelError(ValueError):
    """A model, probe or operation CNN Slicer cannot record; the message is one line."""

    def __init__(self, message):
        super().__init__("cnn_slicer: " + message)


def layer_class_name(module):
    """The ``className`` of a module that is a layer (ops.LAYER_MODULES), else None."""
    name = type(module).__name__
    if ops.LAYER_MODULES.get(name) is type(module):
        return name
    for name, cls in ops.LAYER_MODULES.items():
        if isinstance(module, cls):
            return name
    return None


def is_scope(module):
    """Whether a module's forward() is looked into (a container, a pass-through or the user's own module)."""
    return layer_class_name(module) is None


def user_site():
    """(file, line, column) of the innermost frame outside torch and this package, 1-based, or None."""
    frame = sys._getframe(1)
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


def _is_augmented_assignment(frame):
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


def _func_name(func):
    return getattr(func, "__name__", None) or repr(func)


def _qualified(func):
    name = _func_name(func)
    module = getattr(func, "__module__", None)
    if module is None:
        return "Tensor." + name
    if module == "torch._C._nn":
        module = "torch.nn.functional"
    return f"{module}.{name}"


def _has_tensor_operand(args):
    """Whether a call has an operand with a batch axis (a tensor, or a list of them for cat)."""
    for value in args:
        if isinstance(value, (list, tuple)):
            if _has_tensor_operand(value):
                return True
        elif isinstance(value, torch.Tensor) and value.dim() >= 1:
            return True
    return False


def _is_multi_value_tensor(value):
    return isinstance(value, torch.Tensor) and value.dim() >= 1 and value.numel() > 1


class Captured:
    """One layer seen in a pass: its name, className, output value, module (None for an op) and extras."""

    __slots__ = ("name", "class_name", "value", "module", "op", "source", "args")

    def __init__(self, name, class_name, value, module=None, op=None, source=None, args=None):
        self.name, self.class_name, self.value, self.module = name, class_name, value, module
        self.op, self.source, self.args = op, source, args


class Capture(TorchFunctionMode):
    """Active around one ``model(x)``: ``with Capture(model) as cap: model(x)``, then ``cap.layers``."""

    def __init__(self, model, sources=False, tracing=False):
        super().__init__()
        self.model = model
        self.sources = sources
        # While torch.jit traces (the ONNX export), sizes are 0-dim tensors: arithmetic on them is not a layer.
        self.tracing = tracing
        self.paths = {}
        for path, module in model.named_modules():
            self.paths.setdefault(module, path)
        self.stack = []
        self.opaque = 0
        self.layers = []
        self.counts = {}
        self._handles = []
        self._inplace = []

    # -- naming ------------------------------------------------------------------------------
    def _unique(self, base):
        n = self.counts.get(base, 0) + 1
        self.counts[base] = n
        return base if n == 1 else f"{base}-{n}"

    def _scope(self):
        return self.stack[-1] if self.stack else self.model

    def _describe_scope(self):
        module = self._scope()
        path = self.paths.get(module, "")
        return f"{path or '<model>'} ({type(module).__name__})"

    # -- module hooks ------------------------------------------------------------------------
    def _pre(self, module, _inputs):
        self.stack.append(module)
        if not is_scope(module):
            self.opaque += 1

    def _post(self, module, _inputs, output):
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
        if getattr(module, "approximate", "none") != "none":
            raise UnsupportedModelError(f"{path} ({class_name}) is GELU's tanh approximation; CNN Slicer imports the exact GELU (approximate='none')")
        self.layers.append(Captured(self._unique(path), class_name, output, module=module))
        return None

    # -- functions ---------------------------------------------------------------------------
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if self.opaque:
            return func(*args, **kwargs)
        name = _func_name(func)
        if self.tracing and name in ("size", "__get__"):
            return _traced_size(func, args, kwargs)
        if name in ops.METADATA or name in ops.PASS_FUNCTIONS:
            return func(*args, **kwargs)
        op = ops.LAYER_FUNCTIONS.get(name)
        if self.tracing and (op is None or not _has_tensor_operand(args)):
            return func(*args, **kwargs)
        if op is None:
            raise UnsupportedModelError(
                f"{self._describe_scope()} calls {_qualified(func)}, an operation CNN Slicer cannot import (it imports {ops.KNOWN_TEXT})"
            )
        refusal = _argument_refusal(op, args, kwargs)
        if refusal:
            raise UnsupportedModelError(f"{self._describe_scope()} {refusal(_qualified(func))}")
        frame, site = user_site()
        if kwargs.get("inplace"):
            kwargs = dict(kwargs, inplace=False)
        position = _INPLACE_POSITION.get(name)
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
        self.layers.append(Captured(self._unique(base), op, result, op=op, source=site if self.sources else None, args=_pool_args(op, args, kwargs)))
        return result

    def _protect(self, tensor):
        """Before an in-place operation on `tensor`: a recorded value that is it becomes a copy."""
        if not isinstance(tensor, torch.Tensor):
            return
        for layer in self.layers:
            if layer.value is tensor:
                layer.value = tensor.clone()

    # -- activation --------------------------------------------------------------------------
    def __enter__(self):
        for module in self.model.modules():
            self._handles.append(module.register_forward_pre_hook(self._pre))
            self._handles.append(module.register_forward_hook(self._post))
            if isinstance(getattr(module, "inplace", None), bool) and module.inplace:
                self._inplace.append(module)
                module.inplace = False
        return super().__enter__()

    def __exit__(self, *exc):
        try:
            return super().__exit__(*exc)
        finally:
            for handle in self._handles:
                handle.remove()
            for module in self._inplace:
                module.inplace = True
            self._handles, self._inplace = [], []


def _argument_refusal(op, args, kwargs):
    """Why a layer op's arguments cannot be imported, as a function of the call's qualified name (the
    message after the scope), or None: each op's check and its one line."""
    if op in ops.TWO_TENSOR_OPS and not (len(args) >= 2 and _is_multi_value_tensor(args[0]) and _is_multi_value_tensor(args[1])):
        return lambda call: f"calls {call} with a scalar operand; CNN Slicer imports {op} of two tensors only"
    if op == "gelu" and kwargs.get("approximate", "none") != "none":
        return lambda call: f"calls {call} with approximate={kwargs['approximate']!r}; CNN Slicer imports the exact GELU"
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


def _along_channels(args, kwargs):
    """Whether `chunk`/`split` cuts a tensor of 2 or more axes along axis 1 (its channels)."""
    x = args[0] if args else None
    dim = kwargs.get("dim", args[2] if len(args) > 2 else 0)
    return isinstance(x, torch.Tensor) and x.dim() >= 2 and isinstance(dim, int) and dim % x.dim() == 1


def _channel_slice(args):
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


def _over_spatial_axes(args, kwargs):
    """Whether `mean`/`amax` reduces a 4-D tensor over its axes 2 and 3 exactly (negative axes counted from the end)."""
    x = args[0] if args else None
    dims = kwargs.get("dim", args[1] if len(args) > 1 else None)
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or dims is None:
        return False
    dims = [dims] if isinstance(dims, int) else list(dims)
    return all(isinstance(d, int) for d in dims) and sorted({d % 4 for d in dims}) == [2, 3] and len(dims) == 2


def _traced_size(func, args, kwargs):
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


def _pool_args(op, args, kwargs):
    """`poolSize` and `strides` of a functional max/avg pooling, where given as numbers."""
    if op not in ("max_pool2d", "avg_pool2d"):
        return None
    kernel = kwargs.get("kernel_size", args[1] if len(args) > 1 else None)
    stride = kwargs.get("stride", args[2] if len(args) > 2 else None)
    out = {}
    if kernel is not None:
        out["poolSize"] = _pair(kernel)
    if stride is not None and stride != [] and stride != ():
        out["strides"] = _pair(stride)
    elif kernel is not None:
        out["strides"] = _pair(kernel)
    return out or None


def _pair(value):
    if isinstance(value, int):
        return [value, value]
    return [int(v) for v in value]


def module_args(module):
    """The layer's options a source may give (`filters`, `units`, `kernelSize`, `strides`, `poolSize`), or None."""
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        return {"filters": module.out_channels, "kernelSize": list(module.kernel_size), "strides": list(module.stride)}
    if isinstance(module, nn.Linear):
        return {"units": module.out_features}
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        return {"poolSize": _pair(module.kernel_size), "strides": _pair(module.stride if module.stride is not None else module.kernel_size)}
    return None


def run_captured(model, x, sources=False):
    """One forward pass of `model` on `x` with a capture: (output, [Captured])."""
    with Capture(model, sources=sources, tracing=torch.jit.is_tracing()) as capture:
        output = model(x)
    return output, capture.layers

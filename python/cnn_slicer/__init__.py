"""cnn_slicer: records a PyTorch CNN while it trains into a CNN Slicer run folder (format version 2).

    from cnn_slicer import Recorder
    with Recorder(model, probe=(x, y), classes=[...], name="lenet") as rec:
        rec.epoch(0)
        for epoch in range(1, n + 1):
            train_one_epoch(...)
            rec.epoch(epoch, train_loss=..., train_accuracy=...)

Each recorded epoch is an ONNX checkpoint whose graph outputs are the model's output and then every
layer's output, named as the manifest's layers (docs/run-format.md "PyTorch runs"). Depends on torch
and numpy only; tested with torch 1.13.0 (Debian's python3-torch) and numpy 1.24.
"""

from .control import Control
from .layers import export_onnx, layer_table, tapped_outputs
from .recorder import Recorder
from .trace import UnsupportedModelError

__all__ = ["Control", "Recorder", "UnsupportedModelError", "export_onnx", "layer_table", "tapped_outputs"]
__version__ = "0.1.0"

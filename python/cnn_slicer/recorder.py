"""``Recorder``: records a PyTorch model while the user's own loop trains it, into a CNN Slicer run folder.

Per recorded epoch it writes the ONNX checkpoint (layers.py), then the metrics line (the probe's
loss, accuracy and confusion matrix; every per-layer measure is left to CNN Slicer, ``"pending":
"measures"``), then the manifest listing the epoch. It never changes the model's training modes nor
the random number generators' states (torch CPU and CUDA, numpy, ``random``) the user's loop sees.
On a ``torch.distributed`` rank other than 0 it does nothing at all (``run_dir`` is None).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Iterable, Iterator, Literal, Sequence

import contextlib
import hashlib
import importlib.util
import json
import os
import random
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from . import files
from .contract import CONTRACT
from .control import Control, check_source, find_source_run
from .layers import OPSET, ModelModes, export_onnx, layer_table, torch_version, torchscript_exporter
from .measurer import start_measurer
from .measures import prediction_measures, softmax_rows
from .notebook import Cells, code_of
from .run_format import Json
from .trace import UnsupportedModelError

FORMAT_VERSION = 2
# The product's defaults (src/contract/recordSettings.ts RECORD_SETTINGS, through contract.json).
DEFAULT_BINS = CONTRACT["recordDefaults"]["bins"]
DEFAULT_K = CONTRACT["recordDefaults"]["k"]
DEFAULT_PROBE_SIZE = CONTRACT["recordDefaults"]["probeSize"]
# Probe inputs per forward pass: small batches cost less on CPU the first time (no new large-batch kernels).
PROBE_BATCH = 64


@contextlib.contextmanager
def rng_kept() -> Iterator[None]:
    """Leaves torch's (CPU and CUDA), numpy's and Python's random states as they were."""
    torch_state = torch.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    numpy_state = np.random.get_state()
    python_state = random.getstate()
    try:
        yield
    finally:
        torch.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def _is_secondary_rank() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_rank() != 0


def _unwrap(model: nn.Module) -> nn.Module:
    parallel = (torch.nn.DataParallel, torch.nn.parallel.DistributedDataParallel)
    return model.module if isinstance(model, parallel) else model


def _as_tensor(value: object, what: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value))
    raise UnsupportedModelError(f"the probe's {what} are a {type(value).__name__}, not a tensor or numpy array")


def _probe_from(probe: Iterable[Any], probe_size: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs float32 [N, ...], labels int64 [N]) copied from a pair (x, y) (all of it, or its first
    `probe_size`) or from the first `probe_size` (default 500) examples of an iterable of (x, y) batches."""
    if isinstance(probe, (tuple, list)) and len(probe) == 2 and not isinstance(probe[0], (tuple, list)):
        x, y = _as_tensor(probe[0], "inputs"), _as_tensor(probe[1], "labels")
        if probe_size is not None:
            x, y = x[:probe_size], y[:probe_size]
    else:
        probe_size = DEFAULT_PROBE_SIZE if probe_size is None else probe_size
        xs, ys, count = [], [], 0
        for batch in probe:
            if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                raise UnsupportedModelError("the probe's batches are not (inputs, labels) pairs")
            xs.append(_as_tensor(batch[0], "inputs"))
            ys.append(_as_tensor(batch[1], "labels"))
            count += xs[-1].shape[0] if xs[-1].dim() else 1
            if count >= probe_size:
                break
        if not xs:
            raise UnsupportedModelError("the probe is empty")
        x, y = torch.cat(xs)[:probe_size], torch.cat(ys)[:probe_size]
    if x.dim() < 2:
        raise UnsupportedModelError(f"the probe inputs have shape {list(x.shape)}, not [N, ...] (one input per row)")
    if y.dim() != 1 or y.shape[0] != x.shape[0]:
        raise UnsupportedModelError(f"the probe labels have shape {list(y.shape)}, not [{x.shape[0]}] (one class index per input)")
    if x.shape[0] == 0:
        raise UnsupportedModelError("the probe is empty")
    if y.is_floating_point() and not torch.equal(y, y.round()):
        raise UnsupportedModelError("the probe labels are not class indices")
    x = x.float()
    finite = torch.isfinite(x.reshape(x.shape[0], -1)).all(1)
    if not bool(finite.all()):
        bad = (~finite).nonzero().flatten().tolist()
        raise UnsupportedModelError(
            f"{len(bad)} of the {x.shape[0]} probe inputs hold NaN or infinite values (the first: input {bad[0]}); the probe must be numbers"
        )
    return x.contiguous(), y.long()


def _check_exporter() -> None:
    """The TorchScript exporter is there (layers.torchscript_exporter), and, from torch 2 on, the onnx
    package it imports, which `pip install torch` does not bring: said before anything is written,
    not as torch's error at the first epoch. A folder named `onnx` without the package (exported
    models kept in ./onnx beside the script) is found by `import onnx` as a namespace package, which
    torch's exporter then fails on: that is no onnx package either."""
    torchscript_exporter()
    if torch_version() < (2, 0):
        return
    spec = importlib.util.find_spec("onnx")
    if spec is None or spec.origin in (None, "namespace"):
        folder = "" if spec is None else f" (`import onnx` finds the folder {next(iter(spec.submodule_search_locations or []), '?')}, not the package)"
        raise UnsupportedModelError(
            f"torch {torch.__version__} writes the ONNX checkpoints with the onnx package, which is not installed{folder}: pip install onnx"
        )


def _check_parameters(parameter: nn.Parameter | None) -> None:
    """A model whose weights the checkpoints can hold: float32 values on a real device."""
    if parameter is None:
        return
    if parameter.device.type == "meta":
        raise UnsupportedModelError(
            "the model's parameters are on the meta device, which holds no values: load its weights (model.to_empty(device=...) and load_state_dict) before recording"
        )
    if parameter.dtype in (torch.float16, torch.bfloat16):
        raise UnsupportedModelError(
            f"the model's parameters are {str(parameter.dtype).replace('torch.', '')}; CNN Slicer records float32 models, "
            "whose checkpoints hold every value as trained: keep the weights float32 and train in mixed precision (torch.autocast)"
        )


def _runs_folder(runs_dir: str | os.PathLike[str] | None, notebook: str | None = None) -> str:
    """The runs folder: ``runs_dir``, else $CNN_SLICER_RUNS, else ``.cnnslicer/runs`` beside the script
    being run, or beside the notebook (``notebook``) in a kernel, else in the working folder."""
    if runs_dir:
        return os.path.abspath(runs_dir)
    if os.environ.get("CNN_SLICER_RUNS"):
        return os.path.abspath(os.environ["CNN_SLICER_RUNS"])
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file:
        base = os.path.dirname(os.path.abspath(main_file))
    else:
        base = os.path.dirname(notebook) if notebook else os.getcwd()
    return os.path.join(base, ".cnnslicer", "runs")


def _source_file(cls: type, cells: Cells) -> str | None:
    """The file defining a class: its module's, or the notebook of the kernel cell it was defined in; None if unknown."""
    import inspect

    try:
        return os.path.abspath(inspect.getsourcefile(cls))  # type: ignore[type-var]  # None (a built-in class): TypeError
    except (TypeError, OSError):
        return cells.class_notebook(cls)


def _model_files(model: nn.Module, cells: Cells) -> tuple[str, list[str]]:
    """(model file, source files): the file defining the model's class, and those of every class in it outside torch."""
    torch_dir = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep
    sources = []
    for module in model.modules():
        file = _source_file(type(module), cells)
        if file and not file.startswith(torch_dir) and file not in sources:
            sources.append(file)
    file = _source_file(type(model), cells)
    if not file or file.startswith(torch_dir):  # a root nn.Sequential: the script or notebook that builds it
        main_file = getattr(sys.modules.get("__main__"), "__file__", None)
        main_file = os.path.abspath(main_file) if main_file else cells.notebook()
        file = main_file or file or ""
        if main_file and file not in sources:
            sources.insert(0, file)
    if file in sources:
        sources.remove(file)
        sources.insert(0, file)
    return file, sources


def _training_script(notebook: str | None) -> tuple[str, str] | None:
    """(path, kind) of what trains the model: the script being run (``__main__``'s file, else
    ``sys.argv[0]`` where it names a file) or the notebook (notebook.py: the one the kernel names, or
    the one whose cell defines the model); None where neither is known (``python -c``, an
    interactive shell, a kernel whose notebook is not found)."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file and os.path.isfile(main_file) and not main_file.endswith("ipykernel_launcher.py"):
        return os.path.abspath(main_file), "script"
    if notebook:
        return notebook, "notebook"
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0.endswith(".py") and os.path.isfile(argv0) and not argv0.endswith("ipykernel_launcher.py"):
        return os.path.abspath(argv0), "script"
    return None


def _fingerprint(sources: list[str], layers: list[Json]) -> str:
    digest = hashlib.sha256()
    for file in sources:
        if file.endswith(".ipynb"):  # its code, not its outputs, which change at every run
            digest.update((code_of(file) or "").encode("utf-8"))
            continue
        try:
            with open(file, "rb") as f:
                digest.update(f.read())
        except OSError:
            pass
    table = [[l["name"], l["className"], l["outputShape"], l["parameters"]] for l in layers]
    digest.update(json.dumps(table).encode("utf-8"))
    return digest.hexdigest()[:16]


def _settings(
    train: Any, train_size: int | None, epochs: int | None, batch_size: int | None, optimizer: torch.optim.Optimizer | None, probe_size: int
) -> Json:
    """The manifest's settings (those known: epochs, batch size, optimizer and learning rate), and
    ``trainSize`` (popped by the caller into the dataset section)."""
    if train is not None and train_size is None and hasattr(train, "dataset"):
        train_size = len(train.dataset)
    if train is not None and batch_size is None:
        batch_size = getattr(train, "batch_size", None)
    settings: Json = {}
    if epochs is not None:
        settings["epochs"] = int(epochs)
    if batch_size is not None:
        settings["batchSize"] = int(batch_size)
    if optimizer is not None:
        settings["optimizer"] = type(optimizer).__name__.lower()
        settings["learningRate"] = float(optimizer.param_groups[0]["lr"])
    settings.update({"seed": torch.initial_seed() % 2**31, "recordEvery": 1, "probeSize": probe_size, "bins": DEFAULT_BINS, "k": DEFAULT_K})
    settings["trainSize"] = train_size
    return settings


def _number_or_none(value: float | torch.Tensor | None) -> float | None:
    if value is None:
        return None
    value = float(value.item() if isinstance(value, torch.Tensor) else value)
    return value if np.isfinite(value) else None


class Recorder:
    """Records a model into a run folder: ``epoch(0)`` before training, ``epoch(t, ...)`` after each, ``close()``.

    Every option after ``model`` and ``probe`` is keyword-only: ``Recorder(model, probe=(x, y), epochs=10)``.

    Args:
        model: the ``torch.nn.Module`` that trains (a ``DataParallel`` or ``DistributedDataParallel`` is unwrapped).
        probe: a pair ``(inputs, labels)`` of tensors or numpy arrays, or an iterable of such batches
            (a ``DataLoader``), of which the first ``probe_size`` inputs are copied. Never train on it.
        classes: the class names; default ``"0"`` .. ``"K-1"``.
        name: the run's name (in its id) and the model's; default the model's class name.
        runs_dir: where the run folder goes; default ``$CNN_SLICER_RUNS``, else ``.cnnslicer/runs``
            beside the script (or the notebook).
        probe_size: how many probe inputs; default all of a pair, 500 of a ``DataLoader``.
        train: the training ``DataLoader``, for its size and batch size.
        train_size: the number of training inputs, where ``train`` does not give it.
        epochs: the planned number of epochs (the runs tree shows "epoch t of n").
        batch_size: the training batch size, where ``train`` does not give it.
        optimizer: the torch optimizer: its class and first learning rate are recorded.
        loss: the loss's name (``"cross_entropy"``).
        dataset: the dataset's name; default the class name of ``train``'s dataset, lower-cased, else ``"probe"``.
        control: a control experiment: its spec (``"border:4"``, ``"shuffle-labels"``, ...) or a
            ``Control``; the loop trains on what ``rec.control`` keeps (docs/pytorch.md).
        source_run: a control's source run (a run folder, or a run id in the runs folder); default the
            newest completed run of the same model that is not itself a control.

    Tested with torch 1.13 (CI), 2.6 (CI) and 2.14 (docs/pytorch.md "Tested versions").
    """

    # The run folder; None on a torch.distributed rank other than 0, where the recorder does nothing.
    run_dir: str | None
    run_id: str
    control: Control | None
    manifest: Json
    measurer: subprocess.Popen[bytes] | Literal[False] | None
    _last_epoch: int | None
    _last_end: float | None

    def __init__(
        self,
        model: nn.Module,
        probe: Iterable[Any],
        *,
        classes: Sequence[Any] | None = None,
        name: str | None = None,
        runs_dir: str | os.PathLike[str] | None = None,
        probe_size: int | None = None,
        train: Any = None,
        train_size: int | None = None,
        epochs: int | None = None,
        batch_size: int | None = None,
        optimizer: torch.optim.Optimizer | None = None,
        loss: str | None = None,
        dataset: str | None = None,
        control: str | Control | None = None,
        source_run: str | os.PathLike[str] | None = None,
    ) -> None:
        self.run_dir = None
        self.control = None
        self._active = not _is_secondary_rank()
        if not self._active:
            return
        self.model = _unwrap(model)
        self._closed = False
        self._last_epoch = None
        self._last_end = None
        self.measurer = None
        with rng_kept():
            self._start(probe, classes, name, runs_dir, probe_size, train, train_size, epochs, batch_size, optimizer, loss, dataset, control, source_run)

    # -- start -------------------------------------------------------------------------------
    def _start(
        self,
        probe: Iterable[Any],
        classes: Sequence[Any] | None,
        name: str | None,
        runs_dir: str | os.PathLike[str] | None,
        probe_size: int | None,
        train: Any,
        train_size: int | None,
        epochs: int | None,
        batch_size: int | None,
        optimizer: torch.optim.Optimizer | None,
        loss: str | None,
        dataset: str | None,
        control: str | Control | None,
        source_run: str | os.PathLike[str] | None,
    ) -> None:
        model = self.model
        _check_exporter()
        parameter = next(model.parameters(), None)
        _check_parameters(parameter)
        self.device = parameter.device if parameter is not None else torch.device("cpu")
        self.inputs, self.labels = _probe_from(probe, probe_size)
        # The probe as given: its fingerprint and what a control keeps of it are measured before the transform.
        given = self.inputs.numpy().astype(np.float32)
        digest = hashlib.sha256(given.tobytes())
        digest.update(self.labels.numpy().astype(np.int32).tobytes())
        kept = None
        if control is not None:
            try:
                self.control = control if isinstance(control, Control) else Control(control)
            except ValueError as e:
                raise UnsupportedModelError(str(e)) from None
            self.control.fit(list(self.inputs.shape[1:]))
            kept = self.control.kept(given)
            if self.control.pixels:
                self.inputs = self.control(self.inputs).contiguous()
        example = self.inputs[:1].to(self.device)
        cells = Cells()  # where the model is defined in a notebook's cells
        layers, kind = layer_table(model, example, len(classes) if classes is not None else None, cells)
        self.layers = layers
        self.names = [layer["name"] for layer in layers[1:]]
        self.output_kind = kind
        class_count = int(layers[-1]["outputShape"][0])
        self.classes = [str(c) for c in classes] if classes is not None else [str(c) for c in range(class_count)]
        if int(self.labels.min()) < 0 or int(self.labels.max()) >= class_count:
            raise UnsupportedModelError(f"the probe labels are not all class indices in [0, {class_count - 1}]")

        model_file, sources = _model_files(model, cells)
        runs = _runs_folder(runs_dir, cells.notebook())
        settings = _settings(train, train_size, epochs, batch_size, optimizer, len(self.labels))
        train_size = settings.pop("trainSize", None)
        source = None
        if self.control is not None:
            settings["seed"] = self.control.seed
            source = find_source_run(runs, name or type(model).__name__, source_run)
            for line in check_source(source, layers, digest.hexdigest()[:16], settings):
                print(f"cnn_slicer: control {self.control.spec} trains with {line}: a control should train as its source run did", file=sys.stderr)
        try:
            files.make_runs_folder(runs)
        except OSError as e:
            raise UnsupportedModelError(f"cannot create the runs folder {runs}: {e.strerror or e}; pass runs_dir= a folder you can write") from None
        run_name = name or type(model).__name__.lower()
        self.run_id, self.run_dir = files.claim_run_folder(runs, run_name)

        inputs = self.inputs.numpy().astype(np.float32)
        labels = self.labels.numpy().astype(np.int32)
        os.makedirs(os.path.join(self.run_dir, "probe"))
        os.makedirs(os.path.join(self.run_dir, "checkpoints"))
        files.write_atomic(os.path.join(self.run_dir, "probe", "inputs.npy"), files.npy_bytes(inputs))
        files.write_atomic(os.path.join(self.run_dir, "probe", "labels.npy"), files.npy_bytes(labels))
        files.write_atomic(os.path.join(self.run_dir, "probe", "indices.json"), json.dumps(list(range(len(labels)))).encode("utf-8"))

        optimizer_name = settings.get("optimizer")
        dataset_name = dataset or (type(getattr(train, "dataset", None)).__name__.lower() if train is not None else "probe")
        dataset_spec = f"pytorch:{dataset_name}"
        if source is not None:  # the source run's dataset, before the transform
            dataset_name = source.manifest["dataset"].get("name", dataset_name)
            dataset_spec = source.manifest["dataset"].get("spec", dataset_spec)
        now = files.iso_now()
        self.manifest = {
            "formatVersion": FORMAT_VERSION,
            "id": self.run_id,
            "status": "recording",
            "createdAt": now,
            "updatedAt": now,
            "model": {
                "file": model_file,
                "relativeFile": os.path.relpath(model_file, self.run_dir).replace(os.sep, "/") if model_file else "",
                "fingerprint": _fingerprint(sources, layers),
                "name": name or type(model).__name__,
                "sourceFiles": sources,
            },
            "layers": layers,
            "dataset": {
                "spec": dataset_spec,
                "name": dataset_name,
                "fingerprint": digest.hexdigest()[:16],
                "classNames": self.classes,
                "inputShape": [int(d) for d in inputs.shape[1:]],
                "trainSize": int(train_size or 0),
            },
            "probe": {
                "size": int(len(labels)),
                "inputsFile": "probe/inputs.npy",
                "labelsFile": "probe/labels.npy",
                "classCounts": np.bincount(labels, minlength=class_count).astype(int).tolist(),
            },
            "settings": settings,
            "backend": {"name": "pytorch-cuda" if self.device.type == "cuda" else "pytorch-cpu", "fallbackReasons": []},
            "output": {"layer": self.names[-1], "kind": kind, "chosenBy": "only"},
            "training": {"compiledBy": "model", "optimizer": optimizer_name or "unknown", "loss": loss or "unknown"},
            "checkpoint": {"format": "onnx", "file": "model.onnx", "opset": OPSET, "producer": f"pytorch {torch.__version__}"},
            "epochs": [],
            "pid": os.getpid(),
        }
        script = _training_script(cells.notebook())
        if script is not None:
            self.manifest["trainingScript"] = {"file": script[0], "kind": script[1]}
            if script[1] == "script" and sys.executable:
                # The Python that trained the run: Record Again runs the script with it again.
                self.manifest["trainingScript"]["python"] = sys.executable
            try:
                self.manifest["trainingScript"]["relativeFile"] = os.path.relpath(script[0], self.run_dir).replace(os.sep, "/")
            except ValueError:  # another drive (Windows): the absolute path only
                pass
        if source is not None and self.control is not None:  # a source run is found for a control only
            self.manifest["control"] = self.control.manifest_field(source, self.run_dir, labels, class_count, kept)
        start_time = files.process_start_time()
        if start_time is not None:
            self.manifest["pidStartTime"] = start_time
        self._write_manifest()
        self._last_end = time.perf_counter()

    def _write_manifest(self) -> None:
        assert self.run_dir is not None
        self.manifest["updatedAt"] = files.iso_now()
        files.write_json(os.path.join(self.run_dir, "manifest.json"), self.manifest)

    # -- epochs ------------------------------------------------------------------------------
    def epoch(self, epoch: int, train_loss: float | torch.Tensor | None = None, train_accuracy: float | torch.Tensor | None = None) -> None:
        """Records the model as it is after `epoch` (0: before training): checkpoint, metrics line, manifest.

        Args:
            epoch: the epoch just trained, after the last one recorded; 0 is the model before training.
            train_loss: the epoch's mean training loss (a number or a one-value tensor); not recorded at epoch 0.
            train_accuracy: the epoch's training accuracy in [0, 1]; not recorded at epoch 0.
        """
        if not self._active:
            return
        if self._closed:
            raise RuntimeError("cnn_slicer: the recorder is closed")
        epoch = int(epoch)
        if epoch < 0 or (self._last_epoch is not None and epoch <= self._last_epoch):
            raise ValueError(f"cnn_slicer: epoch {epoch} is not after the last recorded epoch {self._last_epoch}")
        assert self.run_dir is not None and self._last_end is not None  # set by _start() on the active rank
        started = time.perf_counter()
        train_ms = 0.0 if self._last_epoch is None else (started - self._last_end) * 1000
        with rng_kept():
            folder = os.path.join(self.run_dir, "checkpoints", f"epoch-{epoch:04d}")
            example = self.inputs[:1].to(self.device)
            files.write_folder(folder, lambda tmp: export_onnx(self.model, example, os.path.join(tmp, "model.onnx"), self.names))
            loss, accuracy, confusion = self._probe_measures()
        line = {
            "epoch": epoch,
            "trainLoss": None if epoch == 0 else _number_or_none(train_loss),
            "trainAccuracy": None if epoch == 0 else _number_or_none(train_accuracy),
            "probeLoss": loss,
            "probeAccuracy": accuracy,
            "confusion": confusion,
            "timingsMs": {"train": round(train_ms, 3), "record": round((time.perf_counter() - started) * 1000, 3)},
            "pending": "measures",
        }
        files.append_line(os.path.join(self.run_dir, "metrics.jsonl"), line)
        self.manifest["epochs"].append(epoch)
        self._write_manifest()
        self._last_epoch = epoch
        if self.measurer is None:
            # CNN Slicer's engine measures the epochs as they land (measurer.py).
            self.measurer = start_measurer(self.run_dir) or False
        self._last_end = time.perf_counter()

    def _probe_measures(self) -> tuple[float | None, float, list[list[int]]]:
        modes = ModelModes(self.model)
        self.model.eval()
        try:
            with torch.no_grad():
                outputs = [
                    self.model(self.inputs[i : i + PROBE_BATCH].to(self.device)).float().cpu()
                    for i in range(0, self.inputs.shape[0], PROBE_BATCH)
                ]
        finally:
            modes.restore()
        values = torch.cat(outputs).numpy()
        scores = values if self.output_kind == "softmax" else softmax_rows(values)
        return prediction_measures(scores, self.labels.numpy(), len(self.classes))

    # -- the end -----------------------------------------------------------------------------
    def _finish(self, status: str, message: str | None = None) -> None:
        if not self._active or self._closed:
            return
        self._closed = True
        self.manifest["status"] = status
        self.manifest.pop("pid", None)
        self.manifest.pop("pidStartTime", None)
        if message is not None:
            self.manifest["error"] = {"message": message}
        self._write_manifest()

    def close(self) -> None:
        """Marks the run completed."""
        self._finish("completed")

    def cancel(self) -> None:
        """Marks the run cancelled (stopped by the user), keeping the epochs recorded so far."""
        self._finish("cancelled")

    def fail(self, exc: BaseException) -> None:
        """Marks the run failed with the exception's message (a KeyboardInterrupt: cancelled).

        Args:
            exc: what stopped the training; its type and first line become the manifest's ``error.message``.
        """
        if isinstance(exc, KeyboardInterrupt):
            self.cancel()
            return
        text = str(exc).strip().splitlines()
        self._finish("failed", f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> Literal[False]:
        if exc is None:
            self.close()
        else:
            self.fail(exc)
        return False

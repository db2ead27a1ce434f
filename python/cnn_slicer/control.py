"""The control experiment for shortcuts on a PyTorch run (docs/control.md, docs/pytorch.md).

A control run trains the same model, with the same settings, on images whose relevant content is
removed; if it still classifies the probe well above chance, the model can use a shortcut. The
TypeScript recorder retrains a TF.js model itself; a PyTorch model is trained by the user's own
script, so the transform comes from here: the Recorder applies it to the probe, and the user puts
it in their training data (``transform=`` of a dataset, or ``rec.control.dataset(train_set)``).

The transforms are those of the TypeScript recorder (src/data/control.ts), to the same definitions:
``border:N`` keeps the pixels within N of an edge and sets every channel of every other pixel to 0;
``mask-centre:F`` sets to 0 every channel of the central round(F·H) × round(F·W) rectangle;
``shuffle-pixels`` moves the pixels by one permutation of the H·W positions drawn from the run's
seed (mulberry32 and Fisher–Yates, as src/analysis/random.ts draws it, so a seed gives the same
permutation in both languages); ``shuffle-labels`` permutes the training labels by a seeded
permutation. Images are ``[C, H, W]`` (PyTorch's layout) or ``[H, W]``; a batch ``[N, C, H, W]``
is transformed input by input.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from numpy.typing import ArrayLike
from torch.utils.data import Dataset

import json
import os
import re

import numpy as np
import torch

from .contract import CONTRACT
from .run_format import Json, ReadManifest
from .trace import UnsupportedModelError

KINDS = ("border", "mask-centre", "shuffle-pixels", "shuffle-labels")
FORMS = "border:N (N ≥ 1 pixels), mask-centre:F (0 < F ≤ 1), shuffle-pixels or shuffle-labels"

# The seed streams of the controls (src/contract/controlFormat.ts CONTROL_STREAMS, through contract.json).
_PIXEL_STREAM = CONTRACT["controlStreams"]["pixels"]
_LABEL_STREAM = CONTRACT["controlStreams"]["labels"]
_U32 = 0xFFFFFFFF

# An image or a batch of them as a control transforms it: a tensor or a numpy array, given back as it came.
_Image = TypeVar("_Image", torch.Tensor, np.ndarray)


def _bad(spec: object, why: str | None = None) -> str:
    return f'control "{spec}" is not a control{f" ({why})" if why else ""}: use {FORMS}'


def _number_text(value: float) -> str:
    """A number as JavaScript's String(value) writes it for the values a spec holds (0.5, 1, 0.25)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_spec(text: object) -> tuple[str, float | None, str]:
    """``(kind, parameter, spec)`` of ``border:N``, ``mask-centre:F`` (also ``mask-center:F``),
    ``shuffle-pixels`` or ``shuffle-labels``; the spec written back in its one form.
    Raises ValueError with one line naming the accepted forms."""
    if not isinstance(text, str):
        raise ValueError(_bad(text))
    spec = text.strip()
    if spec in ("shuffle-pixels", "shuffle-labels"):
        return spec, None, spec
    match = re.fullmatch(r"(border|mask-centre|mask-center):(.+)", spec)
    if not match:
        raise ValueError(_bad(text))
    if match.group(1) == "border":
        if not re.fullmatch(r"\d+", match.group(2)) or int(match.group(2)) < 1:
            raise ValueError(_bad(text, "N must be a whole number of pixels, at least 1"))
        n = int(match.group(2))
        return "border", n, f"border:{n}"
    try:
        f = float(match.group(2)) if re.fullmatch(r"[0-9.eE+-]+", match.group(2)) else float("nan")
    except ValueError:
        f = float("nan")
    if not (0 < f <= 1):
        raise ValueError(_bad(text, "F must be a fraction above 0 and at most 1"))
    return "mask-centre", f, f"mask-centre:{_number_text(f)}"


def mulberry32(seed: int) -> Callable[[], float]:
    """The seeded generator of src/analysis/random.ts: floats in [0, 1), the same sequence for a seed."""
    state = seed & _U32

    def imul(a: int, b: int) -> int:
        return (a * b) & _U32

    def draw() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & _U32
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & _U32
        return ((t ^ (t >> 14)) & _U32) / 4294967296

    return draw


def seeded_permutation(count: int, seed: int) -> np.ndarray:
    """One permutation of ``count`` positions from the seed (Fisher–Yates from the end, as
    src/data/control.ts ``seededPermutation``): ``permutation[i]`` is the source position of position i."""
    order = list(range(count))
    draw = mulberry32(seed)
    for i in range(count - 1, 0, -1):
        j = int(draw() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return np.asarray(order, dtype=np.int64)


def stream_seed(seed: int, stream: int) -> int:
    return (seed + ((stream * 0x9E3779B9) & _U32)) & _U32


def pixel_permutation(height: int, width: int, seed: int) -> np.ndarray:
    """The one pixel permutation of ``shuffle-pixels`` for a run's seed."""
    return seeded_permutation(height * width, stream_seed(seed, _PIXEL_STREAM))


def label_permutation(count: int, seed: int) -> np.ndarray:
    """The permutation of ``shuffle-labels``: training input i takes the label of input ``permutation[i]``."""
    return seeded_permutation(count, stream_seed(seed, _LABEL_STREAM))


def kept_pixels(kind: str, parameter: float, height: int, width: int) -> np.ndarray:
    """1 where a ``border`` or ``mask-centre`` control keeps the pixel, 0 where it sets it to 0, ``[H, W]``."""
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    if kind == "border":
        n = parameter
        return ((rows < n) | (rows >= height - n) | (cols < n) | (cols >= width - n)).astype(np.uint8)
    h = int(np.floor(parameter * height + 0.5))  # JavaScript's Math.round (halves up)
    w = int(np.floor(parameter * width + 0.5))
    top, left = (height - h) // 2, (width - w) // 2
    kept = np.ones((height, width), dtype=np.uint8)
    kept[top : top + h, left : left + w] = 0
    return kept


def image_size(shape: Sequence[int]) -> tuple[int, int, int] | None:
    """``(H, W, C)`` of one input of per-input shape ``[C, H, W]`` or ``[H, W]``; None for other shapes."""
    shape = [int(d) for d in shape]
    if len(shape) == 2:
        return shape[0], shape[1], 1
    if len(shape) == 3:
        return shape[1], shape[2], shape[0]
    return None


def background(images: np.ndarray) -> np.ndarray:
    """Per channel, the most common value of the outermost ring of ``images`` ``[N, H, W, C]`` (the
    smallest on a tie; NaN never counts), as src/analysis/borderContent.ts ``borderBackground``."""
    n, height, width, channels = images.shape
    ring0 = np.zeros((height, width), dtype=bool)
    ring0[0, :] = ring0[-1, :] = ring0[:, 0] = ring0[:, -1] = True
    out = np.zeros(channels, dtype=np.float32)
    for c in range(channels):
        values = images[:, ring0, c].ravel()
        values = values[~np.isnan(values)]
        if values.size:
            unique, counts = np.unique(values, return_counts=True)
            out[c] = unique[int(np.argmax(counts))]
    return out


def kept_content(images: ArrayLike, kept: np.ndarray) -> tuple[float, float | None]:
    """What a control keeps of ``images`` ``[N, H, W, C]`` (channels last), as src/analysis/borderContent.ts
    ``keptContent``: (the share of the images with a kept pixel that differs from the background, the
    share of their content on kept pixels or None when they hold none). ``kept`` is ``[H, W]``."""
    images = np.asarray(images, dtype=np.float32)
    n = images.shape[0]
    bg = background(images) if n else np.zeros(images.shape[-1], dtype=np.float32)
    differs = images != bg  # NaN differs
    amount = np.abs(images.astype(np.float64) - bg.astype(np.float64))
    amount[np.isnan(amount)] = 0
    keep = kept.astype(bool)[None, :, :, None]
    touched = int(np.count_nonzero((differs & keep).reshape(n, -1).any(axis=1))) if n else 0
    total = float(amount.sum())
    kept_sum = float((amount * keep).sum())
    return (touched / n if n else 0.0), (kept_sum / total if total > 0 else None)


def majority_class_rate(labels: ArrayLike, classes: int) -> float | None:
    """The accuracy of always answering the most common class of ``labels``; None without labels."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return None
    return float(np.bincount(labels, minlength=classes).max() / labels.size)


class Control:
    """A control transform: ``Control("border:2", seed=...)``; the Recorder makes one from ``control=``.

    ``control(x)`` transforms an image ``[C, H, W]`` or ``[H, W]`` or a batch of them (a tensor or a
    numpy array), for ``transforms.Compose([..., rec.control])``: put it last, after ``ToTensor()``
    and any normalisation, so the training inputs get what the probe gets. ``control.labels(y)``
    permutes a whole training label vector (``shuffle-labels``); ``control.dataset(ds)`` wraps a
    map-style dataset of ``(input, label, ...)`` items with either.

    Args:
        spec: the control: ``"border:N"`` (keep an N-pixel border), ``"mask-centre:F"`` (zero the
            central fraction F; ``"mask-center:F"`` too), ``"shuffle-pixels"`` or ``"shuffle-labels"``.
            A spec of another form raises ValueError naming the accepted forms.
        seed: the seed of the shuffles' permutation; default torch's initial seed (``torch.initial_seed()``),
            the run's ``settings.seed``.
    """

    kind: str
    # N of border:N (an int), F of mask-centre:F; None for the shuffles, which never read it.
    parameter: Any
    spec: str

    def __init__(self, spec: str, seed: int | None = None) -> None:
        self.kind, self.parameter, self.spec = parse_spec(spec)
        self.seed = int(torch.initial_seed() % 2**31 if seed is None else seed) & _U32
        # Fixed by fit() from the first input seen, before the transform reads them.
        self._size: Any = None  # (H, W) of the images
        self._mask: Any = None
        self._permutation: Any = None

    def __repr__(self) -> str:
        return f"Control({self.spec!r}, seed={self.seed})"

    @property
    def pixels(self) -> bool:
        """Whether the control transforms inputs (every kind but ``shuffle-labels``)."""
        return self.kind != "shuffle-labels"

    def fit(self, shape: Sequence[int]) -> None:
        """Checks the control against one input's shape ``[C, H, W]`` or ``[H, W]``, and fixes H and W.
        Raises UnsupportedModelError saying why it does not fit.

        Args:
            shape: one input's shape, without the batch axis.
        """
        if not self.pixels:
            return
        size = image_size(shape)
        if size is None:
            raise UnsupportedModelError(f"control {self.spec} needs images [C, H, W] or [H, W], but each input is {list(shape)}")
        height, width, _ = size
        if self._size is not None and self._size != (height, width):
            raise UnsupportedModelError(
                f"control {self.spec} was fitted to {self._size[0]}×{self._size[1]} images, and this input is {height}×{width}"
            )
        if self.kind == "border" and not (self.parameter < min(height, width) / 2):
            raise UnsupportedModelError(
                f"control {self.spec}: N must be below half the smaller side of the {height}×{width} images "
                f"(N < {_number_text(min(height, width) / 2)}), else it keeps every pixel"
            )
        if self._size is None:
            self._size = (height, width)
            if self.kind == "shuffle-pixels":
                self._permutation = pixel_permutation(height, width, self.seed)
            else:
                self._mask = kept_pixels(self.kind, self.parameter, height, width).astype(bool)

    def __call__(self, x: _Image) -> _Image:
        if not self.pixels:
            raise TypeError(
                "control shuffle-labels permutes the training labels, not the inputs: "
                "use control.dataset(train_set) or control.labels(train_labels)"
            )
        if isinstance(x, np.ndarray):
            return self(torch.from_numpy(x)).numpy()
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"control {self.spec} transforms tensors or numpy arrays, not a {type(x).__name__}: put it after transforms.ToTensor()")
        if x.dim() < 2:
            raise UnsupportedModelError(f"control {self.spec} needs images [C, H, W] or [H, W], but the input is {list(x.shape)}")
        one = list(x.shape[-2:]) if x.dim() == 2 else list(x.shape[-3:])
        self.fit(one)
        height, width = self._size
        if self.kind == "shuffle-pixels":
            flat = x.reshape(*x.shape[:-2], height * width)
            permutation = torch.from_numpy(self._permutation).to(x.device)
            return flat[..., permutation].reshape(x.shape)
        mask = torch.from_numpy(self._mask).to(x.device)
        return torch.where(mask, x, torch.zeros((), dtype=x.dtype, device=x.device))

    def labels(self, labels: Sequence[int] | np.ndarray | torch.Tensor) -> Sequence[int] | np.ndarray | torch.Tensor:
        """The training labels of ``shuffle-labels`` (the same multiset, in the seed's order); other controls
        return them as they are.

        Args:
            labels: every training label, in the training set's order (a tensor, a numpy array or a list).
        """
        if self.pixels:
            return labels
        permutation = label_permutation(len(labels), self.seed)
        if isinstance(labels, torch.Tensor):
            return labels[torch.from_numpy(permutation).to(labels.device)]
        return np.asarray(labels)[permutation]

    def dataset(self, dataset: Dataset[Any]) -> ControlledDataset:
        """The training set as the control trains on it: each item's input transformed, or (``shuffle-labels``)
        its label replaced by that of the item the seed's permutation names.

        Args:
            dataset: a map-style dataset (``len`` and indexing) of ``(input, label, ...)`` items; its
                ``targets``, where it has them, give the labels without loading the inputs.
        """
        return ControlledDataset(dataset, self)

    def kept(self, images: ArrayLike) -> dict[str, float | None] | None:
        """What a pixel control keeps of ``images`` ``[N, C, H, W]`` or ``[N, H, W]``, before the transform:
        ``{"inputShare", "contentShare"}`` (docs/control.md); None for ``shuffle-labels``.

        Args:
            images: the probe inputs as given, before the transform.
        """
        if not self.pixels:
            return None
        images = np.asarray(images, dtype=np.float32)
        self.fit(images.shape[1:])
        last = images[..., None] if images.ndim == 3 else np.moveaxis(images, 1, -1)
        height, width = self._size
        mask = np.ones((height, width), dtype=np.uint8) if self.kind == "shuffle-pixels" else self._mask.astype(np.uint8)
        input_share, content_share = kept_content(last, mask)
        return {"inputShare": input_share, "contentShare": content_share}

    def manifest_field(self, source: SourceRun, run_folder: str, probe_labels: ArrayLike, classes: int, kept: dict[str, float | None] | None) -> Json:
        """The manifest's ``control`` field of a control run in ``run_folder`` whose source run is ``source``."""
        chance = majority_class_rate(probe_labels, classes)
        if chance is None:
            raise UnsupportedModelError("a control experiment needs probe inputs, and the probe is empty")
        field: Json = {"spec": self.spec, "kind": self.kind}
        if self.parameter is not None:
            field["parameter"] = self.parameter
        field["sourceRun"] = {"id": source.id, "folder": os.path.relpath(source.folder, run_folder).replace(os.sep, "/")}
        field["chanceAccuracy"] = chance
        if kept is not None:
            field["kept"] = kept
        return field


class ControlledDataset(torch.utils.data.Dataset):
    """A map-style dataset as a control trains on it (``Control.dataset``)."""

    def __init__(self, dataset: Any, control: Control) -> None:
        self.source = dataset
        self.control = control
        self._permutation: Any = None if control.pixels else label_permutation(len(dataset), control.seed)
        targets = getattr(dataset, "targets", None)
        self._targets = None if control.pixels or targets is None or len(targets) != len(dataset) else targets

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        item = self.source[index]
        if not isinstance(item, (tuple, list)) or len(item) < 2:
            raise TypeError("control.dataset needs items (input, label, ...)")
        if self.control.pixels:
            return (self.control(item[0]), *item[1:])
        other = int(self._permutation[index])
        label = self._targets[other] if self._targets is not None else self.source[other][1]
        if isinstance(label, torch.Tensor) and label.dim() == 0 and not isinstance(item[1], torch.Tensor):
            label = int(label)
        return (item[0], label, *item[2:])


class SourceRun:
    """The run a control experiment controls, read from its folder (never written)."""

    def __init__(self, folder: str) -> None:
        self.folder = os.path.abspath(folder)
        try:
            with open(os.path.join(self.folder, "manifest.json"), encoding="utf-8") as f:
                self.manifest: ReadManifest = json.load(f)
        except (OSError, ValueError) as e:
            raise UnsupportedModelError(f"the control's source run {folder} is not a readable run folder ({e})") from None
        self.id = str(self.manifest.get("id", os.path.basename(self.folder)))


def find_source_run(runs: str, name: str, source_run: str | os.PathLike[str] | None = None) -> SourceRun:
    """The control's source run: ``source_run`` (a run folder, or a run id in ``runs``), else the newest
    completed run of model ``name`` in ``runs`` that is not itself a control.

    Args:
        runs: the runs folder.
        name: the model's name, as its runs' manifests hold it (``model.name``).
        source_run: the run folder or run id the user named, if any.
    """
    if source_run is not None:
        folder = str(source_run)
        if not os.path.isdir(folder) and os.path.isdir(os.path.join(runs, folder)):
            folder = os.path.join(runs, folder)
        if not os.path.isdir(folder):
            raise UnsupportedModelError(f"the control's source run {source_run} is neither a run folder nor a run in {runs}")
        return SourceRun(folder)
    found = []
    for entry in sorted(os.listdir(runs)) if os.path.isdir(runs) else []:
        manifest = os.path.join(runs, entry, "manifest.json")
        try:
            with open(manifest, encoding="utf-8") as f:
                m: ReadManifest = json.load(f)
        except (OSError, ValueError):
            continue
        if m.get("status") == "completed" and "control" not in m and (m.get("model") or {}).get("name") == name:
            found.append((str(m.get("createdAt", "")), entry))
    if not found:
        raise UnsupportedModelError(
            f"control needs a source run: no completed run of {name} in {runs}; record one without control= first, or name it with source_run="
        )
    return SourceRun(os.path.join(runs, max(found)[1]))


def check_source(source: SourceRun, layers: list[Json], fingerprint: str, settings: Json) -> list[str]:
    """Refuses a source run that is not this model's on this probe; returns the lines naming the
    settings that differ from the source run's (a control should train as its source did).

    Args:
        source: the source run.
        layers: the control run's layer table (``layer_table``).
        fingerprint: the probe's fingerprint (the manifest's ``dataset.fingerprint``).
        settings: the control run's settings, as the manifest holds them.
    """
    m = source.manifest
    if m.get("formatVersion") != 2 or (m.get("checkpoint") or {}).get("format") != "onnx":
        raise UnsupportedModelError(
            f"run {source.id} was recorded by CNN Slicer's TypeScript recorder: record its control with "
            f"`cnn-slicer record {source.folder} --control <spec>`"
        )
    if "control" in m:
        raise UnsupportedModelError(f"run {source.id} is itself a control experiment: name the run it controls as the source")
    table = [(l["name"], l["className"], l["outputShape"]) for l in layers]
    theirs: Any = [(l.get("name"), l.get("className"), l.get("outputShape")) for l in m.get("layers", [])]
    if table != theirs:
        raise UnsupportedModelError(f"run {source.id} recorded other layers: a control trains the same model as its source run")
    if (m.get("dataset") or {}).get("fingerprint") != fingerprint:
        raise UnsupportedModelError(
            f"the probe is not the one run {source.id} was recorded with: a control needs the same probe inputs and labels"
        )
    theirs = m.get("settings") or {}
    return [
        f"{key} {settings[key]} (run {source.id}: {theirs.get(key)})"
        for key in ("epochs", "batchSize", "optimizer", "learningRate")
        if key in settings and key in theirs and settings[key] != theirs[key]
    ]

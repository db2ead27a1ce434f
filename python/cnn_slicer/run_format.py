"""The run folder's JSON as this package writes and reads it (docs/run-format.md), for the type checker.

What the package writes is built as plain dictionaries (``Json``); what it reads back from a run
folder it did not write this session (a control's source run) is a ``ReadManifest``: the fields it
reads, every one of them possibly absent in a damaged or older manifest, so each is read with ``.get``.
The TypeScript reader (src/contract/runSchema.ts) is the format's full schema.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple, TypedDict

# A JSON object as written: a manifest, a layer entry, a metrics line.
Json = Dict[str, Any]

# Where a layer's op was called, 1-based (file, line, column), before notebook.py makes it a manifest `source`.
Site = Tuple[str, int, int]


class ReadModel(TypedDict, total=False):
    name: str
    file: str


class ReadLayer(TypedDict, total=False):
    name: str
    className: str
    outputShape: List[int]


class ReadDataset(TypedDict, total=False):
    spec: str
    name: str
    fingerprint: str


class ReadCheckpoint(TypedDict, total=False):
    format: str


class ReadManifest(TypedDict, total=False):
    """The fields of a manifest.json the package reads (a control's source run: control.py)."""

    formatVersion: int
    id: str
    status: str
    createdAt: str
    model: ReadModel
    layers: List[ReadLayer]
    dataset: ReadDataset
    settings: Dict[str, Any]
    checkpoint: ReadCheckpoint
    control: Dict[str, Any]

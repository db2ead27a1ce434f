"""Notebook cells as the place a model is defined, in a Jupyter kernel (VS Code's notebooks, Jupyter,
nbclient).

IPython compiles each cell under a file name of its own (ipykernel: ``<tmp>/ipykernel_<pid>/<hash>.py``;
IPython alone: ``<ipython-input-N-…>``) that is no file on disk: ``inspect`` finds no source there,
and a position in it reaches no editor. Here such a position becomes one in the notebook:

  {"file": <the .ipynb>, "line": <1-based, in the cell>, "column": …, "cell": {"digest": …, "index": …}}

- ``digest``: the cell's text as the user wrote it (IPython's raw input of that execution, before
  magics are rewritten), line endings made ``\\n`` and trailing white space removed, hashed with
  SHA-256, the first 16 hex digits (``cell_digest``; the extension computes the same of a cell).
- ``index``: the cell's 0-based position among all the notebook's cells (markdown included) in the
  ``.ipynb`` as saved, where exactly one cell there has that text; absent otherwise (a cell edited or
  unsaved since it ran).

The notebook is the one the kernel names (VS Code's ``__vsc_ipynb_file__``, ipykernel's
``__session__``, Jupyter Server's ``JPY_SESSION_NAME``), else the one ``.ipynb`` in the kernel's
working folder holding a cell with that text (nbclient and a Jupyter that names none start the
kernel there). Where neither finds it, the position is dropped: a layer without a line is shown
without one, never on a line it was not defined on.
"""

from __future__ import annotations

from typing import Any, Dict

import hashlib
import json
import linecache
import os
import sys

# A position in a source: {file, line, column} and, in a notebook, {cell: {digest, index}} (docs/run-format.md "Source lines").
Position = Dict[str, Any]


def _shell() -> Any:
    """The running IPython shell, or None (a plain Python process)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    return get_ipython() if callable(get_ipython) else None


def _cell_files(shell: Any) -> dict[str, int]:
    """IPython's compiled cells: {file name: execution count}."""
    names = getattr(getattr(shell, "compile", None), "_filename_map", None)
    return names if isinstance(names, dict) else {}


def cell_digest(text: str) -> str:
    """The first 16 hex digits of SHA-256 of a cell's text, line endings ``\\n`` and trailing white space removed."""
    return hashlib.sha256(_normalized(text).encode("utf-8")).hexdigest()[:16]


def is_cell_file(file: str) -> bool:
    """Whether ``file`` is the name IPython compiled a cell under in this process."""
    shell = _shell()
    return shell is not None and file in _cell_files(shell)


def compiled_text(file: str) -> str | None:
    """The code IPython compiled under a cell's file name (magics rewritten as calls), or None."""
    if not is_cell_file(file):
        return None
    lines = linecache.getlines(file)
    return "".join(lines) if lines else None


def cell_files_newest_first() -> list[str]:
    """The cells this kernel has run, newest first (their file names)."""
    shell = _shell()
    if shell is None:
        return []
    return [name for name, _ in sorted(_cell_files(shell).items(), key=lambda item: -item[1])]


def _raw_text(file: str) -> str | None:
    """The cell's text as written (IPython's raw input of that execution), else what was compiled."""
    shell = _shell()
    count = _cell_files(shell).get(file) if shell is not None else None
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if isinstance(count, int) and isinstance(history, list) and 0 <= count < len(history) and history[count]:
        return history[count]
    return compiled_text(file)


def kernel_notebook() -> str | None:
    """The path of the notebook the kernel names (VS Code's ``__vsc_ipynb_file__``, ipykernel's
    ``__session__``, Jupyter Server's ``JPY_SESSION_NAME``) where it is an existing ``.ipynb`` file, else None."""
    candidates = []
    user_ns = getattr(_shell(), "user_ns", None)
    if isinstance(user_ns, dict):
        candidates += [user_ns.get("__vsc_ipynb_file__"), user_ns.get("__session__")]
    candidates.append(os.environ.get("JPY_SESSION_NAME"))
    for path in candidates:
        if isinstance(path, str) and path.endswith(".ipynb") and os.path.isfile(path):
            return os.path.abspath(path)
    return None


def code_of(path: str) -> str | None:
    """The code a saved notebook holds: its code cells' texts (as ``cell_digest`` normalizes them),
    each followed by a NUL, in order; None if unreadable. Outputs and execution counts, which change
    at every run, are not code (the model's fingerprint hashes this, not the file)."""
    cells = _read_cells(path)
    if cells is None:
        return None
    return "".join(_normalized(source) + "\0" for cell_type, source in cells if cell_type == "code")


def _normalized(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip()


def _read_cells(path: str) -> list[tuple[str | None, str]] | None:
    """A saved notebook's cells as (cell type, source text), or None if unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            notebook = json.load(f)
    except (OSError, ValueError):
        return None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return None
    read = []
    for cell in cells:
        source = cell.get("source") if isinstance(cell, dict) else None
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        read.append((cell.get("cell_type") if isinstance(cell, dict) else None, source if isinstance(source, str) else ""))
    return read


def _notebook_cells(path: str) -> list[str | None] | None:
    """The digests of a saved notebook's cells, in order (None for a cell that is not code), or None if unreadable."""
    cells = _read_cells(path)
    if cells is None:
        return None
    return [cell_digest(source) if cell_type == "code" else None for cell_type, source in cells]


class Cells:
    """Positions in a kernel's cells as positions in its notebook; one per layer table, its reads cached."""

    def __init__(self) -> None:
        self._notebook = kernel_notebook()
        self._searched = self._notebook is not None
        self._digests: dict[str, str | None] = {}
        self._saved: list[str | None] | None = None

    def _digest(self, file: str) -> str | None:
        if file not in self._digests:
            text = _raw_text(file)
            self._digests[file] = cell_digest(text) if text is not None else None
        return self._digests[file]

    def notebook(self, digest: str | None = None) -> str | None:
        """The notebook: the kernel's, else the one ``.ipynb`` of the working folder with a cell of ``digest``."""
        if self._searched or digest is None:
            return self._notebook
        self._searched = True
        try:
            names = sorted(n for n in os.listdir(os.getcwd()) if n.endswith(".ipynb"))
        except OSError:
            names = []
        holding = [os.path.abspath(n) for n in names if digest in (_notebook_cells(n) or [])]
        self._notebook = holding[0] if len(holding) == 1 else None
        return self._notebook

    def position(self, file: str, line: int, column: int) -> Position | None:
        """A position {file, line, column}, in the notebook (with ``cell``) where ``file`` is a kernel cell;
        None where that notebook is not found, or ``file`` names no file; the plain position elsewhere."""
        if not is_cell_file(file):
            # `<string>` (exec) and the like name no file a position could reach.
            return None if file.startswith("<") else {"file": file, "line": line, "column": column}
        digest = self._digest(file)
        notebook = self.notebook(digest) if digest is not None else None
        if notebook is None:
            return None
        cell: dict[str, Any] = {"digest": digest}
        if self._saved is None:  # the saved notebook's cells, read once per layer table
            self._saved = _notebook_cells(notebook) or []
        indices = [i for i, d in enumerate(self._saved) if d == digest]
        if len(indices) == 1:
            cell["index"] = indices[0]
        return {"file": notebook, "line": line, "column": column, "cell": cell}

    def class_notebook(self, cls: type) -> str | None:
        """The notebook of a class defined in a kernel cell (a method's code was compiled there), else None."""
        file = class_cell_file(cls)
        return self.notebook(self._digest(file)) if file is not None else None


def class_cell_file(cls: type) -> str | None:
    """The cell file a class was defined in: that of the first of its own functions compiled in a cell, or None."""
    for value in vars(cls).values():
        function = getattr(value, "__func__", value)
        code = getattr(function, "__code__", None)
        if code is not None and is_cell_file(code.co_filename):
            return code.co_filename
    return None

"""The run folder's files, written as the TypeScript reader expects (docs/run-format.md "Crash safety").

Every file is written to a temporary sibling ``<name>.tmp-<pid>``, flushed, fsynced and renamed into
place; a folder is written as a temporary sibling and renamed; a metrics line is appended whole and
fsynced.
"""

from __future__ import annotations

from typing import Any, Callable

import datetime
import io
import json
import os
import re
import shutil

import numpy as np


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str, data: bytes) -> None:
    """Writes `data` (bytes) to `path` through a temporary sibling, fsync and rename."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(os.path.dirname(path))


def write_json(path: str, value: Any) -> None:
    write_atomic(path, (json.dumps(value, indent=2, allow_nan=False) + "\n").encode("utf-8"))


def npy_bytes(array: np.ndarray) -> bytes:
    """An array as .npy format version 1.0 bytes."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.ascontiguousarray(array), version=(1, 0), allow_pickle=False)
    return buffer.getvalue()


def append_line(path: str, value: Any) -> None:
    """Appends one JSON line whole and fsyncs; a line cut off before (no final newline) is ended first."""
    line = json.dumps(value, allow_nan=False, separators=(",", ":")) + "\n"
    with open(path, "ab+") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                line = "\n" + line
        f.write(line.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def write_folder(path: str, fill: Callable[[str], object]) -> None:
    """Makes folder `path` by calling `fill(tmp_folder)` on a temporary sibling, then renaming it."""
    tmp = f"{path}.tmp-{os.getpid()}"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    try:
        fill(tmp)
        for name in os.listdir(tmp):
            with open(os.path.join(tmp, name), "rb") as f:
                os.fsync(f.fileno())
        _fsync_dir(tmp)
        if os.path.exists(path):
            shutil.rmtree(path)
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(os.path.dirname(path))


# As the TypeScript recorder writes it (src/run/paths.ts RUNS_FOLDER_GITIGNORE).
RUNS_FOLDER_GITIGNORE = "\n".join(
    [
        "# Written by CNN Slicer when it created this runs folder: recorded runs (checkpoints, activations,",
        "# hundreds of MB) stay out of Git, and so out of VS Code's Quick Open and search in a Git workspace.",
        "# Delete this file to keep runs in Git: it is written only when the folder is created.",
        "*",
        "",
    ]
)


def make_runs_folder(path: str) -> None:
    """Creates the runs folder with a `.gitignore` of `*` when it does not exist yet."""
    if os.path.isdir(path):
        return
    os.makedirs(path, exist_ok=True)
    write_atomic(os.path.join(path, ".gitignore"), RUNS_FOLDER_GITIGNORE.encode("utf-8"))


def claim_run_folder(runs: str, name: str, now: datetime.datetime | None = None) -> tuple[str, str]:
    """Creates `<runs>/YYYYMMDD-HHMMSS-<name>` (UTC), or with `-2`, `-3` … when taken: (id, folder)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"
    base = now.strftime("%Y%m%d-%H%M%S") + "-" + safe
    for n in range(1, 10000):
        run_id = base if n == 1 else f"{base}-{n}"
        folder = os.path.join(runs, run_id)
        try:
            os.mkdir(folder)
        except FileExistsError:
            continue
        return run_id, folder
    raise RuntimeError(f"cnn_slicer: no free run folder name for {base} in {runs}")


def iso_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def process_start_time() -> str | None:
    """Field 22 of /proc/self/stat (clock ticks since boot), as the TypeScript recorder writes it; None elsewhere."""
    try:
        with open("/proc/self/stat", encoding="utf-8") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split(" ")
    ticks = fields[19] if len(fields) > 19 else None
    return ticks if ticks is not None and ticks.isdigit() else None

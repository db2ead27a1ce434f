"""CNN Slicer's engine measuring each landed epoch beside the training.

The recorder computes no entropy: the per-layer measures and the label entropies of every epoch are
computed by CNN Slicer's TypeScript engine from the epoch's ONNX checkpoint (``cnn-slicer measure``),
the one implementation of each measure. When Node.js is on the PATH, the recorder starts
``cnn-slicer measure <run> --follow`` once, after the first epoch lands: it measures each epoch as
it lands, at the lowest CPU priority (the training comes first), and stops once the recorder has
stopped and every epoch is measured. It holds the run's measuring lock (``measuring.lock``,
docs/run-format.md) while it measures, so VS Code, or a ``cnn-slicer measure`` typed meanwhile,
does not measure the same epochs again. Without Node.js (or
with ``CNN_SLICER_MEASURE=0``), the epochs stay pending until the CLI or VS Code first opens the run.

The CLI is ``CNN_SLICER_CLI`` (the path of ``cli.js``) where set, else ``cnn-slicer`` on the PATH,
else this repository's ``dist/cli.js`` beside the package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def cli_command() -> list[str] | None:
    """The command that runs CNN Slicer's CLI, or None where there is none (or no node for cli.js)."""
    named = os.environ.get("CNN_SLICER_CLI")
    node = shutil.which("node")
    if named:
        return [node, named] if node and os.path.isfile(named) else None
    installed = shutil.which("cnn-slicer")
    if installed:
        return [installed]
    bundled = Path(__file__).resolve().parents[2] / "dist" / "cli.js"
    return [node, str(bundled)] if node and bundled.is_file() else None


def start_measurer(run_dir: str) -> subprocess.Popen[bytes] | None:
    """Starts ``measure <run_dir> --follow`` in its own session; returns the process, or None.

    Args:
        run_dir: the run folder the recorder writes; the measurer follows its epochs as they land.

    None where ``CNN_SLICER_MEASURE=0``, where there is no CLI to run (``cli_command``) or it cannot start.
    """
    if os.environ.get("CNN_SLICER_MEASURE", "1") == "0":
        return None
    command = cli_command()
    if command is None:
        return None
    try:
        return subprocess.Popen(
            [*command, "measure", str(run_dir), "--follow"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_lowest_priority if hasattr(os, "nice") else None,
        )
    except OSError:
        return None


# The measurer's niceness: the training it measures comes first. Measuring beside it at the same
# priority took half of a 2-core machine from PyTorch (+35% on the demo's training loop); at 19 it
# uses the cycles the training leaves, and catches up once the training ends.
MEASURER_NICENESS = 19


def _lowest_priority() -> None:
    """Niceness 19, and Linux's SCHED_IDLE where there is one: CPU time only when nothing else wants it."""
    try:
        os.nice(MEASURER_NICENESS)
    except OSError:
        pass
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:
            pass

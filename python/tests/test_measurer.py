"""CNN Slicer's engine measuring a PyTorch run beside its training (cnn_slicer/measurer.py).

The recorder starts ``cnn-slicer measure <run> --follow`` (here: this repository's dist/cli.js,
built by ``npm run build``, which ``npm test`` runs first); when it has stopped, every epoch has its
complete metrics line after the recorder's pending one (one line each), with the engine's probe
accuracy equal to PyTorch's, and the measurer's lock (measuring.lock) is gone.
"""

import json
import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import torch
import torch.nn.functional as F

from cnn_slicer import Recorder
from tests.models import LeNet, synthetic_digits

CLI = Path(__file__).resolve().parents[2] / "dist" / "cli.js"


class MeasurerTest(unittest.TestCase):
    def test_the_engine_measures_each_epoch_beside_the_training(self):
        self.assertTrue(CLI.is_file(), f"{CLI} is missing: run `npm run build` first (npm test does)")
        torch.manual_seed(3)
        x, y = synthetic_digits(96)
        model = LeNet()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        with tempfile.TemporaryDirectory() as runs, mock.patch.dict(os.environ, {"CNN_SLICER_MEASURE": "1", "CNN_SLICER_CLI": str(CLI)}):
            with Recorder(model, probe=(x[:48], y[:48]), name="measured", runs_dir=runs) as rec:
                rec.epoch(0)
                self.assertIsNotNone(rec.measurer, "node is on the PATH: the measurer starts with the first epoch")
                # At the lowest priority: the training comes first (field 19 of /proc/<pid>/stat is the niceness).
                stat = Path(f"/proc/{rec.measurer.pid}/stat")
                if stat.exists():
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                    self.assertEqual(int(fields[16]), min(19, os.nice(0) + 19))
                for epoch in (1, 2):
                    optimizer.zero_grad()
                    F.cross_entropy(model(x[48:]), y[48:]).backward()
                    optimizer.step()
                    rec.epoch(epoch, train_loss=0.5, train_accuracy=0.5)
            self.assertEqual(rec.measurer.wait(timeout=180), 0)
            with open(os.path.join(rec.run_dir, "metrics.jsonl"), encoding="utf-8") as f:
                lines = [json.loads(line) for line in f if line.strip()]
            recorded = {line["epoch"]: line for line in lines if line.get("pending") == "measures"}
            measured = {line["epoch"]: line for line in lines if "pending" not in line}
            self.assertEqual(sorted(recorded), [0, 1, 2])
            self.assertEqual(sorted(measured), [0, 1, 2])
            # One measurer per run: one complete line per epoch, and its lock released when it ends.
            self.assertEqual(sorted(line["epoch"] for line in lines if "pending" not in line), [0, 1, 2])
            self.assertEqual(sorted(line["epoch"] for line in lines if line.get("pending") == "measures"), [0, 1, 2])
            self.assertFalse(os.path.exists(os.path.join(rec.run_dir, "measuring.lock")))
            for epoch, line in measured.items():
                self.assertEqual(len(line["layers"]), len(rec.layers))
                self.assertEqual(line["probeAccuracy"], recorded[epoch]["probeAccuracy"])
                self.assertEqual(line["trainLoss"], recorded[epoch]["trainLoss"])


if __name__ == "__main__":
    unittest.main()

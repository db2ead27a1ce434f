"""Two-process DistributedDataParallel training on CPU (gloo): only rank 0 records, one run in all."""

import json
import os
import tempfile
import unittest

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from cnn_slicer import Recorder
from tests.models import LeNet, synthetic_digits


def _worker(rank, world, folder):
    dist.init_process_group("gloo", init_method="file://" + os.path.join(folder, "rendezvous"), rank=rank, world_size=world)
    try:
        torch.manual_seed(0)
        model = torch.nn.parallel.DistributedDataParallel(LeNet())
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        x, y = synthetic_digits(32, seed=rank)
        rec = Recorder(model, probe=synthetic_digits(16, seed=5), runs_dir=os.path.join(folder, "runs"), optimizer=optimizer)
        with open(os.path.join(folder, f"rank{rank}.json"), "w", encoding="utf-8") as f:
            json.dump({"runDir": rec.run_dir}, f)
        rec.epoch(0)
        for epoch in (1, 2):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            rec.epoch(epoch, train_loss=float(loss))
        rec.close()
    finally:
        dist.destroy_process_group()


class DistributedTest(unittest.TestCase):
    def test_only_rank_0_records(self):
        with tempfile.TemporaryDirectory() as folder:
            mp.spawn(_worker, args=(2, folder), nprocs=2, join=True)
            runs = os.path.join(folder, "runs")
            self.assertEqual(len([d for d in os.listdir(runs) if not d.startswith(".")]), 1)
            ranks = []
            for rank in (0, 1):
                with open(os.path.join(folder, f"rank{rank}.json"), encoding="utf-8") as f:
                    ranks.append(json.load(f)["runDir"])
            self.assertIsNotNone(ranks[0])
            self.assertIsNone(ranks[1])
            with open(os.path.join(ranks[0], "manifest.json"), encoding="utf-8") as f:
                manifest = json.load(f)
            self.assertEqual((manifest["status"], manifest["epochs"]), ("completed", [0, 1, 2]))
            self.assertEqual(manifest["layers"][1]["name"], "conv1", "the DistributedDataParallel wrapper is not part of the names")


if __name__ == "__main__":
    unittest.main()

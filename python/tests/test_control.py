"""The control experiment on a PyTorch run: the transforms (to the TypeScript recorder's definitions,
known answers from contract.json and src/analysis/borderContent.ts), the control run's
manifest, the refusals, and the finding the engine fires on a planted shortcut."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cnn_slicer import Control, Recorder, UnsupportedModelError
from cnn_slicer.contract import CONTRACT
from cnn_slicer.control import kept_content, label_permutation, mulberry32, parse_spec, pixel_permutation, seeded_permutation

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(ROOT, "dist", "cli.js")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class SpecTest(unittest.TestCase):
    def test_the_four_forms_and_their_one_spelling(self):
        self.assertEqual(parse_spec("border:4"), ("border", 4, "border:4"))
        self.assertEqual(parse_spec(" mask-center:0.5 "), ("mask-centre", 0.5, "mask-centre:0.5"))
        self.assertEqual(parse_spec("mask-centre:1"), ("mask-centre", 1.0, "mask-centre:1"))
        self.assertEqual(parse_spec("shuffle-pixels"), ("shuffle-pixels", None, "shuffle-pixels"))
        self.assertEqual(parse_spec("shuffle-labels"), ("shuffle-labels", None, "shuffle-labels"))

    def test_a_bad_spec_gets_one_line_naming_the_forms(self):
        for bad, why in [("border:0", "N must be"), ("border:1.5", "N must be"), ("mask-centre:0", "F must be"), ("mask-centre:2", "F must be"), ("blur", None)]:
            with self.assertRaises(ValueError) as e:
                parse_spec(bad)
            message = str(e.exception)
            self.assertEqual(len(message.splitlines()), 1)
            self.assertIn(f'control "{bad}" is not a control', message)
            self.assertIn("border:N (N ≥ 1 pixels), mask-centre:F (0 < F ≤ 1), shuffle-pixels or shuffle-labels", message)
            if why:
                self.assertIn(why, message)


class PermutationTest(unittest.TestCase):
    """The same seed draws the same numbers and permutations as the TypeScript recorder: the known
    answers of contract.json, computed by src/analysis/random.ts (src/contract/sharedContract.ts)."""

    ANSWERS = CONTRACT["knownAnswers"]

    def test_the_generator_draws_the_typescript_values(self):
        self.assertGreater(len(self.ANSWERS["mulberry32"]), 0)
        for case in self.ANSWERS["mulberry32"]:
            draw = mulberry32(case["seed"])
            self.assertEqual([draw() for _ in case["values"]], case["values"], case["seed"])

    def test_known_permutations(self):
        for case in self.ANSWERS["seededPermutation"]:
            self.assertEqual(seeded_permutation(case["count"], case["seed"]).tolist(), case["permutation"], case)
        for case in self.ANSWERS["pixelPermutation"]:
            self.assertEqual(pixel_permutation(case["height"], case["width"], case["seed"]).tolist(), case["permutation"], case)
        for case in self.ANSWERS["labelPermutation"]:
            self.assertEqual(label_permutation(case["count"], case["seed"]).tolist(), case["permutation"], case)
        # shuffle-labels: training input i takes the label of input permutation[i].
        (case,) = [c for c in self.ANSWERS["labelPermutation"] if c["count"] == 8 and c["seed"] == 7]
        self.assertEqual(Control("shuffle-labels", seed=7).labels(torch.arange(8) * 10).tolist(), [10 * p for p in case["permutation"]])


class TransformTest(unittest.TestCase):
    def test_border_keeps_the_edge_pixels_of_every_channel(self):
        x = torch.arange(2 * 6 * 6, dtype=torch.float32).reshape(2, 6, 6) + 1
        out = Control("border:2", seed=0)(x)
        kept = torch.zeros(6, 6, dtype=torch.bool)
        kept[:2, :] = kept[-2:, :] = kept[:, :2] = kept[:, -2:] = True
        self.assertTrue(torch.equal(out, torch.where(kept, x, torch.zeros(()))))
        self.assertEqual(int((out == 0).sum()), 2 * 4)  # the 2×2 centre of both channels
        self.assertTrue(torch.equal(x[0, 0], torch.arange(6, dtype=torch.float32) + 1))  # the input is not changed

    def test_mask_centre_zeroes_the_central_rectangle(self):
        x = torch.ones(1, 5, 7)
        out = Control("mask-centre:0.5", seed=0)(x)
        # round(2.5) = 3 rows from row 1, round(3.5) = 4 columns from column 1 (JavaScript's Math.round).
        expected = torch.ones(1, 5, 7)
        expected[0, 1:4, 1:5] = 0
        self.assertTrue(torch.equal(out, expected))

    def test_shuffle_pixels_moves_all_channels_of_a_pixel_together_the_same_for_every_input(self):
        control = Control("shuffle-pixels", seed=1)
        x = torch.stack([torch.arange(20, dtype=torch.float32).reshape(4, 5), 100 + torch.arange(20, dtype=torch.float32).reshape(4, 5)])
        out = control(x)
        permutation = [13, 0, 18, 15, 4, 7, 19, 16, 12, 14, 1, 5, 17, 9, 8, 6, 2, 3, 11, 10]
        self.assertEqual(out[0].flatten().tolist(), [float(p) for p in permutation])
        self.assertEqual(out[1].flatten().tolist(), [100.0 + p for p in permutation])
        batch = control(torch.stack([x, x * 2]))
        self.assertTrue(torch.equal(batch[0], out) and torch.equal(batch[1], out * 2))
        self.assertTrue(np.array_equal(control(x.numpy()), out.numpy()))

    def test_images_of_another_size_or_shape_are_refused_in_one_line(self):
        control = Control("border:2", seed=0)
        control(torch.zeros(1, 6, 6))
        with self.assertRaisesRegex(UnsupportedModelError, "fitted to 6×6 images, and this input is 8×8"):
            control(torch.zeros(1, 8, 8))
        with self.assertRaisesRegex(UnsupportedModelError, r"N must be below half the smaller side of the 4×4 images \(N < 2\)"):
            Control("border:2")(torch.zeros(1, 4, 4))
        with self.assertRaisesRegex(TypeError, "put it after transforms.ToTensor"):
            Control("border:1")([[0.0]])
        with self.assertRaisesRegex(TypeError, "permutes the training labels"):
            Control("shuffle-labels")(torch.zeros(1, 4, 4))

    def test_the_dataset_wrapper(self):
        x = torch.arange(5 * 36, dtype=torch.float32).reshape(5, 1, 6, 6) + 1
        y = torch.tensor([0, 1, 2, 3, 4])
        pixels = Control("border:1", seed=0).dataset(torch.utils.data.TensorDataset(x, y))
        self.assertEqual(len(pixels), 5)
        image, label = pixels[3]
        self.assertEqual(int(label), 3)
        self.assertEqual(float(image[0, 2, 2]), 0.0)
        self.assertEqual(float(image[0, 0, 2]), float(x[3, 0, 0, 2]))

        permutation = label_permutation(5, 9).tolist()
        labels = Control("shuffle-labels", seed=9).dataset(torch.utils.data.TensorDataset(x, y))
        self.assertEqual([int(labels[i][1]) for i in range(5)], permutation)
        self.assertTrue(torch.equal(labels[2][0], x[2]))

        class WithTargets(torch.utils.data.Dataset):
            targets = [10, 11, 12, 13, 14]

            def __len__(self):
                return 5

            def __getitem__(self, i):
                return x[i], self.targets[i]

        wrapped = Control("shuffle-labels", seed=9).dataset(WithTargets())
        self.assertEqual([wrapped[i][1] for i in range(5)], [10 + p for p in permutation])


class KeptContentTest(unittest.TestCase):
    def test_known_answer_of_the_typescript_definition(self):
        # Two 4×4 images of 2 channels; keptContent(…, border:1) = { inputShare: 1, contentShare: 0.6 } in TypeScript.
        images = np.zeros((2, 4, 4, 2), dtype=np.float32)
        images[0, 1, 1, 0] = 0.5
        images[0, 0, 2, 1] = 0.25
        images[1, 2, 2, 0] = 1
        images[1, 3, 3, 1] = np.nan
        images[1, 0, 0, 0] = 2
        kept = np.ones((4, 4), dtype=np.uint8)
        kept[1:3, 1:3] = 0
        self.assertEqual(kept_content(images, kept), (1.0, 0.6))
        as_torch = np.moveaxis(images, -1, 1)
        self.assertEqual(Control("border:1").kept(as_torch), {"inputShare": 1.0, "contentShare": 0.6})
        blank = np.zeros((3, 1, 4, 4), dtype=np.float32)
        self.assertEqual(Control("border:1").kept(blank), {"inputShare": 0.0, "contentShare": None})
        self.assertIsNone(Control("shuffle-labels").kept(blank))


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 6 * 6, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))
        return self.fc(torch.flatten(x, 1))


class Wider(Small):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, 3, padding=1)
        self.fc = nn.Linear(6 * 6 * 6, 4)


def shortcut_images(n, seed, shortcut):
    """`n` 1×12×12 images of 4 classes: a class-coloured blob in the centre, and with `shortcut` also a mark
    on the top edge at the class's column; without it the border is blank."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 4
    x = torch.zeros(n, 1, 12, 12)
    noise = torch.rand(n, 1, 6, 6, generator=g)
    x[:, :, 3:9, 3:9] = noise * 0.5
    for i in range(n):
        c = int(y[i])
        x[i, 0, 4 + c, 4:8] += 1.0
        if shortcut:
            x[i, 0, 0, 2 + 2 * c] = 1.0
    return x, y


def train(model, x, y, control=None, epochs=6, seed=5):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(seed)
    data = torch.utils.data.TensorDataset(x, y)
    if control is not None:
        data = control.dataset(data)
    loader = torch.utils.data.DataLoader(data, batch_size=32, shuffle=True, generator=generator)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    return optimizer


class ControlRunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.runs = os.path.join(self.tmp.name, "runs")

    def record(self, x, y, probe, control=None, source_run=None, model=None, epochs=6):
        torch.manual_seed(11)
        model = model or Small()
        rec = Recorder(model, probe=probe, name="small", runs_dir=self.runs, control=control, source_run=source_run, epochs=epochs, batch_size=32)
        with rec:
            rec.epoch(0)
            optimizer = train(model, x, y, rec.control, epochs=epochs)
            rec.epoch(epochs)
        del optimizer
        return rec

    def test_a_control_run_links_its_source_and_transforms_the_probe(self):
        x, y = shortcut_images(64, 1, shortcut=True)
        probe = shortcut_images(40, 2, shortcut=True)
        source = self.record(x, y, probe, epochs=1)
        control = self.record(x, y, probe, control="border:2", epochs=1)
        m, s = read_json(os.path.join(control.run_dir, "manifest.json")), read_json(os.path.join(source.run_dir, "manifest.json"))
        self.assertEqual(m["status"], "completed")
        self.assertEqual(
            m["control"],
            {
                "spec": "border:2",
                "kind": "border",
                "parameter": 2,
                "sourceRun": {"id": s["id"], "folder": "../" + s["id"]},
                "chanceAccuracy": 0.25,
                "kept": control.control.kept(probe[0].numpy()),
            },
        )
        self.assertEqual(m["control"]["kept"]["inputShare"], 1.0)  # every probe input has its mark on the top edge
        self.assertEqual(m["dataset"], s["dataset"])  # the source run's dataset, before the transform
        self.assertEqual(m["settings"]["seed"], control.control.seed)
        inputs = np.load(os.path.join(control.run_dir, "probe", "inputs.npy"))
        self.assertTrue(np.array_equal(inputs, Control("border:2")(probe[0]).numpy()))
        self.assertTrue(np.array_equal(np.load(os.path.join(source.run_dir, "probe", "inputs.npy")), probe[0].numpy()))

    def test_refusals_name_the_cause_in_one_line_and_write_nothing(self):
        x, y = shortcut_images(32, 1, shortcut=True)
        probe = shortcut_images(20, 2, shortcut=True)
        with self.assertRaisesRegex(UnsupportedModelError, r"no completed run of small in .*; record one without control= first"):
            self.record(x, y, probe, control="border:2", epochs=1)
        self.assertFalse(os.path.isdir(self.runs))
        with self.assertRaisesRegex(UnsupportedModelError, r'control "frame" is not a control'):
            self.record(x, y, probe, control="frame", epochs=1)
        source = self.record(x, y, probe, epochs=1)
        other_probe = shortcut_images(20, 3, shortcut=True)
        cases = [
            (dict(probe=other_probe, control="border:2"), "the probe is not the one run .* was recorded with"),
            (dict(probe=probe, control="border:2", model=Wider()), "recorded other layers: a control trains the same model"),
            (dict(probe=probe, control="border:6"), r"N must be below half the smaller side of the 12×12 images \(N < 6\)"),
            (dict(probe=probe, control="border:2", source_run="nowhere"), "is neither a run folder nor a run in"),
        ]
        for kwargs, pattern in cases:
            with self.subTest(pattern):
                with self.assertRaisesRegex(UnsupportedModelError, pattern):
                    self.record(x, y, epochs=1, **kwargs)
        self.assertEqual([e for e in os.listdir(self.runs) if not e.startswith(".")], [source.run_id])
        control = self.record(x, y, probe, control="border:2", source_run=source.run_id, epochs=1)
        with self.assertRaisesRegex(UnsupportedModelError, "is itself a control experiment"):
            self.record(x, y, probe, control="border:1", source_run=control.run_dir, epochs=1)
        ts_run = os.path.join(self.tmp.name, "ts-run")
        shutil.copytree(source.run_dir, ts_run)
        m = read_json(os.path.join(ts_run, "manifest.json"))
        m["formatVersion"] = 1
        del m["checkpoint"]
        with open(os.path.join(ts_run, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(m, f)
        with self.assertRaisesRegex(UnsupportedModelError, "TypeScript recorder: record its control with `cnn-slicer record"):
            self.record(x, y, probe, control="border:2", source_run=ts_run, epochs=1)

    @unittest.skipUnless(os.path.isfile(CLI) and shutil.which("node"), "needs node and dist/cli.js (npm run build)")
    def test_the_engine_fires_the_control_finding_on_a_planted_shortcut_and_not_without_one(self):
        for shortcut, expected in [(True, "control-above-chance"), (False, "control-near-chance")]:
            with self.subTest(shortcut=shortcut):
                runs = os.path.join(self.tmp.name, f"runs-{shortcut}")
                self.runs = runs
                x, y = shortcut_images(400, 1, shortcut)
                probe = shortcut_images(200, 2, shortcut)
                self.record(x, y, probe)
                control = self.record(x, y, probe, control="border:2")
                r = subprocess.run(["node", CLI, "findings", control.run_dir, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
                self.assertEqual(r.returncode, 0, r.stderr)
                findings = {f["kind"]: f for f in json.loads(r.stdout)["findings"]}
                self.assertIn(expected, findings)
                finding = findings[expected]
                self.assertEqual(finding["evidence"]["chance"], 0.25)
                if shortcut:
                    self.assertEqual(finding["severity"], "warning")
                    self.assertGreater(finding["evidence"]["accuracy"], 0.9)
                else:
                    self.assertLess(finding["evidence"]["accuracy"], 0.45)


if __name__ == "__main__":
    unittest.main()

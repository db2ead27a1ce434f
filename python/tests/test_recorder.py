"""The run folder a Recorder writes: files, manifest, metrics, crash-safe order, and what it leaves alone."""

import inspect
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import types
import unittest
from unittest import mock

import numpy as np
import torch

from cnn_slicer import Recorder, UnsupportedModelError
from cnn_slicer.measures import prediction_measures, softmax_rows
from tests.models import LeNet, synthetic_digits
from tests.onnx_graph import read_graph
from tests.training import train_one_epoch


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_metrics(run):
    with open(os.path.join(run, "metrics.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


class RecorderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.runs = os.path.join(self.tmp.name, "runs")
        torch.manual_seed(3)
        self.model = LeNet()
        self.x, self.y = synthetic_digits(192)
        self.probe = synthetic_digits(64, seed=1)

    def record_lenet(self, epochs=2):
        optimizer = torch.optim.SGD(self.model.parameters(), lr=0.05)
        classes = [f"digit {d}" for d in range(10)]
        with Recorder(self.model, probe=self.probe, classes=classes, name="lenet", runs_dir=self.runs, optimizer=optimizer, loss="cross_entropy", epochs=epochs, batch_size=32, train_size=192) as rec:
            rec.epoch(0)
            for epoch in range(1, epochs + 1):
                loss, accuracy = train_one_epoch(self.model, optimizer, self.x, self.y)
                rec.epoch(epoch, train_loss=loss, train_accuracy=accuracy)
        return rec.run_dir

    def test_a_recorded_lenet_run_folder(self):
        run = self.record_lenet()
        self.assertEqual(os.path.dirname(run), self.runs)
        self.assertRegex(os.path.basename(run), r"^\d{8}-\d{6}-lenet$")
        with open(os.path.join(self.runs, ".gitignore"), encoding="utf-8") as f:
            self.assertIn("*", f.read().splitlines())
        self.assertEqual(sorted(os.listdir(run)), ["checkpoints", "manifest.json", "metrics.jsonl", "probe"])
        self.assertEqual(sorted(os.listdir(os.path.join(run, "checkpoints"))), ["epoch-0000", "epoch-0001", "epoch-0002"])
        self.assertEqual(os.listdir(os.path.join(run, "checkpoints", "epoch-0001")), ["model.onnx"])

        m = read_json(os.path.join(run, "manifest.json"))
        self.assertEqual((m["formatVersion"], m["id"], m["status"], m["epochs"]), (2, os.path.basename(run), "completed", [0, 1, 2]))
        self.assertNotIn("pid", m)
        self.assertNotIn("pidStartTime", m)
        self.assertNotIn("error", m)
        self.assertRegex(m["createdAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        models_file = os.path.abspath(os.path.join(os.path.dirname(__file__), "models.py"))
        self.assertEqual(m["model"]["file"], models_file)
        self.assertEqual(m["model"]["sourceFiles"], [models_file])
        self.assertEqual(os.path.normpath(os.path.join(run, m["model"]["relativeFile"])), models_file)
        self.assertRegex(m["model"]["fingerprint"], r"^[0-9a-f]{16}$")
        self.assertEqual(m["model"]["name"], "lenet")
        self.assertEqual([l["name"] for l in m["layers"]], ["input", "conv1", "relu", "pool", "conv2", "bn", "relu-2", "pool-2", "fc"])
        self.assertEqual(m["dataset"]["classNames"], [f"digit {d}" for d in range(10)])
        self.assertEqual((m["dataset"]["spec"], m["dataset"]["inputShape"], m["dataset"]["trainSize"]), ("pytorch:probe", [1, 28, 28], 192))
        self.assertRegex(m["dataset"]["fingerprint"], r"^[0-9a-f]{16}$")
        self.assertEqual(m["probe"], {"size": 64, "inputsFile": "probe/inputs.npy", "labelsFile": "probe/labels.npy", "classCounts": [7, 7, 7, 7, 6, 6, 6, 6, 6, 6]})
        settings = m["settings"]
        self.assertEqual({k: settings[k] for k in ("epochs", "batchSize", "optimizer", "learningRate", "recordEvery", "probeSize", "bins", "k")}, {"epochs": 2, "batchSize": 32, "optimizer": "sgd", "learningRate": 0.05, "recordEvery": 1, "probeSize": 64, "bins": 32, "k": 1000})
        self.assertEqual(settings["seed"], torch.initial_seed() % 2**31)
        self.assertEqual(m["backend"], {"name": "pytorch-cpu", "fallbackReasons": []})
        self.assertEqual(m["output"], {"layer": "fc", "kind": "logits", "chosenBy": "only"})
        self.assertEqual(m["training"], {"compiledBy": "model", "optimizer": "sgd", "loss": "cross_entropy"})
        self.assertEqual(m["checkpoint"], {"format": "onnx", "file": "model.onnx", "opset": 14, "producer": f"pytorch {torch.__version__}"})

        inputs = np.load(os.path.join(run, "probe", "inputs.npy"))
        labels = np.load(os.path.join(run, "probe", "labels.npy"))
        with open(os.path.join(run, "probe", "inputs.npy"), "rb") as f:
            self.assertEqual(f.read(8), b"\x93NUMPY\x01\x00")
        self.assertEqual((inputs.dtype, inputs.shape, labels.dtype, labels.shape), (np.float32, (64, 1, 28, 28), np.int32, (64,)))
        self.assertTrue(np.array_equal(inputs, self.probe[0].numpy()))
        self.assertEqual(read_json(os.path.join(run, "probe", "indices.json")), list(range(64)))

        lines = read_metrics(run)
        self.assertEqual([l["epoch"] for l in lines], [0, 1, 2])
        for line in lines:
            self.assertEqual(set(line), {"epoch", "trainLoss", "trainAccuracy", "probeLoss", "probeAccuracy", "confusion", "timingsMs", "pending"})
            self.assertEqual(line["pending"], "measures")
            self.assertEqual(sum(map(sum, line["confusion"])), 64)
            self.assertEqual([sum(row) for row in line["confusion"]], m["probe"]["classCounts"])
        self.assertIsNone(lines[0]["trainLoss"])
        self.assertIsNone(lines[0]["trainAccuracy"])
        self.assertIsInstance(lines[2]["trainLoss"], float)
        self.assertEqual(lines[0]["timingsMs"]["train"], 0)
        self.assertGreater(lines[1]["timingsMs"]["train"], 0)
        self.assertLess(lines[2]["probeLoss"], lines[0]["probeLoss"], "the model learnt something")

        graph = read_graph(os.path.join(run, "checkpoints", "epoch-0002", "model.onnx"))
        self.assertEqual(graph["outputs"], ["output", *[l["name"] for l in m["layers"][1:]]])

    def test_probe_measures_are_those_of_the_last_checkpointed_model(self):
        run = self.record_lenet(epochs=1)
        last = read_metrics(run)[-1]
        self.model.eval()
        with torch.no_grad():
            logits = self.model(self.probe[0]).numpy()
        scores = softmax_rows(logits)
        loss = float(np.mean(-np.log(np.maximum(scores[np.arange(64), self.probe[1].numpy()].astype(np.float64), 1e-7))))
        self.assertAlmostEqual(last["probeLoss"], loss, places=12)
        self.assertEqual(last["probeAccuracy"], float(np.mean(scores.argmax(1) == self.probe[1].numpy())))

    def test_measures_follow_the_engine_definition(self):
        logits = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 3.0, 1.0]], dtype=np.float32)
        scores = softmax_rows(logits)
        self.assertEqual(scores.dtype, np.float64, "float64, as the engine's softmaxRows: a confident row's loss keeps its digits")
        loss, accuracy, confusion = prediction_measures(scores, np.array([0, 2, 2]), 3)
        expected = [-np.log(np.exp(2) / (np.exp(2) + np.exp(1) + 1)), np.log(3), -np.log(np.exp(1) / (2 * np.exp(1) + np.exp(3)))]
        self.assertAlmostEqual(loss, float(np.mean(expected)), places=6)
        self.assertEqual(accuracy, 1 / 3)
        self.assertEqual(confusion, [[1, 0, 0], [0, 0, 0], [1, 1, 0]], "ties go to the first class")

    def test_leaves_the_rng_states_and_training_modes_as_they_were(self):
        self.model.train()
        self.model.bn.eval()
        torch.manual_seed(11)
        np.random.seed(11)
        random.seed(11)
        states = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*self.probe), batch_size=16, shuffle=True)
        rec = Recorder(self.model, probe=loader, probe_size=40, runs_dir=self.runs, train=loader)
        rec.epoch(0)
        rec.epoch(1)
        rec.close()
        self.assertTrue(torch.equal(torch.get_rng_state(), states[0]))
        self.assertTrue(np.array_equal(np.random.get_state()[1], states[1]))
        self.assertEqual(random.getstate(), states[2])
        self.assertTrue(self.model.training and self.model.conv1.training)
        self.assertFalse(self.model.bn.training)
        m = read_json(os.path.join(rec.run_dir, "manifest.json"))
        self.assertEqual((m["probe"]["size"], m["dataset"]["trainSize"], m["settings"]["batchSize"]), (40, 64, 16))
        self.assertNotIn("epochs", m["settings"])
        self.assertNotIn("optimizer", m["settings"])
        self.assertEqual(m["dataset"]["classNames"], [str(d) for d in range(10)])

    def test_recording_and_names_taken(self):
        rec = Recorder(self.model, probe=self.probe, name="same", runs_dir=self.runs)
        m = read_json(os.path.join(rec.run_dir, "manifest.json"))
        self.assertEqual((m["status"], m["pid"], m["epochs"]), ("recording", os.getpid(), []))
        with open("/proc/self/stat", encoding="utf-8") as f:
            stat = f.read()
        self.assertEqual(m["pidStartTime"], stat[stat.rfind(")") + 2 :].split(" ")[19])
        others = [Recorder(self.model, probe=self.probe, name="same", runs_dir=self.runs) for _ in range(2)]
        ids = [os.path.basename(r.run_dir) for r in [rec, *others]]
        stamps = {i[:15] for i in ids}
        if len(stamps) == 1:  # all three in the same second
            self.assertEqual(ids[1:], [ids[0] + "-2", ids[0] + "-3"])
        for r in [rec, *others]:
            r.close()

    def test_the_training_script_is_the_script_run(self):
        # A script in a folder of its own, run as a user runs main.py: its path, and the same file from the run folder.
        project = os.path.join(self.tmp.name, "project")
        os.makedirs(project)
        script = os.path.join(project, "main.py")
        with open(script, "w", encoding="utf-8") as f:
            f.write(
                "import sys\n"
                "from cnn_slicer import Recorder\n"
                "from tests.models import LeNet, synthetic_digits\n"
                "Recorder(LeNet(), probe=synthetic_digits(8), runs_dir=sys.argv[1]).close()\n"
            )
        python_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = {**os.environ, "PYTHONPATH": python_dir}
        subprocess.run([sys.executable, "main.py", self.runs], cwd=project, env=env, check=True, capture_output=True, timeout=300)
        (run_id,) = [d for d in os.listdir(self.runs) if not d.startswith(".")]
        m = read_json(os.path.join(self.runs, run_id, "manifest.json"))
        self.assertEqual(
            m["trainingScript"], {"file": script, "kind": "script", "relativeFile": "../../project/main.py", "python": sys.executable}
        )
        self.assertEqual(os.path.normpath(os.path.join(self.runs, run_id, m["trainingScript"]["relativeFile"])), script)

    def test_the_training_script_of_a_notebook_and_of_none(self):
        notebook = os.path.join(self.tmp.name, "train.ipynb")
        with open(notebook, "w", encoding="utf-8") as f:
            f.write("{}")
        kernel_main = types.ModuleType("__main__")  # a kernel's user module: no __file__
        shell = types.SimpleNamespace(user_ns={"__vsc_ipynb_file__": notebook})
        ipython = types.SimpleNamespace(get_ipython=lambda: shell)
        launcher = ["/usr/lib/python3/dist-packages/ipykernel_launcher.py", "-f", "kernel.json"]

        def recorded():
            rec = Recorder(self.model, probe=self.probe, runs_dir=self.runs)
            rec.close()
            return read_json(os.path.join(rec.run_dir, "manifest.json"))

        with mock.patch.dict(sys.modules, {"__main__": kernel_main, "IPython": ipython}), mock.patch.object(sys, "argv", launcher):
            m = recorded()
            self.assertEqual((m["trainingScript"]["file"], m["trainingScript"]["kind"]), (notebook, "notebook"))
            # ipykernel's __session__ where VS Code's variable is absent; JPY_SESSION_NAME where neither is set.
            shell.user_ns = {"__session__": notebook}
            m = recorded()
            self.assertEqual(m["trainingScript"]["file"], notebook)
            shell.user_ns = {}
            with mock.patch.dict(os.environ, {"JPY_SESSION_NAME": notebook}):
                m = recorded()
            self.assertEqual(m["trainingScript"]["file"], notebook)
            # A kernel that names no notebook, or one that is not there: nothing recorded, never the launcher.
            with mock.patch.dict(os.environ, {"JPY_SESSION_NAME": os.path.join(self.tmp.name, "gone.ipynb")}):
                m = recorded()
            self.assertNotIn("trainingScript", m)
        with mock.patch.dict(sys.modules, {"__main__": kernel_main}), mock.patch.object(sys, "argv", ["-c"]):
            m = recorded()
            self.assertNotIn("trainingScript", m, "python -c: no script")

    def test_runs_folder_from_the_environment(self):
        os.environ["CNN_SLICER_RUNS"] = os.path.join(self.tmp.name, "env-runs")
        try:
            rec = Recorder(self.model, probe=self.probe)
        finally:
            del os.environ["CNN_SLICER_RUNS"]
        rec.close()
        self.assertEqual(os.path.dirname(rec.run_dir), os.path.join(self.tmp.name, "env-runs"))
        self.assertTrue(re.search(r"-lenet$", rec.run_dir))

    def test_keyboard_interrupt_cancels_keeping_the_recorded_epochs(self):
        with self.assertRaises(KeyboardInterrupt):
            with Recorder(self.model, probe=self.probe, runs_dir=self.runs) as rec:
                rec.epoch(0)
                rec.epoch(1)
                raise KeyboardInterrupt
        m = read_json(os.path.join(rec.run_dir, "manifest.json"))
        self.assertEqual((m["status"], m["epochs"]), ("cancelled", [0, 1]))
        self.assertNotIn("pid", m)
        self.assertEqual(len(read_metrics(rec.run_dir)), 2)

    def test_an_exception_fails_the_run_with_its_message(self):
        with self.assertRaises(ValueError):
            with Recorder(self.model, probe=self.probe, runs_dir=self.runs) as rec:
                rec.epoch(0)
                raise ValueError("the loss is NaN\nmore detail")
        m = read_json(os.path.join(rec.run_dir, "manifest.json"))
        self.assertEqual((m["status"], m["epochs"], m["error"]), ("failed", [0], {"message": "ValueError: the loss is NaN"}))
        rec2 = Recorder(self.model, probe=self.probe, runs_dir=self.runs)
        rec2.fail(RuntimeError("out of memory"))
        self.assertEqual(read_json(os.path.join(rec2.run_dir, "manifest.json"))["error"], {"message": "RuntimeError: out of memory"})

    def test_epochs_must_ascend_and_bad_probes_are_refused_in_one_line(self):
        rec = Recorder(self.model, probe=self.probe, runs_dir=self.runs)
        rec.epoch(0)
        with self.assertRaises(ValueError):
            rec.epoch(0)
        rec.close()
        bad = [
            ((self.probe[0][:, :, :20, :20], self.probe[1]), r"cannot run on a probe input of shape \[1, 20, 20\]"),
            ((self.probe[0], self.probe[1][:10]), r"probe labels have shape \[10\], not \[64\]"),
            ((self.probe[0], self.probe[1] + 10), r"not all class indices in \[0, 9\]"),
        ]
        for probe, pattern in bad:
            with self.assertRaisesRegex(UnsupportedModelError, "^cnn_slicer: .*" + pattern):
                Recorder(self.model, probe=probe, runs_dir=self.runs)
        with self.assertRaisesRegex(UnsupportedModelError, r"3 classes"):
            Recorder(self.model, probe=self.probe, classes=["a", "b", "c"], runs_dir=self.runs)

    def test_bad_input_is_one_line_before_anything_is_written(self):
        nan_probe = (self.probe[0].clone(), self.probe[1])
        nan_probe[0][3, 0, 5, 5] = float("nan")
        nan_probe[0][7] = float("inf")
        meta = LeNet()
        meta.to(torch.device("meta"))
        not_a_folder = os.path.join(self.tmp.name, "a-file")
        with open(not_a_folder, "w", encoding="utf-8") as f:
            f.write("not a folder")
        bad = [
            (dict(model=self.model, probe=nan_probe), r"2 of the 64 probe inputs hold NaN or infinite values \(the first: input 3\)"),
            (dict(model=LeNet().half(), probe=self.probe), r"the model's parameters are float16; CNN Slicer records float32 models"),
            (dict(model=meta, probe=self.probe), r"the model's parameters are on the meta device"),
            (dict(model=self.model, probe=self.probe, runs_dir=os.path.join(not_a_folder, "runs")), r"cannot create the runs folder .*a-file/runs: Not a directory"),
        ]
        for kwargs, pattern in bad:
            with self.subTest(pattern=pattern):
                kwargs.setdefault("runs_dir", self.runs)
                with self.assertRaisesRegex(UnsupportedModelError, "^cnn_slicer: " + pattern) as caught:
                    Recorder(**kwargs)
                self.assertNotIn("\n", str(caught.exception))
                self.assertFalse(os.path.exists(self.runs), "nothing is written")

    def test_torch_2_without_onnx_is_told_what_to_install_before_anything_is_written(self):
        import importlib.util

        import torch.onnx

        real = (torch.__version__, importlib.util.find_spec)
        torch.__version__ = "2.6.0"
        importlib.util.find_spec = lambda name, *a: None if name == "onnx" else real[1](name, *a)
        try:
            # torch 2.6's export, which takes `dynamo` (its TorchScript exporter is there).
            with mock.patch.object(torch.onnx, "export", lambda *args, dynamo=False, **kwargs: None), self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: torch 2\.6\.0 writes the ONNX checkpoints with the onnx package, which is not installed: pip install onnx$"):
                Recorder(self.model, probe=self.probe, runs_dir=self.runs)
        finally:
            torch.__version__, importlib.util.find_spec = real
        self.assertFalse(os.path.exists(self.runs))

    def test_a_folder_named_onnx_is_not_taken_for_the_onnx_package(self):
        import importlib.machinery
        import importlib.util

        import torch.onnx

        folder = os.path.join(self.tmp.name, "onnx")  # exported models kept in ./onnx: `import onnx` finds a namespace package
        os.mkdir(folder)
        namespace = importlib.machinery.ModuleSpec("onnx", None, is_package=True)
        namespace.submodule_search_locations = [folder]
        real_find_spec = importlib.util.find_spec
        with (
            mock.patch.object(torch, "__version__", "2.6.0"),
            mock.patch.object(torch.onnx, "export", lambda *args, dynamo=False, **kwargs: None),
            mock.patch.object(importlib.util, "find_spec", lambda name, *a: namespace if name == "onnx" else real_find_spec(name, *a)),
        ):
            with self.assertRaises(UnsupportedModelError) as caught:
                Recorder(self.model, probe=self.probe, runs_dir=self.runs)
        self.assertEqual(
            str(caught.exception),
            f"cnn_slicer: torch 2.6.0 writes the ONNX checkpoints with the onnx package, which is not installed (`import onnx` finds the folder {folder}, not the package): pip install onnx",
        )
        self.assertFalse(os.path.exists(self.runs), "nothing is written")

    def test_the_options_after_model_and_probe_are_keyword_only(self):
        parameters = list(inspect.signature(Recorder).parameters.values())
        self.assertEqual([p.name for p in parameters[:2]], ["model", "probe"])
        self.assertTrue(all(p.kind is p.KEYWORD_ONLY for p in parameters[2:]), [(p.name, p.kind) for p in parameters])
        with self.assertRaises(TypeError):
            Recorder(self.model, self.probe, ["a", "b"])  # classes given by position
        self.assertFalse(os.path.exists(self.runs), "nothing is written")

    def test_torch_versions_are_read_as_major_and_minor(self):
        from cnn_slicer.layers import torch_version

        cases = {"1.13.0": (1, 13), "2.6.0": (2, 6), "2.11.0+cu128": (2, 11), "2.10.0a0+git1234abc": (2, 10), "3.0": (3, 0), "nightly": (0, 0)}
        self.assertEqual({v: torch_version(v) for v in cases}, cases)

    def test_the_torchscript_exporter_is_chosen_with_dynamo_false_where_export_takes_dynamo(self):
        import torch.onnx

        real_export = torch.onnx.export
        # The real export's own choice, where it has one (torch 2.5 on): on 2.9 and later it would
        # otherwise take its dynamo default, which needs onnxscript.
        real_takes_dynamo = "dynamo" in inspect.signature(real_export).parameters
        chosen = []

        def export_of_torch_2_9(model, args, f, *rest, dynamo=True, **kwargs):  # dynamo's default from torch 2.9
            chosen.append(dynamo)
            return real_export(model, args, f, *rest, **({"dynamo": dynamo} if real_takes_dynamo else {}), **kwargs)

        with mock.patch.object(torch.onnx, "export", export_of_torch_2_9):
            rec = Recorder(self.model, probe=self.probe, runs_dir=self.runs)
            rec.epoch(0)
        self.assertEqual(chosen, [False])
        graph = read_graph(os.path.join(rec.run_dir, "checkpoints", "epoch-0000", "model.onnx"))
        self.assertEqual(graph["outputs"], ["output", *[l["name"] for l in read_json(os.path.join(rec.run_dir, "manifest.json"))["layers"][1:]]])

    def test_a_torch_with_only_the_dynamo_exporter_is_refused_in_one_line_before_anything_is_written(self):
        import torch.onnx

        def dynamo_only_export(model, args=(), f=None, *, kwargs=None, input_names=None, output_names=None, opset_version=None):
            raise AssertionError("not called")

        with mock.patch.object(torch, "__version__", "3.0.0"), mock.patch.object(torch.onnx, "export", dynamo_only_export):
            with self.assertRaisesRegex(
                UnsupportedModelError,
                r"^cnn_slicer: torch 3\.0\.0's torch\.onnx\.export has only the dynamo exporter \(no dynamo=False\); CNN Slicer writes its checkpoints "
                r"with the TorchScript exporter, which keeps each layer its own output and each BatchNorm unfolded: record with a torch that has it \(tested: 1\.13, 2\.6\)$",
            ):
                Recorder(self.model, probe=self.probe, runs_dir=self.runs)
        self.assertFalse(os.path.exists(self.runs), "nothing is written")
        # Before 2.5, an export without `dynamo` is the TorchScript exporter itself (torch 1.13 to 2.4).
        with mock.patch.object(torch, "__version__", "2.4.1"), mock.patch.object(torch.onnx, "export", dynamo_only_export):
            from cnn_slicer.layers import torchscript_exporter

            self.assertEqual(torchscript_exporter(), {})

    def test_an_epoch_whose_checkpoint_fails_is_not_listed_and_leaves_no_partial_folder(self):
        import cnn_slicer.recorder as recorder_module

        rec = Recorder(self.model, probe=self.probe, runs_dir=self.runs)
        rec.epoch(0)
        real_export = recorder_module.export_onnx

        def half_written(model, example, path, names):
            with open(path, "wb") as f:
                f.write(b"partial")
            raise OSError(28, "No space left on device")

        recorder_module.export_onnx = half_written
        try:
            with self.assertRaises(OSError):
                rec.epoch(1)
        finally:
            recorder_module.export_onnx = real_export
        rec.fail(OSError(28, "No space left on device"))
        self.assertEqual(os.listdir(os.path.join(rec.run_dir, "checkpoints")), ["epoch-0000"])
        self.assertEqual([l["epoch"] for l in read_metrics(rec.run_dir)], [0])
        m = read_json(os.path.join(rec.run_dir, "manifest.json"))
        self.assertEqual((m["status"], m["epochs"]), ("failed", [0]))
        self.assertIn("No space left on device", m["error"]["message"])

    def test_a_mean_over_other_axes_than_the_spatial_ones_is_refused_in_one_line(self):
        class ChannelMean(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = torch.nn.Conv2d(1, 4, 3)

            def forward(self, x):
                return self.conv(x).mean(1).flatten(1)

        with self.assertRaisesRegex(UnsupportedModelError, r"^cnn_slicer: <model> \(ChannelMean\) calls Tensor\.mean over other axes than the spatial ones"):
            Recorder(ChannelMean(), probe=self.probe, runs_dir=self.runs)
        self.assertFalse(os.path.exists(self.runs) and os.listdir(self.runs))

    def test_an_export_torch_refuses_is_one_line(self):
        import torch.onnx

        rec = Recorder(self.model, probe=self.probe, runs_dir=self.runs)
        real_export = torch.onnx.export

        def refusing(*args, dynamo=False, **kwargs):  # torch 2.5 on: an export that takes `dynamo` has the TorchScript exporter
            raise RuntimeError("Exporting the operator foo to ONNX opset version 13 is not supported.\nPlease feel free to request support")

        torch.onnx.export = refusing
        try:
            with self.assertRaises(UnsupportedModelError) as caught:
                rec.epoch(0)
        finally:
            torch.onnx.export = real_export
        self.assertEqual(
            str(caught.exception),
            "cnn_slicer: torch.onnx.export cannot export the model: RuntimeError: Exporting the operator foo to ONNX opset version 13 is not supported.",
        )
        self.assertEqual(os.listdir(os.path.join(rec.run_dir, "checkpoints")), [])

    def test_no_partial_files_are_left(self):
        run = self.record_lenet(epochs=1)
        leftovers = [os.path.join(d, f) for d, dirs, files in os.walk(run) for f in files + dirs if ".tmp-" in f]
        self.assertEqual(leftovers, [])


if __name__ == "__main__":
    unittest.main()

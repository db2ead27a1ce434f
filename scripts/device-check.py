#!/usr/bin/env python3
"""The device check: what CI (Debian's torch 1.13 and 2.6, CPU only) cannot show about the PyTorch
recorder, in one run of a few minutes on the GPU machine some sessions are lent (torch 2.x with CUDA,
torchvision, onnx and onnxruntime; no Node, so nothing here runs `cnn-slicer`):

1. ``tests``: the recorder's tests that need no Node (test_recorder, test_layers, test_contract,
   test_typed) on that torch, CNN_SLICER_MEASURE=0 as in CI.
2. ``zoo``: torchvision's classification zoo (tests/test_zoo.py's 19 models and input sides, probe 4)
   recorded from the device: the recorder must leave the model's modes and its eval output bit for
   bit, and the checkpoint it exports, run by ONNX Runtime's Python package on the CPU, must give
   PyTorch's output (on the device, TF32 off) within 1e-5 of its largest score, at least 1, as the
   engine's own check does (tests/zoo_checks.py).
3. ``loop``: what recording costs a training loop on the device: a CIFAR ResNet-18 (kuangliu's basic
   blocks, widths 64–512) trained on random 32×32 batches of 128, an epoch of 50 steps, with and
   without ``rec.epoch`` (probe 500) after each, alternately; the recorder's seconds per epoch.

Writes ``device-check.json`` (and prints each line) into ``--out`` (default $OUT, else the current
folder). ``--device cpu`` runs the same on the CPU (how it is tested where there is no GPU), with
``--quick`` a small zoo and loop. Run from the repository root: ``python3 scripts/device-check.py``.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, "python")
sys.path.insert(0, PYTHON)
# ONNX Runtime's own telemetry off, as src/native/ortTelemetry.ts keeps it for the engine.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import torch  # noqa: E402

NODE_FREE_TESTS = ["tests.test_recorder", "tests.test_layers", "tests.test_contract", "tests.test_typed"]
OUTPUT_TOLERANCE = 1e-5


def versions(device):
    found = {"python": platform.python_version(), "torch": torch.__version__, "device": str(device)}
    for name in ("torchvision", "onnx", "onnxruntime", "numpy"):
        try:
            found[name] = __import__(name).__version__
        except ImportError:
            found[name] = None
    if device.type == "cuda":
        found["gpu"] = torch.cuda.get_device_name(device)
        found["cuda"] = torch.version.cuda
    return found


def node_free_tests(say):
    env = {**os.environ, "CNN_SLICER_MEASURE": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.time()
    r = subprocess.run([sys.executable, "-m", "unittest", *NODE_FREE_TESTS], cwd=PYTHON, env=env, capture_output=True, text=True)
    tail = r.stderr.strip().splitlines()[-3:]
    say(f"tests: {' '.join(NODE_FREE_TESTS)}: exit {r.returncode} in {time.time() - started:.0f} s: {' | '.join(tail)}")
    return {"modules": NODE_FREE_TESTS, "exit": r.returncode, "seconds": round(time.time() - started, 1), "tail": tail}


def onnx_outputs(onnx_file, x):
    """The checkpoint's outputs on x, by ONNX Runtime's Python package on the CPU; where it is not
    installed (Debian has none), by onnx's reference evaluator, slower and as exact."""
    try:
        import onnxruntime
    except ImportError:
        from onnx.reference import ReferenceEvaluator

        evaluator = ReferenceEvaluator(onnx_file)
        return "onnx.reference", evaluator.run(None, {evaluator.input_names[0]: x})
    session = onnxruntime.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])
    return "onnxruntime " + onnxruntime.__version__, session.run(None, {session.get_inputs()[0].name: x})


def zoo(device, names, say):
    import numpy as np

    from cnn_slicer import Recorder
    from tests.test_zoo import CLASSES, RECORDED, build, probe_of

    results = []
    runs = tempfile.mkdtemp(prefix="cnn-slicer-device-zoo-")
    for name in names:
        started = time.time()
        entry = {"model": name}
        try:
            model = build(name).to(device)
            x, y = probe_of(RECORDED[name])
            x = x.to(device)
            modes = [m.training for m in model.modules()]
            model.eval()
            with torch.no_grad():
                before = model(x)
            model.train()
            rec = Recorder(model, probe=(x, y), classes=[str(c) for c in range(CLASSES)], name=name, runs_dir=runs, epochs=0)
            rec.epoch(0)
            rec.close()
            entry["modes kept"] = [m.training for m in model.modules()] == [True] * len(modes)
            model.eval()
            with torch.no_grad():
                after = model(x)
            entry["output kept bit for bit"] = bool(torch.equal(before, after))
            onnx_file = os.path.join(rec.run_dir, "checkpoints", "epoch-0000", "model.onnx")
            entry["runtime"], outputs = onnx_outputs(onnx_file, x.cpu().numpy())
            expected = after.double().cpu().numpy().reshape(len(x), -1)
            # The model's output is the checkpoint's last output (layers.py: every recorded layer an output, the model's own last).
            got = np.asarray(outputs[-1], dtype=np.float64).reshape(len(x), -1)
            scale = max(1.0, float(np.max(np.abs(expected))))
            entry["onnx outputs"] = len(outputs)
            entry["output error"] = float(np.max(np.abs(got - expected))) / scale
            entry["ok"] = entry["modes kept"] and entry["output kept bit for bit"] and entry["output error"] <= OUTPUT_TOLERANCE
        except Exception as e:  # one model's failure is a result, not the end of the check
            entry["ok"] = False
            entry["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            entry["trace"] = traceback.format_exc().splitlines()[-4:]
        entry["seconds"] = round(time.time() - started, 1)
        say(f"zoo: {name}: {'ok' if entry['ok'] else 'FAILED'} ({json.dumps({k: v for k, v in entry.items() if k not in ('model', 'trace')})})")
        results.append(entry)
    return results


def loop(device, steps, epochs, probe, say):
    import torch.nn.functional as F

    from cnn_slicer import Recorder
    from tests.cifar_zoo.classic import BasicBlock, ResNet

    torch.manual_seed(0)
    model = ResNet(BasicBlock, num_blocks=(2, 2, 2, 2), widths=(64, 128, 256, 512)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batch = torch.randn(128, 3, 32, 32, device=device)
    labels = torch.randint(0, 10, (128,), device=device)
    px = torch.randn(probe, 3, 32, 32)
    py = torch.randint(0, 10, (probe,))

    def train_epoch():
        model.train()
        for _ in range(steps):
            optimizer.zero_grad()
            F.cross_entropy(model(batch), labels).backward()
            optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    train_epoch()  # warm-up: cuDNN's choices, the allocator
    runs = tempfile.mkdtemp(prefix="cnn-slicer-device-loop-")
    rec = Recorder(model, probe=(px, py), classes=[str(c) for c in range(10)], name="resnet18", runs_dir=runs, epochs=epochs)
    plain, recorded, recording = [], [], []
    for epoch in range(epochs):
        started = time.time()
        train_epoch()
        plain.append(time.time() - started)
        started = time.time()
        train_epoch()
        trained = time.time() - started
        started = time.time()
        rec.epoch(epoch, train_loss=1.0)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        recording.append(time.time() - started)
        recorded.append(trained + recording[-1])
    rec.close()
    median = lambda v: sorted(v)[len(v) // 2]  # noqa: E731
    result = {
        "steps per epoch": steps,
        "probe": probe,
        "epoch without the recorder s": round(median(plain), 3),
        "epoch with rec.epoch s": round(median(recorded), 3),
        "rec.epoch s": round(median(recording), 3),
        "overhead": round(median(recorded) / median(plain) - 1, 3),
    }
    say(f"loop: {json.dumps(result)}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", default=os.environ.get("OUT", "."))
    parser.add_argument("--quick", action="store_true", help="two zoo models and a short loop (a check of the check)")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: tests, zoo, loop")
    args = parser.parse_args()
    device = torch.device(args.device)
    # The products as the engine computes them: float32, never TF32 (docs/pytorch.md).
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    os.makedirs(args.out, exist_ok=True)
    lines = []

    def say(line):
        print(line, flush=True)
        lines.append(line)

    skip = set(filter(None, args.skip.split(",")))
    report = {"versions": versions(device)}
    say(f"versions: {json.dumps(report['versions'])}")
    if "tests" not in skip:
        report["tests"] = node_free_tests(say)
    if "zoo" not in skip:
        from tests.test_zoo import RECORDED

        report["zoo"] = zoo(device, ["resnet50", "mobilenet_v2"] if args.quick else list(RECORDED), say)
    if "loop" not in skip:
        report["loop"] = loop(device, steps=2 if args.quick else 50, epochs=2 if args.quick else 3, probe=50 if args.quick else 500, say=say)
    with open(os.path.join(args.out, "device-check.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    failed = (report.get("tests", {}).get("exit", 0) != 0) or any(not e["ok"] for e in report.get("zoo", []))
    say(f"device check: {'FAILED' if failed else 'passed'}; {os.path.join(args.out, 'device-check.json')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

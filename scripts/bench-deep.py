"""Epoch 0 of a deep CNN recorded by CNN Slicer's Python recorder with its measures left pending, for
the native engine's bench lines (bench/deepBench.ts): `cnn-slicer measure` of that epoch is what is
timed. Random weights (seeded), seeded random images: the work of a measure does not depend on them.

    /usr/bin/python3 scripts/bench-deep.py --model resnet50 --size 224 --probe 100 --runs-dir D
    /usr/bin/python3 scripts/bench-deep.py --model resnet18 --size 32 --probe 500 --runs-dir D

`resnet50` is torchvision's ResNet-50 (ImageNet layout, its head fine-tuned to 10 classes); `resnet18` is the CIFAR
ResNet-18 of kuangliu's pytorch-cifar (BasicBlocks [2, 2, 2, 2], no stride-2 stem: the model of
scripts/bench-resnet18.py), 10 classes; `tv-resnet18` and `mobilenet_v2` are torchvision's own, 10
classes (the forward-pass table of issue 67). Prints the run folder. The measurer is not started
(CNN_SLICER_MEASURE=0 is set here), so the caller measures the epoch itself.
"""

import argparse
import os
import sys

os.environ["CNN_SLICER_MEASURE"] = "0"

import torch  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cnn_slicer import Recorder  # noqa: E402


def make_model(name):
    if name == "resnet50":
        import torchvision

        # Fine-tuned to 10 classes, as a user brings it: with ImageNet's 1,000 classes the metrics
        # line's per-class channel entropies (classes x every channel) would not fit in one line.
        return torchvision.models.resnet50(num_classes=10), 10
    if name == "resnet18":
        import importlib.util

        spec = importlib.util.spec_from_file_location("bench_resnet18", os.path.join(ROOT, "scripts", "bench-resnet18.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.ResNet18(), 10
    if name in ("tv-resnet18", "mobilenet_v2"):
        import torchvision

        # The models of issue 67's forward-pass table: torchvision's own (stride-2 stem), 10 classes.
        return (torchvision.models.resnet18 if name == "tv-resnet18" else torchvision.models.mobilenet_v2)(num_classes=10), 10
    raise SystemExit(f"bench-deep.py: unknown model {name!r} (resnet50, resnet18, tv-resnet18, mobilenet_v2)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--size", type=int, required=True, help="image side (224, 32)")
    parser.add_argument("--probe", type=int, required=True)
    parser.add_argument("--runs-dir", required=True)
    args = parser.parse_args()
    torch.manual_seed(67)
    model, classes = make_model(args.model)
    generator = torch.Generator().manual_seed(67)
    x = torch.rand(args.probe, 3, args.size, args.size, generator=generator)
    y = torch.randint(0, classes, (args.probe,), generator=generator)
    rec = Recorder(model, probe=(x, y), classes=[str(c) for c in range(classes)], name=args.model, runs_dir=args.runs_dir, epochs=0, dataset=f"random-{args.size}")
    with rec:
        rec.epoch(0)
    print(rec.run_dir)


if __name__ == "__main__":
    main()

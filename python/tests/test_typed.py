"""The package as a typed library: every function annotated, ``py.typed`` shipped, the read manifest's TypedDict true to the format.

``npm run test:python`` also runs mypy over the package (python/pyproject.toml); these tests hold
where mypy is not installed.
"""

import importlib
import inspect
import json
import os
import pkgutil
import re
import tempfile
import typing
import unittest

import torch

import cnn_slicer
from cnn_slicer import Recorder, run_format
from tests.models import LeNet, synthetic_digits

PACKAGE_DIR = os.path.dirname(cnn_slicer.__file__)


def package_modules():
    return [importlib.import_module(f"cnn_slicer.{info.name}") for info in pkgutil.iter_modules([PACKAGE_DIR])]


# The functions Python 3.14 writes itself for a module or class with annotations (PEP 649's deferred
# annotations: ``__annotate__``, and a TypedDict's ``__annotate_func__``): not the package's code.
GENERATED = {"__annotate__", "__annotate_func__"}


def own_functions(module):
    """(qualified name, function) of every function and method the module defines (not nested ones: mypy sees those)."""
    for name, value in vars(module).items():
        if name in GENERATED:
            continue
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            yield name, value
        elif inspect.isclass(value) and value.__module__ == module.__name__:
            for attr, member in vars(value).items():
                if attr in GENERATED:
                    continue
                member = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                if inspect.isfunction(member):
                    yield f"{name}.{attr}", member


def missing_annotations(function):
    """The parameters (and ``return``) of a function without a type annotation; ``self``/``cls`` of a method need none."""
    signature = inspect.signature(function)
    params = list(signature.parameters.values())
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


class TypedPackageTest(unittest.TestCase):
    def test_every_function_of_the_package_is_annotated(self):
        modules = package_modules()
        self.assertGreaterEqual(len(modules), 12)
        unannotated = {
            f"{module.__name__}.{name}": missing
            for module in modules
            for name, function in own_functions(module)
            if (missing := missing_annotations(function))
        }
        self.assertEqual(unannotated, {})
        counted = sum(1 for module in modules for _ in own_functions(module))
        self.assertGreater(counted, 130)

    def test_the_check_itself_finds_an_unannotated_function(self):
        def untyped(a, b: int):
            return a

        def typed(a: int, *, b: str = "") -> int:
            return a

        self.assertEqual(missing_annotations(untyped), ["a", "return"])
        self.assertEqual(missing_annotations(typed), [])

    def test_py_typed_is_shipped_as_package_data(self):
        self.assertTrue(os.path.isfile(os.path.join(PACKAGE_DIR, "py.typed")))
        with open(os.path.join(PACKAGE_DIR, "..", "pyproject.toml"), encoding="utf-8") as f:
            pyproject = f.read()
        data = re.search(r"\[tool\.setuptools\.package-data\]\ncnn_slicer = \[([^\]]*)\]", pyproject)
        self.assertIsNotNone(data)
        self.assertIn('"py.typed"', data.group(1))
        self.assertIn("disallow_untyped_defs = true", pyproject)

    def test_the_recorder_options_are_typed_for_a_caller(self):
        hints = typing.get_type_hints(Recorder.__init__)
        self.assertEqual(hints["epochs"], typing.Optional[int])
        self.assertEqual(hints["loss"], typing.Optional[str])
        self.assertEqual(hints["return"], type(None))


class ReadManifestTest(unittest.TestCase):
    def test_the_fields_the_package_reads_back_are_fields_the_recorder_writes(self):
        torch.manual_seed(3)
        with tempfile.TemporaryDirectory() as tmp:
            with Recorder(LeNet(), probe=synthetic_digits(16, seed=1), name="lenet", runs_dir=tmp, epochs=1) as rec:
                rec.epoch(0)
            with open(os.path.join(rec.run_dir, "manifest.json"), encoding="utf-8") as f:
                written = json.load(f)
        read = run_format.ReadManifest.__annotations__
        # `control` is written in control runs only (test_control reads one back).
        self.assertEqual(sorted(set(read) - set(written)), ["control"])
        for field, typed in [("model", run_format.ReadModel), ("dataset", run_format.ReadDataset), ("checkpoint", run_format.ReadCheckpoint)]:
            self.assertLessEqual(set(typed.__annotations__), set(written[field]), field)
        self.assertLessEqual(set(run_format.ReadLayer.__annotations__), set(written["layers"][1]))


if __name__ == "__main__":
    unittest.main()

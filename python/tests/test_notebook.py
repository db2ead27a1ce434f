"""The recorder in a Jupyter kernel: notebooks executed headless by nbclient with Debian's
python3-ipykernel, as Jupyter and VS Code run them. Each layer's source is the notebook, the cell
(its digest, its index) and the line in that cell; the runs folder is beside the notebook; the
notebook is found where the kernel names it (VS Code's ``__vsc_ipynb_file__``) and, where it names
none (nbclient, a Jupyter that does not), as the one notebook of the working folder with that cell.

Needs python3-ipykernel and python3-nbclient (`.ci/run` installs them): fails in one line without.
"""

import glob
import hashlib
import json
import os
import sys
import tempfile
import unittest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    import nbformat
    from nbclient import NotebookClient
except ImportError:  # the test needs them: fail in one line, never skip
    nbformat = None

IMPORTS = f"""import sys
sys.path.insert(0, {PYTHON_DIR!r})
import torch
import torch.nn as nn
import torch.nn.functional as F
from cnn_slicer import Recorder"""

# A magic on the first line: IPython compiles it rewritten, the digest is of the text as written.
MODEL = """%env CNN_SLICER_NOTEBOOK_TEST=1
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 6 * 6, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        return self.fc(x.flatten(1))"""

SEQUENTIAL = """model = nn.Sequential(
    nn.Conv2d(1, 4, 3),
    nn.ReLU(),
    nn.Flatten(),
    nn.Linear(4 * 6 * 6, 10),
)"""

RECORD = """torch.manual_seed(0)
x, y = torch.rand(8, 1, 8, 8), torch.arange(8) % 10
rec = Recorder({model}, probe=(x, y), name="nb", epochs=0)
rec.epoch(0)
rec.close()"""


def digest(text):
    """python/cnn_slicer/notebook.py `cell_digest`, written out: the test holds the definition."""
    return hashlib.sha256(text.replace("\r\n", "\n").rstrip().encode("utf-8")).hexdigest()[:16]


class NotebookTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if nbformat is None:
            raise AssertionError("nbformat/nbclient are not installed (Debian: apt-get install python3-ipykernel python3-nbclient)")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def execute(self, cells, folder, cwd):
        """Writes a notebook of `cells` (markdown where a cell starts with "#") into `folder`, runs it in a kernel started in `cwd`."""
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "train.ipynb")
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_markdown_cell(c) if c.startswith("#") else nbformat.v4.new_code_cell(c) for c in cells]
        nbformat.write(notebook, path)
        env = {k: v for k, v in os.environ.items() if k not in ("JPY_SESSION_NAME", "CNN_SLICER_RUNS")}
        env["CNN_SLICER_MEASURE"] = "0"
        client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": cwd}})
        old = os.environ.copy()
        os.environ.clear()
        os.environ.update(env)  # the kernel inherits this process's environment
        try:
            client.execute()
        finally:
            os.environ.clear()
            os.environ.update(old)
        return path

    def manifest(self, runs):
        found = glob.glob(os.path.join(runs, "*", "manifest.json"))
        self.assertEqual(len(found), 1, f"one run in {runs}")
        with open(found[0], encoding="utf-8") as f:
            return json.load(f)

    def test_a_model_class_in_a_cell(self):
        folder = os.path.join(self.tmp.name, "project")
        path = self.execute([IMPORTS, "# The model", MODEL, RECORD.format(model="Net()")], folder, folder)
        m = self.manifest(os.path.join(folder, ".cnnslicer", "runs"))
        self.assertEqual((m["model"]["file"], m["model"]["sourceFiles"]), (path, [path]))
        self.assertEqual((m["trainingScript"]["file"], m["trainingScript"]["kind"]), (path, "notebook"))
        cell = {"digest": digest(MODEL), "index": 2}  # the markdown cell counts
        lines = MODEL.split("\n")
        sources = {layer["name"]: layer.get("source") for layer in m["layers"]}
        self.assertIsNone(sources["input"])
        # Modules at their construction's value, the functional op at its call: lines of the cell.
        expected = {"conv": (5, "nn.Conv2d(1, 4, 3)"), "relu": (9, "F.relu(self.conv(x))"), "fc": (6, "nn.Linear(4 * 6 * 6, 10)")}
        for name, (line, call) in expected.items():
            with self.subTest(layer=name):
                column = lines[line - 1].index(call) + 1
                self.assertEqual(sources[name], {"file": path, "line": line, "column": column, "cell": cell})

    def test_the_notebook_the_kernel_names_and_a_sequential_in_a_cell(self):
        # VS Code starts the kernel elsewhere than the notebook's folder and names it in __vsc_ipynb_file__.
        folder, cwd = os.path.join(self.tmp.name, "notebooks"), os.path.join(self.tmp.name, "elsewhere")
        os.makedirs(cwd)
        path = os.path.join(folder, "train.ipynb")
        named = f"__vsc_ipynb_file__ = {path!r}\n" + IMPORTS
        self.execute([named, SEQUENTIAL, RECORD.format(model="model")], folder, cwd)
        self.assertFalse(os.path.exists(os.path.join(cwd, ".cnnslicer")), "the runs folder is beside the notebook")
        m = self.manifest(os.path.join(folder, ".cnnslicer", "runs"))
        self.assertEqual(m["model"]["file"], path)
        cell = {"digest": digest(SEQUENTIAL), "index": 1}
        lines = SEQUENTIAL.split("\n")
        for layer in m["layers"][1:]:
            with self.subTest(layer=layer["name"]):
                source = layer["source"]
                self.assertEqual((source["file"], source["cell"]), (path, cell))
                index = int(layer["name"])
                self.assertEqual((source["line"], source["column"]), (index + 2, lines[index + 1].index("nn.") + 1))

    def test_a_kernel_whose_notebook_is_not_found_records_no_lines(self):
        # The kernel's working folder holds no notebook with the cell: no line rather than a wrong one.
        folder, cwd = os.path.join(self.tmp.name, "notebooks"), os.path.join(self.tmp.name, "elsewhere")
        os.makedirs(cwd)
        self.execute([IMPORTS, MODEL, RECORD.format(model="Net()")], folder, cwd)
        m = self.manifest(os.path.join(cwd, ".cnnslicer", "runs"))
        self.assertEqual(m["model"]["file"], "")
        self.assertNotIn("trainingScript", m)
        self.assertEqual([layer.get("source") for layer in m["layers"]], [None] * len(m["layers"]))


    def test_the_fingerprint_reads_a_notebooks_code_not_its_outputs(self):
        from cnn_slicer.notebook import cell_digest, code_of

        self.assertEqual(cell_digest("x = 1\r\ny = 2\r\n\n  "), digest("x = 1\ny = 2"))
        path = os.path.join(self.tmp.name, "n.ipynb")

        def save(outputs, count, code):
            notebook = nbformat.v4.new_notebook()
            cell = nbformat.v4.new_code_cell(code, execution_count=count, outputs=outputs)
            notebook.cells = [nbformat.v4.new_markdown_cell("# notes"), cell]
            nbformat.write(notebook, path)
            return code_of(path)

        ran = save([nbformat.v4.new_output("stream", text="epoch 1\n")], 7, "x = 1")
        self.assertEqual(ran, "x = 1\0")
        self.assertEqual(save([], None, "x = 1\n"), ran, "outputs, counts and a trailing newline change no code")
        self.assertNotEqual(save([], None, "x = 2"), ran)
        self.assertIsNone(code_of(os.path.join(self.tmp.name, "missing.ipynb")))


if __name__ == "__main__":
    unittest.main()

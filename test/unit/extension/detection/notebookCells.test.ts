// A run recorded in a notebook, seen from its cells (src/extension/detection/notebookCells.ts): each
// recorded cell found again by its text, or at its recorded place once edited (stale), or nowhere;
// and the lenses of a cell placed on its own lines by the Python scan of its text.
import assert from 'node:assert/strict';
import {
  cellDigest,
  cellOfLayer,
  cellSites,
  IN_THIS_CELL,
  layersInCell,
  placeRecordedCells,
  scanNotebookCell,
  type CurrentCell,
} from '../../../../src/extension/detection/notebookCells';
import { loadPythonParser, pythonWasmFolder, type PythonParser } from '../../../../src/extension/detection/pythonParser';
import { type ManifestLayer, type TextLines } from '../../../../src/extension/detection/sourcePosition';

const NOTEBOOK = '/home/user/cifar/train.ipynb';
const inNotebook = (path: string) => path === NOTEBOOK;

const IMPORTS = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F';
const MODEL = [
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.conv = nn.Conv2d(1, 4, 3)',
  '        self.fc = nn.Linear(4 * 6 * 6, 10)',
  '',
  '    def forward(self, x):',
  '        x = F.relu(self.conv(x))',
  '        return self.fc(x.flatten(1))',
].join('\n');
const RECORD = 'rec = Recorder(Net(), probe=(x, y))\nrec.epoch(0)';

/** The run as python/cnn_slicer/notebook.py records `MODEL` run as cell `index` of the notebook. */
function recorded(index: number | undefined): ManifestLayer[] {
  const cell = { digest: cellDigest(MODEL), ...(index === undefined ? {} : { index }) };
  return [
    { index: 0, name: 'input', className: 'InputLayer' },
    { index: 1, name: 'conv', className: 'Conv2d', source: { file: NOTEBOOK, line: 4, column: 21, cell } },
    { index: 2, name: 'relu', className: 'relu', source: { file: NOTEBOOK, line: 8, column: 13, cell } },
    { index: 3, name: 'fc', className: 'Linear', source: { file: NOTEBOOK, line: 5, column: 19, cell } },
  ];
}

function textLines(text: string): TextLines {
  const lines = text.split('\n');
  return { lineCount: lines.length, lineAt: (line) => ({ text: lines[line] ?? '' }) };
}

describe('notebookCells', () => {
  describe('cellDigest', () => {
    it('is the recorder’s digest: SHA-256 of the text with \\n line endings and no trailing white space, 16 hex digits', () => {
      // Known answers computed by python/cnn_slicer/notebook.py `cell_digest`.
      assert.equal(cellDigest('x = 1'), '8ff436def1451285');
      assert.equal(cellDigest('x = 1\ny = 2'), '9af816430225a200');
      assert.equal(cellDigest('x = 1\r\ny = 2\r\n\n  '), '9af816430225a200');
      assert.equal(cellDigest('π = 3  # ünïcode\n'), '1cf0e8332a4690b2');
      assert.equal(cellDigest(''), 'e3b0c44298fc1c14');
    });
  });

  describe('placeRecordedCells', () => {
    const A = 'a = 1';
    const B = 'b = 2';
    const ref = (text: string, index?: number) => ({ digest: cellDigest(text), ...(index === undefined ? {} : { index }) });

    it('finds a cell by its text where it moved, fresh', () => {
      const placed = placeRecordedCells([ref(A, 0)], [undefined, B, A]);
      assert.deepEqual(placed.get(cellDigest(A)), { cell: 2, edited: false });
    });

    it('takes the cell at the recorded index once its text changed: edited', () => {
      const placed = placeRecordedCells([ref(A, 1)], [B, 'a = 10']);
      assert.deepEqual(placed.get(cellDigest(A)), { cell: 1, edited: true });
    });

    it('tells identical cells apart by the recorded index, else places none', () => {
      assert.deepEqual(placeRecordedCells([ref(A, 2)], [A, B, A]).get(cellDigest(A)), { cell: 2, edited: false });
      assert.equal(placeRecordedCells([ref(A)], [A, B, A]).size, 0);
    });

    it('never places an edited cell where a markdown cell, a cell past the end or a cell found by its text is', () => {
      assert.equal(placeRecordedCells([ref(A, 0)], [undefined, B]).size, 0);
      assert.equal(placeRecordedCells([ref(A, 5)], [B]).size, 0);
      const placed = placeRecordedCells([ref(A, 0), ref(B, 3)], [B, 'a = 10']);
      assert.deepEqual(placed.get(cellDigest(B)), { cell: 0, edited: false });
      assert.equal(placed.get(cellDigest(A)), undefined, 'cell 0 is B’s now');
    });
  });

  describe('layersInCell', () => {
    it('keeps the sources of the layers recorded in the cell, drops the others', () => {
      const cells: CurrentCell[] = [IMPORTS, MODEL, RECORD];
      const here = layersInCell(recorded(1), inNotebook, cells, 1);
      assert.equal(here.stale, false);
      assert.deepEqual(
        here.layers.map((l) => l.source?.file),
        [undefined, IN_THIS_CELL, IN_THIS_CELL, IN_THIS_CELL],
      );
      const elsewhere = layersInCell(recorded(1), inNotebook, cells, 2);
      assert.deepEqual(
        elsewhere.layers.map((l) => l.source),
        [undefined, undefined, undefined, undefined],
      );
      // Another notebook's run, with the same cell text, places nothing here.
      assert.ok(layersInCell(recorded(1), () => false, cells, 1).layers.every((l) => !l.source));
    });

    it('says stale once the cell was edited, and cellOfLayer agrees', () => {
      const edited = MODEL.replace('nn.Conv2d(1, 4, 3)', 'nn.Conv2d(1, 8, 3)');
      const cells: CurrentCell[] = [undefined, IMPORTS, edited, RECORD];
      const here = layersInCell(recorded(2), inNotebook, cells, 2);
      assert.equal(here.stale, true);
      assert.equal(here.layers.filter((l) => l.source).length, 3);
      assert.deepEqual(cellOfLayer(recorded(2), recorded(2)[1], inNotebook, cells), { cell: 2, edited: true });
      assert.equal(cellOfLayer(recorded(2), recorded(2)[0], inNotebook, cells), undefined, 'the input has no cell');
    });
  });

  describe('a cell’s lenses', () => {
    let parser: PythonParser;
    before(async () => {
      parser = await loadPythonParser(pythonWasmFolder());
    });

    it('are on the cell’s own lines, matched by the Python scan, after a cell inserted above', () => {
      const cells: CurrentCell[] = ['x = 0', IMPORTS, MODEL, RECORD];
      const at = cellSites(scanNotebookCell(cells, 2, parser)!.layers, recorded(1), inNotebook, cells, 2, textLines(MODEL));
      assert.equal(at.stale, false);
      assert.deepEqual(
        recorded(1).map((l) => at.position(l)),
        [undefined, { line: 3, column: 20, matched: true }, { line: 7, column: 12, matched: true }, { line: 4, column: 18, matched: true }],
      );
      const imports = cellSites(scanNotebookCell(cells, 1, parser)?.layers ?? [], recorded(1), inNotebook, cells, 1, textLines(IMPORTS));
      assert.deepEqual([imports.sites, recorded(1).map((l) => imports.position(l))], [[], [undefined, undefined, undefined, undefined]]);
    });

    it('know the imports of the cells above, through IPython’s magics, and count the cell’s own lines', () => {
      const cells: CurrentCell[] = [
        '%matplotlib inline\n!pip list\nimport torch\nimport torch.nn as nn',
        undefined,
        '%%time\nclass Block(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(1, 2, 3)',
      ];
      const scan = scanNotebookCell(cells, 2, parser)!;
      assert.deepEqual(
        scan.layers.map((l) => [l.python?.paths, l.line, l.column]),
        [[['conv'], 4, 20]],
      );
      assert.equal(scanNotebookCell(cells, 1, parser), undefined, 'a markdown cell');
      assert.equal(scanNotebookCell(['import torch.nn as nn', 'x = nn'], 1, parser), undefined, 'no definition');
    });

    it('of an edited cell are only where the scan matches a layer: none on another cell that took its place', () => {
      const edited = MODEL.replace('nn.Conv2d(1, 4, 3)', 'nn.Conv2d(1, 8, 3)');
      // The model was cell 1; a markdown cell inserted above and the model edited: cell 1 is the imports now.
      const cells: CurrentCell[] = [undefined, IMPORTS, edited, RECORD];
      const imports = cellSites(scanNotebookCell(cells, 1, parser)?.layers ?? [], recorded(1), inNotebook, cells, 1, textLines(IMPORTS));
      assert.equal(imports.stale, true);
      assert.deepEqual(
        imports.sites.filter((s) => s.layers.length),
        [],
      );
      assert.deepEqual(
        recorded(1).map((l) => imports.position(l)),
        [undefined, undefined, undefined, undefined],
      );
      // Where it is still at its recorded index, the edited model cell's definitions are matched, stale.
      const model = cellSites(scanNotebookCell(cells, 2, parser)!.layers, recorded(2), inNotebook, cells, 2, textLines(edited));
      assert.equal(model.stale, true);
      assert.deepEqual(
        recorded(2).map((l) => model.position(l)?.line),
        [undefined, 3, 7, 4],
      );
    });
  });
});

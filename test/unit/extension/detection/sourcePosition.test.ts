// Where a recorded layer is in the current text (src/extension/detection/sourcePosition.ts): the
// one answer the CodeLens, the hover and "go to source" share, so after an edit they agree.
import assert from 'node:assert/strict';
import { detectModel } from '../../../../src/extension/detection/detectModel';
import {
  layerPosition,
  recordedBeforeEdit,
  sitesOfRun,
  type ManifestLayer,
  type TextLines,
} from '../../../../src/extension/detection/sourcePosition';
import { example, read } from '../../../support/modelSources';

const MODEL = '/home/user/models/mnist-lenet.ts';
const sameFile = (path: string) => path === MODEL;
const CLASS: Record<string, string> = { conv2d: 'Conv2D', maxPooling2d: 'MaxPooling2D', flatten: 'Flatten', dense: 'Dense' };

function linesOf(text: string): TextLines {
  const lines = text.split('\n');
  return { lineCount: lines.length, lineAt: (line) => ({ text: lines[line] }) };
}

/** The run's layer table as the recorder writes it for `text`: the input (no source), then one layer per call, 1-based. */
function recordedLayers(text: string): ManifestLayer[] {
  const detected = detectModel(text, MODEL)!.layers;
  return [
    { index: 0, name: 'input', className: 'InputLayer' },
    ...detected.map((d, i) => ({
      index: i + 1,
      name: d.name!,
      className: CLASS[d.factory!],
      source: { file: MODEL, line: d.line + 1, column: d.column + 1 },
    })),
  ];
}

/** Where the lens of `layer` is: the site that lists it. */
function lensLine(text: string, layers: ManifestLayer[], layer: number, fileUnchanged?: boolean): number | undefined {
  const sites = sitesOfRun(detectModel(text, MODEL)?.layers ?? [], layers, sameFile, { fileUnchanged, lineCount: linesOf(text).lineCount });
  return sites.find((s) => s.layers.includes(layer))?.line;
}

function positionOf(text: string, layers: ManifestLayer[], layer: number, fileUnchanged?: boolean) {
  const sites = sitesOfRun(detectModel(text, MODEL)?.layers ?? [], layers, sameFile, { fileUnchanged, lineCount: linesOf(text).lineCount });
  return layerPosition(sites, layers[layer], sameFile, linesOf(text));
}

describe('source position: where a recorded layer is in the current text', () => {
  const original = read(example('mnist-lenet.ts'));
  const layers = recordedLayers(original);
  const conv2 = layers.find((l) => l.name === 'conv2')!;

  it('is the recorded position while the file is the one the run was recorded from', () => {
    const at = positionOf(original, layers, conv2.index, true);
    assert.deepEqual(at, { line: conv2.source!.line - 1, column: conv2.source!.column - 1, matched: true });
    assert.equal(lensLine(original, layers, conv2.index, true), at?.line);
  });

  it('is the line the lens is on after lines were inserted above the layer, not the recorded line', () => {
    const lines = original.split('\n');
    const above = conv2.source!.line - 1;
    const edited = [...lines.slice(0, above), '  // three lines', '  // added since', '  // the run', ...lines.slice(above)].join('\n');
    const lens = lensLine(edited, layers, conv2.index, false);
    assert.equal(lens, above + 3, 'the lens follows the layer');
    const at = positionOf(edited, layers, conv2.index, false);
    assert.equal(at?.line, lens, 'go to source lands where the lens is');
    assert.equal(at?.matched, true);
    assert.match(edited.split('\n')[at.line], /name: 'conv2'/);
  });

  it('follows a layer moved below another, by its name', () => {
    const lines = original.split('\n');
    const i = lines.findIndex((l) => l.includes("name: 'conv2'"));
    const swapped = [...lines];
    [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
    const at = positionOf(swapped.join('\n'), layers, conv2.index, false);
    assert.equal(at?.line, i + 1);
  });

  it('falls back to the recorded position, kept inside the text, when the text no longer has the layer', () => {
    const lines = original.split('\n');
    const i = lines.findIndex((l) => l.includes("name: 'conv2'"));
    const removed = [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n');
    assert.equal(lensLine(removed, layers, conv2.index, false), undefined, 'no lens for a layer that is gone');
    assert.deepEqual(positionOf(removed, layers, conv2.index, false), {
      line: conv2.source!.line - 1,
      column: conv2.source!.column - 1,
      matched: false,
    });
    // A file cut short: its last line, and on it at most its end.
    const short = [...lines.slice(0, 2), '}'].join('\n');
    assert.deepEqual(positionOf(short, layers, conv2.index, false), { line: 2, column: 1, matched: false });
  });

  it('is the single tf.input call for the model input, which the run does not locate, and nothing without one', () => {
    assert.equal(positionOf(original, layers, 0), undefined, 'a Sequential model has no tf.input call');
    const functional =
      "import * as tf from '@tensorflow/tfjs';\nconst x = tf.input({ shape: [4] });\nconst y = tf.layers.dense({ units: 2, name: 'd' }).apply(x);\n";
    const run: ManifestLayer[] = [
      { index: 0, name: 'input1', className: 'InputLayer' },
      { index: 1, name: 'd', className: 'Dense', source: { file: MODEL, line: 3, column: 11 } },
    ];
    assert.deepEqual(positionOf(functional, run, 0), { line: 1, column: 10, matched: true });
  });

  it('is nothing for a layer another file defines, or an empty text', () => {
    const other: ManifestLayer = {
      index: 1,
      name: 'b',
      className: 'Conv2D',
      source: { file: '/home/user/models/blocks.ts', line: 3, column: 5 },
    };
    assert.equal(layerPosition([], other, sameFile, linesOf(original)), undefined);
    assert.equal(layerPosition([], conv2, sameFile, { lineCount: 0, lineAt: () => ({ text: '' }) }), undefined);
  });
});

describe('a run recorded before the last edit of its model file', () => {
  const createdAt = '2026-11-22T21:00:00.000Z';
  const created = Date.parse(createdAt);

  it('is stale when the file was modified after the run began, or has unsaved changes', () => {
    assert.equal(recordedBeforeEdit({ isDirty: false, mtimeMs: created + 1000 }, createdAt), true);
    assert.equal(recordedBeforeEdit({ isDirty: true, mtimeMs: created - 1000 }, createdAt), true);
  });

  it('is current when the file is saved and older than the run', () => {
    assert.equal(recordedBeforeEdit({ isDirty: false, mtimeMs: created - 1000 }, createdAt), false);
    assert.equal(recordedBeforeEdit({ isDirty: false, mtimeMs: created }, createdAt), false);
  });

  it('is never called stale without cause: an unreadable file or creation time', () => {
    assert.equal(recordedBeforeEdit({ isDirty: false, mtimeMs: undefined }, createdAt), false);
    assert.equal(recordedBeforeEdit({ isDirty: false, mtimeMs: created + 1000 }, 'not a date'), false);
  });
});

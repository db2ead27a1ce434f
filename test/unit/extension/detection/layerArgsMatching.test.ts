// The source matcher (src/extension/detection/layerMatching.ts) on unnamed layers: every literal
// option the source gives is compared with the options the run recorded, and where two
// definitions remain equally good for one layer, neither gets its values ("stale").
import assert from 'node:assert/strict';
import { detectModel } from '../../../../src/extension/detection/detectModel';
import { ambiguousMarkdown } from '../../../../src/extension/editor/hoverContent';
import { layerSites, sameArg, type RecordedLayer } from '../../../../src/extension/detection/layerMatching';

/** An unnamed LeNet; `extra` lines are inserted above the second convolution. */
function source(extra: string[] = []): string {
  return [
    "import * as tf from '@tensorflow/tfjs';",
    'export function createModel() {',
    '  const model = tf.sequential();',
    "  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }));",
    '  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));',
    ...extra,
    "  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }));",
    '  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));',
    '  model.add(tf.layers.flatten());',
    "  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));",
    '  return model;',
    '}',
  ].join('\n');
}

/** The run recorded from `source()`: tfjs's names and normalised options, at the recorded (0-based) positions. */
function recorded(): RecordedLayer[] {
  const d = detectModel(source(), 'm.ts')!.layers;
  const at = (i: number) => ({ line: d[i].line, column: d[i].column });
  const conv = (filters: number) => ({ filters, kernelSize: [5, 5], strides: [1, 1], padding: 'valid', activation: 'relu' });
  const pool = { poolSize: [2, 2], strides: [2, 2], padding: 'valid' };
  return [
    { index: 1, name: 'conv2d_Conv2D1', className: 'Conv2D', units: 8, args: conv(8), ...at(0) },
    { index: 2, name: 'max_pooling2d_MaxPooling2D1', className: 'MaxPooling2D', units: 8, args: pool, ...at(1) },
    { index: 3, name: 'conv2d_Conv2D2', className: 'Conv2D', units: 16, args: conv(16), ...at(2) },
    { index: 4, name: 'max_pooling2d_MaxPooling2D2', className: 'MaxPooling2D', units: 16, args: pool, ...at(3) },
    { index: 5, name: 'flatten_Flatten1', className: 'Flatten', units: 256, ...at(4) },
    { index: 6, name: 'dense_Dense1', className: 'Dense', units: 10, args: { units: 10, activation: 'softmax' }, ...at(5) },
  ];
}

/** Each definition's source line (trimmed to its factory call) and what the matcher put there. */
function placed(text: string): string[] {
  const lines = text.split('\n');
  return layerSites(detectModel(text, 'm.ts')!.layers, recorded()).map((s) => {
    const call = /layers\.(\w+\((?:\{[^}]*\})?\))/.exec(lines[s.line])?.[1] ?? lines[s.line].trim();
    return `${call} → ${s.ambiguous ? 'stale' : s.layers.length ? s.layers.join(',') : 'not recorded'}`;
  });
}

describe('layer sites: unnamed layers matched on every option the source gives', () => {
  it('compares a literal with tfjs’s normalised value: 5 is [5, 5], strings without case', () => {
    assert.equal(sameArg(5, [5, 5]), true);
    assert.equal(sameArg(3, [5, 5]), false);
    assert.equal(sameArg('same', 'valid'), false);
    assert.equal(sameArg('ReLU', 'relu'), true);
    assert.equal(sameArg(16, 16), true);
  });

  it('compares a tuple of the source (Python) with the recorded tuple entry by entry, or with a number every entry is', () => {
    assert.equal(sameArg([3, 5], [3, 5]), true);
    assert.equal(sameArg([3, 5], [5, 3]), false);
    assert.equal(sameArg([3, 3], [3, 3, 3]), false);
    assert.equal(sameArg([2, 2], 2), true);
    assert.equal(sameArg([2, 3], 2), false);
  });

  it('leaves an inserted convolution with another kernel and padding unrecorded, and the original its numbers', () => {
    const text = source(["  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same' }));"]);
    assert.deepEqual(placed(text), [
      "conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }) → 1",
      'maxPooling2d({ poolSize: 2, strides: 2 }) → 2',
      "conv2d({ filters: 16, kernelSize: 3, padding: 'same' }) → not recorded",
      "conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }) → 3",
      'maxPooling2d({ poolSize: 2, strides: 2 }) → 4',
      'flatten() → 5',
      "dense({ units: 10, activation: 'softmax' }) → 6",
    ]);
  });

  it('says "stale" on both copies of a duplicated definition rather than guess which one the run measured', () => {
    const text = source(["  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }));"]);
    const out = placed(text);
    assert.deepEqual(
      out.filter((l) => l.startsWith('conv2d({ filters: 16')),
      [
        "conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }) → stale",
        "conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }) → stale",
      ],
    );
    assert.ok(out.includes('flatten() → 5'), out.join('\n'));
  });

  it('follows a removed layer: the others keep their numbers', () => {
    const text = source().replace(
      '  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));\n  model.add(tf.layers.conv2d({ filters: 16',
      '  model.add(tf.layers.conv2d({ filters: 16',
    );
    assert.deepEqual(
      placed(text).map((l) => l.replace(/^.*→ /, '')),
      ['1', '3', '4', '5', '6'],
    );
  });
});

describe('hover of a definition the matcher cannot place', () => {
  it('says "stale" and shows no value', () => {
    const text = ambiguousMarkdown('conv2d', '/runs/r1', 'r1');
    assert.match(text, /^\*\*conv2d\*\* · stale/);
    assert.doesNotMatch(text, /bits/);
  });
});

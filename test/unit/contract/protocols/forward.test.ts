import assert from 'node:assert/strict';
import * as v from 'valibot';
import { forwardTaylor, ForwardTaylorRequest, taylorWidth } from '../../../../src/contract/protocols/forward';
import type { RunLayer } from '../../../../src/contract/runFormat';

/** A run layer of the table the requests carry. */
const layer = (index: number, outputShape: number[], dataFormat?: 'channelsFirst'): RunLayer => ({
  index,
  name: `l${index}`,
  className: index === 0 ? 'Input' : 'Conv2D',
  outputShape,
  channels: dataFormat ? outputShape[0] : outputShape.at(-1)!,
  parameters: 0,
  ...(dataFormat ? { dataFormat } : {}),
});

describe('forward protocol: the forward worker checks a Taylor request before it runs a pass', () => {
  const layers = [layer(0, [4, 4, 1]), layer(1, [4, 4, 3]), layer(2, [5, 4, 4], 'channelsFirst'), layer(3, [10])];
  const valid = (): ForwardTaylorRequest => ({
    backend: 'wasm',
    checkpoint: '/runs/r/epochs/1',
    layers,
    inputs: new SharedArrayBuffer(6 * 16 * 4),
    labels: [0, 1, 2, 3, 4, 5],
    output: { layer: 3, kind: 'logits' },
    targets: [1, 2],
    chunks: [
      { start: 0, end: 4 },
      { start: 4, end: 6 },
    ],
    out: new SharedArrayBuffer(2 * 8 * 4),
  });
  const refused = (change: Partial<ForwardTaylorRequest>) => !v.safeParse(forwardTaylor.params, { ...valid(), ...change }).success;

  it('takes a request whose buffers hold its chunks, and sums each chunk over every target channel (the channels-first axis first)', () => {
    assert.equal(taylorWidth(layers, [1, 2]), 3 + 5);
    assert.ok(v.safeParse(forwardTaylor.params, valid()).success);
  });

  it('refuses a chunk beyond the labels or empty, targets out of order or past the output, and buffers too short for them', () => {
    assert.ok(refused({ chunks: [{ start: 4, end: 7 }] }), 'a chunk past the labels');
    assert.ok(refused({ chunks: [{ start: 2, end: 2 }] }), 'an empty chunk');
    assert.ok(refused({ chunks: [] }), 'no chunk');
    assert.ok(refused({ targets: [2, 1] }), 'targets out of order');
    assert.ok(refused({ targets: [0] }), 'the input as a target');
    assert.ok(refused({ targets: [1], output: { layer: 0, kind: 'logits' } }), 'a target past the output');
    assert.ok(refused({ inputs: new SharedArrayBuffer(6 * 16 * 4 - 4) }), 'inputs short of one value');
    assert.ok(refused({ out: new SharedArrayBuffer(2 * 8 * 4 - 4) }), 'sums short of one value');
    assert.ok(refused({ labels: [0, 1, -1, 3, 4, 5] }), 'a negative label');
  });
});

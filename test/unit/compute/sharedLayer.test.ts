/**
 * A layer in shared memory for the compute workers (src/compute/sharedLayer.ts `shareLayer`): a
 * PyTorch layer shared as the model wrote it (channels first, each feature map copied whole) gives
 * the workers the bytes of the same layer shared from its channels-last copy, whatever inputs and
 * channels are taken.
 */
import assert from 'node:assert/strict';
import { channelsLastValues, layerActivations, layerValues, seededRandom } from '../../../src/analysis';
import { shareLayer } from '../../../src/compute/sharedLayer';

describe('shareLayer: a layer in shared memory, channels first', () => {
  const [count, channels, h, w] = [6, 5, 3, 2];
  const random = seededRandom(4);
  const first = Float32Array.from({ length: count * channels * h * w }, () => random() * 2 - 1);
  const last = channelsLastValues(first, count, h * w, channels) as Float32Array;
  const selections = [undefined, { rows: [4, 0, 2] }, { channels: [3, 1] }, { rows: [5, 1], channels: [0, 4, 2] }, { channels: [2] }];

  for (const select of selections)
    it(`gives the channels-last copy's bytes (${JSON.stringify(select ?? 'everything')})`, () => {
      const size = (select?.rows?.length ?? count) * (select?.channels?.length ?? channels) * h * w * 4;
      const [a, b] = [new SharedArrayBuffer(size), new SharedArrayBuffer(size)];
      const fromFirst = shareLayer(layerValues([count, channels, h, w], first, 'channelsFirst'), a, select);
      const fromLast = shareLayer(layerActivations([count, h, w, channels], last), b, select);
      assert.deepEqual({ ...fromFirst, data: undefined }, { ...fromLast, data: undefined });
      assert.deepEqual(new Float32Array(a), new Float32Array(b));
    });
});

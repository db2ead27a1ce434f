/** `layerActivations` reads a channels-first output `[N, C, H, W]` on its channel axis. */
import assert from 'node:assert/strict';
import { channelMatrix, channelsFirstCopy, channelsLast, featureMapsOf, layerActivations, layerValues } from '../../../src/analysis/layout';
import { channelsOf, isChannelsFirst, removableAxisOf, spatialAxesOf, unitsPerChannelOf } from '../../../src/analysis/layout';
import { validateManifest } from '../../../src/contract/runFormat';

describe('channels-first layer activations', () => {
  it('moves channels-last values back to channels first: the inverse of layerActivations', () => {
    // 2 inputs of [C = 3, H·W = 4], each value its own index.
    const nchw = Float32Array.from({ length: 24 }, (_, i) => i);
    const moved = layerActivations([2, 3, 2, 2], nchw, 'channelsFirst');
    assert.deepEqual(Array.from(channelsFirstCopy(moved.data as Float32Array, 2, 4, 3)), Array.from(nchw));
  });

  it('moves the channel axis last once: channel c of input n is the H×W slice [n, c, :, :]', () => {
    // Two inputs, three channels of 2×2: value = 100·n + 10·c + p.
    const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => 100 * Math.floor(i / 12) + 10 * Math.floor((i % 12) / 4) + (i % 4));
    const layer = layerActivations([2, 3, 2, 2], data, 'channelsFirst');
    assert.deepEqual([layer.count, layer.units, layer.channels], [2, 4, 3]);
    assert.ok(layer.data instanceof Float32Array);
    assert.deepEqual(Array.from(channelMatrix(layer, 2)), [20, 21, 22, 23, 120, 121, 122, 123]);
    assert.deepEqual(Array.from(channelMatrix(layer, 0)), [0, 1, 2, 3, 100, 101, 102, 103]);
  });

  it('leaves a vector [N, U] as one channel and a channels-last shape as it was', () => {
    const data = [1, 2, 3, 4, 5, 6];
    assert.deepEqual(layerActivations([2, 3], data, 'channelsFirst'), { count: 2, units: 3, channels: 1, data });
    assert.equal(layerActivations([1, 3, 2], data).channels, 2);
  });

  it("reads a manifest's channels on the first axis of a channels-first layer, and refuses the last", () => {
    assert.equal(channelsOf([48, 9, 9], 'channelsFirst'), 48);
    assert.equal(channelsOf([48, 9, 9]), 9);
    const manifest = (channels: number) => ({
      formatVersion: 1,
      id: 'r',
      status: 'completed',
      createdAt: 't',
      updatedAt: 't',
      model: { file: 'm.ts', fingerprint: 'f', name: 'm', sourceFiles: [] },
      dataset: { spec: 's', name: 's', fingerprint: 'f', classNames: ['a'], inputShape: [2, 9, 9], trainSize: 1 },
      layers: [
        { index: 0, name: 'input', className: 'Input', outputShape: [48, 9, 9], channels, parameters: 0, dataFormat: 'channelsFirst' },
      ],
    });
    assert.throws(() => validateManifest(manifest(9)), /layers\[0\]\.channels.*is not 48 \(the first axis of its output shape\)/);
  });

  it('reads the spatial axes and the values per channel on either axis: [C, 1, 1] has one value a channel, a vector all its units', () => {
    assert.deepEqual(spatialAxesOf([512, 1, 1], 'channelsFirst'), [1, 1]);
    assert.equal(unitsPerChannelOf([512, 1, 1], 'channelsFirst'), 1);
    // The same shape read channels last would be a 512×1 map of one channel: the bug of issue 66 item 1.
    assert.equal(unitsPerChannelOf([512, 1, 1]), 512);
    assert.deepEqual(spatialAxesOf([64, 8, 6], 'channelsFirst'), [8, 6]);
    assert.equal(unitsPerChannelOf([64, 8, 6], 'channelsFirst'), 48);
    assert.equal(unitsPerChannelOf([8, 6, 64]), 48);
    assert.equal(unitsPerChannelOf([1, 1, 512]), 1);
    assert.equal(unitsPerChannelOf([36], 'channelsFirst'), 36);
    assert.equal(unitsPerChannelOf([36]), 36);
    assert.equal(unitsPerChannelOf([-1, 4, 4], 'channelsFirst'), 16);
    assert.equal(unitsPerChannelOf([4, -1, 4], 'channelsFirst'), 4);
  });

  it('names what an ablation removes: the channels of a map on its own axis, the units of a vector', () => {
    assert.deepEqual(removableAxisOf([512, 1, 1], 'channelsFirst'), { channels: 512, first: true });
    assert.deepEqual(removableAxisOf([4, 4, 32]), { channels: 32, first: false });
    assert.deepEqual(removableAxisOf([10], 'channelsFirst'), { channels: 10, first: false });
    assert.deepEqual(removableAxisOf([10]), { channels: 10, first: false });
    assert.equal(isChannelsFirst([10], 'channelsFirst'), false);
    assert.equal(isChannelsFirst([3, 4], 'channelsFirst'), true);
  });
});

describe('layer values in their own layout (layerValues, channelsLast, featureMapsOf)', () => {
  // Input n, channel c, unit p holds 100n + 10c + p: every position is told apart.
  const [N, C, U] = [2, 3, 4];
  const first = Float32Array.from({ length: N * C * U }, (_, i) => {
    const n = Math.floor(i / (C * U));
    const c = Math.floor(i / U) % C;
    return 100 * n + 10 * c + (i % U);
  });

  it('reads a channels-first [N, C, H, W] layer in place: count, units, channels, the same array', () => {
    const values = layerValues([N, C, 2, 2], first, 'channelsFirst');
    assert.deepEqual({ ...values, data: undefined }, { count: N, units: U, channels: C, data: undefined, channelsFirst: true });
    assert.equal(values.data, first);
  });

  it('reads channels-last layers and vectors as layerActivations does, marked channels last', () => {
    const last = layerValues([N, 2, 2, C], first);
    assert.deepEqual([last.count, last.units, last.channels, last.channelsFirst], [N, U, C, false]);
    const vector = layerValues([N, C * U], first, 'channelsFirst');
    assert.deepEqual([vector.count, vector.units, vector.channels, vector.channelsFirst], [N, C * U, 1, false]);
  });

  it('channelsLast copies channels-first values into the order layerActivations gives, and keeps channels-last ones', () => {
    const copied = channelsLast(layerValues([N, C, 2, 2], first, 'channelsFirst'));
    const expected = layerActivations([N, C, 2, 2], first, 'channelsFirst');
    assert.deepEqual(Array.from(copied.data), Array.from(expected.data));
    assert.equal(copied.data[1], 10); // input 0, unit 0, channel 1
    const kept = channelsLast(layerValues([N, 2, 2, C], first));
    assert.equal(kept.data, first);
  });

  it('featureMapsOf gives each feature map (n, c) as input n·C + c of one channel, and refuses channels-last values', () => {
    const maps = featureMapsOf(layerValues([N, C, 2, 2], first, 'channelsFirst'));
    assert.deepEqual([maps.count, maps.units, maps.channels], [N * C, U, 1]);
    assert.deepEqual(Array.from(maps.data as Float32Array).slice(5 * U, 6 * U), [120, 121, 122, 123]); // input 1, channel 2
    assert.throws(() => featureMapsOf(layerValues([N, 2, 2, C], first)), /channels last/);
  });

  it('refuses a shape that does not fit the data, as layerActivations does', () => {
    assert.throws(() => layerValues([N, C, 2, 3], first, 'channelsFirst'), /needs 36 values, the data has 24/);
  });
});

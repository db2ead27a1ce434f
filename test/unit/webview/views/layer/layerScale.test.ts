// The Layer view's scales, as pure functions: the heatmap's cell size (readable cells of at least
// 8 px up to 256 channels a side, a 512-channel matrix fitting its space) and the pairs the
// "shared across pairs" colour scale spans (the same set whichever of them is shown).
import assert from 'node:assert/strict';
import type { RunManifest } from '../../../../../src/contract/runFormat';
import { heatmapCellSize, READABLE_CELL } from '../../../../../webview/charts/capacityHeatmapCanvas';
import { scalePairs } from '../../../../../webview/views/layer/scalePairs';

const layer = (index: number, name: string, className: string, channels: number) => ({
  index,
  name,
  className,
  channels,
  outputShape: [],
  parameters: 0,
});

// The shape of examples/cifar-cnn.ts.
const manifest = {
  layers: [
    layer(0, 'input', 'InputLayer', 3),
    layer(1, 'conv1', 'Conv2D', 32),
    layer(2, 'conv2', 'Conv2D', 32),
    layer(3, 'pool1', 'MaxPooling2D', 32),
    layer(4, 'conv3', 'Conv2D', 64),
    layer(5, 'conv4', 'Conv2D', 64),
    layer(6, 'pool2', 'MaxPooling2D', 64),
    layer(7, 'flatten', 'Flatten', 1),
    layer(8, 'dense1', 'Dense', 1),
  ],
  epochs: [0, 1, 2],
  probe: { classCounts: [30, 30] },
} as unknown as RunManifest;

describe('Layer view scales', () => {
  it('gives a 64-row heatmap readable cells in a narrow card, and fits a 512-channel one', () => {
    assert.equal(heatmapCellSize(64, 64, 640), 10);
    assert.equal(heatmapCellSize(64, 32, 400), READABLE_CELL, 'at least 8 px when 64 × 6 px would fit');
    assert.equal(heatmapCellSize(256, 256, 300), READABLE_CELL);
    assert.equal(heatmapCellSize(512, 512, 640), 1, 'a 512-channel matrix fits the space');
    assert.equal(heatmapCellSize(4, 4, 640), 36, 'at most 36 px');
  });

  it('spans the consecutive and depth pairs whichever of them is shown, and adds a pair outside them', () => {
    const at13 = scalePairs(manifest, 1, 3);
    const at15 = scalePairs(manifest, 1, 5);
    assert.deepEqual(at13, at15);
    for (const pair of [
      [1, 2],
      [2, 3],
      [5, 6],
      [1, 3],
      [1, 6],
    ])
      assert.ok(
        at13.some(([i, j]) => i === pair[0] && j === pair[1]),
        `${pair.join(':')} is on the scale`,
      );
    assert.ok(!at13.some(([i, j]) => i === 7 || j === 7 || i === 8 || j === 8), 'one-channel layers are not');
    const custom = scalePairs(manifest, 2, 5);
    assert.deepEqual(custom.slice(0, -1), at13);
    assert.deepEqual(custom[custom.length - 1], [2, 5]);
  });
});

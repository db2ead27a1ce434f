// Picture tests of a run's charts (docs/testing.md "Picture tests"): each drawn from a fixed answer
// and compared with its snapshot in test/snapshots/pictures/ (SVG charts as normalised text, the two
// canvas charts as PNGs). Each answer holds what a regression would break: ceilings and saturated
// points, gaps where a value is undefined, zero cells, bars without an answer, a selected epoch.
import type {
  CapacityMatrixAnswer,
  ConfusionAnswer,
  InformationPlaneAnswer,
  InputDiversityAnswer,
  SmallMultiplesAnswer,
  TrainingAnswer,
} from '../../../src/contract/queries';
import type { CapacityRow } from '../../../webview/charts/layerCapacity';
import type { ImportancePoint } from '../../../webview/charts/importanceScatter';
import { expectPng, expectSvg, usePictures } from './snapshots';

/** Binned estimator over 200 inputs: conv1 saturated (on both ceilings, log2 200 and H(Y)) at every epoch, dense1 learning. */
const BINNED: InformationPlaneAnswer = {
  estimator: 'binned',
  epochs: [0, 1, 2, 3],
  inputCount: 200,
  ceilings: { ixt: Math.log2(200), ity: 3.32 },
  layers: [
    { layer: 1, points: [0, 1, 2, 3].map((epoch) => ({ epoch, ixt: Math.log2(200), ity: 3.32, saturated: true })) },
    {
      layer: 2,
      points: [
        { epoch: 0, ixt: 6.9, ity: 2.4, saturated: false },
        { epoch: 1, ixt: 7.2, ity: 2.9, saturated: false },
        { epoch: 2, ixt: 7.3, ity: 3.0, saturated: false },
        { epoch: 3, ixt: 7.4, ity: 3.1, saturated: false },
      ],
    },
    {
      layer: 3,
      points: [
        { epoch: 0, ixt: 3.1, ity: 0.9, saturated: false },
        { epoch: 1, ixt: 4.6, ity: 1.8, saturated: false },
        { epoch: 2, ixt: 4.2, ity: 2.5, saturated: false },
        { epoch: 3, ixt: null, ity: null, saturated: false },
      ],
    },
  ],
};

/** Four epochs, three classes: epoch 0 has no training values; class "two" is never predicted at epochs 0 and 1. */
const TRAINING: TrainingAnswer = {
  epochs: [0, 1, 2, 3],
  classNames: ['zero', 'one', 'two'],
  trainLoss: [null, 1.21, 0.64, 0.41],
  trainAccuracy: [null, 0.58, 0.81, 0.88],
  probeLoss: [1.1, 0.93, 0.71, 0.52],
  probeAccuracy: [0.33, 0.61, 0.79, 0.86],
  hLabelGivenPred: [
    [1.2, 0.9, 0.6, 0.4],
    [1.5, 1.1, 0.7, 0.5],
    [null, null, 0.8, 0.3],
  ],
  hPredGivenLabel: [
    [0.9, 0.8, 0.5, 0.3],
    [1.4, 1.0, 0.6, 0.4],
    [1.58, 1.2, 0.9, 0.5],
  ],
};

/** Sizes 5, 10 and 20 per class: class "one" at its ceiling at size 5, class "two" too small for size 20 (n/a). */
const DIVERSITY: InputDiversityAnswer = {
  source: 'probe',
  sizes: [5, 10, 20],
  classNames: ['zero', 'one', 'two'],
  rows: [
    { class: 'all', available: 60, bits: [7.4, 9.1, null], counts: [15, 30, 0] },
    { class: 0, available: 25, bits: [3.8, 5.9, 7.9], counts: [5, 10, 20] },
    { class: 1, available: 24, bits: [Math.log2(20), 6.2, 8.3], counts: [5, 10, 20] },
    { class: 2, available: 11, bits: [3.1, 4.8, null], counts: [5, 10, 0] },
  ],
};

const pair = (layerI: number, layerJ: number, bits: number) => ({ layerI, layerJ, epoch: 3, inputCount: 200, bins: 30, bits });
/** The pairs down the network, the shown one first, one still computing and one failed. */
const CAPACITY_ROWS: CapacityRow[] = [
  { pair: { i: 1, j: 2, kind: 'current' }, answer: pair(1, 2, 5.8), status: '5.800 bits', error: undefined },
  { pair: { i: 2, j: 3, kind: 'consecutive' }, answer: pair(2, 3, 3.4), status: '3.400 bits', error: undefined },
  { pair: { i: 3, j: 4, kind: 'consecutive' }, answer: undefined, status: 'computing…', error: undefined },
  { pair: { i: 1, j: 4, kind: 'custom' }, answer: undefined, status: 'failed', error: 'the layer has no kept activations' },
];

/** Eight channels, one without a value (not drawn), channel 3 selected. */
const IMPORTANCE: ImportancePoint[] = [
  [0.4, 0.012],
  [1.1, 0.031],
  [1.9, 0.05],
  [2.2, 0.094],
  [2.8, 0.071],
  [3.3, 0.12],
  [null, null],
  [4.0, 0.15],
].map(([x, y], channel) => ({ channel, x, y, lines: [`channel ${channel}`] }));

/** Three classes with empty cells (drawn as "nothing here"), class "one" highlighted. */
const CONFUSION: ConfusionAnswer = {
  epoch: 3,
  classNames: ['zero', 'one', 'two'],
  matrix: [
    [48, 2, 0],
    [5, 39, 6],
    [0, 11, 39],
  ],
};

/** Six channels over four epochs and three classes; channel 5 dead at epochs 2 and 3. */
const MULTIPLES: SmallMultiplesAnswer = {
  layer: 3,
  epochs: [0, 1, 2, 3],
  channels: 6,
  all: Array.from({ length: 6 }, (_, c) => [0, 1, 2, 3].map((e) => (c === 5 && e >= 2 ? 0 : 1 + 0.4 * c + 0.3 * e * ((c % 3) - 1)))),
  perClass: [0, 1, 2].map((k) =>
    Array.from({ length: 6 }, (_, c) => [0, 1, 2, 3].map((e) => (c === 5 && e >= 2 ? 0 : 0.8 + 0.2 * k + 0.25 * c - 0.1 * e * k))),
  ),
  deadChannels: [[], [], [5], [5]],
};

/** Six channels of conv2 against four of conv1, one pair undefined. */
const HEATMAP: CapacityMatrixAnswer = {
  layerI: 1,
  layerJ: 2,
  epoch: 3,
  inputCount: 200,
  bins: 30,
  rows: 6,
  columns: 4,
  values: Array.from({ length: 24 }, (_, k) => (k === 9 ? null : 0.5 + ((k * 7) % 11) * 0.4)),
  orders: { rowMax: [0, 1, 2, 3, 4, 5], rowMean: [0, 1, 2, 3, 4, 5], columnMax: [0, 1, 2, 3], columnMean: [0, 1, 2, 3] },
};

describe("pictures: a run's charts", function () {
  const pictures = usePictures(this);

  it('draws the information plane of a run (binned): saturated points ringed on their ceilings, an undefined point left out', async () => {
    const page = await pictures.draw('plane', {
      answer: BINNED,
      names: ['input', 'conv1', 'pool1', 'dense1'],
      selectedEpoch: 2,
      width: 640,
    });
    await expectSvg(page, 'plane-binned.svg', 'svg.information-plane');
  });

  it('draws loss and accuracy: a gap where epoch 0 has no training value, the selected epoch ruled', async () => {
    const page = await pictures.draw('loss', { answer: TRAINING, selectedEpoch: 2, width: 520 });
    await expectSvg(page, 'loss.svg', 'svg.chart');
  });

  it('draws H(label | pred = i) by class: undefined values marked, never 0', async () => {
    const page = await pictures.draw('labelEntropy', { answer: TRAINING, selectedEpoch: 1, width: 520 });
    await expectSvg(page, 'label-entropy.svg', 'svg.chart');
  });

  it('draws the input diversity of a run: grouped bars on one baseline, a bar at its ceiling, n/a', async () => {
    const page = await pictures.draw('diversity', { answer: DIVERSITY });
    await expectSvg(page, 'diversity.svg', 'svg.chart');
  });

  it('draws the layer-level capacities: bars from one baseline, a pair computing and a pair failed', async () => {
    const page = await pictures.draw('layerCapacity', {
      rows: CAPACITY_ROWS,
      epoch: 3,
      names: ['input', 'conv1', 'pool1', 'conv2', 'dense1'],
    });
    await expectSvg(page, 'layer-capacity.svg', 'svg.chart');
  });

  it('draws channel importance: one dot per channel with a value, the selected one larger', async () => {
    const title =
      'Spearman ρ = 0.93 between conv2 capacity and Δ loss over 7 channels (p = 0.003): the channels that carry more matter more.';
    const page = await pictures.draw('importance', { points: IMPORTANCE, xLabel: 'capacity (bits)', title, width: 560, selected: 3 });
    await expectSvg(page, 'importance.svg', 'svg.chart');
  });

  it('draws the confusion matrix: counts coloured, empty cells as nothing, a class highlighted', async () => {
    const page = await pictures.draw('confusion', { answer: CONFUSION, highlight: 1, maxWidth: 420 });
    await expectSvg(page, 'confusion.svg', 'svg.chart');
  });

  it('draws the small multiples on their canvas: one per channel, the dead channel marked, the epoch ruled', async () => {
    const page = await pictures.draw('multiples', { answer: MULTIPLES, classNames: ['zero', 'one', 'two'], epoch: 2, focused: 1 }, 480);
    await expectPng(page, 'multiples.png', '.picture canvas');
  });

  it('draws the capacity heatmap on its canvas: its cells, the undefined one patterned, a row outlined', async () => {
    const page = await pictures.draw('capacityHeatmap', { answer: HEATMAP, maxPlot: 240 });
    // The cells only: the channel numbers and titles around them are text, drawn in whatever font the machine has.
    const crop = await page.$eval('canvas.heatmap-canvas', (c) => {
      const [left, top, cell, rows, columns] = ['plot-left', 'plot-top', 'cell-size', 'rows', 'columns'].map((k) =>
        Number(c.getAttribute(`data-${k}`)),
      );
      return { x: left - 2, y: top - 2, width: cell * columns + 4, height: cell * rows + 4 };
    });
    await expectPng(page, 'capacity-heatmap.png', 'canvas.heatmap-canvas', crop);
  });
});

// Picture tests of the run comparison's charts (docs/testing.md "Picture tests"): each drawn from a
// fixed pair of runs and compared with its snapshot in test/snapshots/pictures/. The runs are built
// to show what a regression breaks: two H(S) lines 0.017 bits apart, each labelled on its own line
// in its run's colour; a capacity ceiling off the scale (a note); layers matched by name, one with
// another shape and one only in B; bars at their ceiling (faint, with a tick) and bars without a value.
import type { RunLayer } from '../../../src/contract/runFormat';
import type { InformationPlaneAnswer, InputDiversityAnswer } from '../../../src/contract/queries';
import type { RunLayerValues } from '../../../webview/charts/runComparison';
import { interSampleCeiling } from '../../../webview/charts/diversityBars';
import { expectSvg, usePictures } from './snapshots';

const layer = (index: number, name: string, className: string, outputShape: number[]): RunLayer => ({
  index,
  name,
  className,
  outputShape,
  channels: outputShape[outputShape.length - 1],
  parameters: 0,
});

/** Run A: LeNet's shape. Run B: conv1 wider, and a second convolution (conv1b) A has not. */
const LAYERS: RunLayer[][] = [
  [
    layer(0, 'input', 'Input', [28, 28, 1]),
    layer(1, 'conv1', 'Conv2D', [24, 24, 6]),
    layer(2, 'pool1', 'MaxPooling2D', [12, 12, 6]),
    layer(3, 'dense1', 'Dense', [32]),
    layer(4, 'output', 'Dense', [10]),
  ],
  [
    layer(0, 'input', 'Input', [28, 28, 1]),
    layer(1, 'conv1', 'Conv2D', [24, 24, 8]),
    layer(2, 'conv1b', 'Conv2D', [22, 22, 8]),
    layer(3, 'pool1', 'MaxPooling2D', [11, 11, 8]),
    layer(4, 'dense1', 'Dense', [32]),
    layer(5, 'output', 'Dense', [10]),
  ],
];

/** A trajectory over epochs 0, 1, 2 from its (I(X;T), I(T;Y)) points. */
const trajectory = (l: number, points: [number, number][]) => ({
  layer: l,
  points: points.map(([ixt, ity], epoch) => ({ epoch, ixt, ity, saturated: false })),
});

const PLANES: InformationPlaneAnswer[] = [
  {
    estimator: 'pairwise',
    epochs: [0, 1, 2],
    inputCount: 100,
    ceilings: { ixt: 5.2, ity: 0.479 },
    layers: [
      trajectory(1, [
        [4.1, 0.21],
        [4.4, 0.33],
        [4.5, 0.41],
      ]),
      trajectory(2, [
        [3.6, 0.19],
        [3.9, 0.3],
        [4.0, 0.38],
      ]),
      trajectory(3, [
        [2.2, 0.12],
        [2.9, 0.28],
        [3.1, 0.44],
      ]),
      trajectory(4, [
        [1.1, 0.05],
        [2.0, 0.25],
        [2.3, 0.46],
      ]),
    ],
  },
  {
    estimator: 'pairwise',
    epochs: [0, 1, 2],
    inputCount: 100,
    // H(S) 0.017 bits below A's; the capacity ceiling far beyond the data: named in a note, off the scale.
    ceilings: { ixt: 9.5, ity: 0.462 },
    layers: [
      trajectory(1, [
        [4.3, 0.2],
        [4.6, 0.31],
        [4.7, 0.39],
      ]),
      trajectory(2, [
        [4.2, 0.18],
        [4.5, 0.3],
        [4.6, 0.37],
      ]),
      trajectory(3, [
        [3.5, 0.17],
        [3.8, 0.27],
        [3.9, 0.35],
      ]),
      trajectory(4, [
        [1.9, 0.1],
        [2.6, 0.24],
        [2.8, 0.4],
      ]),
      trajectory(5, [
        [0.8, 0.04],
        [1.7, 0.22],
        [2.1, 0.43],
      ]),
    ],
  },
];

/** Each run's per-layer values, by layer index: A's conv1 and pool1 at the ceiling of 100 inputs, B of 80 inputs; B's dense1 without a mean channel entropy. */
const VALUES: RunLayerValues[] = [
  {
    epoch: 2,
    interSample: [11.2, interSampleCeiling(100), interSampleCeiling(100), 10.4, 8.9],
    inputs: [100, 100, 100, 100, 100],
    meanChannel: [undefined, 3.1, 2.6, 1.8, 1.2],
  },
  {
    epoch: 2,
    interSample: [10.9, 11.8, 12.1, interSampleCeiling(80), 9.6, 7.7],
    inputs: [80, 80, 80, 80, 80, 80],
    meanChannel: [undefined, 3.4, 3.0, 2.7, undefined, 1.0],
  },
];

/** Input diversity at sizes 5 and 10 per class over 3 classes: class 0 at its ceiling at size 5, B's class 2 too small for size 10 (n/a). */
const DIVERSITY: InputDiversityAnswer[] = [
  {
    source: 'probe',
    sizes: [5, 10],
    classNames: ['zero', 'one', 'two'],
    rows: [
      { class: 'all', available: 100, bits: [7.6, 9.4], counts: [15, 30] },
      { class: 0, available: 34, bits: [interSampleCeiling(5), 6.1], counts: [5, 10] },
      { class: 1, available: 33, bits: [3.2, 4.9], counts: [5, 10] },
      { class: 2, available: 33, bits: [3.9, 5.6], counts: [5, 10] },
    ],
  },
  {
    source: 'probe',
    sizes: [5, 10],
    classNames: ['zero', 'one', 'two'],
    rows: [
      { class: 'all', available: 80, bits: [7.1, null], counts: [15, 0] },
      { class: 0, available: 40, bits: [3.7, 5.9], counts: [5, 10] },
      { class: 1, available: 33, bits: [3.0, 4.4], counts: [5, 10] },
      { class: 2, available: 7, bits: [3.5, null], counts: [5, 0] },
    ],
  },
];

describe('pictures: the run comparison', function () {
  const pictures = usePictures(this);

  it('draws the information plane of two runs: each H(S) labelled on its own line, an off-scale ceiling in a note', async () => {
    const page = await pictures.draw('comparisonPlane', { answers: PLANES, layers: LAYERS, width: 700 });
    await expectSvg(page, 'comparison-plane.svg', 'svg.information-plane');
  });

  it('draws "Layers side by side": every bar of a column from its cell’s left edge, ceilings ticked, rows not compared said', async () => {
    const page = await pictures.draw('layersSideBySide', { layers: LAYERS, values: VALUES }, 900);
    await expectSvg(page, 'layers-side-by-side.html', 'table.compare-layers-table', {
      measure: { selector: 'td.compare-value > svg', within: 'td' },
    });
  });

  it('draws the input diversity of two runs: bars on one baseline, ceilings, n/a where a run cannot fill a group', async () => {
    const page = await pictures.draw('diversityComparison', {
      answers: DIVERSITY,
      sizeIndex: 1,
      classNames: ['zero', 'one', 'two'],
      width: 600,
    });
    await expectSvg(page, 'diversity-comparison.svg', 'svg.diversity-compare');
  });

  it('draws the input diversity of two runs at the size where one group is at its ceiling', async () => {
    const page = await pictures.draw('diversityComparison', {
      answers: DIVERSITY,
      sizeIndex: 0,
      classNames: ['zero', 'one', 'two'],
      width: 600,
    });
    await expectSvg(page, 'diversity-comparison-ceiling.svg', 'svg.diversity-compare');
  });
});

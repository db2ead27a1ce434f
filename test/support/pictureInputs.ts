// The fixed inputs of the picture tests (docs/testing.md "Picture tests"), literal data shared by the
// Node pictures (test/unit/webview/charts/pictures.test.ts) and the Chromium ones
// (test/browser/pictures/). Each holds what a regression would break: ceilings and saturated
// points, gaps where a value is undefined, zero cells, bars without an answer, a selected epoch; the
// comparison's pair of runs has two H(S) lines 0.017 bits apart, a capacity ceiling off the scale,
// layers matched by name (one with another shape, one only in B), bars at their ceiling and bars
// without a value.
import type {
  CapacityMatrixAnswer,
  ChannelEntropiesAnswer,
  ChannelLabelInformationAnswer,
  ConfusionAnswer,
  DeconvolutionAnswer,
  FeatureMapsAnswer,
  InformationPlaneAnswer,
  InputDiversityAnswer,
  InputsAnswer,
  NetworkGraphAnswer,
  SmallMultiplesAnswer,
  TrainingAnswer,
} from '../../src/contract/queries';
import { encodeFloat32 } from '../../src/contract/queries';
import type { RunLayer } from '../../src/contract/runFormat';
import type { ClassMultiplesRun } from '../../webview/charts/classMultiples';
import type { StripCell } from '../../webview/charts/heatmapStrip';
import { interSampleCeiling } from '../../webview/charts/diversityBars';
import type { ImportancePoint } from '../../webview/charts/importanceScatter';
import type { CapacityRow } from '../../webview/charts/layerCapacity';
import type { RunLayerValues } from '../../webview/charts/runComparison';

/** Binned estimator over 200 inputs: conv1 saturated (on both ceilings, log2 200 and H(Y)) at every epoch, dense1 learning. */
export const BINNED: InformationPlaneAnswer = {
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
export const TRAINING: TrainingAnswer = {
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
export const DIVERSITY: InputDiversityAnswer = {
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
export const CAPACITY_ROWS: CapacityRow[] = [
  { pair: { i: 1, j: 2, kind: 'current' }, answer: pair(1, 2, 5.8), status: '5.800 bits', error: undefined },
  { pair: { i: 2, j: 3, kind: 'consecutive' }, answer: pair(2, 3, 3.4), status: '3.400 bits', error: undefined },
  { pair: { i: 3, j: 4, kind: 'consecutive' }, answer: undefined, status: 'computing…', error: undefined },
  { pair: { i: 1, j: 4, kind: 'custom' }, answer: undefined, status: 'failed', error: 'the layer has no kept activations' },
];

/** Eight channels, one without a value (not drawn), channel 3 selected. */
export const IMPORTANCE: ImportancePoint[] = [
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
export const CONFUSION: ConfusionAnswer = {
  epoch: 3,
  classNames: ['zero', 'one', 'two'],
  matrix: [
    [48, 2, 0],
    [5, 39, 6],
    [0, 11, 39],
  ],
};

/** Six channels over four epochs and three classes; channel 5 dead at epochs 2 and 3. */
export const MULTIPLES: SmallMultiplesAnswer = {
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
export const HEATMAP: CapacityMatrixAnswer = {
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

const layer = (index: number, name: string, className: string, outputShape: number[]): RunLayer => ({
  index,
  name,
  className,
  outputShape,
  channels: outputShape[outputShape.length - 1],
  parameters: 0,
});

/** Run A: LeNet's shape. Run B: conv1 wider, and a second convolution (conv1b) A has not. */
export const LAYERS: RunLayer[][] = [
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

export const PLANES_PAIR: InformationPlaneAnswer[] = [
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
export const VALUES: RunLayerValues[] = [
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
export const DIVERSITY_PAIR: InputDiversityAnswer[] = [
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

/** conv2's six channels at epoch 2 over three classes of 20 inputs: channel 5 dead (0 bits, a circle of no area), class "two" narrower. */
export const ENTROPIES: ChannelEntropiesAnswer = {
  layer: 3,
  epoch: 2,
  inputCount: 60,
  all: [2.9, 2.1, 3.4, 1.2, 2.6, 0],
  perClass: [
    [2.4, 1.8, 3.0, 1.0, 2.2, 0],
    [2.6, 2.0, 2.8, 0.9, 2.4, 0],
    [1.1, 0.6, 1.9, 0.4, 1.0, 0],
  ],
  classCounts: [20, 20, 20],
  source: 'summary',
};

/** conv1's six channels over epochs 0, 1, 2: channel 4 undefined at epoch 1, channel 5 uninformative (below 0.01 bit at the last epoch). */
export const LABEL_INFORMATION: ChannelLabelInformationAnswer = {
  layer: 1,
  epochs: [0, 1, 2],
  bits: [
    [0.05, 0.12, 0.02, 0.2, 0.08, 0.03],
    [0.11, 0.25, 0.04, 0.31, null, 0.01],
    [0.19, 0.34, 0.07, 0.42, 0.15, 0.004],
  ],
  ceilingBits: Math.log2(3),
  uninformative: [5],
  inputCount: 60,
};

/**
 * H(label | pred = i) of two runs over epochs 0, 1, 2 and three classes: run B recorded epochs 0
 * and 1 only (its line ends there); class "two" undefined in run A at every epoch (named under its
 * chart), a gap in run B's line where class "one" is undefined at epoch 1.
 */
export const CLASS_RUNS: ClassMultiplesRun[] = [
  {
    run: 0,
    label: 'A: lenet (seed 1)',
    colour: '#1f77b4',
    values: [
      [1.4, 0.9, 0.5],
      [1.5, 1.0, 0.6],
      [null, null, null],
    ],
  },
  {
    run: 1,
    label: 'B: lenet (seed 2)',
    colour: '#ff7f0e',
    values: [
      [1.3, 0.8, null],
      [1.58, null, null],
      [1.2, 0.7, null],
    ],
    recorded: [true, true, false],
  },
];

// The pictures of the Channel, Layer and Network views: images and maps are float32 arrays in
// base64 (encodeFloat32, as the service answers), their values from fixed formulas.

/** `count` values of `shape` from `value(k)` (k the flat index), encoded as an answer carries them. */
const encoded = (shape: number[], value: (k: number) => number) =>
  encodeFloat32(
    shape,
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => value(k)),
  );

/**
 * The sample inputs (one per class): inputs #3, #17 and #42, 8 × 8 RGB. #3 a red diagonal on blue,
 * #17 a green square, #42 a horizontal ramp; values from -1 to 1 (black to white).
 */
export const SAMPLE_INPUTS: InputsAnswer = {
  inputs: [3, 17, 42],
  labels: [0, 1, 2],
  images: encoded([3, 8, 8, 3], (k) => {
    const [i, y, x, c] = [Math.floor(k / 192), Math.floor(k / 24) % 8, Math.floor(k / 3) % 8, k % 3];
    if (i === 0) return c === 0 ? (Math.abs(x - y) <= 1 ? 1 : -1) : c === 2 ? 0.6 : -1;
    if (i === 1) return c === 1 && x >= 2 && x <= 5 && y >= 2 && y <= 5 ? 1 : -0.6;
    return -1 + (2 * x) / 7;
  }),
  min: -1,
  max: 1,
};

/**
 * conv1's maps (6 × 6) of channels 0, 2 and 5 on the sample inputs: channel 0 a vertical edge,
 * channel 2 a blob moving with the input, channel 5 dead (0 everywhere, drawn black).
 */
export const FEATURE_MAPS: FeatureMapsAnswer = {
  layer: 1,
  epoch: 2,
  inputs: [3, 17, 42],
  labels: [0, 1, 2],
  channels: [0, 2, 5],
  maps: encoded([3, 3, 6, 6], (k) => {
    const [i, c, y, x] = [Math.floor(k / 108), Math.floor(k / 36) % 3, Math.floor(k / 6) % 6, k % 6];
    if (c === 0) return x === 2 + i ? 2 : x < 2 + i ? 0.5 * i : 0;
    if (c === 1) return Math.max(0, 3 - Math.hypot(x - 1 - 1.5 * i, y - 1 - i));
    return 0;
  }),
  min: 0,
  max: 3,
  channelRanges: [
    [0, 2],
    [0, 3],
    [0, 0],
  ],
};

/** conv2's maps (4 × 4) of channel 1 on inputs #3 and #17 only: input #42 has no map (its row says so). */
export const FEATURE_MAPS_J: FeatureMapsAnswer = {
  layer: 2,
  epoch: 2,
  inputs: [3, 17],
  labels: [0, 1],
  channels: [1],
  maps: encoded([2, 1, 4, 4], (k) => (Math.floor(k / 16) === 0 ? (k % 4) / 3 : ((Math.floor(k / 4) % 4) * (k % 4)) / 9)),
  min: 0,
  max: 1,
  channelRanges: [[0, 1]],
};

/**
 * The deconvolution of conv1 #2 (8 × 8 RGB, input space) for inputs #3, #17 and #99: #99 is not
 * among the sample inputs (its input is "not loaded"), #17's projection is faint (a tenth of the
 * range: it shows only when each projection is stretched to its own range).
 */
export const DECONVOLUTION: DeconvolutionAnswer = {
  layer: 1,
  channel: 2,
  epoch: 2,
  inputs: [3, 17, 99],
  labels: [0, 1, 2],
  projections: encoded([3, 8, 8, 3], (k) => {
    const [i, y, x, c] = [Math.floor(k / 192), Math.floor(k / 24) % 8, Math.floor(k / 3) % 8, k % 3];
    if (i === 0) return Math.abs(x - y) <= 1 ? (c === 0 ? 1 : 0.3) : -0.5;
    if (i === 1) return 0.1 * (x >= 2 && x <= 5 && y >= 2 && y <= 5 ? 1 : -1);
    return c === 2 ? -1 + (2 * y) / 7 : 0;
  }),
  min: -1,
  max: 1,
};

/**
 * The epoch strip of conv1 × conv2 (4 × 3 channels): epochs 0 and 2 share one colour scale (epoch 0
 * darker, one of its pairs undefined), epoch 1's cell is not in the report, epoch 3's still computing.
 */
export const STRIP: StripCell[] = [0, 1, 2, 3].map((epoch) => ({
  key: `epoch-${epoch}`,
  label: `epoch ${epoch}`,
  description: `conv1 × conv2 at epoch ${epoch}`,
  answer:
    epoch === 0 || epoch === 2
      ? {
          layerI: 1,
          layerJ: 2,
          epoch,
          inputCount: 60,
          bins: 30,
          rows: 4,
          columns: 3,
          values: Array.from({ length: 12 }, (_, k) => (epoch === 0 && k === 4 ? null : ((epoch + 1) * (1 + ((k * 5) % 7))) / 6)),
          orders: { rowMax: [0, 1, 2, 3], rowMean: [0, 1, 2, 3], columnMax: [0, 1, 2], columnMean: [0, 1, 2] },
        }
      : undefined,
  status:
    epoch === 1
      ? { kind: 'not-in-report', message: 'The report holds the strip at epochs 0 and 2.' }
      : epoch === 3
        ? { kind: 'loading', fraction: 0.4 }
        : { kind: 'ready' },
}));

/** A small network: input → conv1 (4 channels, 2 clusters) → conv2 (6 channels, 3 clusters) → ⊕ add → dense → output. */
export const NETWORK_LAYERS: RunLayer[] = [
  layer(0, 'input', 'InputLayer', [8, 8, 3]),
  layer(1, 'conv1', 'Conv2D', [6, 6, 4]),
  layer(2, 'conv2', 'Conv2D', [6, 6, 6]),
  layer(3, 'add', 'Add', [6, 6, 6]),
  layer(4, 'flatten', 'Flatten', [216]),
  layer(5, 'output', 'Dense', [3]),
];

/**
 * The graph at epoch 2: conv2's third cluster has no mean entropy (grey) and a class without a
 * probe input (null mean); bands of 0.2 to 1.8 bits, conv1's first cluster with top inputs
 * (thumbnails from SAMPLE_INPUTS, #5 not among them), the add node a merge of conv1 and conv2.
 */
export const NETWORK: NetworkGraphAnswer = {
  epoch: 2,
  nodes: [
    { layer: 0, inputs: [], clustered: false },
    { layer: 1, inputs: [0], clustered: true },
    { layer: 2, inputs: [1], clustered: true },
    { layer: 3, inputs: [1, 2], merge: 'add', clustered: true },
    { layer: 4, inputs: [3], clustered: false },
    { layer: 5, inputs: [4], clustered: false },
  ],
  clusters: [
    { layer: 1, cluster: 0, channels: [0, 2], meanEntropyBits: 3.9, topInputs: [3, 17, 5], classMeans: [0.9, 0.2, 0.1] },
    { layer: 1, cluster: 1, channels: [1, 3], meanEntropyBits: 1.2, topInputs: [42], classMeans: [0.1, 0.3, 0.8] },
    { layer: 2, cluster: 0, channels: [0, 1, 4], meanEntropyBits: 4.8, topInputs: [17], classMeans: [0.4, 0.9, 0.2] },
    { layer: 2, cluster: 1, channels: [2, 3], meanEntropyBits: 2.5, topInputs: [], classMeans: [0.2, 0.2, 0.9] },
    { layer: 2, cluster: 2, channels: [5], meanEntropyBits: null, topInputs: [], classMeans: [0.5, null, 0] },
    { layer: 3, cluster: 0, channels: [0, 1, 2, 3, 4, 5], meanEntropyBits: 4.1, topInputs: [42, 3], classMeans: [0.6, 0.5, 0.7] },
  ],
  edges: [
    { fromLayer: 1, fromCluster: 0, toLayer: 2, toCluster: 0, bits: 1.8 },
    { fromLayer: 1, fromCluster: 0, toLayer: 2, toCluster: 1, bits: 0.6 },
    { fromLayer: 1, fromCluster: 1, toLayer: 2, toCluster: 1, bits: 1.1 },
    { fromLayer: 1, fromCluster: 1, toLayer: 2, toCluster: 2, bits: 0.2 },
    { fromLayer: 2, fromCluster: 0, toLayer: 3, toCluster: 0, bits: 1.5 },
    { fromLayer: 2, fromCluster: 1, toLayer: 3, toCluster: 0, bits: 0.9 },
    { fromLayer: 1, fromCluster: 0, toLayer: 3, toCluster: 0, bits: 0.4, sampledPairs: 8 },
  ],
  classCount: 3,
  inputCount: 60,
};

/**
 * The label information of 300 channels over 14 epochs (4200 cells, past LARGE_CELLS: drawn on a
 * canvas): a gradient over channels and epochs, channel 7 undefined at epoch 3, channels 180 to 299
 * uninformative (near 0 at the last epoch: their marks are 720 px, more than the 0.2 % of pixels a
 * picture may differ by, so a mark drawn in another colour fails).
 */
export const LABEL_INFORMATION_LARGE: ChannelLabelInformationAnswer = {
  layer: 3,
  epochs: Array.from({ length: 14 }, (_, e) => e),
  bits: Array.from({ length: 14 }, (_, e) =>
    Array.from({ length: 300 }, (_, c) =>
      c === 7 && e === 3 ? null : c >= 180 ? 0.004 : (0.02 + (0.05 * e * ((c % 25) + 5)) / 30) * (1 - c / 400),
    ),
  ),
  ceilingBits: Math.log2(3),
  uninformative: Array.from({ length: 120 }, (_, k) => 180 + k),
  inputCount: 60,
};

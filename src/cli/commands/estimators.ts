/**
 * The estimators on plain .npy arrays (docs/estimators.md): `entropy intra|channels|inter`,
 * `capacity`, `labels` and `mi pairwise|binned`. Each prints its answer as one line of JSON, and
 * notes on stderr how many non-finite values it set aside.
 */
import {
  argmaxRows,
  channelEntropies,
  checkPairwiseSize,
  confusionMatrix,
  INTER_SAMPLE_UNDEFINED_TEXT,
  labelEntropies,
  layerActivations,
  MAX_BINS,
  MAX_CLASSES,
  NonFinitePredictionError,
  npyToFloat64,
  sampleChannelEntropies,
  type SortKey,
  sortMatrix,
} from '../../analysis';
import { ComputePool } from '../../compute/pool';
import { runMi } from '../mi';
import { readActivations, readLabels, readNpyFile } from '../npyFiles';
import { intOption } from '../options';
import { UsageError } from '../usage';
import type { CliStreams } from '../streams';
import { type Command, defineCommand, defineGroup } from './descriptor';

const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);

function print(io: CliStreams, value: unknown): void {
  io.stdout.write(JSON.stringify(value) + '\n');
}

function noteNonFinite(io: CliStreams, count: number): void {
  if (count > 0) io.stderr.write(`note: ${count} non-finite value${count === 1 ? '' : 's'} ignored\n`);
}

const intra = defineCommand({
  name: 'intra',
  lines: [{ usage: 'entropy intra X.npy [--bins 32]', what: 'per-sample intra-sample entropy (bits)' }],
  help: `Usage: cnn-slicer entropy intra X.npy [--bins B]

Prints a JSON array with the intra-sample entropy (bits, paper 4.4.2) of every sample X[n]
(the whole sample, all channels together). null marks a sample with no finite value.
  --bins B   histogram bins, integer from 2 to 4096 (default 32)`,
  options: { bins: { type: 'string' } },
  positionals: 1,
  run: ({ values, positionals }, { io }) => {
    const bins = intOption(values, 'bins', 32, 2, MAX_BINS);
    const x = readActivations(positionals[0]);
    // The whole sample is one histogram: view it as one channel of units·channels values.
    const whole = layerActivations([x.count, x.units * x.channels], x.data);
    const table = sampleChannelEntropies(whole, bins);
    noteNonFinite(io, table.nonFiniteCount);
    print(io, Array.from(table.entropyBits, orNull));
  },
});

const channels = defineCommand({
  name: 'channels',
  lines: [{ usage: 'entropy channels X.npy [--labels Y.npy] [--bins 32]', what: 'mean entropy per channel (and per class)' }],
  help: `Usage: cnn-slicer entropy channels X.npy [--labels Y.npy] [--classes C] [--bins B]

Prints JSON {channels, entropyBits, perClass?, classCounts?, nonFiniteCount}: the mean
intra-sample entropy of each channel over all inputs (paper 4.4.2), and per class when labels
are given (perClass[k][c]). null marks an undefined value.
  --labels Y.npy  integer labels, one per input
  --classes C     number of classes, 1 to 1000 (default: largest label + 1)
  --bins B        histogram bins, integer from 2 to 4096 (default 32)`,
  options: { bins: { type: 'string' }, labels: { type: 'string' }, classes: { type: 'string' } },
  positionals: 1,
  run: ({ values, positionals }, { io }) => {
    const bins = intOption(values, 'bins', 32, 2, MAX_BINS);
    const x = readActivations(positionals[0]);
    const labels = values.labels === undefined ? undefined : readLabels(values.labels, x.count);
    const classes = values.classes === undefined ? undefined : intOption(values, 'classes', 0, 1, MAX_CLASSES);
    if (labels && classes !== undefined) {
      const bad = labels.findIndex((y) => y >= classes);
      if (bad >= 0) throw new UsageError(`label ${bad} is ${labels[bad]}, outside 0..${classes - 1} (--classes ${classes})`);
    }
    const s = channelEntropies(x, { bins, labels, classes });
    noteNonFinite(io, s.nonFiniteCount);
    print(io, {
      channels: s.channels,
      entropyBits: s.all.map(orNull),
      ...(s.perClass ? { perClass: s.perClass.map((row) => row.map(orNull)), classCounts: s.classCounts } : {}),
      nonFiniteCount: s.nonFiniteCount,
    });
  },
});

const inter = defineCommand({
  name: 'inter',
  lines: [{ usage: 'entropy inter X.npy [--k 1000]', what: 'inter-sample entropy of the set (bits)' }],
  help: `Usage: cnn-slicer entropy inter X.npy [--k K]

Prints the inter-sample entropy (bits, paper 4.4.1) of the N samples X[n] as a JSON number,
or null when undefined (N < 3). It grows like log2(N·K): compare sets of similar size only.
  --k K   neighbourhood size, integer >= 2 (default 1000; min(K, N-1) is used)`,
  options: { k: { type: 'string' } },
  positionals: 1,
  run: async ({ values, positionals }, { io }) => {
    const k = intOption(values, 'k', 1000, 2);
    const x = readActivations(positionals[0]);
    checkPairwiseSize({ kind: 'inter', n: x.count, k }, 'entropy inter');
    const pool = new ComputePool();
    try {
      const r = await pool.interSampleEntropy(x.data, x.count, x.units * x.channels, { k });
      noteNonFinite(io, r.nonFiniteCount);
      if (r.entropyBits === undefined && r.undefinedReason)
        io.stderr.write(`note: undefined: ${INTER_SAMPLE_UNDEFINED_TEXT[r.undefinedReason]}\n`);
      print(io, orNull(r.entropyBits));
    } finally {
      pool.close();
    }
  },
});

export const ENTROPY = defineGroup({ name: 'entropy', kinds: [intra, channels, inter], helpWithoutKind: true });

export const CAPACITY = defineCommand({
  name: 'capacity',
  lines: [{ usage: 'capacity A.npy B.npy [--bins 32] [--sort none|max|mean]', what: 'channel capacity matrix (rows: B, columns: A)' }],
  help: `Usage: cnn-slicer capacity A.npy B.npy [--bins B] [--sort none|max|mean]

Prints the channel capacity matrix (bits, paper 5.3.1) between every channel of A (columns)
and every channel of B (rows), for the same N inputs. null marks an undefined value (N < 2).
  --bins B    distance-histogram bins, integer from 2 to 4096 (default 32)
  --sort S    order rows and columns by their max or mean, descending (default none)`,
  options: { bins: { type: 'string' }, sort: { type: 'string' } },
  positionals: 2,
  run: async ({ values, positionals }, { io }) => {
    const bins = intOption(values, 'bins', 32, 2, MAX_BINS);
    const sort = values.sort ?? 'none';
    if (!['none', 'max', 'mean'].includes(sort)) throw new UsageError(`--sort must be none, max or mean, got "${sort}"`);
    const a = readActivations(positionals[0]);
    const b = readActivations(positionals[1]);
    if (a.count !== b.count) {
      throw new UsageError(
        `${positionals[0]} has ${a.count} samples but ${positionals[1]} has ${b.count}; capacity needs the same inputs in both`,
      );
    }
    checkPairwiseSize({ kind: 'codes', n: a.count, streams: a.channels + b.channels }, 'capacity');
    const pool = new ComputePool();
    try {
      const m = await pool.capacityMatrix(a, b, { bins });
      const order = sortMatrix(m.values, m.rows, m.columns, sort as SortKey);
      print(
        io,
        order.rowOrder.map((r) => order.columnOrder.map((c) => orNull(m.values[r * m.columns + c]))),
      );
    } finally {
      pool.close();
    }
  },
});

export const LABELS = defineCommand({
  name: 'labels',
  lines: [{ usage: 'labels TRUE.npy PRED.npy [--classes C]', what: 'confusion matrix and label entropies' }],
  help: `Usage: cnn-slicer labels TRUE.npy PRED.npy [--classes C]

Prints JSON {confusion, hLabelGivenPred, hPredGivenLabel} (paper 5.2): rows of the confusion
matrix are true labels, columns predictions; null marks an undefined entropy (no input).
PRED may hold labels [N] or scores [N, C] (the argmax is taken; a row holding NaN is refused).
  --classes C   number of classes, 1 to 1000 (default: largest label + 1; the matrix is C×C)`,
  options: { classes: { type: 'string' } },
  positionals: 2,
  run: ({ values, positionals }, { io }) => {
    const classes = values.classes === undefined ? undefined : intOption(values, 'classes', 0, 1, MAX_CLASSES);
    const truth = readLabels(positionals[0]);
    const predArray = readNpyFile(positionals[1]);
    let predicted: Int32Array;
    if (predArray.shape.length === 2 && predArray.shape[1] > 1) {
      if (predArray.shape[0] !== truth.length)
        throw new UsageError(`${positionals[1]} has ${predArray.shape[0]} rows but there are ${truth.length} true labels`);
      try {
        predicted = argmaxRows(npyToFloat64(predArray), predArray.shape[0], predArray.shape[1]);
      } catch (e) {
        if (NonFinitePredictionError.is(e)) throw new UsageError(`${positionals[1]}: ${e.message}`);
        throw e;
      }
    } else {
      predicted = readLabels(positionals[1], truth.length);
    }
    try {
      const r = labelEntropies(confusionMatrix(truth, predicted, classes));
      print(io, { confusion: r.confusion, hLabelGivenPred: r.hLabelGivenPred.map(orNull), hPredGivenLabel: r.hPredGivenLabel.map(orNull) });
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(e.message);
      throw e;
    }
  },
});

/** `mi --help` and `mi pairwise --help`. */
const MI_HELP = `Usage: cnn-slicer mi pairwise T.npy --labels Y.npy [--bins B] [--channels]
       cnn-slicer mi binned T.npy --labels Y.npy [--bins B]

Mutual information between a layer's outputs T ([N, U] or [N, H, W, C]) and the labels Y ([N]).
pairwise prints I_pair(T;Y) in bits as a JSON number: the mutual information between the binned
distance of every pair of inputs and whether the pair shares a label (as the channel capacity bins
distances). It is at most H(S), the entropy of "same label" (about 0.47 bit for ten balanced
classes). null when undefined (N < 2, or one class only).
  --channels    one value per channel (a JSON array), each channel's feature maps on their own
  --bins B      distance-histogram bins, integer from 2 to 4096 (default 32)
binned prints {"ixt": I(X;T), "ity": I(T;Y), "saturated": …} by Shwartz-Ziv & Tishby's binning
(run "cnn-slicer mi binned --help").`;

/** Both kinds take the same options: runMi refuses --channels with binned in words of its own. */
const MI_OPTIONS = { labels: { type: 'string' }, bins: { type: 'string' }, channels: { type: 'boolean' } } as const;

/** `mi <kind>`: runMi's estimate printed, its non-finite values noted. */
function miKind(kind: 'pairwise' | 'binned', lines: Command['lines'], help: string): Command {
  return defineCommand({
    name: kind,
    lines,
    help,
    options: MI_OPTIONS,
    positionals: 1,
    run: async ({ values, positionals }, { io }) => {
      const mi = await runMi(kind, positionals[0], values);
      print(io, mi.output);
      noteNonFinite(io, mi.nonFiniteCount);
    },
  });
}

export const MI = defineGroup({
  name: 'mi',
  help: MI_HELP,
  helpWithoutKind: false,
  kinds: [
    miKind(
      'pairwise',
      [
        {
          usage: 'mi pairwise T.npy --labels Y.npy [--bins 32] [--channels]',
          what: 'I_pair(T;Y): what a layer (each channel) tells of the labels',
        },
      ],
      MI_HELP,
    ),
    miKind(
      'binned',
      [{ usage: 'mi binned T.npy --labels Y.npy [--bins 30]', what: 'information-plane point {ixt, ity, saturated} by binning' }],
      `Usage: cnn-slicer mi binned T.npy --labels Y.npy [--bins B]

Prints JSON {"ixt", "ity", "saturated"}: every value of T binned on the layer's one min–max range,
each input's tuple of bins one symbol; ixt = I(X;T) = H(T), ity = I(T;Y) = H(T) − Σc p(c) H(T|Y=c).
At most log2 N and H(Y): "saturated": true means every input has its own symbol, so the point
sits at those ceilings and says nothing about the layer (usual with continuous activations).
null marks an undefined value (N < 2; ity also with one class only).
  --bins B      bins, integer from 2 to 4096 (default 30)
  --channels    not taken: one value per channel is mi pairwise's`,
    ),
  ],
});

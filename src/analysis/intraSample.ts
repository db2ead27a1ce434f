/**
 * Intra-sample entropy and channel entropy (paper 4.4.2 and 5.4; estimators.md "Intra-sample
 * entropy"): how much information one feature map carries, from the histogram of its own values.
 */
import { binOf, checkBins, DEFAULT_BINS, finiteRange, type FiniteRange } from './binning';
import { BinningKernel, binningKernelFor, type ChannelEntropySums } from './binningKernel';
import type { KernelKind } from './distances';
import { channelsLast, featureMapsOf, LayerActivations, LayerValues } from './layout';
import { shannonEntropyBits } from './shannon';

/** Entropy of one sample with the count of non-finite values that were left out. */
export interface SampleEntropy {
  /** Bits in `[0, log2 B]`; `undefined` when the sample has no finite value. */
  entropyBits: number | undefined;
  nonFiniteCount: number;
}

/**
 * Intra-sample entropy of one sample (paper 4.4.2): min–max normalise the finite values to
 * `[-1, 1]`, histogram them into `bins` equal bins and take the Shannon entropy of the counts.
 * A constant sample has entropy 0. NaN and ±Infinity are dropped and counted; a sample with no
 * finite value has undefined entropy (estimators.md "Numbers and bad data").
 */
export function intraSampleEntropy(values: ArrayLike<number>, bins = DEFAULT_BINS): SampleEntropy {
  checkBins(bins);
  const range = finiteRange(values);
  if (range.finiteCount === 0) return { entropyBits: undefined, nonFiniteCount: range.nonFiniteCount };
  if (range.hi === range.lo) return { entropyBits: 0, nonFiniteCount: range.nonFiniteCount };
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v === 0) counts[binOf(v, range.lo, range.hi, bins)]++;
  }
  return { entropyBits: shannonEntropyBits(counts), nonFiniteCount: range.nonFiniteCount };
}

/** Intra-sample entropy of every feature map of a layer, as an `[N, C]` table. */
export interface SampleChannelEntropies {
  count: number;
  channels: number;
  /** Row-major `[N, C]`; NaN marks a feature map with no finite value (undefined entropy). */
  entropyBits: Float64Array;
  nonFiniteCount: number;
  /**
   * The finite range of every value of the layer, found on the way (binning.ts `finiteRange`'s lo,
   * hi and counts, up to the sign of a zero lo or hi, on which no bin depends): the binned
   * information's range without a pass of its own.
   */
  range: FiniteRange;
}

/**
 * The intra-sample entropy of every feature map `dCNN(n, l, c, t)` of a layer output (paper
 * 4.4.2), computed one input at a time with all channels together so that memory is read in order.
 * Each feature map's value is `intraSampleEntropy`'s, bit for bit: `binOf`'s arithmetic and
 * `shannonEntropyBits`' sums are inlined, operation for operation (the recorder runs this on every
 * value of every layer at every epoch), with the counts' `c log2 c` terms taken from a table.
 * Float32 outputs go through the WebAssembly SIMD kernel (binningKernel.ts, the same bits); float64
 * ones, runtimes without WebAssembly SIMD and `kernel: 'js'` take the plain-JS loop. Channels-first
 * values ({@link LayerValues}) are read in place, each feature map being contiguous: the same
 * table, bit for bit, as of their channels-last copy (which is taken for maps of at most
 * {@link SMALL_MAP_UNITS} values).
 */
export function sampleChannelEntropies(
  values: LayerActivations | LayerValues,
  bins = DEFAULT_BINS,
  kernel?: KernelKind | BinningKernel,
): SampleChannelEntropies {
  if (values.channelsFirst && values.units <= SMALL_MAP_UNITS && values.channels > 1) {
    // Maps this small cost the kernel more per map than per value: a channels-last copy lets it
    // take every channel of an input at once (the same table, bit for bit).
    return sampleChannelEntropies(channelsLast(values), bins, kernel);
  }
  if (values.channelsFirst) {
    // Each feature map is contiguous: the maps as inputs of one channel, in the same [N, C] order.
    const maps = sampleChannelEntropies(featureMapsOf(values), bins, kernel);
    return {
      count: values.count,
      channels: values.channels,
      entropyBits: maps.entropyBits,
      nonFiniteCount: maps.nonFiniteCount,
      range: maps.range,
    };
  }
  const layer = channelsLast(values);
  checkBins(bins);
  const { data } = layer;
  if (data instanceof Float32Array) {
    const simd = binningKernelFor(kernel);
    const table = simd && channelEntropiesSimd(layer, data, bins, simd);
    if (table) return table;
  }
  // One call site per array type keeps the loops below monomorphic.
  if (data instanceof Float32Array) return channelEntropiesOf(layer, data, bins);
  if (data instanceof Float64Array) return channelEntropiesOf(layer, data, bins);
  return channelEntropiesOf(
    layer,
    Float64Array.from({ length: data.length }, (_, i) => data[i]),
    bins,
  );
}

/**
 * The largest feature map (values) of a channels-first layer whose channel entropies are computed
 * on a channels-last copy rather than map by map: at 4 × 4 the kernel's fixed cost per map (its
 * histograms' set-up and sums) outweighs its 16 values, and a CIFAR ResNet-18's 512 × 4 × 4 layers
 * of 500 inputs took 41 ms copied against 67 ms map by map; at 8 × 8 the two were even.
 */
export const SMALL_MAP_UNITS = 16;

/** {@link sampleChannelEntropies} on a typed array. */
function channelEntropiesOf(layer: LayerActivations, data: Float32Array | Float64Array, bins: number): SampleChannelEntropies {
  const { count, units, channels } = layer;
  const out = new Float64Array(count * channels);
  const lo = new Float64Array(channels);
  const hi = new Float64Array(channels);
  const span = new Float64Array(channels);
  const counts = new Int32Array(channels * bins);
  const cLog2c = cLog2cTable(units);
  const lastBin = bins - 1;
  let nonFiniteCount = 0;
  let layerLo = Infinity;
  let layerHi = -Infinity;
  for (let n = 0; n < count; n++) {
    const base = n * units * channels;
    lo.fill(Infinity);
    hi.fill(-Infinity);
    for (let p = 0, i = base; p < units; p++) {
      for (let c = 0; c < channels; c++, i++) {
        const v = data[i];
        if (v - v !== 0) {
          nonFiniteCount++;
          continue;
        }
        if (v < lo[c]) lo[c] = v;
        if (v > hi[c]) hi[c] = v;
      }
    }
    for (let c = 0; c < channels; c++) {
      span[c] = hi[c] - lo[c];
      if (lo[c] < layerLo) layerLo = lo[c];
      if (hi[c] > layerHi) layerHi = hi[c];
    }
    counts.fill(0);
    for (let p = 0, i = base; p < units; p++) {
      for (let c = 0, o = 0; c < channels; c++, i++, o += bins) {
        const v = data[i];
        if (v - v !== 0) continue;
        // binOf(v, lo[c], hi[c], bins); a span of 0 is hi === lo (finite values).
        let b = 0;
        // v === lo gives bin 0 exactly (0 / span = 0, 0 · 2 - 1 = -1, (-1 + 1) / 2 · bins = 0): ReLU zeros skip the division.
        if (span[c] !== 0 && v !== lo[c]) {
          const z = ((v - lo[c]) / span[c]) * 2 - 1;
          b = Math.floor(((z + 1) / 2) * bins);
          if (!(b < lastBin)) b = lastBin;
        }
        counts[o + b]++;
      }
    }
    for (let c = 0; c < channels; c++) {
      let h: number;
      if (lo[c] > hi[c]) h = NaN;
      else if (lo[c] === hi[c]) h = 0;
      else {
        // shannonEntropyBits(counts, c · bins, bins): H = log2(T) - (1/T) Σ c log2 c.
        let total = 0;
        let sum = 0;
        for (let k = c * bins; k < c * bins + bins; k++) {
          const m = counts[k];
          total += m;
          if (m > 0) sum += cLog2c[m];
        }
        h = Math.log2(total) - sum / total;
        if (!(h > 0)) h = 0;
      }
      out[n * channels + c] = h;
    }
  }
  return { count, channels, entropyBits: out, nonFiniteCount, range: layerRange(layerLo, layerHi, data.length, nonFiniteCount) };
}

/** A layer's {@link FiniteRange} from its least and greatest finite value and its counts. */
function layerRange(lo: number, hi: number, length: number, nonFiniteCount: number): FiniteRange {
  return { lo, hi, finiteCount: length - nonFiniteCount, nonFiniteCount };
}

/** `c · log2 c` for every count `0 .. units` a bin can hold, as shannonEntropyBits computes each term. */
function cLog2cTable(units: number): Float64Array {
  const cLog2c = new Float64Array(units + 1);
  for (let c = 1; c <= units; c++) cLog2c[c] = c * Math.log2(c);
  return cLog2c;
}

/**
 * {@link channelEntropiesOf} through the WebAssembly SIMD kernel, which returns each feature map's
 * `Σ c log2 c` (summed in bin order) and count `T`; the entropy `log2 T - Σ / T` is taken here as
 * channelEntropiesOf takes it. Undefined when the kernel does not take the layer (too many
 * channels × bins for its memory).
 */
function channelEntropiesSimd(
  layer: LayerActivations,
  data: Float32Array,
  bins: number,
  kernel: BinningKernel,
): SampleChannelEntropies | undefined {
  const { count, units, channels } = layer;
  const result = kernel.channelEntropySums(data, count, units, channels, bins, cLog2cTable(units));
  return result && entropiesFromSums(result, count, channels, data.length);
}

/**
 * The channel-entropy sums of `maps` feature maps of `units` float32 values each, one after the
 * other (a channels-first layer's maps, or a run of them): the kernel's `Σ c log2 c` and `T` per
 * map (binningKernel.ts `channelEntropySums` with one channel), for {@link entropiesFromSums}. Each
 * map's sums depend on its own values only, so runs of maps computed apart (the compute workers'
 * chunks, src/compute/intraSampleStages.ts) join into the sums of the whole layer, bit for bit.
 * Undefined where WebAssembly SIMD is missing.
 */
export function featureMapSums(data: Float32Array, maps: number, units: number, bins: number): ChannelEntropySums | undefined {
  checkBins(bins);
  // One channel: 16 histograms of bins + 1 counts, far below the kernel's cap.
  return binningKernelFor()?.channelEntropySums(data, maps, units, 1, bins, cLog2cTable(units));
}

/**
 * The table of channel entropies from the kernel's sums of `count × channels` feature maps
 * (row-major `[count, channels]`) of a layer of `length` values: `H = log2 T − Σ / T` per map,
 * as channelEntropiesOf takes it (NaN where `T = −1`, no finite value; 0 where `T = 0`).
 */
export function entropiesFromSums(result: ChannelEntropySums, count: number, channels: number, length: number): SampleChannelEntropies {
  const { sums } = result;
  const out = new Float64Array(count * channels);
  for (let k = 0; k < out.length; k++) {
    const sum = sums[2 * k];
    const total = sums[2 * k + 1];
    let h: number;
    if (total < 0) h = NaN;
    else if (total === 0) h = 0;
    else {
      h = Math.log2(total) - sum / total;
      if (!(h > 0)) h = 0;
    }
    out[k] = h;
  }
  return {
    count,
    channels,
    entropyBits: out,
    nonFiniteCount: result.nonFiniteCount,
    range: layerRange(result.lo, result.hi, length, result.nonFiniteCount),
  };
}

/** Channel entropies of a layer for an input set, overall and per class. */
export interface ChannelEntropySummary {
  channels: number;
  /** Mean entropy (bits) per channel over all inputs; `undefined` where no input had a defined value. */
  all: (number | undefined)[];
  /** `perClass[k][c]`: mean over the inputs whose true label is `k` (present only when labels are given). */
  perClass?: (number | undefined)[][];
  /** Inputs per class (present only when labels are given). */
  classCounts?: number[];
  nonFiniteCount: number;
  /** The finite range of the layer's values ({@link SampleChannelEntropies.range}). */
  range: FiniteRange;
}

/**
 * The entropy of a channel for an input set, `H(dCNN(x, l, c, t))` (paper 4.4.2 and 5.4): the
 * mean of the intra-sample entropies of that channel's feature maps over the inputs, overall and
 * per true class when `labels` are given (estimators.md). Labels must be integers in
 * `[0, classes)`; `classes` defaults to `max(label) + 1`. `table`, where given, is the layer's
 * {@link sampleChannelEntropies} computed already (by the compute workers), with the same `bins`.
 */
export function channelEntropies(
  layer: LayerActivations | LayerValues,
  options: { bins?: number; labels?: ArrayLike<number>; classes?: number; table?: SampleChannelEntropies } = {},
): ChannelEntropySummary {
  const table = options.table ?? sampleChannelEntropies(layer, options.bins ?? DEFAULT_BINS);
  const summary: ChannelEntropySummary = {
    channels: table.channels,
    all: meanColumns(table, undefined, 0),
    nonFiniteCount: table.nonFiniteCount,
    range: table.range,
  };
  if (options.labels) {
    const classes = checkLabels(options.labels, layer.count, options.classes);
    summary.perClass = [];
    summary.classCounts = new Array<number>(classes).fill(0);
    for (let n = 0; n < layer.count; n++) summary.classCounts[options.labels[n]]++;
    for (let k = 0; k < classes; k++) summary.perClass.push(meanColumns(table, options.labels, k));
  }
  return summary;
}

/**
 * The most classes a label vector may have. The confusion matrix and the label entropies hold
 * classes² cells (paper 5.2), and the per-class channel entropies classes × channels: 1,000 classes
 * (ImageNet's) is a 1,000,000-cell matrix of 8 MB per epoch, while 50,000 would need 20 GB and
 * abort the process. No view can show more than a thousand classes one by one either.
 */
export const MAX_CLASSES = 1000;

/**
 * Validates a label vector against an input count; returns the class count (`classes`, or
 * `max(label) + 1`). Throws a RangeError naming the first bad label, or the class count when it
 * is above `MAX_CLASSES`.
 */
export function checkLabels(labels: ArrayLike<number>, count: number, classes?: number): number {
  if (labels.length !== count) throw new RangeError(`there are ${labels.length} labels for ${count} inputs`);
  if (classes !== undefined && (!Number.isInteger(classes) || classes < 1)) {
    throw new RangeError(`classes must be a positive integer, got ${classes}`);
  }
  if (classes !== undefined && classes > MAX_CLASSES) throw new RangeError(tooManyClasses(`${classes} classes`));
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0) throw new RangeError(`label ${i} is ${y}; labels must be integers >= 0`);
    if (classes !== undefined && y >= classes) throw new RangeError(`label ${i} is ${y}, outside 0..${classes - 1}`);
    if (y >= MAX_CLASSES) throw new RangeError(tooManyClasses(`label ${i} is ${y}, so at least ${y + 1} classes`));
    if (y > max) max = y;
  }
  return classes ?? max + 1;
}

/** The message for a class count above `MAX_CLASSES`: what was asked, the limit, why, what to do. */
export function tooManyClasses(what: string): string {
  return (
    `${what}: at most ${MAX_CLASSES} classes are supported (the confusion matrix holds classes² cells); ` +
    `number the classes 0..${MAX_CLASSES - 1}`
  );
}

function meanColumns(table: SampleChannelEntropies, labels: ArrayLike<number> | undefined, cls: number): (number | undefined)[] {
  const { count, channels, entropyBits } = table;
  const sums = new Float64Array(channels);
  const ns = new Float64Array(channels);
  for (let n = 0; n < count; n++) {
    if (labels && labels[n] !== cls) continue;
    for (let c = 0; c < channels; c++) {
      const h = entropyBits[n * channels + c];
      if (h === h) {
        sums[c] += h;
        ns[c]++;
      }
    }
  }
  return Array.from(sums, (s, c) => (ns[c] > 0 ? s / ns[c] : undefined));
}

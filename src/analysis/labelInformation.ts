/**
 * Mutual information with the labels and the information plane (estimators.md, "Mutual information
 * with the labels and the information plane"; Shwartz-Ziv & Tishby 2017, Fang, Wang & Yamaguchi
 * 2018). Two estimators:
 *  - pairwise, consistent with the channel capacity: `I_pair(T; Y) = H(D) + H(S) - H(D, S)` from the
 *    binned pair distances `D` of a layer (or channel) and the same-label indicator `S` of each pair;
 *  - binning: every input's tuple of unit bins is one symbol, `I(X; T) = H(T)`,
 *    `I(T; Y) = H(T) - Σ_c p_c H(T | Y = c)`, saturated when every symbol is distinct.
 * The pair distances and their bins are the channel capacity's own (capacity.ts `distanceCodes`).
 */
import { binOf, checkBins, DEFAULT_BINS, finiteRange, type FiniteRange } from './binning';
import { BinningKernel, binningKernelFor } from './binningKernel';
import { distanceCodes, DistanceCodes } from './capacity';
import type { KernelKind } from './distances';
import { checkLabels } from './intraSample';
import { channelMatrix, LayerActivations, LayerValues } from './layout';
import { shannonEntropyBits } from './shannon';
import { checkPairwiseSize } from './pairwiseBudget';

/** Default bins of the binning estimator (Shwartz-Ziv & Tishby's 30; estimators.md). */
export const DEFAULT_PLANE_BINS = 30;

/** A channel below this many bits of `I_pair(T_c; Y)` at the last epoch is called uninformative (estimators.md). */
export const UNINFORMATIVE_BITS = 0.01;

/** The same-label indicator `s_mn` of every pair `m < n`, in the condensed order of the pair distances. */
export interface SameLabelPairs {
  n: number;
  /** `1` where both inputs of the pair have the same label, pairs in condensed upper-triangle order. */
  same: Uint8Array;
  /** Pairs with the same label. */
  sameCount: number;
  /** `H(S)` in bits: the most `I_pair(T; Y)` can be. `undefined` with fewer than 2 inputs or one class only. */
  entropyBits: number | undefined;
}

/** The variable `S` of the pairwise estimator for `labels` (integers ≥ 0, one per input). */
export function sameLabelPairs(labels: ArrayLike<number>): SameLabelPairs {
  const n = labels.length;
  checkLabels(labels, n);
  checkPairwiseSize({ kind: 'codes', n, streams: 1 }, 'pairing the labels');
  const same = new Uint8Array((n * (n - 1)) / 2);
  let sameCount = 0;
  for (let m = 0, p = 0; m < n; m++) {
    const y = labels[m];
    for (let k = m + 1; k < n; k++, p++) {
      if (labels[k] === y) {
        same[p] = 1;
        sameCount++;
      }
    }
  }
  const pairs = same.length;
  // One class makes S constant (H(S) = 0): the labels carry nothing to measure, so it is undefined.
  const entropyBits = pairs > 0 && sameCount < pairs ? shannonEntropyBits([sameCount, pairs - sameCount]) : undefined;
  return { n, same, sameCount, entropyBits };
}

/**
 * `I_pair(T; Y) = H(D) + H(S) - H(D, S)` (estimators.md pairwise step 2) from the binned pair
 * distances of a layer or channel and the same-label pairs of the same inputs; `undefined` with
 * fewer than 2 inputs or one class only. At most `H(S)`.
 */
export function pairwiseInformationFromCodes(codes: DistanceCodes, labels: SameLabelPairs): number | undefined {
  if (codes.n !== labels.n) throw new RangeError(`the distances and the labels need the same inputs; got ${codes.n} and ${labels.n}`);
  if (codes.entropyBits === undefined || labels.entropyBits === undefined) return undefined;
  const value = codes.entropyBits + labels.entropyBits - shannonEntropyBits(jointWithLabels(codes, labels))!;
  return value > 0 ? value : 0; // mutual information is never negative; remove rounding below zero
}

/**
 * The joint counts of `(D, S)`, cell `2·b + s`: the pairs of bin `b` (each bin's count over every
 * pair, in four tables that a run of equal codes does not queue on one counter) split by the
 * same-label pairs among them (read at those pairs alone: about one pair in ten with ten classes).
 * A pair with a non-finite distance (code `bins`) is in no cell. The counts are integers, so the
 * entropy is the same whatever order they are counted in.
 */
function jointWithLabels(codes: DistanceCodes, labels: SameLabelPairs): Float64Array {
  const { bins, codes: c } = codes;
  const slots = bins + 1;
  const tables = new Int32Array(4 * slots);
  const pairs = c.length;
  const quads = pairs - (pairs % 4);
  for (let p = 0; p < quads; p += 4) {
    tables[c[p]]++;
    tables[slots + c[p + 1]]++;
    tables[2 * slots + c[p + 2]]++;
    tables[3 * slots + c[p + 3]]++;
  }
  for (let p = quads; p < pairs; p++) tables[c[p]]++;
  const sameOfBin = new Int32Array(slots);
  for (const p of samePairsOf(labels)) sameOfBin[c[p]]++;
  const joint = new Float64Array(bins * 2);
  for (let b = 0; b < bins; b++) {
    const all = tables[b] + tables[slots + b] + tables[2 * slots + b] + tables[3 * slots + b];
    joint[2 * b] = all - sameOfBin[b];
    joint[2 * b + 1] = sameOfBin[b];
  }
  return joint;
}

/** The indices of the same-label pairs of `labels`, found once per labels object (every channel of a layer reads them). */
const samePairs = new WeakMap<SameLabelPairs, Int32Array>();
function samePairsOf(labels: SameLabelPairs): Int32Array {
  let list = samePairs.get(labels);
  if (!list) {
    const { same } = labels;
    let count = 0;
    for (let p = 0; p < same.length; p++) count += same[p];
    list = new Int32Array(count);
    for (let p = 0, k = 0; p < same.length; p++) if (same[p]) list[k++] = p;
    samePairs.set(labels, list);
  }
  return list;
}

/**
 * The binned pair distances of a whole layer output taken as one channel, exactly as the
 * layer-level capacity (capacity.ts `layerCapacity`) takes them. In either layout: a distance does
 * not depend on the order of an input's values.
 */
export function wholeLayerDistanceCodes(layer: LayerActivations | LayerValues, bins = DEFAULT_BINS, kernel?: KernelKind): DistanceCodes {
  return distanceCodes(layer.data, layer.count, layer.units * layer.channels, bins, kernel);
}

/**
 * The binned pair distances of a full symmetric `n × n` distance matrix (e.g. the one the
 * inter-sample entropy already computed for the same samples): the upper triangle in condensed
 * order, binned as `distanceCodes` bins, so equal distances give equal codes.
 */
export function distanceCodesFromMatrix(matrix: Float64Array, n: number, bins = DEFAULT_BINS, nonFiniteCount = 0): DistanceCodes {
  checkBins(bins);
  if (matrix.length !== n * n) throw new RangeError(`a distance matrix of ${n} samples needs ${n * n} values, got ${matrix.length}`);
  const pairs = (n * (n - 1)) / 2;
  const codes = bins <= 255 ? new Uint8Array(pairs) : new Uint16Array(pairs);
  const counts = new Float64Array(bins);
  // binCodes' rule (min–max over the pairs, then binOf) read in place: no condensed copy of 8 bytes a pair.
  let lo = Infinity;
  let hi = -Infinity;
  for (let m = 0; m < n; m++) {
    for (let k = m * n + m + 1; k < m * n + n; k++) {
      const v = matrix[k];
      if (v - v !== 0) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  for (let m = 0, p = 0; m < n; m++) {
    for (let k = m * n + m + 1; k < m * n + n; k++, p++) {
      const v = matrix[k];
      codes[p] = v - v !== 0 ? bins : binOf(v, lo, hi, bins);
      counts[codes[p]]++;
    }
  }
  return { n, bins, codes, entropyBits: pairs > 0 ? shannonEntropyBits(counts) : undefined, nonFiniteCount };
}

/**
 * Layer-level `I_pair(T; Y)` (estimators.md pairwise steps 1–2): the whole layer output as one
 * channel, its pair distances binned into `bins` bins exactly as the channel capacity does.
 */
export function pairwiseLabelInformation(
  layer: LayerActivations | LayerValues,
  labels: ArrayLike<number>,
  bins = DEFAULT_BINS,
  kernel?: KernelKind,
): number | undefined {
  checkBins(bins);
  const same = sameLabelPairs(labels);
  if (same.n !== layer.count) throw new RangeError(`there are ${same.n} labels for ${layer.count} inputs`);
  return pairwiseInformationFromCodes(wholeLayerDistanceCodes(layer, bins, kernel), same);
}

/**
 * Per-channel `I_pair(T_c; Y)` (estimators.md pairwise step 4, Fang et al.'s basic units),
 * single-threaded: one distance pass per channel. `ComputePool.layerDistanceCodes` gives the same
 * codes on every core; `pairwiseInformationFromCodes` turns them into bits.
 */
export function channelLabelInformation(
  layer: LayerActivations,
  labels: ArrayLike<number>,
  bins = DEFAULT_BINS,
  kernel?: KernelKind,
): (number | undefined)[] {
  checkBins(bins);
  const same = sameLabelPairs(labels);
  if (same.n !== layer.count) throw new RangeError(`there are ${same.n} labels for ${layer.count} inputs`);
  const out: (number | undefined)[] = [];
  for (let c = 0; c < layer.channels; c++) {
    out.push(pairwiseInformationFromCodes(distanceCodes(channelMatrix(layer, c), layer.count, layer.units, bins, kernel), same));
  }
  return out;
}

/** The channels whose value is below `UNINFORMATIVE_BITS` (undefined values are not counted), ascending. */
export function uninformativeChannels(bits: readonly (number | null | undefined)[]): number[] {
  const out: number[] = [];
  bits.forEach((b, c) => {
    if (b !== null && b !== undefined && b < UNINFORMATIVE_BITS) out.push(c);
  });
  return out;
}

/** The binning estimator's point of the information plane for one layer (estimators.md "Binning estimator"). */
export interface BinnedInformation {
  /** `I(X; T) = H(T)` in bits; `undefined` with fewer than 2 inputs. */
  ixtBits: number | undefined;
  /** `I(T; Y)` in bits; `undefined` with fewer than 2 inputs or one class only. */
  ityBits: number | undefined;
  /** Every input's symbol is distinct: the point sits at its ceilings `log2 N` and `H(Y)` and says nothing. */
  saturated: boolean;
  /** Distinct symbols among the inputs. */
  symbols: number;
  /** The ceilings: `log2 N` and `H(Y)` (undefined as the values are). */
  ixtCeilingBits: number | undefined;
  ityCeilingBits: number | undefined;
  /** Non-finite values found; each is a symbol value of its own (one past the last bin). */
  nonFiniteCount: number;
}

/**
 * The binning estimator (Shwartz-Ziv & Tishby; estimators.md): every value of the layer binned on
 * the layer's one min–max range into `bins` bins, each input's tuple of bins a symbol,
 * `I(X; T) = H(T)` and `I(T; Y) = H(T) - Σ_c (N_c / N) H(T | Y = c)`. In either layout: the range is
 * the whole layer's, and two inputs are one symbol when their codes are equal value for value,
 * whatever order every input's values share. `range`, where given, is that range found already
 * (channelEntropies' `range`, binning.ts `finiteRange` of every value of the layer): the same bins.
 */
export function binnedInformation(
  layer: LayerActivations | LayerValues,
  labels: ArrayLike<number>,
  bins = DEFAULT_PLANE_BINS,
  kernel?: KernelKind | BinningKernel,
  known?: FiniteRange,
): BinnedInformation {
  checkBins(bins);
  const n = layer.count;
  const classes = checkLabels(labels, n);
  const d = layer.units * layer.channels;
  const data = layer.data;
  const simd = data instanceof Float32Array ? binningKernelFor(kernel) : undefined;
  const range = known ?? (simd ? simd.finiteRange(data as Float32Array, 0, n * d) : finiteRange(data, 0, n * d));
  const { symbolOf, symbols } = binnedSymbols(data, n, d, bins, range.lo, range.hi, simd ?? 'js');
  const classCounts = new Float64Array(classes);
  for (let i = 0; i < n; i++) classCounts[labels[i]]++;
  const hY = n > 0 ? shannonEntropyBits(classCounts) : undefined;
  const result: BinnedInformation = {
    ixtBits: undefined,
    ityBits: undefined,
    saturated: false,
    symbols,
    ixtCeilingBits: n >= 2 ? Math.log2(n) : undefined,
    ityCeilingBits: n >= 2 && hY !== undefined && hY > 0 ? hY : undefined,
    nonFiniteCount: range.nonFiniteCount,
  };
  if (n < 2) return result;
  const counts = new Float64Array(symbols);
  for (let i = 0; i < n; i++) counts[symbolOf[i]]++;
  const hT = shannonEntropyBits(counts)!;
  result.ixtBits = hT;
  result.saturated = symbols === n;
  if (result.ityCeilingBits === undefined) return result;
  // H(T | Y = c) for each class, from the symbol counts of the class's inputs.
  let conditional = 0;
  const perClass = new Map<number, Map<number, number>>();
  for (let i = 0; i < n; i++) {
    let m = perClass.get(labels[i]);
    if (!m) perClass.set(labels[i], (m = new Map<number, number>()));
    m.set(symbolOf[i], (m.get(symbolOf[i]) ?? 0) + 1);
  }
  for (const [y, m] of perClass) conditional += (classCounts[y] / n) * shannonEntropyBits([...m.values()])!;
  const ity = hT - conditional;
  result.ityBits = ity > 0 ? ity : 0;
  return result;
}

/**
 * Numbers the distinct symbols of `n` inputs of `d` values, each value binned as `binOf(v, lo, hi,
 * bins)` and a non-finite one as `bins`: returns each input's symbol number (0, 1, … in order of
 * first appearance) and the number of symbols. Float32 data goes through the WebAssembly SIMD kernel
 * (binningKernel.ts: the same codes) unless `kernel` is `'js'`; `[lo, hi]` must then hold every
 * finite value (it is the data's finite range in binnedInformation), as the kernel reproduces binOf
 * there.
 *
 * Two inputs are one symbol when their codes are equal value for value, so the inputs are told apart
 * block of values by block ({@link refineSymbols}): an input whose codes so far no other input shares
 * is a symbol of its own, whatever its later values, and is binned no further. A deep layer at a few
 * hundred inputs is saturated (every input its own symbol) within its first block, so most of its
 * values are never binned; a layer whose inputs agree (a dead layer) is binned whole, as before.
 */
export function binnedSymbols(
  data: ArrayLike<number>,
  n: number,
  d: number,
  bins: number,
  lo: number,
  hi: number,
  kernel?: KernelKind | BinningKernel,
): { symbolOf: Int32Array; symbols: number } {
  if (data instanceof Float32Array) {
    const simd = binningKernelFor(kernel);
    const js = jsBlockCoder(data, d, bins, lo, hi);
    if (!simd) return refineSymbols(n, d, js);
    // The kernel refuses a block only when one input's values outgrow its memory: the JS loop codes that block.
    return refineSymbols(n, d, (inputs, from, to, visit) => {
      if (!simd.codeBlock(data, d, inputs, from, to, bins, lo, hi, visit)) js(inputs, from, to, visit);
    });
  }
  const values = data instanceof Float64Array ? data : Float64Array.from({ length: n * d }, (_, i) => data[i]);
  return refineSymbols(n, d, jsBlockCoder(values, d, bins, lo, hi));
}

/**
 * Codes values `from .. to` of the inputs `inputs` (each `d` values) and hashes each input's codes,
 * a group of inputs at a time: `visit(codes, hashes, first, rows)` sees `inputs[first .. first + rows]`,
 * row `r`'s codes at `codes[r · (to − from) ..]` (both views die with the call).
 */
type BlockCoder = (
  inputs: Int32Array,
  from: number,
  to: number,
  visit: (codes: Uint16Array, hashes: Int32Array, first: number, rows: number) => void,
) => void;

/** Codes a block holds at most (8 MB): its rows are coded and compared a group at a time within it. */
const BLOCK_CODES = 1 << 22;
/** Values of each input in the first block; each later block is four times as wide as the one before. */
const FIRST_BLOCK_VALUES = 64;

/**
 * {@link binnedSymbols}' numbering by refinement. The inputs start as one group; each block of
 * values splits every group by the codes of that block (hashed, then compared code by code, so a
 * hash collision never merges two groups), and an input left alone in its group is settled. Two
 * inputs end in one group exactly when every block's codes are equal, that is all their codes; the
 * groups are then numbered in order of their first input.
 */
function refineSymbols(n: number, d: number, code: BlockCoder): { symbolOf: Int32Array; symbols: number } {
  // Each input's group: group numbers are never reused, so a settled input keeps its own.
  const group = new Int32Array(n);
  let active = Int32Array.from({ length: n >= 2 && d > 0 ? n : 0 }, (_, i) => i);
  let groups = 1;
  let from = 0;
  let width = FIRST_BLOCK_VALUES;
  while (active.length && from < d) {
    const to = Math.min(d, from + Math.max(1, Math.min(width, Math.floor(BLOCK_CODES / active.length))));
    const w = to - from;
    const split = new Int32Array(active.length);
    // Per earlier group, its new groups by the hash of their block codes, and each new group's codes.
    const byGroup = new Map<number, Map<number, number[]>>();
    const codesOf = new Map<number, Uint16Array>();
    const members = new Map<number, number>();
    code(active, from, to, (codes, hashes, first, rows) => {
      for (let r = 0; r < rows; r++) {
        const earlier = group[active[first + r]];
        let byHash = byGroup.get(earlier);
        if (!byHash) byGroup.set(earlier, (byHash = new Map<number, number[]>()));
        const candidates = byHash.get(hashes[r]);
        let found = -1;
        if (candidates)
          for (const g of candidates)
            if (sameCodes(codesOf.get(g)!, 0, codes, r * w, w)) {
              found = g;
              break;
            }
        if (found < 0) {
          found = groups++;
          codesOf.set(found, codes.slice(r * w, (r + 1) * w));
          if (candidates) candidates.push(found);
          else byHash.set(hashes[r], [found]);
        }
        split[first + r] = found;
        members.set(found, (members.get(found) ?? 0) + 1);
      }
    });
    for (let k = 0; k < active.length; k++) group[active[k]] = split[k];
    active = active.filter((_, k) => members.get(split[k])! > 1);
    from = to;
    width *= 4;
  }
  const symbolOf = new Int32Array(n);
  const numbered = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    let s = numbered.get(group[i]);
    if (s === undefined) numbered.set(group[i], (s = numbered.size));
    symbolOf[i] = s;
  }
  return { symbolOf, symbols: numbered.size };
}

/**
 * Bins the `d` values `data[at ..]` of one input into `row[rowAt ..]` (the binned estimator's codes)
 * and returns their hash. A function of its own, small and called once per input, so that it is
 * compiled to fast code within the first input of a layer (the recorder's threads may meet it first
 * on LeNet's widest layer, 4,608 values per input). The bin arithmetic is `binOf`'s, operation for
 * operation (the same codes), inlined because this loop may read every value of a layer.
 */
function binRow(
  data: Float32Array | Float64Array,
  at: number,
  d: number,
  row: Uint16Array,
  rowAt: number,
  bins: number,
  lo: number,
  span: number,
  flat: boolean,
): number {
  const last = bins - 1;
  let h = 0x811c9dc5 ^ d;
  for (let u = 0, o = at, k = rowAt; u < d; u++, o++, k++) {
    const v = data[o];
    let code: number;
    if (v - v !== 0) code = bins;
    // v === lo gives bin 0 exactly (0 / span = 0, 0 · 2 - 1 = -1, (-1 + 1) / 2 · bins = 0): ReLU zeros skip the division.
    else if (flat || v === lo) code = 0;
    else {
      const z = ((v - lo) / span) * 2 - 1;
      const b = Math.floor(((z + 1) / 2) * bins);
      code = b < last ? b : last;
    }
    row[k] = code;
    h = Math.imul(h ^ code, 0x01000193);
  }
  return h;
}

/** The plain-JS {@link BlockCoder} (the reference the kernel's codes and hashes are tested against). */
function jsBlockCoder(data: Float32Array | Float64Array, d: number, bins: number, lo: number, hi: number): BlockCoder {
  const span = hi - lo;
  const flat = hi === lo;
  return (inputs, from, to, visit) => {
    const w = to - from;
    const rows = Math.max(1, Math.min(inputs.length, Math.floor(BLOCK_CODES / Math.max(w, 1))));
    const codes = new Uint16Array(rows * w);
    const hashes = new Int32Array(rows);
    for (let first = 0; first < inputs.length; first += rows) {
      const count = Math.min(rows, inputs.length - first);
      for (let r = 0; r < count; r++) hashes[r] = binRow(data, inputs[first + r] * d + from, w, codes, r * w, bins, lo, span, flat);
      visit(codes, hashes, first, count);
    }
  };
}

/** Whether `a[aAt ..]` and `b[bAt ..]` hold the same `d` codes. */
function sameCodes(a: Uint16Array, aAt: number, b: Uint16Array, bAt: number, d: number): boolean {
  for (let u = 0; u < d; u++) if (a[aAt + u] !== b[bAt + u]) return false;
  return true;
}

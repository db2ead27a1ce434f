/**
 * Channels of a layer grouped by what they respond to (the CNNVis-style network view;
 * estimators.md "Channel clusters"): each channel's activation profile is its mean activation per
 * probe input, channels are compared by the correlation distance of their profiles, and average
 * linkage agglomerative clustering (UPGMA) cuts them into K clusters.
 *
 * Why the mean per input and not the flattened feature maps: a channel "responds to" an input when
 * its map is strong for that input wherever the feature sits, so two channels that detect the same
 * thing at different positions should fall together; flattened maps would compare positions
 * instead, and would cost H·W times more. The mean also makes profiles of layers with maps of
 * different sizes alike, and is what the cluster's top inputs and class means are read from.
 *
 * Why agglomerative: it draws nothing at random (the answer depends on the activations alone, the
 * same on every machine) and average linkage on correlation distance separates groups of channels
 * that are alike without assuming round clusters of equal size, as k-means would.
 */
import type { KernelKind } from './distances';
import type { LayerActivations, LayerValues } from './layout';
import { bytes as profileDotsBytes } from './wasm/profileDotsWasm';
import { compiledOnce, growTo, instantiate, type KernelMemory } from './wasmModules';

/** The default number of clusters of a layer with `channels` channels: about √channels, at least 1. */
export function defaultClusterCount(channels: number): number {
  return Math.max(1, Math.min(channels, Math.round(Math.sqrt(channels))));
}

/**
 * Each channel's mean activation per input: row-major `[channels, count]` (row `c` is channel `c`'s
 * profile over the inputs). A feature map with a non-finite value has a NaN mean; clusterChannels
 * treats such a channel as one whose correlation is undefined.
 */
export function channelProfiles(layer: LayerActivations | LayerValues, kernel?: KernelKind): Float64Array {
  const { count, units, channels, data } = layer;
  const out = new Float64Array(channels * count);
  if (layer.channelsFirst) {
    // Each feature map contiguous: its values summed in order, as the channels-last paths sum them.
    for (let n = 0, i = 0; n < count; n++)
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (const end = i + units; i < end; i++) sum += data[i];
        out[c * count + n] = units > 0 ? sum / units : NaN;
      }
    return out;
  }
  const wasm = kernel === 'js' ? undefined : profileDotsKernel();
  if (kernel === 'wasm-simd' && !wasm) throw new Error('WebAssembly is not available in this runtime');
  if (wasm && data instanceof Float32Array && units > 0) wasm.profiles(data, count, units, channels, out);
  else if (data instanceof Float32Array) profiles32(data, count, units, channels, out);
  else profilesAny(data, count, units, channels, out);
  return out;
}

/**
 * Bytes of float32 activations `channelProfiles` copies into the kernel's memory at a time: whole
 * inputs up to this (one input at least), so that the kernel's memory, which never shrinks, stays
 * small whatever the layer.
 */
const PROFILE_BLOCK_BYTES = 4 * 1024 * 1024;

/**
 * `channelProfiles` of float32 activations (activations are; a loop of its own stays monomorphic):
 * four channels a trip, each summed in its own register over the units in order — the sums, and
 * so the means, of one channel at a time, bit for bit.
 */
function profiles32(data: Float32Array, count: number, units: number, channels: number, out: Float64Array): void {
  const block = units * channels;
  const quads = channels - (channels % 4);
  for (let n = 0; n < count; n++) {
    const base = n * block;
    const end = base + block;
    for (let c = 0; c < quads; c += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = base + c; i < end; i += channels) {
        s0 += data[i];
        s1 += data[i + 1];
        s2 += data[i + 2];
        s3 += data[i + 3];
      }
      out[c * count + n] = units > 0 ? s0 / units : NaN;
      out[(c + 1) * count + n] = units > 0 ? s1 / units : NaN;
      out[(c + 2) * count + n] = units > 0 ? s2 / units : NaN;
      out[(c + 3) * count + n] = units > 0 ? s3 / units : NaN;
    }
    for (let c = quads; c < channels; c++) {
      let sum = 0;
      for (let i = base + c; i < end; i += channels) sum += data[i];
      out[c * count + n] = units > 0 ? sum / units : NaN;
    }
  }
}

/** `channelProfiles` of any other array: one input's values read in memory order, all channels together. */
function profilesAny(data: ArrayLike<number>, count: number, units: number, channels: number, out: Float64Array): void {
  const sums = new Float64Array(channels);
  for (let n = 0; n < count; n++) {
    sums.fill(0);
    for (let p = 0, i = n * units * channels; p < units; p++) for (let c = 0; c < channels; c++, i++) sums[c] += data[i];
    for (let c = 0; c < channels; c++) out[c * count + n] = units > 0 ? sums[c] / units : NaN;
  }
}

export interface ChannelClustering {
  /** Cluster of each channel, `0..clusters.length-1`. */
  assignment: Int32Array;
  /** Member channels of each cluster, ascending; clusters ordered by their smallest member. */
  clusters: number[][];
  /** Channels whose correlation with others is undefined (constant profile or a non-finite value); they share one cluster. */
  constantChannels: number[];
}

/**
 * Clusters `channels` profiles of `count` values each (row-major `[channels, count]`, as
 * channelProfiles gives) into `k` clusters (fewer only when there are fewer channels, or when
 * every channel is constant): average linkage on the correlation distance `1 − r`.
 *
 * A constant profile (or one with a non-finite value) has no correlation: such channels are at
 * distance 0 from each other and 1 (uncorrelated) from every other channel, so they merge first
 * into one cluster and join the others only when `k` leaves no room — never a NaN distance.
 * Deterministic: equal distances are broken by the lower channel index.
 */
export function clusterChannels(
  profiles: ArrayLike<number>,
  channels: number,
  count: number,
  k: number,
  kernel?: KernelKind,
): ChannelClustering {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`the number of clusters must be a positive integer, got ${k}`);
  const { distance, constant } = correlationDistanceMatrix(profiles, channels, count, kernel);
  const constantChannels: number[] = [];
  for (let c = 0; c < channels; c++) if (constant[c]) constantChannels.push(c);
  const assignment = averageLinkage(distance, channels, k, constantChannels);
  // Number the clusters by their smallest member, so that the numbering does not depend on merge order.
  const clusters: number[][] = [];
  const numberOf = new Map<number, number>();
  for (let c = 0; c < channels; c++) {
    let id = numberOf.get(assignment[c]);
    if (id === undefined) {
      id = clusters.length;
      numberOf.set(assignment[c], id);
      clusters.push([]);
    }
    clusters[id].push(c);
    assignment[c] = id;
  }
  return { assignment, clusters, constantChannels };
}

/**
 * The `[channels, channels]` correlation distances `1 − r` of the profiles (row-major `[channels,
 * count]`) that clusterChannels links, and which channels are constant: the dot products in
 * WebAssembly SIMD (wasm/profileDots.wat) where the engine has it, else in JavaScript, with the
 * same bits (`kernel` picks one, for tests).
 */
export function correlationDistanceMatrix(
  profiles: ArrayLike<number>,
  channels: number,
  count: number,
  kernel?: KernelKind,
): { distance: Float64Array; constant: Uint8Array } {
  if (profiles.length !== channels * count)
    throw new RangeError(`${channels} profiles of ${count} values need ${channels * count} values, got ${profiles.length}`);
  const unit = standardise(profiles, channels, count);
  return { distance: correlationDistances(unit.rows, unit.constant, channels, count, kernel), constant: unit.constant };
}

/**
 * Each profile centred and scaled to unit length, so that a dot product is the correlation.
 * `constant[c]` marks a profile without a defined correlation: its spread is zero (up to rounding
 * relative to its size) or it has a non-finite value; its row stays zero.
 */
function standardise(profiles: ArrayLike<number>, channels: number, count: number): { rows: Float64Array; constant: Uint8Array } {
  const rows = new Float64Array(channels * count);
  const constant = new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    const base = c * count;
    let sum = 0;
    let largest = 0;
    for (let n = 0; n < count; n++) {
      const v = profiles[base + n];
      sum += v;
      if (Math.abs(v) > largest) largest = Math.abs(v);
    }
    const mean = sum / count;
    let squares = 0;
    for (let n = 0; n < count; n++) {
      const d = profiles[base + n] - mean;
      rows[base + n] = d;
      squares += d * d;
    }
    const norm = Math.sqrt(squares);
    // Rounding in the means leaves a spread of about 1e-16 of their size on a truly constant channel.
    if (!(norm > 1e-12 * Math.max(largest, Number.MIN_VALUE) * Math.sqrt(count)) || count < 2) {
      constant[c] = 1;
      rows.fill(0, base, base + count);
      continue;
    }
    for (let n = 0; n < count; n++) rows[base + n] /= norm;
  }
  return { rows, constant };
}

/**
 * The full `[channels, channels]` matrix of correlation distances `1 − r` in [0, 2]; constant
 * channels as clusterChannels says. Four pairs a trip (`a` against `b … b + 3`), each dot product
 * summed in its own register in order: the same bits as one pair at a time, four times the
 * independent additions in flight.
 */
function correlationDistances(
  rows: Float64Array,
  constant: Uint8Array,
  channels: number,
  count: number,
  kernel?: KernelKind,
): Float64Array {
  const d = new Float64Array(channels * channels);
  const dots = new Float64Array(4);
  const set = (a: number, b: number, dot: number) => {
    const value = constant[a] || constant[b] ? (constant[a] && constant[b] ? 0 : 1) : Math.min(2, Math.max(0, 1 - dot));
    d[a * channels + b] = value;
    d[b * channels + a] = value;
  };
  const wasm = kernel === 'js' ? undefined : profileDotsKernel();
  if (kernel === 'wasm-simd' && !wasm) throw new Error('WebAssembly is not available in this runtime');
  if (wasm && channels > 1) {
    const { pad, out } = wasm.dots(rows, channels, count);
    for (let a = 0; a < channels; a++) for (let b = a + 1; b < channels; b++) set(a, b, out[a * pad + b]);
    return d;
  }
  for (let a = 0; a < channels; a++) {
    const i0 = a * count;
    let b = a + 1;
    for (; b + 3 < channels; b += 4) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let n = 0, j = b * count; n < count; n++, j++) {
        const x = rows[i0 + n];
        s0 += x * rows[j];
        s1 += x * rows[j + count];
        s2 += x * rows[j + 2 * count];
        s3 += x * rows[j + 3 * count];
      }
      dots[0] = s0;
      dots[1] = s1;
      dots[2] = s2;
      dots[3] = s3;
      for (let k = 0; k < 4; k++) set(a, b + k, dots[k]);
    }
    for (; b < channels; b++) {
      let dot = 0;
      for (let n = 0, i = i0, j = b * count; n < count; n++, i++, j++) dot += rows[i] * rows[j];
      set(a, b, dot);
    }
  }
  return d;
}

interface ProfileDotsExports {
  memory: KernelMemory;
  dots(rows: number, t: number, channels: number, pad: number, count: number, out: number): void;
  sums(x: number, inputs: number, units: number, channels: number, out: number): void;
}

const compileProfileDots = compiledOnce(profileDotsBytes);
let profileDots:
  | {
      dots: (rows: Float64Array, channels: number, count: number) => { pad: number; out: Float64Array };
      profiles: (data: Float32Array, count: number, units: number, channels: number, out: Float64Array) => void;
    }
  | null
  | undefined;

/**
 * This thread's profile kernels (wasm/profileDots.wat), or null without WebAssembly SIMD: `dots`
 * gives every pair's dot product of the unit rows at `out[a·pad + b]` for b > a (a view of the
 * kernel's memory, valid until the next call); `profiles` writes `channelProfiles` of float32
 * activations with `units > 0` into `out`, bit for bit profiles32's (the sums in the same order,
 * each divided by `units` here).
 */
function profileDotsKernel(): typeof profileDots {
  if (profileDots === undefined) {
    const module = compileProfileDots();
    if (module) {
      const kernel = instantiate<ProfileDotsExports>(module);
      profileDots = {
        dots: (rows, channels, count) => {
          const pad = Math.ceil(channels / 16) * 16;
          // Memory: [rows: channels × count][rows transposed: count × pad, columns past the channels zero][out: channels × pad].
          const tAt = rows.length * 8;
          const outAt = tAt + count * pad * 8;
          const mem = growTo(kernel.memory, outAt + channels * pad * 8);
          new Float64Array(mem, 0, rows.length).set(rows);
          const t = new Float64Array(mem, tAt, count * pad).fill(0);
          for (let c = 0; c < channels; c++) for (let n = 0, i = c * count; n < count; n++, i++) t[n * pad + c] = rows[i];
          kernel.dots(0, tAt, channels, pad, count, outAt);
          return { pad, out: new Float64Array(mem, outAt, channels * pad) };
        },
        profiles: (data, count, units, channels, out) => {
          const per = units * channels;
          const block = Math.max(1, Math.min(count, Math.floor(PROFILE_BLOCK_BYTES / (4 * per))));
          // Memory: [a block of inputs' values: block × units × channels float32][their sums: block × channels float64].
          const sumsAt = Math.ceil((block * per * 4) / 16) * 16;
          const mem = growTo(kernel.memory, sumsAt + block * channels * 8);
          for (let n0 = 0; n0 < count; n0 += block) {
            const inputs = Math.min(block, count - n0);
            new Float32Array(mem, 0, inputs * per).set(data.subarray(n0 * per, (n0 + inputs) * per));
            kernel.sums(0, inputs, units, channels, sumsAt);
            const sums = new Float64Array(mem, sumsAt, inputs * channels);
            for (let k = 0; k < inputs; k++) for (let c = 0; c < channels; c++) out[c * count + n0 + k] = sums[k * channels + c] / units;
          }
        },
      };
    } else profileDots = null;
  }
  return profileDots;
}

/**
 * Average linkage (UPGMA) down to `k` clusters (fewer when there are fewer items) on a full distance
 * matrix (overwritten), the items `together` merged into one cluster first. Each active cluster
 * keeps its nearest neighbour, so a merge costs O(n) plus the rows whose neighbour it changed:
 * O(n²) in practice. Returns each item's cluster as the index of a representative item.
 */
function averageLinkage(d: Float64Array, n: number, k: number, together: readonly number[]): Int32Array {
  const owner = Int32Array.from({ length: n }, (_, i) => i);
  const size = new Float64Array(n).fill(1);
  const active = new Uint8Array(n).fill(1);
  const nearest = new Int32Array(n).fill(-1);
  const nearestDistance = new Float64Array(n).fill(Infinity);
  const findNearest = (i: number) => {
    let best = -1;
    let bestDistance = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i || !active[j]) continue;
      const v = d[i * n + j];
      if (v < bestDistance) {
        bestDistance = v;
        best = j;
      }
    }
    nearest[i] = best;
    nearestDistance[i] = bestDistance;
  };
  for (let i = 0; i < n; i++) findNearest(i);
  let clusters = n;
  const merge = (a: number, b: number) => {
    // Merge b into a: the distance of the union to any other cluster is the size-weighted mean.
    active[b] = 0;
    for (let j = 0; j < n; j++) {
      if (!active[j] || j === a) continue;
      const v = (size[a] * d[a * n + j] + size[b] * d[b * n + j]) / (size[a] + size[b]);
      d[a * n + j] = v;
      d[j * n + a] = v;
    }
    size[a] += size[b];
    for (let i = 0; i < n; i++) if (owner[i] === b) owner[i] = a;
    findNearest(a);
    for (let j = 0; j < n; j++) {
      if (!active[j] || j === a) continue;
      if (nearest[j] === a || nearest[j] === b) findNearest(j);
      else if (d[j * n + a] < nearestDistance[j] || (d[j * n + a] === nearestDistance[j] && a < nearest[j])) {
        nearest[j] = a;
        nearestDistance[j] = d[j * n + a];
      }
    }
    clusters--;
  };
  for (let t = 1; t < together.length; t++) merge(together[0], together[t]);
  while (clusters > k) {
    // The closest pair: the lowest nearest-neighbour distance, ties to the lowest index.
    let a = -1;
    for (let i = 0; i < n; i++) if (active[i] && (a < 0 || nearestDistance[i] < nearestDistance[a])) a = i;
    const b = nearest[a];
    merge(Math.min(a, b), Math.max(a, b));
  }
  return owner;
}

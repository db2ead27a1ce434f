/**
 * Reproducible randomness for input subsets (paper 4.3: slicing the input axis `x` of the
 * hypercube). Everything that draws inputs takes a seed, so a slice can be named and re-drawn.
 */

/** mulberry32: a small, fast 32-bit generator; returns floats in [0, 1). Same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` distinct items of `items` drawn uniformly without replacement with the given seed (a
 * partial Fisher–Yates shuffle), returned in ascending order of their position in `items`.
 * `count` larger than the list returns all of it.
 */
export function sampleWithoutReplacement(items: ArrayLike<number>, count: number, seed: number): number[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const pool = Array.from(items);
  const m = Math.min(count, pool.length);
  const random = seededRandom(seed);
  const picked: number[] = [];
  const positions = pool.map((_, i) => i);
  for (let t = 0; t < m; t++) {
    const r = t + Math.floor(random() * (pool.length - t));
    [positions[t], positions[r]] = [positions[r], positions[t]];
    picked.push(positions[t]);
  }
  return picked.sort((a, b) => a - b).map((p) => pool[p]);
}

/** Indices of the inputs of each class: `byClass[k]` lists, in order, the inputs labelled `k`. */
export function indicesByClass(labels: ArrayLike<number>, classes: number): number[][] {
  const out: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) out[labels[i]]?.push(i);
  return out;
}

/** {@link gatherRows}, keeping a Float32Array float32 (half the memory of a float64 copy, same distances). */
export function gatherSampleRows(values: ArrayLike<number>, d: number, rows: readonly number[]): ArrayLike<number> {
  if (!(values instanceof Float32Array)) return gatherRows(values, d, rows);
  const out = new Float32Array(rows.length * d);
  rows.forEach((row, k) => out.set(values.subarray(row * d, row * d + d), k * d));
  return out;
}

/** Copies the rows `indices` of a row-major `[n, d]` array. */
export function gatherRows(values: ArrayLike<number>, d: number, indices: readonly number[]): Float64Array {
  const out = new Float64Array(indices.length * d);
  indices.forEach((row, k) => {
    for (let t = 0; t < d; t++) out[k * d + t] = values[row * d + t];
  });
  return out;
}

/** Rows `indices` of a row-major `[n, per]` float32 array, as they are (no float64 detour, as {@link gatherRows} takes: it cost a ResNet-18's network graph seconds). */
export function gatherFloat32(values: Float32Array, per: number, indices: readonly number[]): Float32Array {
  const out = new Float32Array(indices.length * per);
  indices.forEach((row, k) => out.set(values.subarray(row * per, row * per + per), k * per));
  return out;
}

/**
 * One fixed permutation of `count` positions from the seed (Fisher–Yates from the end with
 * {@link seededRandom}): `permutation[i]` is the source position of position i. Same seed, same
 * permutation (the control experiment's shuffles, src/data/control.ts; the PyTorch recorder's
 * python/cnn_slicer/control.py, held to it by the known answers of python/cnn_slicer/contract.json).
 */
export function seededPermutation(count: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const random = seededRandom(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** The seed of stream `stream` of a run's seed: draws of one stream are apart from another's (32-bit, golden-ratio spread). */
export function streamSeed(seed: number, stream: number): number {
  return (seed + Math.imul(stream, 0x9e3779b9)) >>> 0;
}

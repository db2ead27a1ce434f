/**
 * The inter-sample entropy's stages written the plain, scalar way: Math.exp one value at a time, a
 * last pass for the weights, the selection for every row and the transposed lists for every
 * symmetrisation. The σ search's WebAssembly kernel and the all-neighbour paths are only faster
 * ways to the same numbers, so the tests check that they give these functions' bits exactly.
 */
import { cleanSamples, DistanceKernel, distanceMatrix, kthSmallest, neighbourCount } from '../../src/analysis';

export function solveScalar(d: Float64Array, offset: number, K: number, weights: Float64Array): number {
  const target = Math.log2(K);
  let zeros = 0;
  let sumD = 0;
  for (let j = offset; j < offset + K; j++) {
    if (d[j] === 0) zeros++;
    sumD += d[j];
  }
  if (zeros === K) {
    weights.fill(1, offset, offset + K);
    return Infinity;
  }
  if (zeros >= target) {
    for (let j = offset; j < offset + K; j++) weights[j] = d[j] === 0 ? 1 : 0;
    return 0;
  }
  const lnTarget = Math.log(target);
  let beta = (K - target) / sumD;
  for (let iter = 0; iter < 200; iter++) {
    let g = 0;
    let g1 = 0;
    for (let j = offset; j < offset + K; j++) {
      const e = Math.exp(-d[j] * beta);
      g += e;
      g1 += d[j] * e;
    }
    if (Math.abs(g - target) <= 1e-9 * target || g1 === 0) break;
    const next = beta + ((Math.log(g) - lnTarget) * g) / g1;
    if (!(next > beta)) break;
    beta = next;
  }
  for (let j = offset; j < offset + K; j++) weights[j] = Math.exp(-d[j] * beta);
  return 1 / beta;
}

/** The neighbours of row `i` (length n) and their weights, by selection, as before. */
export function selectScalar(row: Float64Array, i: number, K: number, indices: Int32Array, weights: Float64Array, outOffset: number): void {
  const n = row.length;
  const scratch = new Float64Array(n - 1);
  let m = 0;
  for (let j = 0; j < n; j++) if (j !== i) scratch[m++] = row[j];
  const threshold = kthSmallest(scratch, m, K - 1);
  const nearest = new Float64Array(K);
  const ties: number[] = [];
  let taken = 0;
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    if (row[j] < threshold) {
      indices[outOffset + taken] = j;
      nearest[taken++] = row[j];
    } else if (row[j] === threshold) ties.push(j);
  }
  for (let t = 0; taken < K && t < ties.length; t++) {
    indices[outOffset + taken] = ties[t];
    nearest[taken++] = threshold;
  }
  for (let a = 1; a < K; a++) {
    const idx = indices[outOffset + a];
    if (idx > indices[outOffset + a - 1]) continue;
    const v = nearest[a];
    let b = a - 1;
    while (b >= 0 && indices[outOffset + b] > idx) {
      indices[outOffset + b + 1] = indices[outOffset + b];
      nearest[b + 1] = nearest[b];
      b--;
    }
    indices[outOffset + b + 1] = idx;
    nearest[b + 1] = v;
  }
  solveScalar(nearest, 0, K, nearest);
  weights.set(nearest, outOffset);
}

export function symmetricScalar(n: number, K: number, indices: Int32Array, weights: Float64Array): number | undefined {
  if (K < 2 || n < 3) return undefined;
  const start = new Int32Array(n + 1);
  for (let e = 0; e < n * K; e++) start[indices[e] + 1]++;
  for (let j = 0; j < n; j++) start[j + 1] += start[j];
  const fill = start.slice(0, n);
  const tSource = new Int32Array(n * K);
  const tWeight = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    for (let e = i * K; e < i * K + K; e++) {
      const slot = fill[indices[e]]++;
      tSource[slot] = i;
      tWeight[slot] = weights[e];
    }
  }
  const acc = new Float64Array(n);
  const seen = new Uint8Array(n);
  const touched = new Int32Array(n);
  let total = 0;
  let sumQLogQ = 0;
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let e = i * K; e < i * K + K; e++) {
      const j = indices[e];
      if (!seen[j]) {
        seen[j] = 1;
        touched[t++] = j;
      }
      acc[j] += weights[e];
    }
    for (let s = start[i]; s < start[i + 1]; s++) {
      const j = tSource[s];
      if (!seen[j]) {
        seen[j] = 1;
        touched[t++] = j;
      }
      acc[j] += tWeight[s];
    }
    for (let u = 0; u < t; u++) {
      const j = touched[u];
      const q = acc[j];
      if (q > 0) {
        total += q;
        sumQLogQ += q * Math.log2(q);
      }
      acc[j] = 0;
      seen[j] = 0;
    }
  }
  if (total === 0) return undefined;
  const h = Math.log2(total) - sumQLogQ / total;
  return h > 0 ? h : 0;
}

/** The whole single-threaded inter-sample entropy as before. */
export function interSampleScalar(values: ArrayLike<number>, n: number, d: number, k: number): number | undefined {
  const K = neighbourCount(n, k);
  if (K < 2) return undefined;
  const clean = cleanSamples(values, n, d);
  const kernel = new DistanceKernel(clean.data, n, clean.d);
  const matrix = distanceMatrix(kernel);
  kernel.dispose();
  const indices = new Int32Array(n * K);
  const weights = new Float64Array(n * K);
  for (let i = 0; i < n; i++) selectScalar(matrix.subarray(i * n, i * n + n), i, K, indices, weights, i * K);
  // A sample with at least K others at distance 0 has no σ: the entropy is undefined (estimators.md step 3).
  for (let i = 0; i < n; i++) {
    let zeros = 0;
    for (let j = 0; j < n; j++) if (j !== i && matrix[i * n + j] === 0) zeros++;
    if (zeros >= K) return undefined;
  }
  return symmetricScalar(n, K, indices, weights);
}

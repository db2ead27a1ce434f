/**
 * Straightforward reference implementations of the estimators, written directly from
 * docs/estimators.md with no optimisation (O(N²) memory, bisection, sorting), for the
 * known-answer tests to compare the fast code against.
 */

export function referenceInterSample(x: number[][], k: number): number | undefined {
  const n = x.length;
  const K = Math.min(k, n - 1);
  if (K < 2) return undefined;
  const d = x.map((a) => x.map((b) => Math.sqrt(a.reduce((s, v, t) => s + (v - b[t]) ** 2, 0))));
  const P = x.map(() => new Array<number>(n).fill(0));
  const target = Math.log2(K);
  for (let i = 0; i < n; i++) {
    const order = [...Array(n).keys()]
      .filter((j) => j !== i)
      .sort((a, b) => d[i][a] - d[i][b] || a - b)
      .slice(0, K);
    const sum = (sigma: number) => order.reduce((s, j) => s + Math.exp(-d[i][j] / sigma), 0);
    // Every neighbour at distance 0: no σ solves equation 5, so the entropy is undefined (estimators.md step 3).
    if (order.every((j) => d[i][j] === 0)) return undefined;
    // The zero distances alone reach the target: the σ → 0 limit, weight 1 at distance 0, else 0.
    if (order.filter((j) => d[i][j] === 0).length >= target) {
      for (const j of order) P[i][j] = d[i][j] === 0 ? 1 : 0;
      continue;
    }
    // Bisection on sigma in a bracket that surely contains the root.
    let lo = 1e-300;
    let hi = 1;
    while (sum(hi) < target) hi *= 2;
    let sigma = hi;
    for (let it = 0; it < 2000; it++) {
      sigma = (lo + hi) / 2;
      const s = sum(sigma);
      if (Math.abs(s - target) / target < 1e-13) break;
      if (s > target) hi = sigma;
      else lo = sigma;
    }
    for (const j of order) P[i][j] = Math.exp(-d[i][j] / sigma);
  }
  let total = 0;
  const q: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const v = (P[i][j] + P[j][i]) / (2 * n);
      if (v > 0) {
        q.push(v);
        total += v;
      }
    }
  return -q.reduce((s, v) => s + (v / total) * Math.log2(v / total), 0);
}

export function referenceBins(values: number[], bins: number): number[] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => {
    if (hi === lo) return 0;
    const z = ((v - lo) / (hi - lo)) * 2 - 1;
    return Math.min(bins - 1, Math.floor(((z + 1) / 2) * bins));
  });
}

export function entropyOfCounts(counts: number[]): number {
  const t = counts.reduce((a, b) => a + b, 0);
  return -counts.filter((c) => c > 0).reduce((s, c) => s + (c / t) * Math.log2(c / t), 0);
}

export function referenceCapacity(a: number[][], b: number[][], bins: number): number {
  const n = a.length;
  const dist = (m: number[][], i: number, j: number) => Math.sqrt(m[i].reduce((s, v, t) => s + (v - m[j][t]) ** 2, 0));
  const dA: number[] = [];
  const dB: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      dA.push(dist(a, i, j));
      dB.push(dist(b, i, j));
    }
  const bA = referenceBins(dA, bins);
  const bB = referenceBins(dB, bins);
  const joint = new Array<number>(bins * bins).fill(0);
  const mA = new Array<number>(bins).fill(0);
  const mB = new Array<number>(bins).fill(0);
  bA.forEach((x, p) => {
    joint[x * bins + bB[p]]++;
    mA[x]++;
    mB[bB[p]]++;
  });
  return entropyOfCounts(mA) + entropyOfCounts(mB) - entropyOfCounts(joint);
}

/**
 * `I_pair(T; Y)` straight from estimators.md: every pair's distance computed directly, binned on
 * its own range, the same-label indicator, and `H(D) + H(S) - H(D, S)` from the B × 2 joint.
 */
export function referencePairwiseLabelInformation(t: number[][], labels: number[], bins: number): number | undefined {
  const n = t.length;
  const d: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      d.push(Math.sqrt(t[i].reduce((sum, v, k) => sum + (v - t[j][k]) ** 2, 0)));
      s.push(labels[i] === labels[j] ? 1 : 0);
    }
  const same = s.filter((x) => x === 1).length;
  if (d.length === 0 || same === 0 || same === s.length) return undefined;
  const b = referenceBins(d, bins);
  const joint = new Array<number>(bins * 2).fill(0);
  const mD = new Array<number>(bins).fill(0);
  b.forEach((x, p) => {
    joint[x * 2 + s[p]]++;
    mD[x]++;
  });
  return entropyOfCounts(mD) + entropyOfCounts([same, s.length - same]) - entropyOfCounts(joint);
}

/**
 * The binning estimator straight from estimators.md: one min–max range over the whole layer, each
 * input's bins joined into a string symbol, `H(T)` and `H(T) - Σ_c p_c H(T | Y = c)`.
 */
export function referenceBinnedInformation(
  t: number[][],
  labels: number[],
  bins: number,
): { ixt: number; ity: number; saturated: boolean } {
  const n = t.length;
  const flat = t.flat();
  const lo = Math.min(...flat);
  const hi = Math.max(...flat);
  const bin = (v: number) => (hi === lo ? 0 : Math.min(bins - 1, Math.floor(((((v - lo) / (hi - lo)) * 2 - 1 + 1) / 2) * bins)));
  const symbols = t.map((row) => row.map(bin).join(','));
  const entropyOf = (list: string[]) => {
    const counts = new Map<string, number>();
    for (const x of list) counts.set(x, (counts.get(x) ?? 0) + 1);
    return entropyOfCounts([...counts.values()]);
  };
  const ixt = entropyOf(symbols);
  let conditional = 0;
  for (const c of new Set(labels)) {
    const members = symbols.filter((_, i) => labels[i] === c);
    conditional += (members.length / n) * entropyOf(members);
  }
  return { ixt, ity: ixt - conditional, saturated: new Set(symbols).size === n };
}

/** Seeded test data (the project's own mulberry32), so tests never depend on Math.random. */
export { seededRandom as rng } from '../../src/analysis/random';

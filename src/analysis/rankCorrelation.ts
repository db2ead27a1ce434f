/**
 * Spearman's rank correlation and its permutation p-value (estimators.md "Channel importance"):
 * how well an information measure of a layer's channels orders them by what ablating them costs.
 */
import { seededRandom } from './random';

/** Permutations a p-value is estimated from by default. */
export const DEFAULT_PERMUTATIONS = 9999;

/** Ranks 1..n of `values`, ties given the mean of the ranks they span. */
export function averageRanks(values: readonly number[]): Float64Array {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson's correlation of two equally long arrays; undefined when either is constant or shorter than 2. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | undefined {
  const n = x.length;
  if (n < 2) return undefined;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : undefined;
}

export interface RankCorrelation {
  /** Spearman's ρ: Pearson's correlation of the average ranks; undefined with fewer than 3 pairs or a constant side. */
  rho: number | undefined;
  /**
   * Two-sided permutation p-value: (1 + #{permutations with |ρ'| ≥ |ρ|}) / (1 + permutations), the
   * ranks of y shuffled with a fixed seed; undefined when ρ is.
   */
  pValue: number | undefined;
  /** Pairs where both values are finite: the ones the correlation is over. */
  count: number;
  permutations: number;
}

/**
 * Spearman's ρ of `x` against `y` over the positions where both are finite numbers (null,
 * undefined and NaN are left out), and its permutation p-value.
 */
export function spearman(
  x: readonly (number | null | undefined)[],
  y: readonly (number | null | undefined)[],
  options: { permutations?: number; seed?: number } = {},
): RankCorrelation {
  if (x.length !== y.length) throw new RangeError(`spearman needs equally long lists, got ${x.length} and ${y.length}`);
  const permutations = options.permutations ?? DEFAULT_PERMUTATIONS;
  const xs: number[] = [];
  const ys: number[] = [];
  x.forEach((a, i) => {
    const b = y[i];
    if (typeof a === 'number' && Number.isFinite(a) && typeof b === 'number' && Number.isFinite(b)) {
      xs.push(a);
      ys.push(b);
    }
  });
  const count = xs.length;
  const rx = averageRanks(xs);
  const ry = averageRanks(ys);
  const rho = count >= 3 ? pearson(rx, ry) : undefined;
  if (rho === undefined) return { rho, pValue: undefined, count, permutations };
  const random = seededRandom(options.seed ?? 0);
  const shuffled = Float64Array.from(ry);
  const observed = Math.abs(rho) - 1e-12; // a permutation that ties ρ counts, whatever the rounding
  let atLeast = 0;
  for (let p = 0; p < permutations; p++) {
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = shuffled[i];
      shuffled[i] = shuffled[j];
      shuffled[j] = t;
    }
    if (Math.abs(pearson(rx, shuffled) ?? 0) >= observed) atLeast++;
  }
  return { rho, pValue: (1 + atLeast) / (1 + permutations), count, permutations };
}

/**
 * Near-duplicate channels (estimators.md "Findings"): a pair (c, d) of one layer is a near-duplicate
 * when its channel capacity is at least 0.9 of the smaller of the two channels' own capacities
 * (the diagonal C(c, c) = H of c's binned pair distances). A pair's capacity never exceeds either
 * diagonal, so the ratio is 1 for channels whose pair distances tell the same story.
 */

/** A pair is a near-duplicate at this share of the smaller diagonal. */
export const NEAR_DUPLICATE_SHARE = 0.9;

/**
 * The ratio of pair (c, d)'s capacity to the smaller diagonal in a layer's capacity matrix with
 * itself (`values[row·n + column]`, the two cells of the pair averaged), or undefined when a
 * diagonal is undefined or 0 (a dead channel has nothing to duplicate) or neither cell is defined.
 */
export function nearDuplicateRatio(values: ArrayLike<number | null | undefined>, n: number, c: number, d: number): number | undefined {
  const at = (r: number, k: number) => {
    const v = values[r * n + k];
    return v === null || v === undefined || !Number.isFinite(v) ? undefined : v;
  };
  const dc = at(c, c);
  const dd = at(d, d);
  if (dc === undefined || dd === undefined || dc <= 0 || dd <= 0) return undefined;
  const a = at(d, c);
  const b = at(c, d);
  if (a === undefined && b === undefined) return undefined;
  const v = a !== undefined && b !== undefined ? (a + b) / 2 : (a ?? b)!;
  return v / Math.min(dc, dd);
}

/**
 * Each channel's share of the other channels it is a near-duplicate of, among those it can be
 * compared with; undefined for a channel comparable with none.
 */
export function nearDuplicateShares(
  values: ArrayLike<number | null | undefined>,
  n: number,
  threshold = NEAR_DUPLICATE_SHARE,
): (number | undefined)[] {
  const compared = new Array<number>(n).fill(0);
  const duplicates = new Array<number>(n).fill(0);
  for (let c = 0; c < n; c++)
    for (let d = c + 1; d < n; d++) {
      const ratio = nearDuplicateRatio(values, n, c, d);
      if (ratio === undefined) continue;
      compared[c]++;
      compared[d]++;
      if (ratio >= threshold) {
        duplicates[c]++;
        duplicates[d]++;
      }
    }
  return compared.map((k, c) => (k ? duplicates[c] / k : undefined));
}

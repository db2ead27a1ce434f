/**
 * Redundancy within a layer (the paper's Fig. 9 question, "do several filters learn the same
 * feature?", answered by a number): the channel-capacity matrix of a layer with itself, its rows and
 * columns sorted so that near-duplicate channels sit next to each other and form blocks on the
 * diagonal, the share of channel pairs that are near-duplicates, and the channels one could remove.
 * One definition of "near-duplicate" for the Information view's chart and the findings.
 *
 * A pair (c, d) is a near-duplicate when its capacity is at least NEAR_DUPLICATE_SHARE of the smaller
 * of the two channels' own capacities (the diagonal C(c,c) = H of c's binned pair distances): the
 * capacity of a pair can never exceed either diagonal, so the ratio is 1 for channels whose pair
 * distances tell exactly the same story, and near 0 for unrelated ones. Pure.
 */
import { NEAR_DUPLICATE_SHARE, nearDuplicateRatio, ScreenedSelfCapacity, screenedRatio, SCREENED_OUT } from './nearDuplicates';

/** A layer's capacity matrix with itself, row-major (rows = columns = channels); null where undefined. */
export interface SelfCapacity {
  rows: number;
  columns: number;
  values: ArrayLike<number | null | undefined>;
}

export interface Redundancy {
  /** The channels in display order: groups of near-duplicates first (largest first), then the rest by index. */
  order: number[];
  /** Groups of near-duplicate channels (connected through near-duplicate pairs), each ascending, largest first. */
  groups: number[][];
  /** Channel pairs c < d with both diagonals defined and above 0 (a dead channel has nothing to duplicate). */
  comparedPairs: number;
  /** Of those, the near-duplicates. */
  nearDuplicatePairs: number;
  /** nearDuplicatePairs / comparedPairs, undefined when no pair can be compared. */
  share: number | undefined;
}

/** Whether `a` is the screened evidence (the pairs compared exactly) rather than a full matrix. */
const isScreened = (a: SelfCapacity | ScreenedSelfCapacity): a is ScreenedSelfCapacity => 'pairs' in a;

/**
 * The near-duplicate pairs, groups, share and block order of a layer's capacity matrix with itself,
 * full or screened (a pair the screen left out is compared and not a near-duplicate: the same
 * answer as the full matrix's whenever the screen kept every near-duplicate pair).
 */
export function redundancy(a: SelfCapacity | ScreenedSelfCapacity, threshold = NEAR_DUPLICATE_SHARE): Redundancy {
  const n = isScreened(a) ? a.channels : Math.min(a.rows, a.columns);
  const ratioOf = isScreened(a) ? screenedRatio(a) : (c: number, d: number) => nearDuplicateRatio(a.values, a.columns, c, d);
  const neighbours: { d: number; ratio: number }[][] = Array.from({ length: n }, () => []);
  let compared = 0;
  let duplicates = 0;
  for (let c = 0; c < n; c++)
    for (let d = c + 1; d < n; d++) {
      // The matrix of a layer with itself is symmetric up to rounding: the pair's two cells averaged.
      const ratio = ratioOf(c, d);
      if (ratio === undefined) continue;
      compared++;
      if (ratio !== SCREENED_OUT && ratio >= threshold) {
        duplicates++;
        neighbours[c].push({ d, ratio });
        neighbours[d].push({ d: c, ratio });
      }
    }
  // Groups: the connected components of the near-duplicate graph. Within a group the order walks
  // from its best-connected channel to its closest neighbours first, so the block is tight.
  const seen = new Array<boolean>(n).fill(false);
  const groups: number[][] = [];
  const walks: number[][] = [];
  for (let c = 0; c < n; c++) {
    if (seen[c] || neighbours[c].length === 0) continue;
    const members: number[] = [];
    const stack = [c];
    seen[c] = true;
    while (stack.length) {
      const u = stack.pop()!;
      members.push(u);
      for (const { d } of neighbours[u])
        if (!seen[d]) {
          seen[d] = true;
          stack.push(d);
        }
    }
    members.sort((x, y) => x - y);
    const start = members.reduce((best, u) => (neighbours[u].length > neighbours[best].length ? u : best), members[0]);
    const walk: number[] = [];
    const placed = new Set<number>();
    const queue = [start];
    placed.add(start);
    while (queue.length) {
      const u = queue.shift()!;
      walk.push(u);
      for (const { d } of [...neighbours[u]].sort((p, q) => q.ratio - p.ratio || p.d - q.d))
        if (!placed.has(d)) {
          placed.add(d);
          queue.push(d);
        }
    }
    groups.push(members);
    walks.push(walk);
  }
  const byGroup = groups.map((g, k) => ({ g, walk: walks[k] })).sort((p, q) => q.g.length - p.g.length || p.g[0] - q.g[0]);
  const order = [...byGroup.flatMap((x) => x.walk), ...Array.from({ length: n }, (_, c) => c).filter((c) => !seen[c])];
  return {
    order,
    groups: byGroup.map((x) => x.g),
    comparedPairs: compared,
    nearDuplicatePairs: duplicates,
    share: compared > 0 ? duplicates / compared : undefined,
  };
}

/**
 * The channels of near-duplicate groups that could go: all but one of each group, the one kept being
 * the member with the largest own capacity (the diagonal; ties to the lower index). Ascending.
 */
export function redundantChannels(a: SelfCapacity | ScreenedSelfCapacity, groups: readonly number[][]): number[] {
  const diagonal = (c: number) => {
    const v = isScreened(a) ? a.diagonal[c] : a.values[c * a.columns + c];
    return v === null || v === undefined || !Number.isFinite(v) ? -Infinity : v;
  };
  const out: number[] = [];
  for (const g of groups) {
    const kept = g.reduce((best, c) => (diagonal(c) > diagonal(best) ? c : best), g[0]);
    out.push(...g.filter((c) => c !== kept));
  }
  return out.sort((x, y) => x - y);
}

/** The near-duplicate pairs (c, d), c < d, of a layer's capacity with itself, full or screened, in order (the pairs {@link redundancy} counts). */
export function nearDuplicatePairList(a: SelfCapacity | ScreenedSelfCapacity, threshold = NEAR_DUPLICATE_SHARE): [number, number][] {
  const n = isScreened(a) ? a.channels : Math.min(a.rows, a.columns);
  const ratioOf = isScreened(a) ? screenedRatio(a) : (c: number, d: number) => nearDuplicateRatio(a.values, a.columns, c, d);
  const pairs: [number, number][] = [];
  for (let c = 0; c < n; c++)
    for (let d = c + 1; d < n; d++) {
      const ratio = ratioOf(c, d);
      if (ratio !== undefined && ratio !== SCREENED_OUT && ratio >= threshold) pairs.push([c, d]);
    }
  return pairs;
}

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
 * compared with, from a layer's screened capacity with itself (a pair the screen left out counts as
 * compared and not a near-duplicate, as in the findings); undefined for a channel comparable with none.
 */
export function nearDuplicateShares(a: ScreenedSelfCapacity, threshold = NEAR_DUPLICATE_SHARE): (number | undefined)[] {
  const n = a.channels;
  const ratioOf = screenedRatio(a);
  const compared = new Array<number>(n).fill(0);
  const duplicates = new Array<number>(n).fill(0);
  for (let c = 0; c < n; c++)
    for (let d = c + 1; d < n; d++) {
      const ratio = ratioOf(c, d);
      if (ratio === undefined) continue;
      compared[c]++;
      compared[d]++;
      if (ratio !== SCREENED_OUT && ratio >= threshold) {
        duplicates[c]++;
        duplicates[d]++;
      }
    }
  return compared.map((k, c) => (k ? duplicates[c] / k : undefined));
}

/**
 * The near-duplicate screen (estimators.md "Screening the near-duplicate pairs"): only the channel
 * pairs it keeps are compared by their capacity; every other pair counts as compared and not a
 * near-duplicate. It keeps a pair whose Pearson correlation over every probe input and position has
 * `|r|` at least this…
 */
export const NEAR_DUPLICATE_SCREEN_R = 0.7;
/**
 * …or whose per-input energies (src/analysis/channelCorrelation.ts: blind to where in the map a
 * value sits, as the pair distances are) correlate with `|r|` at least this…
 */
export const NEAR_DUPLICATE_SCREEN_ENERGY_R = 0.95;
/**
 * …or one of whose channels has an own capacity (the diagonal) above 0 and below this many bits:
 * a nearly constant channel (one input or a few apart from the rest) is a near-duplicate of any
 * channel that sets those inputs apart too, whatever their correlation. The three chosen with
 * margin on the test models and the example zoo (bench/nearDuplicateScreen.ts).
 */
export const NEAR_DUPLICATE_SCREEN_LOW_BITS = 2;

/** The screen's three thresholds. */
export interface NearDuplicateScreen {
  r: number;
  energyR: number;
  lowBits: number;
}

export const NEAR_DUPLICATE_SCREEN: NearDuplicateScreen = {
  r: NEAR_DUPLICATE_SCREEN_R,
  energyR: NEAR_DUPLICATE_SCREEN_ENERGY_R,
  lowBits: NEAR_DUPLICATE_SCREEN_LOW_BITS,
};

/**
 * The channel pairs c < d the screen keeps, as `[c0, d0, c1, d1, …]` in row order: from the
 * position-wise and the energies' correlation matrices (C×C, NaN where undefined: such a value
 * keeps nothing) and each channel's own capacity (null or NaN where undefined). A pair with an own
 * capacity undefined or 0 is never kept: the rule does not compare it.
 */
export function screenedPairs(
  screen: NearDuplicateScreen,
  r: ArrayLike<number>,
  rEnergy: ArrayLike<number>,
  own: ArrayLike<number | null | undefined>,
): number[] {
  const n = own.length;
  const out: number[] = [];
  const ownOf = (c: number) => {
    const v = own[c];
    return v === null || v === undefined || !Number.isFinite(v) ? 0 : v;
  };
  for (let c = 0; c < n; c++) {
    const oc = ownOf(c);
    if (oc <= 0) continue;
    for (let d = c + 1; d < n; d++) {
      const od = ownOf(d);
      if (od <= 0) continue;
      const at = c * n + d;
      if (Math.abs(r[at]) >= screen.r || Math.abs(rEnergy[at]) >= screen.energyR || Math.min(oc, od) < screen.lowBits) out.push(c, d);
    }
  }
  return out;
}

/**
 * A layer's capacity with itself where the screen kept the pair: the diagonal (each channel's own
 * capacity) and both cells of every pair compared exactly. What the near-duplicate rule reads
 * instead of the full matrix.
 */
export interface ScreenedSelfCapacity {
  channels: number;
  /** `C(c, c)` per channel, null where undefined. */
  diagonal: ArrayLike<number | null | undefined>;
  /** The pairs compared exactly, c < d, in row order. */
  pairs: ScreenedPairs;
  /** The screen that chose the pairs; undefined: every pair was compared. */
  screen: NearDuplicateScreen | undefined;
}

/** One compared pair, as {@link ScreenedPairs.at} reads it out. */
export interface ScreenedPair {
  c: number;
  d: number;
  /** Pearson r of the pair over every input and position (NaN where undefined, or without a screen). */
  r: number;
  /** Pearson r of the pair's per-input energies (NaN likewise). */
  rEnergy: number;
  /** The cell in row c and column d, and the other; NaN where undefined. */
  cd: number;
  dc: number;
}

/**
 * The pairs of a layer compared exactly, a column per field (typed arrays: 40 bytes a pair, outside
 * the JS heap). MobileNetV2's findings keep 1.7 million of them; as one object each they held 240 MB
 * of the engine's heap. Pairs are in row order (c ascending, then d), which {@link indexOf} searches.
 */
export class ScreenedPairs {
  readonly c: Uint32Array;
  readonly d: Uint32Array;
  readonly r: Float64Array;
  readonly rEnergy: Float64Array;
  readonly cd: Float64Array;
  readonly dc: Float64Array;
  /** Where each row's pairs start (built on the first look-up). */
  private rowStart: Uint32Array | undefined;

  constructor(readonly length: number) {
    this.c = new Uint32Array(length);
    this.d = new Uint32Array(length);
    this.r = new Float64Array(length);
    this.rEnergy = new Float64Array(length);
    this.cd = new Float64Array(length);
    this.dc = new Float64Array(length);
  }

  /** The pairs of `rows` (any order; undefined or null cells as NaN), in row order. */
  static of(rows: readonly { c: number; d: number; r: number; rEnergy: number; cd: number | null; dc: number | null }[]): ScreenedPairs {
    const sorted = [...rows].sort((a, b) => a.c - b.c || a.d - b.d);
    const out = new ScreenedPairs(sorted.length);
    sorted.forEach((p, k) => out.set(k, p.c, p.d, p.r, p.rEnergy, p.cd ?? NaN, p.dc ?? NaN));
    return out;
  }

  set(k: number, c: number, d: number, r: number, rEnergy: number, cd: number, dc: number): void {
    if (!(c < d)) throw new RangeError(`a compared pair has c < d; got (${c}, ${d})`);
    this.c[k] = c;
    this.d[k] = d;
    this.r[k] = r;
    this.rEnergy[k] = rEnergy;
    this.cd[k] = cd;
    this.dc[k] = dc;
    this.rowStart = undefined;
  }

  at(k: number): ScreenedPair {
    return { c: this.c[k], d: this.d[k], r: this.r[k], rEnergy: this.rEnergy[k], cd: this.cd[k], dc: this.dc[k] };
  }

  *[Symbol.iterator](): IterableIterator<ScreenedPair> {
    for (let k = 0; k < this.length; k++) yield this.at(k);
  }

  /** Bytes the columns hold. */
  get bytes(): number {
    return 40 * this.length;
  }

  /** The index of pair (c, d), c < d, or -1 where it was not compared. */
  indexOf(c: number, d: number): number {
    const starts = (this.rowStart ??= this.rowStarts());
    if (c + 1 >= starts.length) return -1;
    let lo = starts[c];
    let hi = starts[c + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.d[mid] < d) lo = mid + 1;
      else hi = mid;
    }
    return lo < starts[c + 1] && this.d[lo] === d ? lo : -1;
  }

  private rowStarts(): Uint32Array {
    let rows = 0;
    for (let k = 0; k < this.length; k++) {
      if (k > 0 && (this.c[k] < this.c[k - 1] || (this.c[k] === this.c[k - 1] && this.d[k] <= this.d[k - 1])))
        throw new RangeError('compared pairs are in row order');
      rows = Math.max(rows, this.c[k] + 1);
    }
    const starts = new Uint32Array(rows + 1);
    for (let k = 0; k < this.length; k++) starts[this.c[k] + 1]++;
    for (let c = 0; c < rows; c++) starts[c + 1] += starts[c];
    return starts;
  }
}

/** A pair the screen left out: compared, and not a near-duplicate. */
export const SCREENED_OUT = null;

/**
 * Per channel pair c < d the near-duplicate ratio of a screened matrix (`nearDuplicateRatio` of its
 * two cells and diagonals), `SCREENED_OUT` for a pair the screen left out whose diagonals are both
 * defined and above 0, and undefined where the full matrix's ratio would be undefined for want of a
 * diagonal.
 */
export function screenedRatio(a: ScreenedSelfCapacity): (c: number, d: number) => number | typeof SCREENED_OUT | undefined {
  const { pairs } = a;
  const diagonal = (c: number) => {
    const v = a.diagonal[c];
    return v === null || v === undefined || !Number.isFinite(v) ? undefined : v;
  };
  return (c, d) => {
    const [lo, hi] = c < d ? [c, d] : [d, c];
    const k = pairs.indexOf(lo, hi);
    if (k >= 0) {
      // The 2×2 matrix of the pair, in nearDuplicateRatio's layout (row-major, channels lo and hi).
      const cells = [a.diagonal[lo], pairs.cd[k], pairs.dc[k], a.diagonal[hi]];
      return nearDuplicateRatio(cells, 2, 0, 1);
    }
    const dc = diagonal(lo);
    const dd = diagonal(hi);
    return dc === undefined || dd === undefined || dc <= 0 || dd <= 0 ? undefined : SCREENED_OUT;
  };
}

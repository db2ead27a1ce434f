/**
 * Channel capacity between channels and between layers (paper 5.3.1–5.3.2, equation 3;
 * estimators.md "Channel capacity"): the mutual information of binned pairwise-distance pairs,
 * `capacity(a, b) = H(A) + H(B) - H(A, B)`.
 */
import { checkBins, DEFAULT_BINS } from './binning';
import { BinningKernel } from './binningKernel';
import { cleanSamples, condensedDistances, DistanceKernel, KernelKind } from './distances';
import { screenedDistanceCodes } from './distanceCodes';
import { jointKernel, SMALL_ROW_BINS, SMALL_TABLE_BYTES, type JointKernel } from './jointKernel';
import { channelMatrix, LayerActivations } from './layout';
import { checkPairwiseSize } from './pairwiseBudget';
import { shannonEntropyBits } from './shannon';

/** One channel's pair distances binned on their own range: the random variable `A` of paper 5.3.1. */
export interface DistanceCodes {
  /** Number of inputs `N`; there are `N(N-1)/2` pairs. */
  n: number;
  bins: number;
  /** Bin of each pair distance, pairs `m < k` in condensed upper-triangle order. */
  codes: Uint8Array | Uint16Array;
  /** `H(A)` in bits, from the margin; `undefined` when there are no pairs (N < 2). */
  entropyBits: number | undefined;
  nonFiniteCount: number;
}

/**
 * Steps 1–2 of the channel capacity for one channel: Euclidean distances between the feature maps
 * of every pair of inputs, binned into `bins` equal bins on their own min–max range (the
 * intra-sample rule; all equal → bin 0). `values` holds `n` feature maps of `d` values each.
 * Float32 feature maps (activations) are screened in float32 with the float64 distances
 * recomputed only where a bin depends on them (distanceCodes.ts): the codes of
 * `float64DistanceCodes`, exactly, at about twice its speed. The codes go into `into` when given
 * (its length the pair count, a Uint8Array up to 255 bins): the compute workers pass shared memory.
 */
export function distanceCodes(
  values: ArrayLike<number>,
  n: number,
  d: number,
  bins = DEFAULT_BINS,
  kernel?: KernelKind,
  into?: Uint8Array | Uint16Array,
): DistanceCodes {
  return float64DistanceCodes(values, n, d, bins, kernel, kernel !== 'js', into);
}

/**
 * `distanceCodes` from every pair's float64 distance (the definition, estimators.md); `screen`
 * lets float32 samples take the screened path, which gives the same codes.
 */
export function float64DistanceCodes(
  values: ArrayLike<number>,
  n: number,
  d: number,
  bins = DEFAULT_BINS,
  kernel?: KernelKind,
  screen = false,
  into?: Uint8Array | Uint16Array,
): DistanceCodes {
  checkBins(bins);
  checkPairwiseSize({ kind: 'codes', n, streams: 1 }, 'binning the pair distances');
  const pairs = (n * (n - 1)) / 2;
  if (into && (into.length !== pairs || into instanceof Uint8Array !== bins <= 255))
    throw new RangeError(`codes of ${pairs} pairs in ${bins} bins need a ${bins <= 255 ? 'Uint8Array' : 'Uint16Array'} of that length`);
  const codes = into ?? (bins <= 255 ? new Uint8Array(pairs) : new Uint16Array(pairs));
  // Float32 activations go to the screened path as they are: it declines samples with a
  // non-finite value (its norms find them), which then take the path below.
  if (screen && pairs > 0 && values instanceof Float32Array && values.length === n * d) {
    const counts = screenedDistanceCodes(values, n, d, bins, codes);
    if (counts) return { n, bins, codes, entropyBits: shannonEntropyBits(counts), nonFiniteCount: 0 };
  }
  // A typed array without a non-finite value is used as it is (the common case: activations).
  const typed = values instanceof Float32Array || values instanceof Float64Array;
  const clean = typed && !hasNonFinite(values) ? { data: values, d, nonFiniteCount: 0 } : cleanSamples(values, n, d);
  let entropyBits: number | undefined;
  const screened =
    screen && pairs > 0 && clean.nonFiniteCount > 0 && clean.data instanceof Float32Array
      ? screenedDistanceCodes(clean.data, n, clean.d, bins, codes)
      : undefined;
  if (screened) entropyBits = shannonEntropyBits(screened);
  else if (pairs > 0) {
    const distanceKernel = new DistanceKernel(clean.data, n, clean.d, kernel);
    const distances = condensedDistances(distanceKernel);
    distanceKernel.dispose();
    // The bins in WebAssembly SIMD where it runs (the same codes and counts: binningKernel.ts), else in JavaScript.
    const wasm = kernel !== 'js' && codes instanceof Uint8Array ? BinningKernel.shared()?.binDistances(distances, codes, bins) : undefined;
    entropyBits = shannonEntropyBits(wasm ?? binDistances(distances, codes, bins));
  }
  return { n, bins, codes, entropyBits, nonFiniteCount: clean.nonFiniteCount };
}

/** Whether a typed array holds NaN or ±Infinity (one monomorphic pass; the distances need finite values). */
function hasNonFinite(values: Float32Array | Float64Array): boolean {
  return values instanceof Float32Array ? nonFiniteIn32(values) : nonFiniteIn64(values);
}

function nonFiniteIn32(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return true;
  }
  return false;
}

function nonFiniteIn64(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return true;
  }
  return false;
}

/**
 * `binCodes` of pair distances and the bin counts (the margin) in one pass: the same min–max rule
 * and the same float64 arithmetic as `binOf` (estimators.md, intra-sample steps 1–3), written
 * for float64 distances only so that it compiles to one tight loop. Distances are finite, but a
 * non-finite one would get the code `bins` and no count, as in binCodes.
 */
function binDistances(distances: Float64Array, codes: Uint8Array | Uint16Array, bins: number): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < distances.length; i++) {
    const v = distances[i];
    if (v - v !== 0) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const counts = new Float64Array(bins);
  const last = bins - 1;
  for (let i = 0; i < distances.length; i++) {
    const v = distances[i];
    let b: number;
    if (v - v !== 0) {
      codes[i] = bins;
      continue;
    } else if (hi === lo) b = 0;
    else {
      const z = ((v - lo) / (hi - lo)) * 2 - 1;
      b = Math.floor(((z + 1) / 2) * bins);
      if (b > last) b = last;
    }
    codes[i] = b;
    counts[b]++;
  }
  return counts;
}

/**
 * Capacity between two channels (paper 5.3.1, equation 3): `H(A) - H(A|B) = H(A) + H(B) - H(A,B)`
 * from the joint histogram of the binned distance pairs. Symmetric; `capacity(a, a) = H(A)`.
 * `undefined` when there are no pairs. `joint` is optional scratch of `bins²` counts.
 */
export function capacityBits(a: DistanceCodes, b: DistanceCodes, joint = new Float64Array(a.bins * b.bins)): number | undefined {
  if (a.n !== b.n) throw new RangeError(`both channels need the same inputs; got ${a.n} and ${b.n}`);
  if (a.entropyBits === undefined || b.entropyBits === undefined) return undefined;
  joint.fill(0);
  const ca = a.codes;
  const cb = b.codes;
  const bb = b.bins;
  for (let p = 0; p < ca.length; p++) joint[ca[p] * bb + cb[p]]++;
  const hJoint = shannonEntropyBits(joint, 0, a.bins * bb)!;
  const c = a.entropyBits + b.entropyBits - hJoint;
  return c > 0 ? c : 0; // mutual information is never negative; remove rounding below zero
}

/** The capacity matrix of a layer pair: rows = channels of `l_j`, columns = channels of `l_i` (paper Fig. 8). */
export interface CapacityMatrix {
  rows: number;
  columns: number;
  /** Row-major `[rows, columns]` bits; NaN where undefined (fewer than 2 inputs). */
  values: Float64Array;
  /** `H(A)` of each column channel and `H(B)` of each row channel. */
  columnEntropyBits: (number | undefined)[];
  rowEntropyBits: (number | undefined)[];
}

/** Binned distance codes of every channel of a layer (step 1–2 of paper 5.3.1 for a whole layer). */
export function layerDistanceCodes(layer: LayerActivations, bins = DEFAULT_BINS, kernel?: KernelKind): DistanceCodes[] {
  checkPairwiseSize({ kind: 'codes', n: layer.count, streams: layer.channels }, `the pair distances of ${layer.channels} channels`);
  const codes: DistanceCodes[] = [];
  for (let c = 0; c < layer.channels; c++) codes.push(distanceCodes(channelMatrix(layer, c), layer.count, layer.units, bins, kernel));
  return codes;
}

/**
 * Capacity between every channel of layer `l_i` (columns) and every channel of layer `l_j` (rows)
 * for the same inputs (paper 5.3.1–5.3.2, Fig. 8), from their distance codes.
 */
export function capacityMatrixFromCodes(
  columns: DistanceCodes[],
  rows: DistanceCodes[],
  rowRange: [number, number] = [0, rows.length],
  kernel?: KernelKind,
): CapacityMatrix {
  const [r0, r1] = rowRange;
  const values = new Float64Array((r1 - r0) * columns.length);
  const symmetric = r0 === 0 && r1 === rows.length && sameCodes(columns, rows);
  new JointHistograms(rows, rowRange, kernel, symmetric).fill(columns, 0, columns.length, values, columns.length);
  return {
    rows: r1 - r0,
    columns: columns.length,
    values,
    columnEntropyBits: columns.map((x) => x.entropyBits),
    rowEntropyBits: rows.slice(r0, r1).map((x) => x.entropyBits),
  };
}

/**
 * A list of cells of a layer's capacity matrix with itself, grouped by row: row `rows[k]` takes the
 * columns `columns[starts[k] .. starts[k + 1])`, and its cells' values go to the same positions
 * of the output (`starts` has one more entry than `rows`).
 */
export interface CapacityCells {
  rows: number[];
  starts: number[];
  columns: number[];
}

/** `cells` (pairs `[row, column, …]`) as a CapacityCells list, grouped by row in order of first appearance; `order[i]` is cell i's output position. */
export function capacityCells(cells: readonly number[]): { list: CapacityCells; order: number[] } {
  const byRow = new Map<number, number[]>();
  for (let i = 0; i < cells.length; i += 2) {
    const at = byRow.get(cells[i]);
    if (at) at.push(i / 2);
    else byRow.set(cells[i], [i / 2]);
  }
  const list: CapacityCells = { rows: [], starts: [0], columns: [] };
  const order = new Array<number>(cells.length / 2);
  for (const [row, members] of byRow) {
    list.rows.push(row);
    for (const i of members) {
      order[i] = list.columns.length;
      list.columns.push(cells[2 * i + 1]);
    }
    list.starts.push(list.columns.length);
  }
  return { list, order };
}

/**
 * The cells of rows `[k0, k1)` of `list` (capacity of a layer with itself, from its channels'
 * codes) into `out` at their positions: each cell is computed on its own, bit for bit the cell of
 * the full matrix (capacityMatrixFromCodes); NaN where undefined. With `transposed`, each cell's
 * histogram also gives the cell of the same two channels the other way round (column, row) into
 * `transposed` at the same position, bit for bit that cell alone: a pair's two cells for one histogram.
 *
 * A row of several columns is computed the other way round: its columns as the histograms' rows,
 * four to a pass over its own codes (JointHistograms' kernel fills four tables a pass, so a single
 * row used a quarter of each), and the asked cells from the transposed sums.
 */
export function fillCapacityCells(
  codes: DistanceCodes[],
  list: CapacityCells,
  out: Float64Array,
  k0 = 0,
  k1 = list.rows.length,
  transposed?: Float64Array,
): void {
  // Where no transposed cells are asked, those of a row turned round land here.
  let unasked: Float64Array | undefined;
  for (let k = k0; k < k1; k++) {
    const from = list.starts[k];
    const to = list.starts[k + 1];
    if (to <= from) continue;
    const columns = list.columns.slice(from, to).map((c) => codes[c]);
    const row = codes[list.rows[k]];
    if (columns.length === 1 || columns.some((c) => c.bins !== row.bins)) {
      new JointHistograms([row]).fill(columns, 0, columns.length, out, 0, from, transposed);
      continue;
    }
    if (!transposed && (unasked?.length ?? 0) < columns.length) unasked = new Float64Array(columns.length);
    const swapped = transposed ? transposed.subarray(from, to) : unasked!.subarray(0, columns.length);
    new JointHistograms(columns).fill([row], 0, 1, swapped, 1, 0, out.subarray(from, to));
  }
}

/** Whether two lists hold the very same codes, channel for channel (a layer's matrix with itself). */
export const sameCodes = <T>(columns: readonly T[], rows: readonly T[]): boolean =>
  columns === rows || (columns.length === rows.length && columns.every((c, k) => c === rows[k]));

/**
 * The capacity cells of one range of rows against any columns, in as many calls as a caller
 * likes (the compute pool's workers take columns in chunks): the rows' codes are loaded into the
 * kernel's memory once, not once per chunk. Every cell is computed on its own, so the cells of a
 * chunk are those of the whole matrix, bit for bit.
 *
 * `symmetric` (a layer with itself: the columns are the rows, all of them): one joint histogram
 * gives both cells of a pair, (r, c) from its sums in cell order and (c, r) from the same counts
 * summed transposed, the order (c, r)'s own histogram is summed in: each cell bit for bit what it
 * is computed alone (the two may differ in their last bits, as always). Column c takes only the
 * groups of four rows that start at or before it: half the histograms.
 */
export class JointHistograms {
  private readonly r0: number;
  private readonly r1: number;
  private readonly rowBins: number;
  private readonly pairs: number;
  private readonly wasm: JointKernel | undefined;

  constructor(
    private readonly rows: DistanceCodes[],
    rowRange: [number, number] = [0, rows.length],
    private readonly kernel?: KernelKind,
    private readonly symmetric = false,
  ) {
    [this.r0, this.r1] = rowRange;
    if (symmetric && (this.r0 !== 0 || this.r1 !== rows.length))
      throw new RangeError('a symmetric capacity matrix takes every row: its cells are written in both orientations');
    this.rowBins = rows[this.r0]?.bins ?? 2;
    this.pairs = rows[this.r0]?.codes.length ?? 0;
    for (const x of rows.slice(this.r0, this.r1)) {
      if (x.codes.length !== this.pairs) throw new RangeError(`both channels need the same inputs; got ${rows[0].n} and ${x.n}`);
    }
    this.wasm = kernel !== 'js' && this.rowBins <= 255 ? jointKernel() : undefined;
    if (kernel === 'wasm-simd' && !this.wasm) throw new Error('WebAssembly is not available in this runtime');
  }

  /**
   * Cells `(r, c)` for the rows of the range and columns `[c0, c1)` into
   * `out[(r - r0) * ldo + c + columnShift]`. With `transposed` (not symmetric; channels of one layer,
   * so of the same bins), each histogram also gives the cell with the two channels' roles swapped,
   * column c's row and row r's column, into `transposed` at the same position: summed in the order
   * that cell's own histogram is (as the symmetric matrix does), so bit for bit that cell alone.
   */
  fill(columns: DistanceCodes[], c0: number, c1: number, out: Float64Array, ldo: number, columnShift = 0, transposed?: Float64Array): void {
    const { r0, r1, rows, pairs, rowBins, symmetric } = this;
    if (symmetric && (columns.length !== rows.length || ldo !== columns.length))
      throw new RangeError('a symmetric capacity matrix is square: its columns are its rows');
    if (symmetric && transposed) throw new RangeError('a symmetric capacity matrix writes its transposed cells into itself');
    if (r1 <= r0 || c1 <= c0) return;
    const columnBins = columns[c0].bins;
    if (transposed && columnBins !== rowBins) throw new RangeError('a transposed cell needs both channels binned alike');
    // Both orientations from each histogram: the symmetric matrix, or a list of cells with `transposed`.
    const both = symmetric || transposed !== undefined;
    const cells = columnBins * rowBins;
    for (let c = c0; c < c1; c++) {
      if (columns[c].codes.length !== pairs)
        throw new RangeError(`both channels need the same inputs; got ${columns[c].n} and ${rows[r0]?.n}`);
    }
    // The joint histograms are the whole cost (channels² × pairs increments). Four rows at a time,
    // each into its own table, keep the increments independent (the WebAssembly kernel also gives
    // odd pairs their own tables, and zeroes them); the column's codes are pre-scaled once.
    const finish = (c: number, r: number, hJoint: number) => {
      out[(r - r0) * ldo + c + columnShift] = cellBits(columns[c].entropyBits, rows[r].entropyBits, hJoint);
    };
    // The histogram of (c, r) summed transposed: cell (r, c) of the symmetric matrix, else
    // `transposed`'s (c, r) position; its entropies in the order that cell alone adds them.
    const finishTransposed = (c: number, r: number, hJoint: number) => {
      if (symmetric) finish(r, c, hJoint);
      else transposed![(r - r0) * ldo + c + columnShift] = cellBits(rows[r].entropyBits, columns[c].entropyBits, hJoint);
    };
    // The rows a column takes: all, or (symmetric) the groups of four that start at or before it.
    const rowsEnd = (c: number, end: number) => (symmetric ? Math.min(end, c + 1) : end);
    const wasm = columnBins <= 255 ? this.wasm : undefined;
    if (this.kernel === 'wasm-simd' && !wasm) throw new Error('WebAssembly is not available in this runtime');
    if (wasm && pairs > 0) {
      // Small tables (32 × 32 bins and below) take jointSmall: doubled row bins, byte offsets for the column.
      const small = 2 * cells <= SMALL_TABLE_BYTES && rowBins <= SMALL_ROW_BINS;
      // Memory: [scaled column: 2·pairs][8 u16 tables][4 i32 counts][4 × (total, Σ c·log2 c), and
      // 4 more of the transposed tables][c·log2 c for c ≤ pairs][a group of rows' codes, four rows interleaved per pair], rows in
      // groups that fit.
      const scaledAt = 0;
      const tablesAt = align(2 * pairs);
      const countsAt = tablesAt + align(small ? 8 * SMALL_TABLE_BYTES : 16 * cells);
      const resultAt = countsAt + 16 * cells;
      const xLogXAt = resultAt + 128;
      const rowsAt = align(xLogXAt + 8 * (pairs + 1));
      const group = Math.max(4, Math.min(align4(r1 - r0), Math.floor(JOINT_BUDGET_BYTES / pairs / 4) * 4));
      for (let g0 = r0; g0 < r1; g0 += group) {
        const g1 = Math.min(r1, g0 + group);
        // Past the group: four rows' codes for loadRowCodes to interleave, then a column's to scale.
        const scratchAt = rowsAt + align4(g1 - g0) * pairs;
        const mem = wasm.reserve(scratchAt + 4 * pairs + 16);
        // The group's codes stay loaded while this object is the kernel's last user and the layout is the same.
        const layout = `${rowsAt}|${g0}|${g1}|${small}`;
        if (wasm.loaded?.owner !== this || wasm.loaded.layout !== layout)
          loadRowCodes(wasm, this, layout, mem, rows, g0, g1, rowsAt, pairs, xLogXAt, scratchAt, small ? 1 : 0);
        const scaled = new Uint16Array(mem, scaledAt, pairs);
        const result = new Float64Array(mem, resultAt, 16);
        for (let c = c0; c < c1; c++) {
          const end = rowsEnd(c, g1);
          if (end <= g0) continue;
          const column = columns[c].codes;
          if (column instanceof Uint8Array) {
            // Scaled by the kernel, from a copy in the space loadRowCodes interleaves through.
            new Uint8Array(mem, scratchAt, pairs).set(column.subarray(0, pairs));
            wasm.exports.scale(scratchAt, scaledAt, pairs, small ? 2 * rowBins : rowBins);
          } else scaleCodes(column, scaled, small ? 2 * rowBins : rowBins);
          for (let r = g0; r < end; r += 4) {
            const n = Math.min(4, g1 - r);
            const quadAt = rowsAt + (r - g0) * pairs;
            for (let p0 = 0; p0 < pairs; p0 += QUAD_PAIRS) {
              const count = Math.min(QUAD_PAIRS, pairs - p0);
              // The last call sums the entropies itself, or (both orientations) writes the counts for `sums`.
              const last = p0 + count >= pairs && !both ? resultAt : 0;
              (small ? wasm.exports.jointSmall : wasm.exports.jointQuad)(
                scaledAt + 2 * p0,
                quadAt + 4 * p0,
                count,
                tablesAt,
                countsAt,
                cells,
                p0 > 0 ? 1 : 0,
                xLogXAt,
                last,
              );
            }
            if (both) wasm.exports.sums(countsAt, rowBins, xLogXAt, resultAt);
            // shannonEntropyBits of each joint histogram from the kernel's two sums, as jointEntropyBits takes it.
            for (let k = 0; k < n; k++) {
              finish(c, r + k, entropyFromSums(result[2 * k], result[2 * k + 1]));
              if (both) finishTransposed(c, r + k, entropyFromSums(result[8 + 2 * k], result[9 + 2 * k]));
            }
          }
        }
      }
    } else {
      const tables = new Int32Array(4 * cells);
      // Above 256 bins a scaled code passes 65,535 (16-bit offsets wrapped round and merged cells).
      const scaled = cells > 65536 ? new Uint32Array(pairs) : new Uint16Array(pairs);
      for (let c = c0; c < c1; c++) {
        scaleCodes(columns[c].codes, scaled, rowBins);
        for (let r = r0; r < rowsEnd(c, r1); r += 4) {
          const n = Math.min(4, r1 - r);
          const b0 = rows[r].codes;
          const b1 = rows[r + Math.min(1, n - 1)].codes;
          const b2 = rows[r + Math.min(2, n - 1)].codes;
          const b3 = rows[r + Math.min(3, n - 1)].codes;
          tables.fill(0);
          for (let p = 0; p < pairs; p++) {
            const x = scaled[p];
            tables[x + b0[p]]++;
            tables[cells + x + b1[p]]++;
            tables[2 * cells + x + b2[p]]++;
            tables[3 * cells + x + b3[p]]++;
          }
          for (let k = 0; k < n; k++) {
            finish(c, r + k, jointEntropyBits(tables, k * cells, cells));
            if (both) finishTransposed(c, r + k, jointEntropyBits(tables, k * cells, cells, rowBins));
          }
        }
      }
    }
  }
}

/**
 * `scaled[p] = codes[p] · rowBins` for every pair (a column's codes as offsets into the joint
 * tables). Its own function, like every per-pair loop of the capacity: where `fill`'s optimised
 * code is thrown away (a branch first taken by a real query), this loop keeps its own.
 */
function scaleCodes(codes: Uint8Array | Uint16Array, scaled: Uint16Array | Uint32Array, rowBins: number): void {
  for (let p = 0; p < scaled.length; p++) scaled[p] = codes[p] * rowBins;
}

/**
 * Copies the codes of rows `[g0, g1)` into the joint kernel's memory at `rowsAt`, each shifted left
 * by `shift` (1: doubled, for jointSmall). Its own function,
 * run once per `JointHistograms` and group: inside `fill` it ran only on the first call of each
 * object, before V8 kept type feedback for `fill`, so `fill` optimised during the engine's warm-up
 * had none for it and was thrown away on the first real query (and compiled again, on its time).
 */
function loadRowCodes(
  wasm: JointKernel,
  owner: JointHistograms,
  layout: string,
  mem: ArrayBuffer,
  rows: DistanceCodes[],
  g0: number,
  g1: number,
  rowsAt: number,
  pairs: number,
  xLogXAt: number,
  scratchAt: number,
  shift: number,
): void {
  growXLogX(pairs);
  const table = new Float64Array(mem, xLogXAt, pairs + 1);
  table.set(xLogX.subarray(0, pairs + 1));
  // The kernels add every cell's entry, an empty one's too (wasm/jointQuad.wat): +0 adds nothing (0 · log2 0 is NaN).
  table[0] = 0;
  // Rows r..r+3 interleaved: byte k of pair p's word is row r + k's bin (the last row repeated
  // in a group's last, incomplete quad).
  for (let r = g0; r < g1; r += 4) {
    const quad = new Uint32Array(mem, rowsAt + (r - g0) * pairs, pairs);
    const last = Math.min(4, g1 - r) - 1;
    const b0 = rows[r].codes;
    const b1 = rows[r + Math.min(1, last)].codes;
    const b2 = rows[r + Math.min(2, last)].codes;
    const b3 = rows[r + Math.min(3, last)].codes;
    if (b0 instanceof Uint8Array && b1 instanceof Uint8Array && b2 instanceof Uint8Array && b3 instanceof Uint8Array) {
      // The kernel interleaves them (≈ 10× the loop below), from a copy past the group.
      const scratch = new Uint8Array(mem, scratchAt, 4 * pairs);
      [b0, b1, b2, b3].forEach((b, k) => scratch.set(b.subarray(0, pairs), k * pairs));
      wasm.exports.interleave4(
        scratchAt,
        scratchAt + pairs,
        scratchAt + 2 * pairs,
        scratchAt + 3 * pairs,
        rowsAt + (r - g0) * pairs,
        pairs,
        shift,
      );
      continue;
    }
    for (let p = 0; p < pairs; p++) quad[p] = ((b0[p] | (b1[p] << 8) | (b2[p] << 16) | (b3[p] << 24)) << shift) >>> 0;
  }
  wasm.loaded = { owner, layout };
}

/** `c · log2(c)` for the counts met so far (index c), computed as shannonEntropyBits computes it. */
let xLogX = new Float64Array(0);

/**
 * `shannonEntropyBits` of the integer counts `tables[at .. at + cells)` (a joint histogram), bit
 * for bit: the same sums in the same order, with `c · log2(c)` read from a table (a matrix's
 * cells take millions of logarithms of the same few thousand counts). With `transposedBins`, of
 * the square table read the other way round (cell (i, j) at (j, i)): the joint histogram of the
 * two channels swapped, summed in its own order.
 */
function jointEntropyBits(tables: Int32Array, at: number, cells: number, transposedBins?: number): number {
  let total = 0;
  let most = 0;
  for (let k = at; k < at + cells; k++) {
    const c = tables[k];
    total += c;
    if (c > most) most = c;
  }
  growXLogX(most);
  let sum = 0;
  if (transposedBins === undefined) {
    for (let k = at; k < at + cells; k++) {
      const c = tables[k];
      if (c > 0) sum += xLogX[c];
    }
  } else {
    const b = transposedBins;
    for (let i = 0; i < b; i++)
      for (let j = 0; j < b; j++) {
        const c = tables[at + j * b + i];
        if (c > 0) sum += xLogX[c];
      }
  }
  return entropyFromSums(total, sum);
}

/** A cell's capacity `H(column) + H(row) − H(joint)` (added in that order), clamped at 0; NaN where a channel's entropy is undefined. */
function cellBits(columnBits: number | undefined, rowBits: number | undefined, hJoint: number): number {
  if (columnBits === undefined || rowBits === undefined) return NaN;
  const cap = columnBits + rowBits - hJoint;
  return cap > 0 ? cap : 0;
}

/** `log2(total) − Σ c·log2(c) / total`, clamped at 0: the last step of shannonEntropyBits. */
function entropyFromSums(total: number, sum: number): number {
  const h = Math.log2(total) - sum / total;
  return h > 0 ? h : 0;
}

/** Makes `xLogX` hold `c · log2(c)` for every count up to `most`. */
function growXLogX(most: number): void {
  if (most < xLogX.length) return;
  const grown = new Float64Array(Math.max(most + 1, 2 * xLogX.length));
  grown.set(xLogX);
  for (let c = xLogX.length; c < grown.length; c++) grown[c] = c * Math.log2(c);
  xLogX = grown;
}

/** Row codes held in WebAssembly memory at once (the rest go in later groups). */
const JOINT_BUDGET_BYTES = 32 * 1024 * 1024;

const align = (v: number) => Math.ceil(v / 16) * 16;
const align4 = (v: number) => Math.ceil(v / 4) * 4;

/** Most pairs of one jointQuad call: its u16 tables count at most half of them (⌈pairs / 2⌉ ≤ 65,535). */
const QUAD_PAIRS = 131_070;

/** Capacity matrix between two layer outputs for the same inputs (paper 5.3.1, Fig. 8), single-threaded. */
export function capacityMatrix(layerI: LayerActivations, layerJ: LayerActivations, bins = DEFAULT_BINS): CapacityMatrix {
  if (layerI.count !== layerJ.count) throw new RangeError(`both layers need the same inputs; got ${layerI.count} and ${layerJ.count}`);
  checkPairwiseSize({ kind: 'codes', n: layerI.count, streams: layerI.channels + layerJ.channels }, 'the channel capacity');
  return capacityMatrixFromCodes(layerDistanceCodes(layerI, bins), layerDistanceCodes(layerJ, bins));
}

/**
 * Layer-level capacity (paper 5.3.1, estimators.md): each whole layer output is treated as one
 * channel, so the distances are between complete layer outputs.
 */
export function layerCapacity(layerI: LayerActivations, layerJ: LayerActivations, bins = DEFAULT_BINS): number | undefined {
  if (layerI.count !== layerJ.count) throw new RangeError(`both layers need the same inputs; got ${layerI.count} and ${layerJ.count}`);
  const whole = (l: LayerActivations) => distanceCodes(l.data, l.count, l.units * l.channels, bins);
  return capacityBits(whole(layerI), whole(layerJ));
}

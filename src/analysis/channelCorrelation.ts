/**
 * The Pearson correlation of a layer's channels (estimators.md "Screening the near-duplicate
 * pairs"): channel c's values over every probe input and every position of its feature map are
 * one sample `x_c` of N·U values, and `r(c, d) = Σ (x_c − x̄_c)(x_d − x̄_d) / √(Σ (x_c − x̄_c)² · Σ (x_d − x̄_d)²)`;
 * and the same r of the channels' per-input energies. The near-duplicate screen compares only the
 * pairs with a large |r| of either exactly. Pure.
 */
import type { KernelKind } from './distances';
import type { LayerActivations, LayerValues } from './layout';
import { bytes as columnGramBytes } from './wasm/columnGramWasm';
import { compiledOnce, growTo, instantiate, type KernelMemory } from './wasmModules';

/**
 * The C×C matrix of `r(c, d)`, row-major; NaN where undefined (typed array): every cell of a
 * channel with zero variance (a constant or dead channel) or with a non-finite value, including its
 * diagonal. Otherwise the diagonal is 1 and the matrix symmetric (cell (d, c) is a copy of (c, d)).
 */
export function channelCorrelations(layer: LayerActivations, kernel?: KernelKind): Float64Array {
  return columnCorrelations(layer.data, layer.count * layer.units, layer.channels, kernel);
}

/**
 * The Pearson correlation over the inputs of the channels' energies `e_c(x) = Σ_p (x_c(x, p) − x̄_c)²`
 * (each input's feature map about the channel's mean, squared and summed over the positions):
 * the screen's second statistic, blind to where in the map a value sits, as the pair distances
 * are. A channel whose maps are another's moved in space (a shifted filter), scaled or
 * sign-flipped has the same energies up to a factor, r = 1, where its position-wise r may be near
 * 0. C×C, row-major, NaN where undefined, as channelCorrelations.
 */
export function channelEnergyCorrelations(layer: LayerActivations | LayerValues, kernel?: KernelKind): Float64Array {
  const { count, units, channels: n, data } = layer;
  const mean = channelMeans(layer);
  const energy = new Float64Array(count * n);
  // Each input's energy summed over its positions in order, in either layout: the same bits.
  if ('channelsFirst' in layer && layer.channelsFirst) {
    for (let x = 0; x < count; x++)
      for (let c = 0; c < n; c++) {
        const at = (x * n + c) * units;
        const m = mean[c];
        let e = 0;
        for (let p = 0; p < units; p++) {
          const v = data[at + p] - m;
          e += v * v;
        }
        energy[x * n + c] = e;
      }
  } else
    for (let x = 0; x < count; x++)
      for (let p = 0; p < units; p++) {
        const at = (x * units + p) * n;
        for (let c = 0; c < n; c++) {
          const v = data[at + c] - mean[c];
          energy[x * n + c] += v * v;
        }
      }
  return columnCorrelations(energy, count, n, kernel);
}

/**
 * Each channel's mean over every input and position, in float64, summed in the order of the rows
 * `(input, position)` whatever the layout (so a channels-first layer's means are its channels-last
 * copy's, bit for bit).
 */
export function channelMeans(layer: LayerActivations | LayerValues): Float64Array {
  const { count, units, channels: n, data } = layer;
  const rows = count * units;
  const mean = new Float64Array(n);
  if ('channelsFirst' in layer && layer.channelsFirst) {
    for (let x = 0; x < count; x++)
      for (let c = 0; c < n; c++) {
        let m = mean[c];
        for (let p = 0, at = (x * n + c) * units; p < units; p++) m += data[at + p];
        mean[c] = m;
      }
  } else for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) mean[c] += data[i * n + c];
  for (let c = 0; c < n; c++) mean[c] /= rows;
  return mean;
}

/**
 * Pearson r of the columns of a row-major `rows × n` matrix: one pass for the means, then the
 * centred Gram matrix's upper triangle in float64, tile by tile (`centredGramTile`).
 */
function columnCorrelations(data: ArrayLike<number>, rows: number, n: number, kernel?: KernelKind): Float64Array {
  const mean = new Float64Array(n);
  for (let i = 0; i < rows; i++) {
    const at = i * n;
    for (let c = 0; c < n; c++) mean[c] += data[at + c];
  }
  for (let c = 0; c < n; c++) mean[c] /= rows;
  const wasm = kernel === 'js' ? undefined : columnGramKernel();
  if (kernel === 'wasm-simd' && !wasm) throw new Error('WebAssembly is not available in this runtime');
  const gram = wasm && n > 1 && paddedChannels(n) <= MAX_WASM_CHANNELS ? wasm(data, mean, rows, n) : centredGram(data, mean, rows, n);
  return correlationsFromGram(gram, n);
}

/**
 * Pearson r from a centred Gram matrix's upper triangle and diagonal (`n × n`, row-major): NaN for
 * a channel of zero variance or a non-finite sum, 1 on the diagonal otherwise, clamped to [−1, 1],
 * the matrix symmetric.
 */
export function correlationsFromGram(gram: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const vc = gram[c * n + c];
    for (let d = c; d < n; d++) {
      const vd = gram[d * n + d];
      // Zero variance (or a non-finite sum): undefined, never screened in.
      let r = vc > 0 && vd > 0 && Number.isFinite(vc) && Number.isFinite(vd) ? gram[c * n + d] / Math.sqrt(vc * vd) : NaN;
      if (c === d && !Number.isNaN(r)) r = 1;
      else if (r > 1) r = 1;
      else if (r < -1) r = -1;
      out[c * n + d] = r;
      out[d * n + c] = r;
    }
  }
  return out;
}

/**
 * Columns a block of the Gram matrix takes: their centred values (`rows` × 64 float64, column by
 * column) are made once per block pair.
 */
const GRAM_BLOCK = 64;

/**
 * The upper triangle (d ≥ c) of `Σ_i (x_i[c] − mean[c])·(x_i[d] − mean[d])`, row-major `n × n`,
 * the rows summed in order from 0 (so each cell is the sum of row-by-row outer products, bit for
 * bit). Block by block of 64 columns, centred once into column-major float64 blocks; within a block
 * pair, 2 × 4 cells are summed at a time in locals over every row. Row-by-row outer products into
 * the whole matrix took 1.35 s for 640 channels × 3,200 rows (2 ns a product: MobileNetV2's
 * findings spent 17 s of this thread on them); blocked, 0.41–0.46 s.
 *
 * (The outer products skipped a row's products where x_i[c] − mean[c] = 0; adding them changes no
 * cell that enters an r: a cell whose channels are both finite adds ±0 to a sum that is never −0,
 * and any other cell gives NaN either way.)
 */
function centredGram(data: ArrayLike<number>, mean: Float64Array, rows: number, n: number): Float64Array {
  const gram = new Float64Array(n * n);
  const width = Math.min(GRAM_BLOCK, n);
  const left = new Float64Array(rows * width);
  const right = new Float64Array(rows * width);
  for (let c0 = 0; c0 < n; c0 += GRAM_BLOCK) {
    const c1 = Math.min(n, c0 + GRAM_BLOCK);
    centreBlock(data, mean, rows, n, c0, c1, left);
    for (let d0 = c0; d0 < n; d0 += GRAM_BLOCK) {
      const d1 = Math.min(n, d0 + GRAM_BLOCK);
      const same = d0 === c0;
      if (!same) centreBlock(data, mean, rows, n, d0, d1, right);
      gramBlock(left, same ? left : right, rows, n, c0, c1, d0, d1, gram);
    }
  }
  return gram;
}

/** Columns `[c0, c1)` of the row-major `rows × n` data, each minus its mean, column after column into `block`. */
function centreBlock(
  data: ArrayLike<number>,
  mean: Float64Array,
  rows: number,
  n: number,
  c0: number,
  c1: number,
  block: Float64Array,
): void {
  for (let c = c0; c < c1; c++) {
    const m = mean[c];
    const at = (c - c0) * rows;
    for (let i = 0, k = c; i < rows; i++, k += n) block[at + i] = data[k] - m;
  }
}

/**
 * Cells (c, d), d ≥ c, of columns `[c0, c1)` × `[d0, d1)` from their centred blocks: each the sum
 * over i = 0, 1, … of `left[c]·right[d]`, in a local.
 */
function gramBlock(
  left: Float64Array,
  right: Float64Array,
  rows: number,
  n: number,
  c0: number,
  c1: number,
  d0: number,
  d1: number,
  gram: Float64Array,
): void {
  for (let c = c0; c < c1; c += 2) {
    const a0 = (c - c0) * rows;
    // An odd last column pairs with itself; its second row of cells is not written.
    const a1 = c + 1 < c1 ? a0 + rows : a0;
    // From the group of four columns that holds the diagonal (the block pair on it), else the first.
    for (let d = c > d0 ? d0 + ((c - d0) & ~3) : d0; d < d1; d += 4) {
      const b0 = (d - d0) * rows;
      const b1 = d + 1 < d1 ? b0 + rows : b0;
      const b2 = d + 2 < d1 ? b0 + 2 * rows : b0;
      const b3 = d + 3 < d1 ? b0 + 3 * rows : b0;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      for (let i = 0; i < rows; i++) {
        const x0 = left[a0 + i];
        const x1 = left[a1 + i];
        const y0 = right[b0 + i];
        const y1 = right[b1 + i];
        const y2 = right[b2 + i];
        const y3 = right[b3 + i];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      const sums = [s00, s01, s02, s03, s10, s11, s12, s13];
      for (let k = 0; k < 2 && c + k < c1; k++)
        for (let j = 0; j < 4 && d + j < d1; j++) if (d + j >= c + k) gram[(c + k) * n + d + j] = sums[4 * k + j];
    }
  }
}

/** Channels rounded up to the kernel's tiles (8 columns). */
const paddedChannels = (n: number) => Math.ceil(n / 8) * 8;

/**
 * Most channels (padded) whose Gram matrix the WebAssembly kernel holds (`np² × 8` bytes in its
 * memory, which never shrinks: 2,048 channels, 32 MB); wider layers take the JavaScript loop.
 */
const MAX_WASM_CHANNELS = 2048;

/** Bytes of centred rows the kernel takes a call (a chunk stays in the cache while every tile reads it). */
const GRAM_CHUNK_BYTES = 512 * 1024;

const compileColumnGram = compiledOnce(columnGramBytes);
let columnGram: ((data: ArrayLike<number>, mean: Float64Array, rows: number, n: number) => Float64Array) | null | undefined;

/**
 * This thread's `centredGram` in WebAssembly SIMD (wasm/columnGram.wat), or null without it: the
 * rows centred here into the kernel's memory a chunk at a time (`data[k] − mean[c]`, as
 * `centreBlock`), the kernel adds each chunk's products to every cell in row order, and the upper
 * triangle comes back as `centredGram` gives it, bit for bit (the lower holds zeros or sums nobody reads).
 */
function columnGramKernel(): typeof columnGram {
  if (columnGram === undefined) {
    const module = compileColumnGram();
    if (module) {
      const kernel = instantiate<{ memory: KernelMemory; gram(x: number, rows: number, np: number, out: number): void }>(module);
      columnGram = (data, mean, rows, n) => {
        const np = paddedChannels(n);
        const chunk = Math.max(1, Math.floor(GRAM_CHUNK_BYTES / (8 * np)));
        const xAt = np * np * 8;
        const mem = growTo(kernel.memory, xAt + chunk * np * 8);
        const out = new Float64Array(mem, 0, np * np).fill(0);
        // The columns past the channels stay zero: their cells are never read.
        const x = new Float64Array(mem, xAt, chunk * np).fill(0);
        for (let i0 = 0; i0 < rows; i0 += chunk) {
          const count = Math.min(chunk, rows - i0);
          for (let k = 0; k < count; k++) {
            const from = (i0 + k) * n;
            const to = k * np;
            for (let c = 0; c < n; c++) x[to + c] = data[from + c] - mean[c];
          }
          kernel.gram(xAt, count, np, 0);
        }
        const gram = new Float64Array(n * n);
        for (let c = 0; c < n; c++) gram.set(out.subarray(c * np, c * np + n), c * n);
        return gram;
      };
    } else columnGram = null;
  }
  return columnGram;
}

/**
 * A pool of worker threads that runs the expensive stages of the analysis core on every core:
 * the distance matrix and neighbour search of the inter-sample entropy, and the distance codes and
 * joint histograms of a capacity matrix. Results are identical to the single-threaded functions of
 * src/analysis (same code, same summation order); only the schedule differs.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  BLOCK_ROWS,
  CapacityMatrix,
  cleanSamples,
  DEFAULT_BINS,
  DEFAULT_K,
  DistanceCodes,
  interSampleEntropy,
  layerDistanceCodes,
  InterSampleResult,
  LayerActivations,
  neighbourCount,
  symmetricEntropyBits,
  checkBins,
  CodedError,
  gatherRows,
  hasErrorCode,
  SampleArray,
} from '../analysis';
import { RpcChannel } from '../rpc/channel';
import { ParamsIn, RequestType, ResultOut, RpcError } from '../rpc/messages';
import { workerPort } from '../rpc/ports';
import {
  capacityCodes,
  capacityRows,
  distanceTiles,
  interSampleRows,
  RANGE_ERROR_CODE,
  SharedCodes,
  SharedLayer,
  SharedSamples,
} from './protocol';

/** Work below this many multiply-adds runs inline: starting threads would cost more than it saves. */
const INLINE_WORK = 2e7;
/**
 * Work units of one neighbour entry (selection, the σ search's exponentials, symmetrisation)
 * against one multiply-add of the distances: with small layers the neighbour phase dominates,
 * and it is worth the threads too (measured on N = 500, D = 10 and 64).
 */
const NEIGHBOUR_WORK = 100;

function inlineWork(n: number, d: number, k: number): boolean {
  return n * n * d + NEIGHBOUR_WORK * n * Math.min(k, n - 1) < INLINE_WORK;
}
/** Largest shared distance matrix (bytes) before the neighbour search streams rows instead. */
const SHARED_MATRIX_BYTES = 2 * 1024 ** 3;

/** Where the bundled worker lives: next to the running bundle, or in dist/ when run from sources (tests). */
export function resolveWorkerScript(): string {
  const candidates = [join(__dirname, 'computeWorker.js'), resolve(__dirname, '../../dist/computeWorker.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`compute worker not found (looked in ${candidates.join(', ')}); run "npm run build" first`);
  return found;
}

/** The error a cancelled computation rejects with (cancellation is not a failure). */
export class CancelledError extends CodedError {
  constructor() {
    super('cancelled', 'the computation was cancelled', 'CancelledError');
  }
  static is(e: unknown): e is CancelledError {
    return hasErrorCode(e, 'cancelled');
  }
}

/** A worker's error as the pool's callers expect it: a RangeError stays a RangeError (bad parameters, not a bug). */
function fromWorker(e: unknown): unknown {
  return RpcError.is(e, RANGE_ERROR_CODE) ? new RangeError(e.message) : e;
}

export class ComputePool {
  readonly size: number;
  private workers: { worker: Worker; channel: RpcChannel }[] = [];
  private readonly script: string;
  private readonly log?: (line: string) => void;

  constructor(options: { workers?: number; workerScript?: string; log?: (line: string) => void } = {}) {
    this.size = Math.max(1, options.workers ?? Math.min(availableParallelism(), 8));
    this.script = options.workerScript ?? resolveWorkerScript();
    this.log = options.log;
  }

  private ensureWorkers(): RpcChannel[] {
    if (!this.workers.length) {
      for (let w = 0; w < this.size; w++) {
        const worker = new Worker(this.script);
        const channel = new RpcChannel(workerPort(worker), { peer: `compute worker ${w + 1}`, log: this.log });
        const entry = { worker, channel };
        // A worker replaced after a failure must not take its successors with it.
        const fail = (e: Error) => this.workers.includes(entry) && this.failAll(e);
        worker.on('error', fail);
        worker.on('exit', (code) => fail(new Error(`compute worker ${w + 1} stopped unexpectedly (exit code ${code})`)));
        this.workers.push(entry);
      }
    }
    return this.workers.map((w) => w.channel);
  }

  /** Rejects every pending computation with `e` and stops the workers (the next computation starts new ones). */
  private failAll(e: Error): void {
    const workers = this.workers;
    this.workers = [];
    for (const { worker, channel } of workers) {
      channel.close(e);
      void worker.terminate();
    }
  }

  /** One request to worker `worker`; cancelling stops every worker, since a worker cannot be interrupted mid-stage. */
  private async run<T extends RequestType>(worker: number, type: T, params: ParamsIn<T>, signal?: AbortSignal): Promise<ResultOut<T>> {
    if (signal?.aborted) throw new CancelledError();
    const channel = this.ensureWorkers()[worker];
    const onAbort = () => this.failAll(new CancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await channel.request(type, params);
    } catch (e) {
      throw fromWorker(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Inter-sample entropy (paper 4.4.1) of `n` samples of `d` values on all workers: the upper
   * triangle of the distance matrix is split into tiles shared round-robin, then each worker finds
   * the neighbours of its half of the rows; the O(N·K) symmetrisation runs here.
   */
  async interSampleEntropy(
    values: ArrayLike<number>,
    n: number,
    d: number,
    options: { k?: number; signal?: AbortSignal } = {},
  ): Promise<InterSampleResult> {
    const k = options.k ?? DEFAULT_K;
    const K = neighbourCount(n, k);
    if (K < 2 || inlineWork(n, d, k) || this.size === 1) return interSampleEntropy(values, n, d, { k });
    const t0 = performance.now();
    const clean = cleanSamples(values, n, d, sharedArray);
    const samples = sharedSamples(clean.data, n, clean.d);
    const W = this.size;
    let matrix: SharedArrayBuffer | undefined;
    if (n * n * 8 <= SHARED_MATRIX_BYTES) {
      matrix = new SharedArrayBuffer(n * n * 8);
      const tiles: number[][] = Array.from({ length: W }, () => []);
      let t = 0;
      for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) for (let j0 = i0; j0 < n; j0 += BLOCK_ROWS) tiles[t++ % W].push(i0, j0);
      await Promise.all(tiles.map((list, w) => this.run(w, distanceTiles, { samples, matrix: matrix!, tiles: list }, options.signal)));
    }
    const t1 = performance.now();
    const indices = new SharedArrayBuffer(n * K * 4);
    const weights = new SharedArrayBuffer(n * K * 8);
    await Promise.all(
      splitRange(n, W).map(([r0, r1], w) => this.run(w, interSampleRows, { matrix, samples, K, r0, r1, indices, weights }, options.signal)),
    );
    const t2 = performance.now();
    const entropyBits = symmetricEntropyBits(n, K, new Int32Array(indices), new Float64Array(weights));
    const t3 = performance.now();
    return {
      entropyBits,
      timingsMs: { distances: t1 - t0, neighbours: t2 - t1, entropy: t3 - t2 },
      n,
      K,
      nonFiniteCount: clean.nonFiniteCount,
      droppedCoordinates: clean.droppedCoordinates,
      kernel: 'wasm-simd',
    };
  }

  /**
   * Inter-sample entropies of several subsets of one sample set (e.g. all probe inputs and each
   * class): the distance matrix is computed once and every subset reads its sub-block, which gives
   * bit-identical results to computing each subset on its own. `'all'` stands for every sample.
   */
  async interSampleEntropies(
    values: ArrayLike<number>,
    n: number,
    d: number,
    subsets: (readonly number[] | 'all')[],
    options: {
      k?: number;
      signal?: AbortSignal;
      /**
       * Receives the full `n × n` distance matrix of all samples once the workers have computed it
       * (only then: not when the work runs inline), for a caller that needs the same distances.
       */
      onDistances?: (matrix: Float64Array) => void;
    } = {},
  ): Promise<InterSampleResult[]> {
    const k = options.k ?? DEFAULT_K;
    neighbourCount(n, k);
    if (inlineWork(n, d, k) || this.size === 1 || n * n * 8 > SHARED_MATRIX_BYTES) {
      const out: InterSampleResult[] = [];
      for (const s of subsets) {
        out.push(
          s === 'all'
            ? await this.interSampleEntropy(values, n, d, options)
            : await this.interSampleEntropy(gatherSamples(values, d, s), s.length, d, options),
        );
      }
      return out;
    }
    const clean = cleanSamples(values, n, d, sharedArray);
    const samples = sharedSamples(clean.data, n, clean.d);
    const W = this.size;
    const matrix = new SharedArrayBuffer(n * n * 8);
    const tiles: number[][] = Array.from({ length: W }, () => []);
    let t = 0;
    for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) for (let j0 = i0; j0 < n; j0 += BLOCK_ROWS) tiles[t++ % W].push(i0, j0);
    await Promise.all(tiles.map((list, w) => this.run(w, distanceTiles, { samples, matrix, tiles: list }, options.signal)));
    options.onDistances?.(new Float64Array(matrix));
    const results: InterSampleResult[] = [];
    for (const s of subsets) {
      const m = s === 'all' ? n : s.length;
      const K = neighbourCount(m, k);
      const base = {
        n: m,
        K,
        nonFiniteCount: clean.nonFiniteCount,
        droppedCoordinates: clean.droppedCoordinates,
        kernel: 'wasm-simd' as const,
      };
      if (K < 2) {
        results.push({ ...base, entropyBits: undefined });
        continue;
      }
      const indices = new SharedArrayBuffer(m * K * 4);
      const weights = new SharedArrayBuffer(m * K * 8);
      const subset = s === 'all' ? undefined : Array.from(s);
      await Promise.all(
        splitRange(m, W).map(([r0, r1], w) =>
          this.run(w, interSampleRows, { matrix, samples, K, r0, r1, indices, weights, subset }, options.signal),
        ),
      );
      results.push({ ...base, entropyBits: symmetricEntropyBits(m, K, new Int32Array(indices), new Float64Array(weights)) });
    }
    return results;
  }

  /**
   * Capacity matrix between every channel of `layerI` (columns) and of `layerJ` (rows), paper
   * 5.3.1 / Fig. 8: each worker bins the pair distances of a share of the channels, then fills a
   * share of the rows from the joint histograms.
   */
  async capacityMatrix(
    layerI: LayerActivations,
    layerJ: LayerActivations,
    options: { bins?: number; signal?: AbortSignal } = {},
  ): Promise<CapacityMatrix> {
    const bins = options.bins ?? DEFAULT_BINS;
    checkBins(bins);
    if (layerI.count !== layerJ.count) throw new RangeError(`both layers need the same inputs; got ${layerI.count} and ${layerJ.count}`);
    const W = this.size;
    // Each layer is shared once; the workers take its channels apart themselves.
    const layerCodes = async (layer: LayerActivations): Promise<SharedCodes[]> => {
      const shared = shareLayer(layer);
      const parts = await Promise.all(
        splitRange(layer.channels, W).map(([c0, c1], w) => this.run(w, capacityCodes, { layer: shared, c0, c1, bins }, options.signal)),
      );
      return parts.flatMap((r) => r.codes);
    };
    const columns = await layerCodes(layerI);
    const rows = layerI === layerJ ? columns : await layerCodes(layerJ);
    const out = new SharedArrayBuffer(rows.length * columns.length * 8);
    await Promise.all(
      splitRange(rows.length, W).map(([r0, r1], w) => this.run(w, capacityRows, { columns, rows, r0, r1, out }, options.signal)),
    );
    const entropy = (c: SharedCodes) => c.entropyBits ?? undefined;
    return {
      rows: rows.length,
      columns: columns.length,
      values: new Float64Array(out),
      columnEntropyBits: columns.map(entropy),
      rowEntropyBits: rows.map(entropy),
    };
  }

  /**
   * The binned pair-distance codes of every channel of a layer (channel capacity steps 1–2, one
   * distance pass per channel), the channels shared among the workers; the same codes as
   * `layerDistanceCodes` in src/analysis. Small layers run inline.
   */
  async layerDistanceCodes(layer: LayerActivations, options: { bins?: number; signal?: AbortSignal } = {}): Promise<DistanceCodes[]> {
    const bins = options.bins ?? DEFAULT_BINS;
    checkBins(bins);
    if (this.size === 1 || layer.channels < 2 || layer.count * layer.count * layer.units * layer.channels < INLINE_WORK) {
      if (options.signal?.aborted) throw new CancelledError();
      return layerDistanceCodes(layer, bins);
    }
    const shared = shareLayer(layer);
    const parts = await Promise.all(
      splitRange(layer.channels, this.size).map(([c0, c1], w) =>
        this.run(w, capacityCodes, { layer: shared, c0, c1, bins }, options.signal),
      ),
    );
    return parts.flatMap((r) =>
      r.codes.map((c) => ({
        n: c.n,
        bins: c.bins,
        codes: c.bins <= 255 ? new Uint8Array(c.codes) : new Uint16Array(c.codes),
        entropyBits: c.entropyBits ?? undefined,
        nonFiniteCount: c.nonFiniteCount,
      })),
    );
  }

  /** Stops the workers; pending computations reject. */
  close(): void {
    this.failAll(new CancelledError());
  }
}

/** A float32 or float64 array in shared memory, so workers read it without a copy. */
function sharedArray(length: number, float32: boolean): SampleArray {
  return float32 ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float64Array(new SharedArrayBuffer(length * 8));
}

/** Describes samples that already live in a whole SharedArrayBuffer. */
function sharedSamples(data: SampleArray, n: number, d: number): SharedSamples {
  return { n, d, type: data instanceof Float32Array ? 'float32' : 'float64', data: data.buffer as SharedArrayBuffer };
}

function shareLayer(layer: LayerActivations): SharedLayer {
  const float32 = layer.data instanceof Float32Array;
  const buffer = new SharedArrayBuffer(layer.data.length * (float32 ? 4 : 8));
  (float32 ? new Float32Array(buffer) : new Float64Array(buffer)).set(layer.data);
  return { count: layer.count, units: layer.units, channels: layer.channels, type: float32 ? 'float32' : 'float64', data: buffer };
}

/** `gatherRows`, keeping a Float32Array float32 (half the memory of a float64 copy, same distances). */
function gatherSamples(values: ArrayLike<number>, d: number, rows: readonly number[]): ArrayLike<number> {
  if (!(values instanceof Float32Array)) return gatherRows(values, d, rows);
  const out = new Float32Array(rows.length * d);
  rows.forEach((row, k) => out.set(values.subarray(row * d, row * d + d), k * d));
  return out;
}

/** Splits `[0, n)` into `parts` contiguous ranges of near-equal size (empty ranges dropped). */
export function splitRange(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < parts; p++) {
    const a = Math.floor((n * p) / parts);
    const b = Math.floor((n * (p + 1)) / parts);
    if (b > a) out.push([a, b]);
  }
  return out;
}

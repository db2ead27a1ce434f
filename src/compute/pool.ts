/**
 * A pool of worker threads that runs the expensive stages of the analysis core on every core:
 * the distance matrix and neighbour search of the inter-sample entropy, and the distance codes and
 * joint histograms of a capacity matrix. Results are identical to the single-threaded functions of
 * src/analysis (same code, same summation order); only the schedule differs. Every stage is cut
 * into small chunks that the workers take on demand (src/contract/protocols/compute.ts, ClaimsSchema), so a core busy
 * with another process slows a stage by its share, not by holding up a fixed half.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CapacityMatrix,
  capacityCells,
  cleanSamples,
  DEFAULT_BINS,
  DEFAULT_K,
  DistanceCodes,
  fillCapacityCells,
  interSampleEntropy,
  layerDistanceCodes,
  InterSampleResult,
  LayerActivations,
  LayerValues,
  neighbourCount,
  neighbourEntropy,
  checkBins,
  checkPairwiseSize,
  SHARED_DISTANCE_MATRIX_BYTES,
  CancelledError,
  gatherSampleRows,
  upperTriangleOrigins,
  sameCodes,
  type CleanSamples,
} from '../analysis';
import { nativeDistanceMatrix, nativeDistanceMatrixOfFinite, NativeGramError, usesNativeGram } from '../native/nativeGram';
import { nativeRuntime } from '../native/ortRuntime';
import { RpcChannel } from '../rpc/channel';
import { ParamsIn, RequestType, ResultOut, RpcError } from '../contract/messages';
import { workerPort } from '../rpc/ports';
import {
  CANCELLED_CLAIM,
  capacityCellList,
  capacityCodes,
  capacityRows,
  Claims,
  distanceTiles,
  interSampleRows,
  RANGE_ERROR_CODE,
  SharedCodes,
  SharedLayer,
  SharedSamples,
  touchPages,
} from '../contract/protocols/compute';
import { checkedSelection, countOnlySamples, LayerSelection, selectedSize, sharedArray, sharedSamples, shareLayer } from './sharedLayer';

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
/** Largest shared layer buffer kept for the next layer's distance codes (bytes). */
const KEPT_LAYER_BYTES = 64 * 1024 ** 2;

/**
 * Channels a worker takes at a time of a layer left in its shared memory (SharedLayer `gather`),
 * at most {@link GATHER_BYTES} of them: gathered together, each cache line of the layer read
 * serves several channels (one at a time, each channel read every line of the layer).
 */
const GATHER_CHANNELS = 8;
const GATHER_BYTES = 16 * 1024 ** 2;
/**
 * Chunks per worker a stage is cut into: enough that a worker slowed by another process costs
 * the stage at most about one chunk of waiting, few enough that taking a chunk (one atomic add)
 * and a chunk's own set-up stay negligible.
 */
const CHUNKS_PER_WORKER = 16;

export interface ComputePoolOptions {
  workers?: number;
  workerScript?: string;
  log?: (line: string) => void;
  /** Chunks per worker of each stage (default 16; tests choose uneven counts). */
  chunksPerWorker?: number;
  /** Largest shared distance matrix before the neighbour search streams rows (default 2 GiB; tests make it small). */
  sharedMatrixBytes?: number;
  /**
   * How long the layer buffer kept for the next layer's distance codes waits for one before it is
   * let go (ms; default: for the pool's life). A report, whose phases without capacity work last
   * tens of seconds, lets it go after a second rather than hold it beside its peak.
   */
  keptLayerIdleMs?: number;
}

/** Where the bundled worker lives: next to the running bundle, or in dist/ when run from sources (tests). */
export function resolveWorkerScript(): string {
  const candidates = [join(__dirname, 'computeWorker.js'), resolve(__dirname, '../../dist/computeWorker.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`compute worker not found (looked in ${candidates.join(', ')}); run "npm run build" first`);
  return found;
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
  private readonly chunksPerWorker: number;
  private readonly sharedMatrixBytes: number;
  /** The shared buffer of the last layer whose codes were computed, for the next layer of its size. */
  private keptLayer: SharedArrayBuffer | undefined;
  /** The bytes of the layer buffer a worker is preparing (`reserveLayerBuffer`), 0 when none. */
  private reservingBytes = 0;
  private readonly keptLayerIdleMs: number;
  /** Lets go of `keptLayer` once it has waited `keptLayerIdleMs`. */
  private keptLayerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ComputePoolOptions = {}) {
    this.size = Math.max(1, options.workers ?? Math.min(availableParallelism(), 8));
    this.script = options.workerScript ?? resolveWorkerScript();
    this.log = options.log;
    this.chunksPerWorker = Math.max(1, Math.floor(options.chunksPerWorker ?? CHUNKS_PER_WORKER));
    this.sharedMatrixBytes = options.sharedMatrixBytes ?? SHARED_DISTANCE_MATRIX_BYTES;
    this.keptLayerIdleMs = options.keptLayerIdleMs ?? Infinity;
  }

  /** The bytes of the layer buffer kept for the next layer's distance codes (0 when none). */
  get keptLayerBytes(): number {
    return this.keptLayer?.byteLength ?? 0;
  }

  /** Items per chunk for a stage of `total` items, at least `least`. */
  private chunkOf(total: number, least = 1): number {
    return Math.max(least, Math.ceil(total / (this.size * this.chunksPerWorker)));
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

  /**
   * One stage on every worker, its `total` items taken in chunks of `chunk` on demand (compute.ts,
   * ClaimsSchema): `params(claims)` builds the request each worker gets. Cancelling rejects at once
   * and pushes the stage's counter past the end, so the workers stop after the chunk in hand and
   * the other computations on the pool go on.
   */
  private async stage<T extends RequestType>(
    type: T,
    total: number,
    chunk: number,
    params: (claims: Claims) => ParamsIn<T>,
    signal?: AbortSignal,
  ): Promise<ResultOut<T>[]> {
    if (signal?.aborted) throw new CancelledError();
    if (total <= 0) return [];
    const buffer = new SharedArrayBuffer(4);
    const counter = new Int32Array(buffer);
    const claims: Claims = { counter: buffer, chunk };
    const channels = this.ensureWorkers().slice(0, Math.ceil(total / chunk));
    const work = Promise.all(
      channels.map(async (channel) => {
        try {
          return await channel.request(type, params(claims));
        } catch (e) {
          throw fromWorker(e);
        }
      }),
    );
    if (!signal) return work;
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        Atomics.store(counter, 0, CANCELLED_CLAIM);
        reject(new CancelledError());
      };
    });
    signal.addEventListener('abort', onAbort, { once: true });
    // After a cancel, the workers' answers (or failures) are nobody's concern.
    work.catch(() => undefined);
    try {
      return await Promise.race([work, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Inter-sample entropy (paper 4.4.1) of `n` samples of `d` values on all workers: the workers
   * take the tiles of the distance matrix's upper triangle in chunks, then chunks of rows to find
   * their neighbours; the O(N·K) symmetrisation runs here.
   */
  async interSampleEntropy(
    values: ArrayLike<number>,
    n: number,
    d: number,
    options: { k?: number; signal?: AbortSignal } = {},
  ): Promise<InterSampleResult> {
    const k = options.k ?? DEFAULT_K;
    const K = neighbourCount(n, k);
    checkPairwiseSize({ kind: 'inter', n, k: K }, 'inter-sample entropy');
    if (K < 2 || inlineWork(n, d, k) || this.size === 1) return interSampleEntropy(values, n, d, { k });
    const t0 = performance.now();
    const { clean, samples, matrix, kernel } = await this.distances(values, n, d, options.signal, n * n * 8 <= this.sharedMatrixBytes);
    const t1 = performance.now();
    const indices = new SharedArrayBuffer(n * K * 4);
    const weights = new SharedArrayBuffer(n * K * 8);
    await this.stage(
      interSampleRows,
      n,
      this.chunkOf(n, 8),
      (claims) => ({ matrix, samples, K, r0: 0, r1: n, indices, weights, claims }),
      options.signal,
    );
    const t2 = performance.now();
    const entropy = neighbourEntropy(n, K, new Int32Array(indices), new Float64Array(weights));
    const t3 = performance.now();
    return {
      ...entropy,
      timingsMs: { distances: t1 - t0, neighbours: t2 - t1, entropy: t3 - t2 },
      n,
      K,
      nonFiniteCount: clean.nonFiniteCount,
      droppedCoordinates: clean.droppedCoordinates,
      kernel,
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
      /**
       * The full `n × n` float64 distance matrix of `values`, all finite, computed already on the
       * native kernel (src/native/nativePass.ts): read instead of computing the distances.
       */
      distances?: SharedArrayBuffer;
    } = {},
  ): Promise<InterSampleResult[]> {
    const k = options.k ?? DEFAULT_K;
    checkPairwiseSize({ kind: 'inter', n, k: neighbourCount(n, k) }, 'inter-sample entropy');
    if (inlineWork(n, d, k) || this.size === 1 || n * n * 8 > this.sharedMatrixBytes) {
      const out: InterSampleResult[] = [];
      for (const s of subsets) {
        out.push(
          s === 'all'
            ? await this.interSampleEntropy(values, n, d, options)
            : await this.interSampleEntropy(gatherSampleRows(values, d, s), s.length, d, options),
        );
      }
      return out;
    }
    const given = options.distances;
    if (given && given.byteLength !== n * n * 8) throw new RangeError(`the distances of ${n} samples need ${n * n} float64 values`);
    const { clean, samples, matrix, kernel } =
      given && (values instanceof Float32Array || values instanceof Float64Array)
        ? { clean: finiteSamples(values, n, d), samples: countOnlySamples(n), matrix: given, kernel: 'native' as const }
        : await this.distances(values, n, d, options.signal, true);
    if (!matrix) throw new Error('the distance matrix was not computed');
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
        kernel,
      };
      if (K < 2) {
        results.push({ ...base, entropyBits: undefined, undefinedReason: 'too-few-samples' });
        continue;
      }
      const indices = new SharedArrayBuffer(m * K * 4);
      const weights = new SharedArrayBuffer(m * K * 8);
      const subset = s === 'all' ? undefined : Array.from(s);
      await this.stage(
        interSampleRows,
        m,
        this.chunkOf(m, 8),
        (claims) => ({ matrix, samples, K, r0: 0, r1: m, indices, weights, subset, claims }),
        options.signal,
      );
      results.push({ ...base, ...neighbourEntropy(m, K, new Int32Array(indices), new Float64Array(weights)) });
    }
    return results;
  }

  /**
   * Capacity matrix between every channel of `layerI` (columns) and of `layerJ` (rows), paper
   * 5.3.1 / Fig. 8: the workers take channels one by one to bin their pair distances, then chunks
   * of columns to fill from the joint histograms.
   */
  async capacityMatrix(
    layerI: LayerActivations,
    layerJ: LayerActivations,
    options: { bins?: number; signal?: AbortSignal } = {},
  ): Promise<CapacityMatrix> {
    const bins = options.bins ?? DEFAULT_BINS;
    checkBins(bins);
    if (layerI.count !== layerJ.count) throw new RangeError(`both layers need the same inputs; got ${layerI.count} and ${layerJ.count}`);
    const streams = layerI.channels + (layerI === layerJ ? 0 : layerJ.channels);
    checkPairwiseSize({ kind: 'codes', n: layerI.count, streams }, 'the channel capacity');
    // The workers start while this thread shares the first layer, and the second is shared while
    // they compute the first one's codes: this thread's copies keep no worker waiting but the first.
    this.ensureWorkers();
    const first = this.sharedLayerCodes(this.share(layerI), bins, options.signal);
    if (layerI === layerJ) {
      const codes = await first;
      return this.capacityFromCodes(codes, codes, options.signal);
    }
    first.catch(() => undefined);
    const second = this.share(layerJ);
    const columns = await first;
    const rows = await this.sharedLayerCodes(second, bins, options.signal);
    return this.capacityFromCodes(columns, rows, options.signal);
  }

  /**
   * Capacity stage 1 for a whole layer: the binned pair-distance codes of every channel, one
   * channel per chunk. The codes live in shared memory, so a caller may keep them and pair them
   * with other layers' (`capacityFromCodes`) without computing the distances again.
   */
  async layerCodes(
    layer: LayerActivations | LayerValues,
    bins: number,
    signal?: AbortSignal,
    select?: LayerSelection,
  ): Promise<SharedCodes[]> {
    checkBins(bins);
    const { count, channels } = selectedSize(layer, select);
    checkPairwiseSize({ kind: 'codes', n: count, streams: channels }, `the pair distances of ${channels} channels`);
    // Cold, the workers start while this thread shares the layer.
    this.ensureWorkers();
    return this.sharedLayerCodes(this.share(layer, select), bins, signal);
  }

  /**
   * `layer` (its rows and channels `select`s, in that order) in shared memory, channels first:
   * shared once, the workers take its channels apart themselves. A float32 layer of several
   * channels already in shared memory (a split forward pass's) stays where it is: each worker
   * gathers the channels it takes (`gather`), off this thread, which would otherwise copy the
   * whole layer first (the cold network graph's copies took ≈ 1.2 s of it).
   */
  private share(layer: LayerActivations | LayerValues, select?: LayerSelection): SharedLayer {
    const { count, channels } = selectedSize(layer, select);
    const { data, units } = layer;
    if (!layer.channelsFirst && data instanceof Float32Array && data.buffer instanceof SharedArrayBuffer && layer.channels > 1) {
      const { rows, picked } = checkedSelection(layer, select);
      return {
        count,
        units,
        channels,
        type: 'float32',
        data: data.buffer,
        gather: { offset: data.byteOffset / 4, inputs: layer.count, channels: layer.channels, rows, picked },
      };
    }
    const bytes = count * units * channels * (data instanceof Float32Array ? 4 : 8);
    return shareLayer(layer, this.takeLayerBuffer(bytes), select);
  }

  /** `layerCodes` of a layer shared already (its request goes out before this returns). */
  private async sharedLayerCodes(shared: SharedLayer, bins: number, signal?: AbortSignal): Promise<SharedCodes[]> {
    const { channels } = shared;
    // A worker gathers a gathered layer's channels a chunk at a time (GATHER_BYTES): every cache line it reads serves several.
    const chunk = shared.gather ? Math.max(1, Math.min(GATHER_CHANNELS, Math.floor(GATHER_BYTES / (4 * shared.count * shared.units)))) : 1;
    const parts = await this.stage(
      capacityCodes,
      channels,
      chunk,
      (claims) => ({ layer: shared, c0: 0, c1: channels, bins, claims }),
      signal,
    );
    // Every worker has answered, so none reads the layer any more: its buffer serves the next one
    // (one the pool copied the layer into; a layer left where it is is its owner's).
    if (!shared.gather) this.keepLayerBuffer(shared.data);
    const codes: (SharedCodes | undefined)[] = new Array<SharedCodes | undefined>(channels).fill(undefined);
    for (const part of parts) {
      if (!part.channels) throw new Error('a compute worker answered "capacity/codes" without saying which channels its codes belong to');
      part.codes.forEach((c, k) => (codes[part.channels![k]] = c));
    }
    const missing = codes.findIndex((c) => c === undefined);
    if (missing >= 0) throw new Error(`the compute workers returned no codes for channel ${missing} of ${channels}`);
    return codes as SharedCodes[];
  }

  /**
   * A shared buffer for `layer`: the one kept from an earlier layer or reserved
   * (`reserveLayerBuffer`) when it is large enough (its pages are mapped already: a fresh 32 MB
   * buffer costs the main thread ~12 ms of page faults before the workers can start), else a new one.
   */
  private takeLayerBuffer(bytes: number): SharedArrayBuffer {
    const kept = this.keptLayer;
    if (kept && kept.byteLength >= bytes) {
      this.setKeptLayer(undefined);
      return kept;
    }
    return new SharedArrayBuffer(bytes);
  }

  /** Keeps `buffer` for the next layer, unless a larger one is kept already. */
  private keepLayerBuffer(buffer: SharedArrayBuffer): void {
    if (buffer.byteLength <= KEPT_LAYER_BYTES && buffer.byteLength > (this.keptLayer?.byteLength ?? 0)) this.setKeptLayer(buffer);
  }

  /** Sets the kept buffer, and the timer that lets it go after `keptLayerIdleMs` (not holding the process open). */
  private setKeptLayer(buffer: SharedArrayBuffer | undefined): void {
    clearTimeout(this.keptLayerTimer);
    this.keptLayerTimer = undefined;
    this.keptLayer = buffer;
    if (buffer && Number.isFinite(this.keptLayerIdleMs)) {
      this.keptLayerTimer = setTimeout(() => this.setKeptLayer(undefined), this.keptLayerIdleMs);
      this.keptLayerTimer.unref?.();
    }
  }

  /**
   * Prepares the buffer that layers of up to `bytes` are shared in for their distance codes: a
   * new buffer whose pages a worker writes now (`touchPages`), kept for the first such layer, so
   * that its copy on this thread, which the workers wait for, maps no fresh pages (a 32 MB layer:
   * 8,000 page faults, 15–25 ms). Nothing happens beyond {@link KEPT_LAYER_BYTES} or when a large
   * enough buffer is kept already. The buffer stays for the pool's life (the largest layer's size).
   */
  async reserveLayerBuffer(bytes: number): Promise<void> {
    if (bytes <= 0 || bytes > KEPT_LAYER_BYTES || (this.keptLayer?.byteLength ?? 0) >= bytes || this.reservingBytes >= bytes) return;
    this.reservingBytes = bytes;
    try {
      const buffer = new SharedArrayBuffer(bytes);
      await this.ensureWorkers()[0].request(touchPages, { buffer });
      this.keepLayerBuffer(buffer);
    } finally {
      this.reservingBytes = 0;
    }
  }

  /** Capacity stage 2: the matrix of `columns` × `rows` codes (from `layerCodes`), in chunks of columns. */
  async capacityFromCodes(columns: SharedCodes[], rows: SharedCodes[], signal?: AbortSignal): Promise<CapacityMatrix> {
    if (columns.length && rows.length && columns[0].n !== rows[0].n)
      throw new RangeError(`both layers need the same inputs; got ${columns[0].n} and ${rows[0].n}`);
    const out = new SharedArrayBuffer(rows.length * columns.length * 8);
    // A layer with itself: each histogram gives both cells of a channel pair (JointHistograms).
    const symmetric = sameCodes(columns, rows);
    if (rows.length)
      await this.stage(
        capacityRows,
        columns.length,
        this.chunkOf(columns.length),
        (claims) => ({ columns, rows, r0: 0, r1: rows.length, out, claims, symmetric }),
        signal,
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
   * Chosen cells of a layer's capacity matrix with itself, from its channels' codes (`layerCodes`):
   * `cells` holds `[row, column, …]`, the result one value per cell in that order, each bit for bit
   * the full matrix's cell (NaN where undefined). The near-duplicate screen's exact comparisons:
   * the workers take the rows in chunks; little work runs inline.
   */
  async capacityCells(codes: SharedCodes[], cells: readonly number[], signal?: AbortSignal): Promise<Float64Array> {
    return this.cellList(codes, cells, false, signal);
  }

  /**
   * Both cells of each channel pair of a layer with itself, from one joint histogram a pair (half
   * the work of asking `capacityCells` for both): `pairs` holds `[c, d, …]`, the result `[(c, d),
   * (d, c), …]` (row, column), each bit for bit the full matrix's cell (NaN where undefined).
   */
  async capacityPairCells(codes: SharedCodes[], pairs: readonly number[], signal?: AbortSignal): Promise<Float64Array> {
    return this.cellList(codes, pairs, true, signal);
  }

  private async cellList(codes: SharedCodes[], cells: readonly number[], both: boolean, signal?: AbortSignal): Promise<Float64Array> {
    if (cells.length % 2) throw new RangeError('cells come as [row, column] pairs');
    const { list, order } = capacityCells(cells);
    const out = new SharedArrayBuffer(list.columns.length * 8);
    const transposed = both ? new SharedArrayBuffer(list.columns.length * 8) : undefined;
    const pairs = codes[0]?.codes.byteLength ?? 0;
    if (this.size === 1 || list.columns.length * pairs < INLINE_WORK) {
      if (signal?.aborted) throw new CancelledError();
      fillCapacityCells(
        codes.map(distanceCodesOf),
        list,
        new Float64Array(out),
        0,
        list.rows.length,
        transposed && new Float64Array(transposed),
      );
    } else
      await this.stage(
        capacityCellList,
        list.rows.length,
        this.chunkOf(list.rows.length),
        (claims) => ({ codes, ...list, out, ...(transposed ? { transposed } : {}), claims }),
        signal,
      );
    const values = new Float64Array(out);
    if (!transposed) return Float64Array.from(order, (at) => values[at]);
    const swapped = new Float64Array(transposed);
    const result = new Float64Array(2 * order.length);
    order.forEach((at, i) => {
      result[2 * i] = values[at];
      result[2 * i + 1] = swapped[at];
    });
    return result;
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
    return (await this.layerCodes(layer, bins, options.signal)).map(distanceCodesOf);
  }

  /**
   * `n` samples of `d` values cleaned of non-finite coordinates, and, with `withMatrix`, their full
   * distance matrix in shared memory: on the native kernel (src/native/nativeGram.ts) where the
   * runtime loads (not under `CNN_SLICER_ENGINE=wasm`) and the set is large enough, but not too
   * large (nativeGram.ts `usesNativeGram`), else on the workers. The native kernel runs on this thread (ONNX Runtime holds it while its own
   * threads use every core) and reads the samples where they are (no shared copy), so `samples`
   * then describes their count only: the stages after it read the matrix. A runtime failure (out
   * of memory, say) leaves the set to the workers.
   */
  private async distances(
    values: ArrayLike<number>,
    n: number,
    d: number,
    signal: AbortSignal | undefined,
    withMatrix: boolean,
  ): Promise<{ clean: CleanSamples; samples: SharedSamples; matrix?: SharedArrayBuffer; kernel: 'native' | 'wasm-simd' }> {
    const runtime = withMatrix && usesNativeGram(n, d) ? nativeRuntime() : undefined;
    if (runtime && 'ort' in runtime) {
      if (signal?.aborted) throw new CancelledError();
      const matrix = new SharedArrayBuffer(n * n * 8);
      const throwIfCancelled = () => {
        if (signal?.aborted) throw new CancelledError();
      };
      try {
        // Samples that are all finite (the usual case) go in as they are: the products say so.
        if (values instanceof Float32Array || values instanceof Float64Array) {
          const done = await nativeDistanceMatrixOfFinite(runtime.ort, values, n, d, { out: new Float64Array(matrix), throwIfCancelled });
          if (done) return { clean: finiteSamples(values, n, d), samples: countOnlySamples(n), matrix, kernel: 'native' };
        }
        const clean = cleanSamples(values, n, d);
        await nativeDistanceMatrix(runtime.ort, clean.data, n, clean.d, { out: new Float64Array(matrix), throwIfCancelled });
        return { clean, samples: countOnlySamples(n), matrix, kernel: 'native' };
      } catch (e) {
        if (!(e instanceof NativeGramError)) throw e;
        this.log?.(`${e.message}; the WebAssembly kernel computes the distances`);
      }
    }
    const clean = cleanSamples(values, n, d, sharedArray);
    const samples = sharedSamples(clean.data, n, clean.d);
    return { clean, samples, matrix: withMatrix ? await this.distanceMatrix(samples, signal) : undefined, kernel: 'wasm-simd' };
  }

  /** The full symmetric distance matrix of shared samples, its upper triangle's tiles taken in chunks. */
  private async distanceMatrix(samples: SharedSamples, signal?: AbortSignal): Promise<SharedArrayBuffer> {
    const { n } = samples;
    const matrix = new SharedArrayBuffer(n * n * 8);
    const tiles = upperTriangleOrigins(n);
    const count = tiles.length / 2;
    await this.stage(distanceTiles, count, this.chunkOf(count), (claims) => ({ samples, matrix, tiles, claims }), signal);
    return matrix;
  }

  /** Stops the workers; pending computations reject. */
  close(): void {
    this.setKeptLayer(undefined);
    this.failAll(new CancelledError());
  }

  /**
   * Starts the workers now rather than at the first computation, so that loading them overlaps
   * other work (the recorder starts them while it loads the model and the dataset).
   */
  start(): void {
    this.ensureWorkers();
  }
}

/** A channel's shared codes as src/analysis reads them (a view of the same memory). */
export function distanceCodesOf(c: SharedCodes): DistanceCodes {
  return {
    n: c.n,
    bins: c.bins,
    codes: c.bins <= 255 ? new Uint8Array(c.codes) : new Uint16Array(c.codes),
    entropyBits: c.entropyBits ?? undefined,
    nonFiniteCount: c.nonFiniteCount,
  };
}

/** Samples known to hold finite values only, as `cleanSamples` describes them: nothing dropped. */
function finiteSamples(values: Float32Array | Float64Array, n: number, d: number): CleanSamples {
  return { n, d, data: values, nonFiniteCount: 0, droppedCoordinates: 0 };
}

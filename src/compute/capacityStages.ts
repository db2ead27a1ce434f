/**
 * The compute pool's stages of the channel capacity (pool.ts): each channel's binned pair-distance
 * codes, one channel (or a few gathered together) per chunk, kept in shared memory so that a caller
 * may pair them with other layers' again; the capacity matrix from codes in chunks of columns; and
 * chosen cells of it (the near-duplicate screen). The layer buffer the codes were computed from is
 * kept for the next layer of its size.
 */
import {
  CapacityMatrix,
  capacityCells,
  DEFAULT_BINS,
  DistanceCodes,
  fillCapacityCells,
  layerDistanceCodes,
  LayerActivations,
  LayerValues,
  checkBins,
  checkPairwiseSize,
  CancelledError,
  sameCodes,
} from '../analysis';
import { capacityCellList, capacityCodes, capacityRows, SharedCodes, SharedLayer, touchPages } from '../contract/protocols/compute';
import { INLINE_WORK, type StageScheduler } from './scheduler';
import { checkedSelection, LayerSelection, selectedSize, shareLayer } from './sharedLayer';

/** Largest shared layer buffer kept for the next layer's distance codes (bytes). */
const KEPT_LAYER_BYTES = 64 * 1024 ** 2;

/**
 * Channels a worker takes at a time of a layer left in its shared memory (SharedLayer `gather`),
 * at most {@link GATHER_BYTES} of them: gathered together, each cache line of the layer read
 * serves several channels (one at a time, each channel read every line of the layer).
 */
const GATHER_CHANNELS = 8;
const GATHER_BYTES = 16 * 1024 ** 2;

export class CapacityStages {
  /** The shared buffer of the last layer whose codes were computed, for the next layer of its size. */
  private keptLayer: SharedArrayBuffer | undefined;
  /** The bytes of the layer buffer a worker is preparing (`reserveLayerBuffer`), 0 when none. */
  private reservingBytes = 0;
  /** Lets go of `keptLayer` once it has waited `keptLayerIdleMs`. */
  private keptLayerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly scheduler: StageScheduler,
    /** How long the kept layer buffer waits for a layer before it is let go (ms; Infinity: for the pool's life). */
    private readonly keptLayerIdleMs: number,
  ) {}

  /** The bytes of the layer buffer kept for the next layer's distance codes (0 when none). */
  get keptLayerBytes(): number {
    return this.keptLayer?.byteLength ?? 0;
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
    this.scheduler.ensureWorkers();
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
    this.scheduler.ensureWorkers();
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
    const parts = await this.scheduler.stage(
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
  setKeptLayer(buffer: SharedArrayBuffer | undefined): void {
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
      await this.scheduler.ensureWorkers()[0].request(touchPages, { buffer });
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
      await this.scheduler.stage(
        capacityRows,
        columns.length,
        this.scheduler.chunkOf(columns.length),
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
    if (this.scheduler.size === 1 || list.columns.length * pairs < INLINE_WORK) {
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
      await this.scheduler.stage(
        capacityCellList,
        list.rows.length,
        this.scheduler.chunkOf(list.rows.length),
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
    if (this.scheduler.size === 1 || layer.channels < 2 || layer.count * layer.count * layer.units * layer.channels < INLINE_WORK) {
      if (options.signal?.aborted) throw new CancelledError();
      return layerDistanceCodes(layer, bins);
    }
    return (await this.layerCodes(layer, bins, options.signal)).map(distanceCodesOf);
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

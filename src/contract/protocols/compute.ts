/**
 * The requests of the compute pool (main thread) to its worker threads, as valibot schemas: the
 * types below are inferred from them, and the worker checks every request, the pool every answer,
 * against them. Bulk data travels in SharedArrayBuffers, so messages carry only buffers and
 * ranges; a buffer is checked for its type and its length against the sizes it is described
 * with, never element by element (which would cost as much as the work).
 */
import * as v from 'valibot';
import { defineRequest, ParamsIn, ResultOut } from '../messages';

const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Shared = v.instance(SharedArrayBuffer, 'must be a SharedArrayBuffer');
const ElementType = v.picklist(['float32', 'float64']);
const bytesOf = (type: 'float32' | 'float64') => (type === 'float32' ? 4 : 8);

/** A list of non-negative integers (tile origins, sample indices), checked in one pass without per-element schemas. */
const IndexList = v.custom<number[]>(
  (x) => Array.isArray(x) && x.every((e) => typeof e === 'number' && Number.isSafeInteger(e) && e >= 0),
  'must be a list of non-negative integers',
);

/** Row-major samples `[n, d]` shared by every worker. */
export const SharedSamplesSchema = v.pipe(
  v.object({ n: Count, d: Count, type: ElementType, data: Shared }),
  v.check((s) => s.data.byteLength >= s.n * s.d * bytesOf(s.type), 'the samples buffer is shorter than n × d values'),
);
export type SharedSamples = v.InferOutput<typeof SharedSamplesSchema>;

/**
 * Where a layer already in shared memory lies, and what of it a request takes: the whole layer,
 * float32 channels last `[inputs, units, channels]`, from element `offset` of the buffer; the
 * layer the request describes is its inputs `rows` and channels `picked`, in that order, which
 * each worker gathers for the channels it takes (src/compute/sharedLayer.ts `gatherChannels32`).
 */
const GatherSchema = v.object({ offset: Count, inputs: Count, channels: Count, rows: IndexList, picked: IndexList });

/**
 * Layer activations shared by every worker: `[count, units, channels]` (channels last, as
 * TensorFlow.js gives them), or `[channels, count, units]` with `channelsFirst`, where each
 * channel's matrix is one contiguous run (gathering a channel out of channels-last data reads
 * every cache line of the layer, for each channel), or, with `gather`, a selection of a larger
 * layer left where it is (float32 only).
 */
export const SharedLayerSchema = v.pipe(
  v.object({
    count: Count,
    units: Count,
    channels: Count,
    type: ElementType,
    data: Shared,
    channelsFirst: v.optional(v.boolean()),
    gather: v.optional(GatherSchema),
  }),
  v.check(
    (l) => l.gather !== undefined || l.data.byteLength >= l.count * l.units * l.channels * bytesOf(l.type),
    'the layer buffer is shorter than count × units × channels values',
  ),
  v.check((l) => {
    const g = l.gather;
    if (!g) return true;
    return (
      l.type === 'float32' &&
      !l.channelsFirst &&
      g.rows.length === l.count &&
      g.picked.length === l.channels &&
      g.rows.every((r) => r < g.inputs) &&
      g.picked.every((c) => c < g.channels) &&
      l.data.byteLength >= (g.offset + g.inputs * l.units * g.channels) * 4
    );
  }, 'a gathered layer takes float32 rows and channels within the layer its buffer holds'),
);
export type SharedLayer = v.InferOutput<typeof SharedLayerSchema>;

/** Distance codes of one channel as shared memory: one code per pair of inputs, a byte each up to 255 bins. */
export const SharedCodesSchema = v.pipe(
  v.object({ n: Count, bins: v.pipe(Count, v.minValue(1)), codes: Shared, entropyBits: v.nullable(v.number()), nonFiniteCount: Count }),
  v.check(
    (c) => c.codes.byteLength >= ((c.n * (c.n - 1)) / 2) * (c.bins <= 255 ? 1 : 2),
    'the codes buffer is shorter than one code per pair of inputs',
  ),
);
export type SharedCodes = v.InferOutput<typeof SharedCodesSchema>;

const Done = v.object({});

/**
 * Chunks taken on demand. The workers of one stage share `counter` (one int32 in shared memory);
 * each takes chunk `k = Atomics.add(counter, 0, 1)`, i.e. items `[k·chunk, (k+1)·chunk)` of the
 * stage, whenever it is done with the last, and stops at the first chunk past the end. A worker on
 * a busy core thus takes fewer chunks instead of holding up a fixed half, and the pool cancels a
 * stage by pushing the counter past the end (the workers stop after the chunk in hand). Every
 * chunk writes its own part of the result with the same code, so the schedule changes no bit.
 * Without `claims`, a request does all its items itself.
 */
export const ClaimsSchema = v.object({
  counter: v.pipe(
    Shared,
    v.check((b) => b.byteLength >= 4, 'the claim counter must hold one int32'),
  ),
  chunk: v.pipe(Count, v.minValue(1)),
});
export type Claims = v.InferOutput<typeof ClaimsSchema>;

/** Fill tiles of a shared symmetric `n × n` distance matrix. */
export const distanceTiles = defineRequest('distances/tiles', {
  params: v.pipe(
    v.object({
      samples: SharedSamplesSchema,
      matrix: Shared,
      /** Flat list of tile origins `[i0, j0, i0, j0, ...]` (tiles of BLOCK_ROWS). */
      tiles: IndexList,
      /** Take the tiles in chunks of `claims.chunk` tiles. */
      claims: v.optional(ClaimsSchema),
    }),
    v.check((p) => p.matrix.byteLength >= p.samples.n * p.samples.n * 8, 'the matrix buffer is shorter than n × n float64 values'),
    v.check((p) => p.tiles.length % 2 === 0 && p.tiles.every((t) => t < p.samples.n), 'tiles must be pairs of row origins below n'),
  ),
  result: Done,
});

/** Neighbours and weights of rows `[r0, r1)` (inter-sample entropy stage 2). */
export const interSampleRows = defineRequest('interSample/rows', {
  params: v.pipe(
    v.object({
      /** Read distances from this shared matrix when given, else compute them from `samples`. */
      matrix: v.optional(Shared),
      samples: SharedSamplesSchema,
      K: v.pipe(Count, v.minValue(1)),
      r0: Count,
      r1: Count,
      indices: Shared,
      weights: Shared,
      /** Work on this subset of the samples only (rows r0..r1 index the subset); needs `matrix`. */
      subset: v.optional(IndexList),
      /** Take rows `[r0, r1)` in chunks of `claims.chunk` rows. */
      claims: v.optional(ClaimsSchema),
    }),
    v.check((p) => p.r0 <= p.r1 && p.r1 <= (p.subset?.length ?? p.samples.n), 'rows must be a range within the samples (or the subset)'),
    v.check(
      (p) => p.indices.byteLength >= p.r1 * p.K * 4 && p.weights.byteLength >= p.r1 * p.K * 8,
      'the neighbour buffers are shorter than r1 × K entries',
    ),
    v.check(
      (p) => !p.matrix || p.matrix.byteLength >= p.samples.n * p.samples.n * 8,
      'the matrix buffer is shorter than n × n float64 values',
    ),
    v.check(
      (p) => !p.subset || (p.matrix !== undefined && p.subset.every((i) => i < p.samples.n)),
      'a subset needs the matrix and indices below n',
    ),
  ),
  result: Done,
});

/**
 * Binned pair-distance codes of channels `[c0, c1)` of a shared layer (capacity stage 1). With
 * `claims` (chunks of channels), `channels` says which channel each of `codes` belongs to.
 */
export const capacityCodes = defineRequest('capacity/codes', {
  params: v.pipe(
    v.object({ layer: SharedLayerSchema, c0: Count, c1: Count, bins: v.pipe(Count, v.minValue(1)), claims: v.optional(ClaimsSchema) }),
    v.check((p) => p.c0 <= p.c1 && p.c1 <= p.layer.channels, 'channels must be a range within the layer'),
  ),
  result: v.pipe(
    v.object({ codes: v.array(SharedCodesSchema), channels: v.optional(IndexList) }),
    v.check((r) => !r.channels || r.channels.length === r.codes.length, 'there must be one channel index per codes entry'),
  ),
});

/**
 * Rows `[r0, r1)` of a capacity matrix from shared codes; with `claims`, every column of those rows
 * in chunks of `claims.chunk` columns (a chunk of columns copies the rows' codes once, where a
 * chunk of rows would rescale every column's codes again).
 */
export const capacityRows = defineRequest('capacity/rows', {
  params: v.pipe(
    v.object({
      columns: v.array(SharedCodesSchema),
      rows: v.array(SharedCodesSchema),
      r0: Count,
      r1: Count,
      out: Shared,
      claims: v.optional(ClaimsSchema),
      /** The columns are the rows (a layer with itself): each histogram gives both cells of a pair (JointHistograms). */
      symmetric: v.optional(v.boolean()),
    }),
    v.check((p) => p.r0 <= p.r1 && p.r1 <= p.rows.length, 'rows must be a range within the rows'),
    v.check(
      (p) => !p.symmetric || (p.r0 === 0 && p.r1 === p.rows.length && p.columns.length === p.rows.length),
      'a symmetric matrix is square and takes every row',
    ),
    v.check(
      (p) => p.out.byteLength >= p.rows.length * p.columns.length * 8,
      'the output buffer is shorter than rows × columns float64 values',
    ),
  ),
  result: Done,
});

/**
 * A list of cells of a layer's capacity matrix with itself (src/analysis/capacity.ts
 * `CapacityCells`: row `rows[k]` takes the columns `columns[starts[k] .. starts[k + 1])`), the
 * rows taken in chunks of `claims.chunk`; each value goes to the cell's position in `out`, and,
 * with `transposed`, the cell of the same channels the other way round to that position in it.
 */
export const capacityCellList = defineRequest('capacity/cells', {
  params: v.pipe(
    v.object({
      codes: v.array(SharedCodesSchema),
      rows: IndexList,
      starts: IndexList,
      columns: IndexList,
      out: Shared,
      transposed: v.optional(Shared),
      claims: v.optional(ClaimsSchema),
    }),
    v.check((p) => p.starts.length === p.rows.length + 1 && p.starts[p.rows.length] === p.columns.length, 'starts must bound every row'),
    v.check((p) => [...p.rows, ...p.columns].every((c) => c < p.codes.length), 'cells must name channels of the codes'),
    v.check((p) => p.out.byteLength >= p.columns.length * 8, 'the output buffer is shorter than one float64 value per cell'),
    v.check(
      (p) => !p.transposed || p.transposed.byteLength >= p.columns.length * 8,
      'the transposed output buffer is shorter than one float64 value per cell',
    ),
  ),
  result: Done,
});

/**
 * The channel-entropy sums (src/analysis/intraSample.ts `featureMapSums`) of feature maps
 * `[0, maps)` of a layer in shared memory, each map `units` float32 values, one after the other
 * from element `offset` (a channels-first layer as the model wrote it), taken in chunks of maps:
 * each map's `Σ c log2 c` and `T` go to `out`, two float64 a map. The answer is the non-finite
 * count and the finite range (`Infinity`, `-Infinity` when none) of the maps the worker took.
 */
export const featureMapSums = defineRequest('intraSample/mapSums', {
  params: v.pipe(
    v.object({
      data: Shared,
      offset: Count,
      maps: Count,
      units: v.pipe(Count, v.minValue(1)),
      bins: v.pipe(Count, v.minValue(1)),
      out: Shared,
      claims: v.optional(ClaimsSchema),
    }),
    v.check((p) => p.data.byteLength >= (p.offset + p.maps * p.units) * 4, 'the layer buffer is shorter than maps × units float32 values'),
    v.check((p) => p.out.byteLength >= p.maps * 16, 'the output buffer is shorter than two float64 values per map'),
  ),
  result: v.object({ nonFiniteCount: Count, lo: v.number(), hi: v.number() }),
});

/**
 * Writes one byte of every 4 KiB page of a shared buffer that nothing else uses yet, so that the
 * pages are mapped before the buffer is needed: the first write to a fresh page costs a page
 * fault (1.5–2 µs here), which a worker pays off the critical path instead of the thread that
 * later fills the buffer while the workers wait.
 */
export const touchPages = defineRequest('memory/touch', {
  params: v.object({ buffer: Shared }),
  result: Done,
});

export type DistanceTilesRequest = ParamsIn<typeof distanceTiles>;
export type InterSampleRowsRequest = ParamsIn<typeof interSampleRows>;
export type CapacityCodesRequest = ParamsIn<typeof capacityCodes>;
export type CapacityRowsRequest = ParamsIn<typeof capacityRows>;
export type CapacityCodesResult = ResultOut<typeof capacityCodes>;

/**
 * The code a RangeError crosses with, so the pool rethrows it as a RangeError: callers tell bad
 * parameters from bugs by it.
 */
export const RANGE_ERROR_CODE = 'range-error';

/** The counter value a cancelled stage is pushed to: past the end of any stage, and far from int32 overflow. */
export const CANCELLED_CLAIM = 2 ** 30;

/**
 * Runs `work(a, b)` on the items `[from + a, from + b)` of a stage of `total` items: all at once
 * without claims, else chunk after chunk as taken from the shared counter (see ClaimsSchema).
 */
export function forEachClaimedChunk(total: number, claims: Claims | undefined, work: (a: number, b: number) => void, from = 0): void {
  if (!claims) {
    if (total > 0) work(from, from + total);
    return;
  }
  const counter = new Int32Array(claims.counter, 0, 1);
  for (;;) {
    const a = Atomics.add(counter, 0, 1) * claims.chunk;
    if (a >= total) return;
    work(from + a, from + Math.min(total, a + claims.chunk));
  }
}

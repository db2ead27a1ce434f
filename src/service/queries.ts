/**
 * The slice queries of the analysis service (paper 4.3 and 5.1–5.4) and their answers: one typed
 * request/response vocabulary shared by the service, the CLI (`cli query`), the extension host and
 * the webviews. Documented for people in docs/queries.md. Pure: no I/O, runs in browsers too.
 */
import { CodedError } from '../analysis/errors';
import type { RunManifest } from '../run/format';
import type { InputSubset } from '../analysis/subsets';

/** Version of the query vocabulary; cached answers from another version are never reused. */
export const QUERY_VERSION = 1;

export type Query =
  | { kind: 'run' }
  | { kind: 'training' }
  | { kind: 'confusion'; epoch: number; inputs?: boolean }
  | { kind: 'inputs'; x: InputSubset }
  | { kind: 'featureMaps'; layer: number; channels: number[]; epoch: number; x: InputSubset }
  | { kind: 'channelEntropies'; layer: number; epoch: number; x?: InputSubset }
  | { kind: 'smallMultiples'; layer: number }
  | { kind: 'interSample'; layer: number; epoch: number; x?: InputSubset }
  | { kind: 'inputDiversity'; sizes: number[]; source?: 'probe' | 'dataset'; seed?: number }
  | { kind: 'capacityMatrix'; layerI: number; layerJ: number; epoch: number; x?: InputSubset; bins?: number }
  | { kind: 'layerCapacity'; layerI: number; layerJ: number; epoch: number; x?: InputSubset; bins?: number }
  | {
      kind: 'channelPair';
      layerI: number;
      channelI: number;
      layerJ: number;
      channelJ: number;
      epoch: number;
      x?: InputSubset;
      bins?: number;
    }
  | { kind: 'deconvolution'; layer: number; channel: number; epoch: number; x: InputSubset }
  // Issue 17: the network as CNNVis draws it (channel clusters per layer, edges weighted by capacity).
  | { kind: 'networkGraph'; epoch: number; clusters?: number; layers?: number[]; seed?: number };

export type QueryKind = Query['kind'];

/** A float32 array in base64 (little-endian), row-major with `shape`: compact in JSON and exact. */
export interface EncodedArray {
  dtype: 'float32';
  shape: number[];
  base64: string;
}

/** Entropies are `null` where undefined (estimators.md: never a made-up number). */
export type Bits = number | null;

export interface RunAnswer {
  manifest: RunManifest;
  notes: string[];
}

export interface TrainingAnswer {
  epochs: number[];
  classNames: string[];
  trainLoss: (number | null)[];
  trainAccuracy: (number | null)[];
  probeLoss: (number | null)[];
  probeAccuracy: number[];
  /** `[class][epoch index]`, paper Fig. 6. */
  hLabelGivenPred: Bits[][];
  hPredGivenLabel: Bits[][];
}

export interface ConfusionAnswer {
  epoch: number;
  classNames: string[];
  /** Rows = true class, columns = predicted. */
  matrix: number[][];
  /** With `inputs: true`: the probe inputs in each cell, `[true][predicted]`. */
  cells?: number[][][];
}

export interface InputsAnswer {
  inputs: number[];
  labels: number[];
  /** `[inputs, H, W, C]`. */
  images: EncodedArray;
  min: number;
  max: number;
}

export interface FeatureMapsAnswer {
  layer: number;
  epoch: number;
  inputs: number[];
  labels: number[];
  channels: number[];
  /** `[inputs, channels, H, W]` (a dense layer is one channel of U units: H = 1, W = U). */
  maps: EncodedArray;
  min: number;
  max: number;
  /** `[min, max]` per requested channel. */
  channelRanges: [number, number][];
}

export interface ChannelEntropiesAnswer {
  layer: number;
  epoch: number;
  inputCount: number;
  all: Bits[];
  /** `[class][channel]`. */
  perClass: Bits[][];
  classCounts: number[];
  /** `summary` = read from the recorded metrics; `computed` = forward pass on the subset. */
  source: 'summary' | 'computed';
}

export interface SmallMultiplesAnswer {
  layer: number;
  epochs: number[];
  channels: number;
  /** `[channel][epoch index]`. */
  all: Bits[][];
  /** `[class][channel][epoch index]`. */
  perClass: Bits[][][];
  deadChannels: number[][];
}

export interface InterSampleAnswer {
  layer: number;
  epoch: number;
  inputCount: number;
  K: number;
  bits: Bits;
  source: 'summary' | 'computed';
}

export interface InputDiversityAnswer {
  source: 'probe' | 'dataset';
  /** Subset sizes in inputs PER CLASS (paper Fig. 5(B): "a dataset of n per class"). */
  sizes: number[];
  classNames: string[];
  /**
   * `rows[r].bits[s]`: inter-sample entropy of the raw inputs (layer 0) of one draw at `sizes[s]`:
   * a class row draws `sizes[s]` of its inputs; the "all" row (first) is exactly the union of the
   * class rows' draws (`drawPerClass`, same seeds), `sizes[s]` × the non-empty classes inputs.
   * `null` where a class (for "all": any non-empty class) has fewer than `sizes[s]` inputs;
   * `counts[s]` = inputs drawn (0 there); `available` = inputs in the group.
   */
  rows: { class: number | 'all'; available: number; bits: Bits[]; counts: number[] }[];
}

export interface CapacityMatrixAnswer {
  layerI: number;
  layerJ: number;
  epoch: number;
  inputCount: number;
  bins: number;
  /** Rows = channels of `layerJ`, columns = channels of `layerI` (paper Fig. 8). */
  rows: number;
  columns: number;
  /** Row-major bits; `null` where undefined. */
  values: Bits[];
  /** Orders for each sort key, descending, ties by index (paper 5.3.2): a view re-sorts without asking again. */
  orders: { rowMax: number[]; rowMean: number[]; columnMax: number[]; columnMean: number[] };
}

export interface LayerCapacityAnswer {
  layerI: number;
  layerJ: number;
  epoch: number;
  inputCount: number;
  bins: number;
  bits: Bits;
}

export interface ChannelPairAnswer {
  layerI: number;
  channelI: number;
  layerJ: number;
  channelJ: number;
  epoch: number;
  inputCount: number;
  bins: number;
  bits: Bits;
  entropyIBits: Bits;
  entropyJBits: Bits;
  /** Joint histogram of binned pair distances, `[bin of layerJ's channel][bin of layerI's channel]`, row-major counts. */
  joint: number[];
}

export interface DeconvolutionAnswer {
  layer: number;
  channel: number;
  epoch: number;
  inputs: number[];
  labels: number[];
  /** `[inputs, H, W, C]` of the model input. */
  projections: EncodedArray;
  min: number;
  max: number;
}

export interface AnswerOf {
  run: RunAnswer;
  training: TrainingAnswer;
  confusion: ConfusionAnswer;
  inputs: InputsAnswer;
  featureMaps: FeatureMapsAnswer;
  channelEntropies: ChannelEntropiesAnswer;
  smallMultiples: SmallMultiplesAnswer;
  interSample: InterSampleAnswer;
  inputDiversity: InputDiversityAnswer;
  capacityMatrix: CapacityMatrixAnswer;
  layerCapacity: LayerCapacityAnswer;
  channelPair: ChannelPairAnswer;
  deconvolution: DeconvolutionAnswer;
  networkGraph: NetworkGraphAnswer;
}

export type Answer = AnswerOf[QueryKind];

/** Error codes of the service; each comes with a readable one-line message. */
/** Every code a failed query carries; the protocols of the service and the webviews accept exactly these. */
export const QUERY_ERROR_CODES = [
  'bad-query',
  'unknown-run',
  'out-of-range',
  'epoch-not-recorded',
  'run-format',
  'unsupported',
  'cancelled',
  'internal',
] as const;
export type QueryErrorCode = (typeof QUERY_ERROR_CODES)[number];

export class QueryError extends CodedError {
  declare readonly code: QueryErrorCode;
  constructor(code: QueryErrorCode, message: string) {
    super(code, message, 'QueryError');
  }
}

const bad = (message: string) => new QueryError('bad-query', message);

const KINDS: readonly QueryKind[] = [
  'run',
  'training',
  'confusion',
  'inputs',
  'featureMaps',
  'channelEntropies',
  'smallMultiples',
  'interSample',
  'inputDiversity',
  'capacityMatrix',
  'layerCapacity',
  'channelPair',
  'deconvolution',
  'networkGraph',
];

export const QUERY_KINDS = KINDS;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(o: Record<string, unknown>, key: string, optional = false): number | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw bad(`"${key}" must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

function intList(o: Record<string, unknown>, key: string, optional = false, max = 100000): number[] | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (!Array.isArray(v) || v.length > max || v.some((e) => typeof e !== 'number' || !Number.isInteger(e) || e < 0)) {
    throw bad(`"${key}" must be a list of at most ${max} non-negative integers`);
  }
  return v as number[];
}

/** Validates an input subset from untrusted JSON. */
export function parseSubset(v: unknown, key = 'x'): InputSubset {
  if (!isObject(v)) throw bad(`"${key}" must be an input subset object such as {"kind":"all"}`);
  switch (v.kind) {
    case 'all':
      return { kind: 'all' };
    case 'classes':
      return { kind: 'classes', classes: intList(v, 'classes', false, 10000)! };
    case 'indices':
      return { kind: 'indices', indices: intList(v, 'indices')! };
    case 'perClass': {
      const count = int(v, 'count')!;
      if (count < 1) throw bad('"count" must be at least 1');
      const seed = int(v, 'seed', true);
      const classes = intList(v, 'classes', true, 10000);
      return { kind: 'perClass', count, ...(seed !== undefined ? { seed } : {}), ...(classes ? { classes } : {}) };
    }
    default:
      throw bad(`unknown input subset kind ${JSON.stringify(v.kind)}; use all, classes, indices or perClass`);
  }
}

/**
 * Validates a query from untrusted JSON (a webview, the command line, another process) and returns
 * a clean copy holding only the known fields; throws QueryError('bad-query') naming what is wrong.
 */
export function parseQuery(v: unknown): Query {
  if (!isObject(v)) throw bad('a query must be a JSON object with a "kind"');
  const kind = v.kind as QueryKind;
  if (!KINDS.includes(kind)) throw bad(`unknown query kind ${JSON.stringify(v.kind)}; known kinds: ${KINDS.join(', ')}`);
  const x = (required: boolean) => (v.x === undefined && !required ? undefined : parseSubset(v.x));
  const bins = () => {
    const b = int(v, 'bins', true);
    if (b !== undefined && (b < 2 || b > 4096)) throw bad(`"bins" must be from 2 to 4096, got ${b}`);
    return b;
  };
  const opt = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, e]) => e !== undefined)) as T;
  switch (kind) {
    case 'run':
    case 'training':
      return { kind };
    case 'confusion':
      if (v.inputs !== undefined && typeof v.inputs !== 'boolean') throw bad('"inputs" must be true or false');
      return opt({ kind, epoch: int(v, 'epoch')!, inputs: v.inputs });
    case 'inputs':
      return { kind, x: x(true)! };
    case 'featureMaps': {
      const channels = intList(v, 'channels', false, 4096)!;
      if (channels.length === 0) throw bad('"channels" must name at least one channel');
      return { kind, layer: int(v, 'layer')!, channels, epoch: int(v, 'epoch')!, x: x(true)! };
    }
    case 'channelEntropies':
    case 'interSample':
      return opt({ kind, layer: int(v, 'layer')!, epoch: int(v, 'epoch')!, x: x(false) });
    case 'smallMultiples':
      return { kind, layer: int(v, 'layer')! };
    case 'inputDiversity': {
      const sizes = intList(v, 'sizes', false, 32)!;
      if (sizes.length === 0 || sizes.some((s) => s < 3)) throw bad('"sizes" must list subset sizes of at least 3');
      if (v.source !== undefined && v.source !== 'probe' && v.source !== 'dataset') throw bad('"source" must be "probe" or "dataset"');
      return opt({ kind, sizes, source: v.source, seed: int(v, 'seed', true) });
    }
    case 'capacityMatrix':
    case 'layerCapacity':
      return opt({ kind, layerI: int(v, 'layerI')!, layerJ: int(v, 'layerJ')!, epoch: int(v, 'epoch')!, x: x(false), bins: bins() });
    case 'channelPair':
      return opt({
        kind,
        layerI: int(v, 'layerI')!,
        channelI: int(v, 'channelI')!,
        layerJ: int(v, 'layerJ')!,
        channelJ: int(v, 'channelJ')!,
        epoch: int(v, 'epoch')!,
        x: x(false),
        bins: bins(),
      });
    case 'deconvolution':
      return { kind, layer: int(v, 'layer')!, channel: int(v, 'channel')!, epoch: int(v, 'epoch')!, x: x(true)! };
    case 'networkGraph':
      return parseNetworkGraph(v);
  }
}

// ---- Issue 17: the network graph (CNNVis-style overview); its own block so merges stay simple. ----

/** Most clusters per layer a `networkGraph` query may ask for (a ResNet-18 layer has 512 channels). */
export const MAX_NETWORK_CLUSTERS = 4096;

export interface NetworkNode {
  /** Run layer index (RunLayer.index); layer 0 is the input. */
  layer: number;
  /** The layers whose outputs feed this one (empty for the input); several for add/concatenate merges. */
  inputs: number[];
  /** How several inputs combine, from the layer's class: 'add', 'concatenate', 'multiply', 'average', … or undefined for one input. */
  merge?: string;
  /** True when the layer's channels were clustered (a layer with channels > 1, and listed in the query's `layers` when it has them). */
  clustered: boolean;
}

export interface NetworkCluster {
  layer: number;
  /** 0..K-1 within its layer, ordered by the smallest member channel. */
  cluster: number;
  /** Member channels, ascending; each channel of a clustered layer is in exactly one cluster. */
  channels: number[];
  /** Mean intra-sample (channel) entropy of the members over the probe inputs, bits. */
  meanEntropyBits: Bits;
  /** Probe input indices (into the probe set, as the `inputs` query numbers them) that activate the cluster most, strongest first (at most 4). */
  topInputs: number[];
  /** Mean activation of the cluster per class, `[class]` (length = the run's class count; null where a class has no probe input). */
  classMeans: (number | null)[];
}

export interface NetworkEdge {
  fromLayer: number;
  fromCluster: number;
  toLayer: number;
  toCluster: number;
  /** Mean channel capacity (bits) between the members of the two clusters. */
  bits: Bits;
}

export interface NetworkGraphAnswer {
  epoch: number;
  nodes: NetworkNode[];
  clusters: NetworkCluster[];
  /** Between clusters of consecutive clustered layers along every graph edge (residual and concat edges too); the strongest kept per cluster. */
  edges: NetworkEdge[];
  classCount: number;
  inputCount: number;
}

function parseNetworkGraph(v: Record<string, unknown>): Extract<Query, { kind: 'networkGraph' }> {
  const epoch = int(v, 'epoch')!;
  const clusters = int(v, 'clusters', true);
  if (clusters !== undefined && (clusters < 1 || clusters > MAX_NETWORK_CLUSTERS))
    throw bad(`"clusters" must be from 1 to ${MAX_NETWORK_CLUSTERS} clusters per layer, got ${clusters}`);
  const layers = intList(v, 'layers', true, 10000);
  if (layers !== undefined && layers.length === 0) throw bad('"layers" must name at least one layer (leave it out for every layer)');
  const seed = int(v, 'seed', true);
  return {
    kind: 'networkGraph',
    epoch,
    ...(clusters !== undefined ? { clusters } : {}),
    ...(layers !== undefined ? { layers: [...new Set(layers)].sort((a, b) => a - b) } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

// ---- end of issue 17's block ----

/** A canonical text of a query (keys sorted), for cache keys and "same query" checks. */
export function canonicalQuery(q: Query): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : isObject(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort(v[k])]),
          )
        : v;
  return JSON.stringify(sort(q));
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Encodes float32 values (host byte order is little-endian on every platform Node and VS Code run on). */
export function encodeFloat32(shape: number[], data: Float32Array): EncodedArray {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i];
    const b = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2] : 0;
    out +=
      B64[a >> 2] +
      B64[((a & 3) << 4) | (b >> 4)] +
      (i + 1 < bytes.length ? B64[((b & 15) << 2) | (c >> 6)] : '=') +
      (i + 2 < bytes.length ? B64[c & 63] : '=');
  }
  return { dtype: 'float32', shape, base64: out };
}

const B64_INDEX = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64.length; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** Decodes an EncodedArray; throws QueryError('bad-query') on a malformed one. */
export function decodeFloat32(a: EncodedArray): Float32Array {
  const s = a.base64;
  const count = a.shape.reduce((p, v) => p * v, 1);
  if (s.length % 4 !== 0) throw bad('encoded array: base64 length is not a multiple of 4');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((s.length / 4) * 3 - pad);
  if (bytes.length !== count * 4) throw bad(`encoded array: ${bytes.length} bytes for shape [${a.shape.join(', ')}]`);
  for (let i = 0, o = 0; i < s.length; i += 4) {
    const q = [0, 1, 2, 3].map((k) => (s[i + k] === '=' ? 0 : (B64_INDEX[s.charCodeAt(i + k)] ?? -1)));
    if (q.some((v) => v < 0)) throw bad('encoded array: not base64');
    const n = (q[0] << 18) | (q[1] << 12) | (q[2] << 6) | q[3];
    if (o < bytes.length) bytes[o++] = n >> 16;
    if (o < bytes.length) bytes[o++] = (n >> 8) & 255;
    if (o < bytes.length) bytes[o++] = n & 255;
  }
  return new Float32Array(bytes.buffer);
}

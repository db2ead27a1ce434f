/**
 * Forward passes that produce layer activations `dCNN(x, l, ·, t)` for a set of inputs: shared by
 * the recorder (every layer of the probe set, each epoch) and the analysis service (one layer for a
 * slice). Inputs run in chunks so a backend's working memory stays small (a convolution's im2col
 * buffer for a whole probe set would be gigabytes).
 */
import type * as tfType from '@tensorflow/tfjs';
import type { RunLayer } from '../run/format';
import { readCheckpoint } from '../run/checkpoint';
import { CancelledError } from '../compute/pool';

/** Inputs per forward chunk. */
export const FORWARD_CHUNK = 128;

export interface Activations {
  /** `[n, ...outputShape]`. */
  shape: number[];
  data: Float32Array;
}

export interface ForwardOptions {
  tf: typeof tfType;
  model: tfType.LayersModel;
  /** The run's layer axis: 0 = the input, then the model's layers by name. */
  layers: readonly RunLayer[];
  /** Row-major `[n, ...inputShape]`. */
  inputs: Float32Array;
  count: number;
  /** Last layer index wanted (default: the last layer). */
  last?: number;
  /**
   * Sequential models: the already known activations of layer `index` for the same inputs; the
   * pass starts after it instead of at the input.
   */
  from?: { index: number; activations: Activations };
  /**
   * Where to write a layer's activations (length `count × per-input size`) instead of a fresh
   * array: lets two threads fill halves of one shared buffer.
   */
  destinations?: Map<number, Float32Array>;
  /** Extraction models for graph models, reused across calls (built on demand when absent). */
  extractors?: Map<number, tfType.LayersModel>;
  signal?: AbortSignal;
}

/**
 * The activations of layers 1..last, in order. A sequential model runs one layer at a time on the
 * previous layer's output (each layer computed once; two layers in memory at most); other graphs
 * go through one extraction model per layer.
 */
export async function* forwardLayers(o: ForwardOptions): AsyncGenerator<{ index: number; out: Activations }> {
  const { model, layers, count: n } = o;
  const last = o.last ?? layers.length - 1;
  const inputShape = layers[0].outputShape;
  if (model.getClassName() === 'Sequential') {
    let previous: Activations = o.from?.activations ?? { shape: [n, ...inputShape], data: o.inputs };
    for (let l = (o.from?.index ?? 0) + 1; l <= last; l++) {
      const layer = model.getLayer(layers[l].name);
      previous = await chunked(o, previous, (x) => layer.apply(x, { training: false }) as tfType.Tensor, l);
      yield { index: l, out: previous };
    }
    return;
  }
  const input: Activations = { shape: [n, ...inputShape], data: o.inputs };
  for (let l = 1; l <= last; l++) yield { index: l, out: await graphLayer(o, input, l) };
}

function graphLayer(o: ForwardOptions, input: Activations, l: number): Promise<Activations> {
  let extractor = o.extractors?.get(l);
  if (!extractor) {
    extractor = o.tf.model({ inputs: o.model.inputs, outputs: o.model.getLayer(o.layers[l].name).output });
    o.extractors?.set(l, extractor);
  }
  const ex = extractor;
  return chunked(o, input, (x) => ex.predict(x) as tfType.Tensor, l);
}

/** The activations of one layer (0 = the inputs themselves). */
export async function forwardLayer(o: ForwardOptions & { layer: number }): Promise<Activations> {
  const input: Activations = { shape: [o.count, ...o.layers[0].outputShape], data: o.inputs };
  if (o.layer === 0) return input;
  // Graph models: only the wanted layer's extraction model runs.
  if (o.model.getClassName() !== 'Sequential') return graphLayer(o, input, o.layer);
  let result: Activations | undefined;
  for await (const { out } of forwardLayers({ ...o, last: o.layer })) result = out;
  return result!;
}

async function chunked(
  o: ForwardOptions,
  input: Activations,
  apply: (x: tfType.Tensor) => tfType.Tensor,
  index: number,
): Promise<Activations> {
  const { tf, count: n } = o;
  const inPer = input.data.length / Math.max(1, n);
  let data: Float32Array | undefined;
  let shape: number[] = [];
  for (let s = 0; s < n; s += FORWARD_CHUNK) {
    if (o.signal?.aborted) throw new CancelledError();
    const e = Math.min(n, s + FORWARD_CHUNK);
    const out = tf.tidy(() => apply(tf.tensor(input.data.subarray(s * inPer, e * inPer), [e - s, ...input.shape.slice(1)])));
    const per = out.size / (e - s);
    if (!data) {
      data = o.destinations?.get(index) ?? new Float32Array(n * per);
      if (data.length !== n * per)
        throw new RangeError(`layer ${index}: the destination holds ${data.length} values, the output ${n * per}`);
    }
    shape = [n, ...out.shape.slice(1)];
    data.set(await out.data(), s * per);
    out.dispose();
  }
  return { shape, data: data ?? new Float32Array(0) };
}

/**
 * The output shape (without batch) of each of the run's layers in `model`: index 0 is the model's
 * input, undefined where the model has no layer of that name. For checking a checkpoint against its
 * manifest (src/run/format.ts `checkLayerShapes`).
 */
export function layerOutputShapes(model: tfType.LayersModel, layers: readonly RunLayer[]): ((number | null)[] | undefined)[] {
  return layers.map((layer, l) => {
    if (l === 0) return model.inputs[0]?.shape.slice(1);
    let shape: tfType.Shape | tfType.Shape[];
    try {
      shape = model.getLayer(layer.name).outputShape;
    } catch {
      return undefined;
    }
    // A layer with several outputs: the first, as the recorder records it.
    const first = Array.isArray(shape[0]) ? shape[0] : (shape as tfType.Shape);
    return first.slice(1);
  });
}

/**
 * Loads a checkpoint folder written by the recorder (TensorFlow.js layers format: model.json +
 * weights.bin) of a model with `layers` (the run's layer table, which bounds the file sizes). The
 * bytes come from src/run's bounded reader: regular files inside the run folder only.
 */
export async function loadCheckpoint(tf: typeof tfType, dir: string, layers: readonly RunLayer[]): Promise<tfType.LayersModel> {
  const files = await readCheckpoint(dir, layers);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: files.modelTopology,
      weightSpecs: files.weightSpecs as tfType.io.WeightsManifestEntry[],
      weightData: files.weightData,
    }),
  );
}

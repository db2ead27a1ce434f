/**
 * Forward passes that produce layer activations `dCNN(x, l, ·, t)` for a set of inputs: shared by
 * the recorder (every layer of the probe set, each epoch) and the analysis service (one layer for a
 * slice). Inputs run in chunks so a backend's working memory stays small (a convolution's im2col
 * buffer for a whole probe set would be gigabytes).
 */
import { eventLoopTurns } from './eventLoopTurns';
import type * as tfType from '@tensorflow/tfjs';
import type { RunLayer } from '../contract/runFormat';
import { layerKind } from '../contract/layerKinds';
import { readAnyCheckpoint } from '../run/checkpoint';
import { loadOnnxCheckpoint } from './onnxModel';
import { CancelledError } from '../analysis/errors';
import { CodedError, hasErrorCode } from '../analysis/errors';
import { paceBeforeAllocating } from '../rpc/sharedBuffers';

/** Most inputs per forward chunk. */
export const FORWARD_CHUNK = 128;

/**
 * Most bytes of the largest layer's output per forward chunk: a model with wide layers runs fewer
 * inputs at a time, so that the backend's working memory (a chunk's outputs and a convolution's
 * im2col buffer, which a WebAssembly heap keeps at its largest size for good) stays near 64 MB
 * rather than growing with the layer width (463 MB for a ResNet-50's 32×32×256 layers at 100
 * inputs, 312 MB at 32). Each input's values are the same whatever the chunk. The forward passes
 * and the ablations' graph tails (graphTail.ts) both run in these chunks, on this thread and on the
 * forward worker: at 32 MiB, MobileNetV2's heaps reached 133 MB on each; at 16 MiB, 63–78 MB, at
 * no measurable cost in time (the cold full-width ResNet-18 graph 9.9 / 10.0 s against 9.95 / 9.6 s).
 */
export const FORWARD_CHUNK_BYTES = 16 * 1024 * 1024;

/** The inputs per chunk for a model with `layers`: {@link FORWARD_CHUNK}, fewer where a layer is wide (FORWARD_CHUNK_BYTES). */
export function forwardChunk(layers: readonly Pick<RunLayer, 'outputShape'>[]): number {
  const largest = Math.max(1, ...layers.map((l) => l.outputShape.reduce((a, b) => a * b, 1)));
  return Math.max(1, Math.min(FORWARD_CHUNK, Math.floor(FORWARD_CHUNK_BYTES / (4 * largest))));
}

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
   * The already known activations of layer `index` for the same inputs: the pass starts after it
   * instead of at the input (graph models still run what a later layer reads from below it).
   */
  from?: { index: number; activations: Activations };
  /**
   * Where to write a layer's activations (length `count × per-input size`) instead of a fresh
   * array: lets two threads fill halves of one shared buffer.
   */
  destinations?: Map<number, Float32Array>;
  /**
   * Only these layers' activations are copied out of the backend and yielded (`last` must be one
   * of them). A sequential model runs the layers between chunk by chunk on the backend's own
   * tensors, never copied out and back in; a graph model keeps the others only while a later node
   * reads them. Without it every layer is yielded.
   */
  keep?: ReadonlySet<number>;
  signal?: AbortSignal;
}

/**
 * The activations of layers `from.index + 1 ..= last` (from layer 1 without `from`), in order,
 * each layer computed once. A sequential model runs one layer at a time on the previous layer's
 * output (two layers in memory at most); other graphs run node by node in topological order
 * (graphLayers).
 */
export async function* forwardLayers(o: ForwardOptions): AsyncGenerator<{ index: number; out: Activations }> {
  const { model, layers, count: n } = o;
  const last = o.last ?? layers.length - 1;
  const first = (o.from?.index ?? 0) + 1;
  if (!layerKind(model.getClassName()).sequential) {
    yield* graphLayers(
      o,
      range(first, last).filter((l) => !o.keep || o.keep.has(l)),
    );
    return;
  }
  let previous: Activations = o.from?.activations ?? { shape: [n, ...layers[0].outputShape], data: o.inputs };
  if (o.keep) {
    // Each chunk runs through every layer at once; the kept layers' outputs are all that leave the backend.
    const kept = range(first, last).filter((l) => o.keep!.has(l));
    const sequence = range(first, last).map((l) => model.getLayer(layers[l].name));
    const outs = await chunked(
      o,
      [previous],
      (x) => {
        const outputs: tfType.Tensor[] = [];
        let y = x[0];
        sequence.forEach((layer, k) => {
          y = layer.apply(y, { training: false }) as tfType.Tensor;
          if (o.keep!.has(first + k)) outputs.push(y);
        });
        return outputs;
      },
      kept,
    );
    for (let k = 0; k < kept.length; k++) yield { index: kept[k], out: outs[k] };
    return;
  }
  for (let l = first; l <= last; l++) {
    const layer = model.getLayer(layers[l].name);
    [previous] = await chunked(o, [previous], (x) => [layer.apply(x[0], { training: false }) as tfType.Tensor], l);
    yield { index: l, out: previous };
  }
}

/** The activations of one layer (0 = the inputs themselves). */
export async function forwardLayer(o: ForwardOptions & { layer: number }): Promise<Activations> {
  if (o.layer === 0) return { shape: [o.count, ...o.layers[0].outputShape], data: o.inputs };
  // Graph models: only the nodes the wanted layer depends on run.
  const pass = layerKind(o.model.getClassName()).sequential ? forwardLayers({ ...o, last: o.layer }) : graphLayers(o, [o.layer]);
  let result: Activations | undefined;
  for await (const { out } of pass) result = out;
  return result!;
}

/** Thrown when a graph model cannot be run node by node; the message names the layer and what to do. */
export class GraphForwardError extends CodedError {
  constructor(message: string) {
    super('graph-forward', message, 'GraphForwardError');
  }

  static is(e: unknown): e is GraphForwardError {
    return hasErrorCode(e, 'graph-forward');
  }
}

type SymbolicTensor = tfType.SymbolicTensor;
type GraphNode = tfType.layers.Layer['inboundNodes'][number];

/** One application of a layer in the graph, with the values it reads and writes. */
export interface GraphStep {
  node: GraphNode;
  /** The run layer index whose activations this step produces (its first output), if any. */
  runIndex?: number;
}

/**
 * The steps that compute the run layers `targets` (ascending) of a graph model from its input:
 * every node they depend on, each once, dependencies first. Known values (`known`: the input and,
 * with `from`, one layer's output) end the walk back.
 */
export function graphPlan(
  model: tfType.LayersModel,
  layers: readonly RunLayer[],
  targets: readonly number[],
  known: ReadonlySet<number>,
): GraphStep[] {
  if (model.inputs.length !== 1)
    throw new GraphForwardError(
      `the model has ${model.inputs.length} inputs; CNN Slicer records models with one input: wrap the others in a model that takes one`,
    );
  const steps: GraphStep[] = [];
  const planned = new Map<GraphNode, GraphStep>();
  const visiting = new Set<GraphNode>();
  const visit = (tensor: SymbolicTensor): void => {
    if (known.has(tensor.id)) return;
    const node = tensor.sourceLayer.inboundNodes[tensor.nodeIndex];
    if (planned.has(node)) return;
    if (layerKind(tensor.sourceLayer.getClassName()).input || node.inputTensors.length === 0)
      throw new GraphForwardError(
        `layer "${tensor.sourceLayer.name}" reads an input that is not the model's input; CNN Slicer runs models with one input`,
      );
    if (visiting.has(node))
      throw new GraphForwardError(`layer "${tensor.sourceLayer.name}" depends on itself: the model graph has a cycle`);
    visiting.add(node);
    for (const input of node.inputTensors) visit(input);
    visiting.delete(node);
    const step: GraphStep = { node };
    planned.set(node, step);
    steps.push(step);
  };
  for (const l of targets) {
    const tensor = runLayerTensor(model, layers, l);
    visit(tensor);
    const step = planned.get(tensor.sourceLayer.inboundNodes[tensor.nodeIndex]);
    if (step) step.runIndex = l;
  }
  return steps;
}

/**
 * The symbolic tensor of run layer `l` in `model` (0 = the input): the first output of the layer's
 * node in this model's graph. A nested model has two nodes, its own inner one and its application
 * in the outer model; the recorded activations are the latter's.
 */
function runLayerTensor(model: tfType.LayersModel, layers: readonly RunLayer[], l: number): SymbolicTensor {
  if (l === 0) return model.inputs[0];
  const layer = model.getLayer(layers[l].name);
  const own = modelNodes(model);
  const node = layer.inboundNodes.find((candidate) => own.has(candidate)) ?? layer.inboundNodes[0];
  return node.outputTensors[0];
}

const nodesOfModels = new WeakMap<tfType.LayersModel, Set<GraphNode>>();

/** The nodes of `model`'s own graph (not those of the models nested in it). */
function modelNodes(model: tfType.LayersModel): Set<GraphNode> {
  let nodes = nodesOfModels.get(model);
  if (!nodes) {
    nodes = new Set(Object.values(model.nodesByDepth).flat());
    nodesOfModels.set(model, nodes);
  }
  return nodes;
}

/**
 * Run layers `targets` (ascending) of a graph model, in order, from one pass over the graph: the
 * nodes run in topological order on the whole input set (chunked), and a node's outputs are kept
 * only until the last node that reads them has run (and the run layer they are has been handed
 * out), so a residual network holds a few layers at a time, never every layer.
 */
async function* graphLayers(o: ForwardOptions, targets: readonly number[]): AsyncGenerator<{ index: number; out: Activations }> {
  const { model, layers, count: n } = o;
  const values = new Map<number, Activations>();
  values.set(model.inputs[0].id, { shape: [n, ...layers[0].outputShape], data: o.inputs });
  if (o.from) values.set(runLayerTensor(model, layers, o.from.index).id, o.from.activations);
  const steps = graphPlan(model, layers, targets, new Set(values.keys()));
  // Readers left per value: the steps that read it, plus one while its run layer waits to be handed out.
  const readers = new Map<number, number>();
  const read = (id: number, by = 1) => readers.set(id, (readers.get(id) ?? 0) + by);
  for (const step of steps) for (const input of step.node.inputTensors) read(input.id);
  const outputOf = new Map<number, number>();
  for (const l of targets) {
    const id = runLayerTensor(model, layers, l).id;
    outputOf.set(l, id);
    read(id);
  }
  const release = (id: number) => {
    const left = readers.get(id)! - 1;
    readers.set(id, left);
    if (left === 0) values.delete(id);
  };
  let next = 0; // the next target to hand out
  for (const step of steps) {
    const { node } = step;
    const layer = node.outboundLayer;
    const inputs = node.inputTensors.map((t) => values.get(t.id)!);
    const args = { ...node.callArgs, training: false };
    const outputs = await chunked(
      o,
      inputs,
      (x) => {
        const y = layer.apply(x.length === 1 ? x[0] : x, args) as tfType.Tensor | tfType.Tensor[];
        return Array.isArray(y) ? y : [y];
      },
      step.runIndex,
    );
    node.outputTensors.forEach((t, k) => readers.has(t.id) && values.set(t.id, outputs[k]));
    for (const t of node.inputTensors) release(t.id);
    while (next < targets.length && values.has(outputOf.get(targets[next])!)) {
      const id = outputOf.get(targets[next])!;
      yield { index: targets[next], out: values.get(id)! };
      release(id);
      next++;
    }
  }
  // Targets known from the start (`from` itself is never a target, but an input-only plan is possible).
  for (; next < targets.length; next++) yield { index: targets[next], out: values.get(outputOf.get(targets[next])!)! };
}

function range(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, k) => first + k);
}

/**
 * Applies `apply` to the inputs in chunks ({@link forwardChunk}) and copies each output out of
 * the backend chunk by chunk (every tensor of a chunk is disposed before the next). Output 0 goes
 * to `destinations[index]` when one is given; with a list of indices, output k to
 * `destinations[index[k]]`.
 */
async function chunked(
  o: ForwardOptions,
  inputs: Activations[],
  apply: (x: tfType.Tensor[]) => tfType.Tensor[],
  index: number | readonly number[] | undefined,
): Promise<Activations[]> {
  const destinationOf = (k: number) =>
    Array.isArray(index)
      ? o.destinations?.get(index[k] as number)
      : k === 0 && index !== undefined
        ? o.destinations?.get(index as number)
        : undefined;
  const { tf, count: n } = o;
  const inPer = inputs.map((input) => input.data.length / Math.max(1, n));
  const results: { shape: number[]; data: Float32Array }[] = [];
  const chunk = forwardChunk(o.layers);
  for (let s = 0; s < n; s += chunk) {
    if (o.signal) await letTimersRun();
    if (o.signal?.aborted) throw new CancelledError();
    const e = Math.min(n, s + chunk);
    const outs = tf.tidy(() =>
      apply(inputs.map((input, k) => tf.tensor(input.data.subarray(s * inPer[k], e * inPer[k]), [e - s, ...input.shape.slice(1)]))),
    );
    try {
      for (let k = 0; k < outs.length; k++) {
        const out = outs[k];
        const per = out.size / (e - s);
        if (!results[k]) {
          let data = destinationOf(k);
          if (!data) {
            paceBeforeAllocating();
            data = new Float32Array(n * per);
          }
          if (data.length !== n * per)
            throw new RangeError(
              `layer ${String(Array.isArray(index) ? index[k] : index)}: the destination holds ${data.length} values, the output ${n * per}`,
            );
          results[k] = { shape: [n, ...out.shape.slice(1)], data };
        }
        results[k].data.set(wasmHeapView(tf, out) ?? (await out.data()), s * per);
      }
    } finally {
      for (const out of outs) out.dispose();
    }
  }
  return results.length ? results : [{ shape: [], data: new Float32Array(0) }];
}

/**
 * Lets the event loop turn once 100 ms have passed since it last did here. A pass on the
 * WebAssembly backend awaits only promises already settled, so without it no timer and no message
 * runs for its whole length (seconds on a deep model): neither a report's deadline
 * (src/cli/reportCompute.ts `deadlineSignal`) nor a cancel from the views would abort it until it
 * ended. Costs one `setImmediate` per 100 ms of a pass that can be cancelled.
 */
const letTimersRun = eventLoopTurns(100);

/**
 * A float32 tensor's values in place in the WebAssembly backend's heap (valid until the next
 * backend call), so that a chunk's output is copied once, into its layer, rather than first into
 * a new array of its own (`data()`: for the two 64-channel layers of a cold capacity query, 32 MB
 * allocated, faulted in and copied twice); undefined on the other backends.
 */
function wasmHeapView(tf: typeof tfType, t: tfType.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as {
    dataIdMap?: { get(id: object): { memoryOffset?: number } | undefined };
    wasm?: { HEAPU8?: Uint8Array };
  };
  const offset = backend.dataIdMap?.get(t.dataId)?.memoryOffset;
  const heap = backend.wasm?.HEAPU8;
  return offset === undefined || heap === undefined ? undefined : new Float32Array(heap.buffer, heap.byteOffset + offset, t.size);
}

/**
 * The output shape (without batch) of each of the run's layers in `model`: index 0 is the model's
 * input, undefined where the model has no layer of that name. For checking a checkpoint against its
 * manifest (src/contract/runFormat.ts `checkLayerShapes`).
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
 * Loads a checkpoint folder of a model with `layers` (the run's layer table, which bounds the file
 * sizes): the recorder's TensorFlow.js layers format (model.json + weights.bin), or a PyTorch run's
 * ONNX checkpoint, imported as the same kind of LayersModel (onnxModel.ts). The bytes come from
 * src/run's bounded reader: regular files inside the run folder only.
 */
export async function loadCheckpoint(tf: typeof tfType, dir: string, layers: readonly RunLayer[]): Promise<tfType.LayersModel> {
  const files = await readAnyCheckpoint(dir, layers);
  if (files.format === 'onnx') return loadOnnxCheckpoint(tf, files.bytes);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: files.modelTopology,
      weightSpecs: files.weightSpecs as tfType.io.WeightsManifestEntry[],
      weightData: files.weightData,
    }),
  );
}

/**
 * The channels-last twin of a PyTorch checkpoint (onnxModel.ts `PlanLayout`), which the
 * deconvolution walks; undefined for a TensorFlow.js checkpoint.
 */
export async function loadChannelsLastTwin(
  tf: typeof tfType,
  dir: string,
  layers: readonly RunLayer[],
): Promise<tfType.LayersModel | undefined> {
  const files = await readAnyCheckpoint(dir, layers);
  return files.format === 'onnx' ? loadOnnxCheckpoint(tf, files.bytes, 'channelsLast') : undefined;
}

/**
 * Loads a checkpoint from its bytes as the recorder serialises it (src/recorder/checkpoint.ts):
 * model.json's text (topology and weights manifest) and weights.bin's bytes.
 */
export async function loadCheckpointBytes(tf: typeof tfType, modelJson: string, weights: Uint8Array): Promise<tfType.LayersModel> {
  const parsed = JSON.parse(modelJson) as { modelTopology: object; weightsManifest: { weights: tfType.io.WeightsManifestEntry[] }[] };
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: parsed.modelTopology,
      weightSpecs: parsed.weightsManifest.flatMap((group) => group.weights),
      weightData,
    }),
  );
}

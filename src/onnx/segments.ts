/**
 * An ONNX checkpoint cut into consecutive segments, each its own ONNX model, so that a forward pass
 * over a deep model (175 layers, gigabytes of activations) holds only a budget of layers at once
 * while the whole graph is still computed once (docs/native-engine.md).
 *
 * The plan walks the nodes in the file's (topological) order. A segment is a run of consecutive
 * nodes; its outputs are the run layers it makes (values named as the manifest's layers), among them
 * its frontier: the values made in it and read after it. Its inputs are the graph input or the
 * values of earlier frontiers it reads. A cut is made only where every value live across it is a run
 * layer or the graph input (in PyTorch exports every module output is a layer), so that each value
 * crossing a cut has a known size, `[n, ...outputShape]`. Constant values (initializers, Constant
 * nodes and what is computed from constants alone) never cross a cut: each segment gets a copy of the
 * constant nodes and initializers it reads.
 *
 * Pure: bytes in, plans and bytes out (the caller reads the file, with src/run's bounded reads).
 */
import { decodeOnnx, onnxModelType } from './decode';
import { OnnxError } from './graph';
import { stableLayoutRewrites, type NodeRewrite } from './stableLayout';

/** A run layer as the plan needs it: the name of its value in the graph and its shape per input. */
export interface SegmentLayer {
  readonly name: string;
  /** Without the batch axis, channels first as PyTorch's. */
  readonly outputShape: readonly number[];
}

/** A run of consecutive nodes, run as one ONNX model. */
export interface Segment {
  /** Its first and last node, as indices into the file's node list (inclusive). */
  readonly first: number;
  readonly last: number;
  /** Its own nodes (those of first..last that are not constant), ascending. Each node is in one segment. */
  readonly nodes: readonly number[];
  /** The constant nodes its nodes read (directly or through other constants), copied in, ascending. */
  readonly constants: readonly number[];
  /** The values it is fed: the graph input and run layers of earlier segments, each read by one of its nodes. */
  readonly inputs: readonly string[];
  /** The run layers (indices into the layer table) it makes, ascending: its outputs. */
  readonly layers: readonly number[];
  /** The values it makes that a later node reads (each one of `layers`' values). */
  readonly frontier: readonly string[];
}

/** How to cut. */
export interface SegmentOptions {
  /** Most bytes of values held at once for `count` inputs: the frontier fed in, the wanted layers and the frontier out. */
  readonly budgetBytes: number;
  /** Inputs in the pass. */
  readonly count: number;
  /** The layers whose values are fetched (default: every run layer 1..L). The plan stops at the node making the last of them. */
  readonly wanted?: ReadonlySet<number>;
}

/** A node as the plan reads it (protobufjs's decoded NodeProto has more, which the encoder keeps). */
interface RawNode {
  readonly input: string[];
  readonly output: string[];
}

interface RawValueInfo {
  readonly name: string;
}

interface RawModel {
  readonly graph: {
    readonly name: string;
    readonly node: RawNode[];
    readonly initializer: { readonly name: string }[];
    readonly input: RawValueInfo[];
    readonly output: RawValueInfo[];
  };
  readonly [field: string]: unknown;
}

/** A checkpoint read for cutting: its decoded ModelProto and what the plan knows of each node and value. */
export interface SegmentableModel {
  /** The decoded ModelProto; its tensors' raw_data are views into the file's bytes. */
  readonly raw: RawModel;
  readonly layers: readonly SegmentLayer[];
  /** The graph input's name (the run's layer 0). */
  readonly input: string;
  /** The batch axis's symbolic name in the graph input (`N` in PyTorch exports). */
  readonly batch: string;
  /** Per node: whether it computes from constants alone (copied into each segment that reads it). */
  readonly constant: readonly boolean[];
  /** Per run layer: the index of the node that makes it (-1 for layer 0, the input). */
  readonly layerNode: readonly number[];
  /** Per node i: the non-constant values made at or before i (or the input) that a node after i reads. */
  readonly frontiers: readonly (readonly string[])[];
  /** Per node i: whether a cut after it is allowed (every value in frontiers[i] is a run layer or the input). */
  readonly cuttable: readonly boolean[];
  /** Bytes per input of each run layer's value, by value name (the input included). */
  readonly bytesOf: ReadonlyMap<string, number>;
  /**
   * The nodes a segment's model runs in place of the file's, by node index: for a checkpoint run in
   * the blocked layout (`segmentable`'s `blocked`), those that would otherwise compute other bits
   * where a segment starts (stableLayout.ts); none for the plain layout.
   */
  readonly rewrites: ReadonlyMap<number, NodeRewrite>;
}

/**
 * Reads a checkpoint (an .onnx file's bytes) and the run's layers for cutting: each layer 1..L must
 * be a value some node makes, and layer 0 the graph's one input. `blocked`: its sessions run in
 * the blocked layout, and its segments are encoded with stableLayout.ts's rewrites.
 * @throws OnnxError when the bytes are not an ONNX model the reader takes (decode.ts), or a layer is
 * not in its graph.
 */
export function segmentable(bytes: Uint8Array, layers: readonly SegmentLayer[], blocked = false): SegmentableModel {
  const graph = decodeOnnx(bytes); // the checks, each failure one line; the plan reads the raw model
  if (graph.inputs.length !== 1)
    throw new OnnxError(`the model has ${graph.inputs.length} inputs; CNN Slicer runs models with one input`, 'unsupported');
  const raw = onnxModelType().decode(bytes) as unknown as RawModel;
  const nodes = raw.graph.node;
  const input = graph.inputs[0].name;
  const dim0 = graph.inputs[0].shape?.[0];
  const constantValues = new Set(raw.graph.initializer.map((t) => t.name));
  const constant = nodes.map((node) => {
    const isConstant = node.input.every((name) => !name || constantValues.has(name));
    if (isConstant) for (const name of node.output) constantValues.add(name);
    return isConstant;
  });
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => node.output.forEach((name) => name && producer.set(name, i)));
  const layerNode = layers.map((layer, l) => {
    if (l === 0) return -1;
    const at = producer.get(layer.name);
    if (at === undefined || constant[at])
      throw new OnnxError(
        `run layer ${l} (${layer.name}) is ${at === undefined ? 'made by no node of the checkpoint' : 'a constant of the checkpoint'}: the checkpoint does not match the run's layers`,
        'malformed',
      );
    return at;
  });
  const bytesOf = new Map<string, number>();
  layers.forEach((layer, l) => bytesOf.set(l === 0 ? input : layer.name, 4 * layer.outputShape.reduce((a, b) => a * b, 1)));
  const shapes = new Map(layers.map((layer, l) => [l === 0 ? input : layer.name, layer.outputShape]));
  const { frontiers, cuttable } = frontiersOf(nodes, constant, input, bytesOf);
  return {
    raw,
    layers,
    input,
    batch: typeof dim0 === 'string' && dim0 ? dim0 : 'N',
    constant,
    layerNode,
    frontiers,
    cuttable,
    bytesOf,
    rewrites: blocked ? stableLayoutRewrites(graph, shapes) : new Map(),
  };
}

/** Each node's frontier (values live across a cut after it) and whether a cut there is allowed. */
function frontiersOf(
  nodes: readonly RawNode[],
  constant: readonly boolean[],
  input: string,
  known: ReadonlyMap<string, number>,
): { frontiers: string[][]; cuttable: boolean[] } {
  const lastReader = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (!constant[i]) for (const name of node.input) if (name) lastReader.set(name, i);
  });
  const live = new Set<string>();
  if (lastReader.has(input)) live.add(input);
  const frontiers: string[][] = [];
  const cuttable: boolean[] = [];
  nodes.forEach((node, i) => {
    if (!constant[i]) for (const name of node.output) if (name && (lastReader.get(name) ?? -1) > i) live.add(name);
    for (const name of node.input) if (lastReader.get(name) === i) live.delete(name);
    const frontier = [...live];
    frontiers.push(frontier);
    cuttable.push(frontier.every((name) => known.has(name)));
  });
  return { frontiers, cuttable };
}

/**
 * Cuts the model into consecutive segments from the first node through the one making the last
 * wanted layer. Each segment is as long as the budget allows: the bytes it holds for `count` inputs
 * (the frontier fed in, the wanted layers it makes, the frontier it hands on) stay within
 * `budgetBytes`, cut only where a cut is allowed (SegmentableModel `cuttable`). A layer too large for
 * the budget gets a segment as short as the allowed cuts make it. The whole model within the budget
 * is one segment.
 */
export function planSegments(model: SegmentableModel, options: SegmentOptions): Segment[] {
  const wanted = [...(options.wanted ?? model.layers.keys())].filter((l) => l > 0 && l < model.layers.length);
  const end = Math.max(-1, ...wanted.map((l) => model.layerNode[l]));
  if (end < 0) return [];
  const wantedSet = new Set(wanted);
  const perInputBudget = options.budgetBytes / Math.max(1, options.count);
  const cost = (first: number, last: number): number => {
    const held = new Set<string>(first === 0 ? [model.input] : model.frontiers[first - 1]);
    for (const name of last === end ? [] : model.frontiers[last]) held.add(name);
    for (const l of wantedSet) if (model.layerNode[l] >= first && model.layerNode[l] <= last) held.add(model.layers[l].name);
    let bytes = 0;
    for (const name of held) bytes += model.bytesOf.get(name) ?? 0;
    return bytes;
  };
  const cuts: number[] = [];
  let first = 0;
  let fits = -1; // the last allowed cut from `first` within the budget
  for (let e = 0; e <= end; e++) {
    if (!model.cuttable[e] && e !== end) continue;
    if (cost(first, e) <= perInputBudget) {
      fits = e;
      continue;
    }
    if (fits >= first) {
      // Cut at the last cut that fitted, then see whether this one fits from there.
      cuts.push(fits);
      first = fits + 1;
      fits = -1;
      if (cost(first, e) <= perInputBudget) {
        fits = e;
        continue;
      }
    }
    // Too large alone: a segment of its own, as short as the allowed cuts make it.
    if (e < end) {
      cuts.push(e);
      first = e + 1;
    }
  }
  if (cuts[cuts.length - 1] !== end) cuts.push(end);
  let start = 0;
  return withoutConstantOnly(model, cuts).map((last) => {
    const segment = segmentOf(model, start, last);
    start = last + 1;
    return segment;
  });
}

/**
 * The cuts (each segment's last node) less those that would leave a segment of constant nodes alone
 * (nothing to run: ONNX Runtime refuses such a model): that segment joins the next, or the last the
 * one before. The frontier is the same either side of a constant node, so the cuts stay allowed.
 */
function withoutConstantOnly(model: SegmentableModel, cuts: readonly number[]): number[] {
  const kept: number[] = [];
  let start = 0;
  for (const last of cuts) {
    let computes = false;
    for (let i = start; i <= last && !computes; i++) computes = !model.constant[i];
    if (computes) {
      kept.push(last);
      start = last + 1;
    }
  }
  if (!kept.length) return [...cuts.slice(-1)];
  kept[kept.length - 1] = cuts[cuts.length - 1];
  return kept;
}

/** The constant nodes the nodes `own` read, directly or through other constants, ascending. */
function constantsRead(model: SegmentableModel, own: readonly number[]): number[] {
  const nodes = model.raw.graph.node;
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => model.constant[i] && node.output.forEach((name) => producer.set(name, i)));
  const constants = new Set<number>();
  const addConstantsOf = (i: number) => {
    for (const name of nodes[i].input) {
      const c = producer.get(name);
      if (c !== undefined && !constants.has(c)) {
        constants.add(c);
        addConstantsOf(c);
      }
    }
  };
  own.forEach(addConstantsOf);
  return [...constants].sort((a, b) => a - b);
}

/** The segment of nodes first..last: its own nodes, the constants they read, its inputs, layers and frontier. */
export function segmentOf(model: SegmentableModel, first: number, last: number): Segment {
  const nodes = model.raw.graph.node;
  const own: number[] = [];
  for (let i = first; i <= last; i++) if (!model.constant[i]) own.push(i);
  const made = new Set(own.flatMap((i) => nodes[i].output));
  const fedIn = first === 0 ? [model.input] : model.frontiers[first - 1];
  const read = new Set(own.flatMap((i) => nodes[i].input));
  const layers: number[] = [];
  model.layerNode.forEach((node, l) => node >= first && node <= last && layers.push(l));
  return {
    first,
    last,
    nodes: own,
    constants: constantsRead(model, own),
    inputs: fedIn.filter((name) => read.has(name)),
    layers,
    // After the plan's last node, what is still live is no run layer, and nothing follows to read it.
    frontier: model.frontiers[last].filter((name) => made.has(name) && model.bytesOf.has(name)),
  };
}

/**
 * The model cut at run layer `layer`, up to run layer `last`: a segment fed `layer`'s value (an
 * ablation's replaced values) and the values live beside it (the sides: a residual block's shortcut,
 * the input), which make `last` from them. The cut is after the node making `layer` where a cut is
 * allowed there (SegmentableModel `cuttable`), else after the last allowed cut before it: then the
 * nodes between run again from the sides, those that only lead to `layer` left out. Its nodes are
 * those `last` depends on, not through the values fed; its outputs are every run layer they make (as
 * in a plan's segments, so that ONNX Runtime fuses the same nodes, and computes the same bits).
 */
export interface Cut {
  readonly segment: Segment;
  /** The run layers (0 = the input) fed besides `layer`, ascending: computed from the inputs by a pass before. */
  readonly sides: readonly number[];
  /** Whether the segment reads `layer` at all (else `last` does not depend on it). */
  readonly readsLayer: boolean;
}

/**
 * The cut of `model` at run layer `layer` (1..L) for run layer `last` (made after it): see {@link Cut}.
 * @throws OnnxError when `last` is not made after `layer`, or the node making `layer` makes another
 * value that `last` reads (the cut cannot replace one output of a node).
 */
export function cutAt(model: SegmentableModel, layer: number, last: number): Cut {
  const nodes = model.raw.graph.node;
  const at = model.layerNode[layer];
  const end = model.layerNode[last];
  const name = (l: number) => (l === 0 ? model.input : model.layers[l].name);
  if (layer < 1 || at === undefined || end === undefined || end <= at)
    throw new OnnxError(`run layer ${last} is not made after run layer ${layer} in the checkpoint: no cut between them`, 'unsupported');
  let cut = at;
  while (cut >= 0 && !model.cuttable[cut]) cut--;
  const fed = new Set<string>(cut >= 0 ? model.frontiers[cut] : [model.input]);
  fed.add(name(layer));
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => !model.constant[i] && node.output.forEach((value) => value && producer.set(value, i)));
  const needed = new Set<number>();
  const stack = [name(last)];
  while (stack.length) {
    const value = stack.pop()!;
    if (fed.has(value)) continue;
    if (value === model.input) {
      fed.add(value); // the inputs themselves, read again after a cut before `layer`
      continue;
    }
    const p = producer.get(value);
    if (p === undefined || needed.has(p)) continue; // an initializer, a constant, or known
    if (p <= cut) throw new OnnxError(`${value} is made before the cut at run layer ${layer} and is not fed to it`, 'unsupported');
    if (p === at)
      throw new OnnxError(
        `the node making run layer ${layer} (${name(layer)}) makes ${value} too, which run layer ${last} reads: no cut there`,
        'unsupported',
      );
    needed.add(p);
    for (const input of nodes[p].input) if (input) stack.push(input);
  }
  const own = [...needed].sort((a, b) => a - b);
  const read = new Set(own.flatMap((i) => nodes[i].input));
  const layerOf = new Map(model.layers.map((l, k) => [name(k), k]));
  const sides = [...fed]
    .filter((value) => value !== name(layer) && read.has(value))
    .map((value) => layerOf.get(value)!)
    .sort((a, b) => a - b);
  const readsLayer = read.has(name(layer));
  const layers: number[] = [];
  model.layerNode.forEach((node, l) => l > 0 && needed.has(node) && layers.push(l));
  return {
    segment: {
      first: cut + 1,
      last: end,
      nodes: own,
      constants: constantsRead(model, own),
      inputs: [...(readsLayer ? [name(layer)] : []), ...sides.map(name)],
      layers,
      frontier: [],
    },
    sides,
    readsLayer,
  };
}

/**
 * The segment as an ONNX model of its own: the file's IR version, opset imports and producer, the
 * segment's nodes (each rewritten one replaced: SegmentableModel `rewrites`) and the constants and
 * initializers they read (the decoded tensors themselves, their raw_data bytes reused), its inputs as
 * float `[batch, ...shape]` graph inputs and its run layers as graph outputs.
 */
export function encodeSegment(model: SegmentableModel, segment: Segment): Uint8Array {
  const { raw } = model;
  const graph = raw.graph;
  const indices = [...segment.constants, ...segment.nodes].sort((a, b) => a - b);
  const node = indices.flatMap((i) => (model.rewrites.get(i)?.nodes as RawNode[] | undefined) ?? [graph.node[i]]);
  const read = new Set(node.flatMap((n) => n.input));
  const declared = new Map<string, RawValueInfo>([...graph.input, ...graph.output].map((v) => [v.name, v]));
  const shapeOf = new Map(model.layers.map((layer, l) => [l === 0 ? model.input : layer.name, layer.outputShape]));
  const valueInfo = (name: string): RawValueInfo | object =>
    declared.get(name) ?? {
      name,
      type: {
        tensorType: {
          elemType: 1, // FLOAT
          shape: { dim: [{ dimParam: model.batch }, ...(shapeOf.get(name) ?? []).map((d) => ({ dimValue: d }))] },
        },
      },
    };
  const message = {
    irVersion: raw.irVersion,
    opsetImport: raw.opsetImport,
    producerName: raw.producerName,
    producerVersion: raw.producerVersion,
    functions: raw.functions,
    graph: {
      name: `${graph.name || 'graph'}:nodes ${segment.first}..${segment.last}`,
      node,
      initializer: [
        ...graph.initializer.filter((t) => read.has(t.name)),
        ...indices.flatMap((i) => model.rewrites.get(i)?.initializers ?? []),
      ],
      input: segment.inputs.map(valueInfo),
      output: segment.layers.map((l) => valueInfo(model.layers[l].name)),
    },
  };
  return onnxModelType().encode(message).finish();
}

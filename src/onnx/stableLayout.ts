/**
 * Which checkpoints run in ONNX Runtime's blocked layout (NCHWc, the `all` optimisation level on x86
 * CPUs), and the nodes of such a checkpoint that the layout would compute differently depending on
 * where a segment starts, rewritten so that every node computes the same bits wherever the plan cuts
 * (docs/native-engine.md, "The blocked layout").
 *
 * The layout pays where a model's maps are small: its convolutions run 2–4× faster there than the
 * plain ones, which loop over the inputs with thin matrix products (torchvision's ResNet-18 and
 * MobileNetV2 at 32×32: the engine's pass to the output 420 → 100–150 and 216–270 → 87–115 ms on
 * 200 inputs). Every run layer being a graph output, each is converted back from blocks, which costs
 * more than it saves on large maps (torchvision's ResNet-50 at 224×224: the epoch's measure 31.9 →
 * 34.0 s and 1.43 → 1.80 GB). So a checkpoint runs blocked when no layer's map has more than
 * {@link BLOCKED_MAX_POSITIONS} positions.
 *
 * Under `all`, the runtime runs convolutions and poolings in channel blocks of 8 or 16. A
 * convolution or a windowed pooling takes the blocked layout, or not, by its own shape alone. But a
 * BatchNormalization becomes a blocked depthwise convolution only where its input already is in
 * blocks (made by a convolution in the same session), and a GlobalAveragePool a blocked pooling only
 * there: at the start of a segment, fed the plain layout, the same node ran the plain kernel, whose
 * bits differ (≈ 2e-7 relative). So every such node whose input is a run layer (the only values fed at
 * a cut) is rewritten to nodes that take one layout by their own shape:
 * - BatchNormalization over C channels becomes a depthwise 1×1 Conv (weight γ/√(σ² + ε), bias
 *   β − μ·γ/√(σ² + ε), each computed in float64 and rounded to float32) when C is a multiple of 16
 *   (of every block size), else a Mul and an Add by those constants (never blocked);
 * - GlobalAveragePool over an H×W map becomes an AveragePool with an H×W window.
 * The other nodes the blocked layout takes by their input (Add, Mul, Concat, the activations,
 * Transpose, Resize) copy or compute element by element: the same bits in either layout. A
 * convolution fuses a following node only when its output is no graph output, and every run layer is
 * one.
 *
 * Pure: a decoded graph and the layers' shapes in, the replacement nodes out.
 */
import { Builder, constant, num } from './builder';
import type { OnnxGraph, OnnxNode } from './graph';

/** What a session runs in place of one node of the file: nodes and the initializers they read, as the ONNX encoder takes them. */
export interface NodeRewrite {
  readonly nodes: readonly object[];
  readonly initializers: readonly object[];
}

/** Most positions (height × width) of any layer's map in a checkpoint that runs in the blocked layout. */
export const BLOCKED_MAX_POSITIONS = 256;

/** Whether a checkpoint with `layers` (0 = the input, shapes channels first) runs in the blocked layout: no layer's map past {@link BLOCKED_MAX_POSITIONS}. */
export function blockedLayoutPays(layers: readonly { readonly outputShape: readonly number[] }[]): boolean {
  return layers.slice(1).every((l) => l.outputShape.length !== 3 || l.outputShape[1] * l.outputShape[2] <= BLOCKED_MAX_POSITIONS);
}

/** Channels per block of every blocked layout (8 with AVX2, 16 with AVX-512): a BatchNormalization over a multiple of it is blocked on every CPU. */
const BLOCK = 16;

/**
 * The rewrites of `graph` by node index; `shapes` gives each run layer's value (and the graph
 * input) its shape per input, channels first. Nodes whose input is no run layer are left alone:
 * they are never at the start of a segment.
 */
export function stableLayoutRewrites(graph: OnnxGraph, shapes: ReadonlyMap<string, readonly number[]>): ReadonlyMap<number, NodeRewrite> {
  const b = new Builder(graph, shapes);
  const rewrites = new Map<number, NodeRewrite>();
  graph.nodes.forEach((node, i) => {
    const nodes = b.nodes.length;
    const initializers = b.initializers.length;
    if (rewrite(b, node, shapes.get(node.inputs[0])))
      rewrites.set(i, { nodes: b.nodes.slice(nodes), initializers: b.initializers.slice(initializers) });
  });
  return rewrites;
}

/** Writes `node`'s replacement into `b`; false (nothing written) where it needs none. `shape` is its first input's, when that is a run layer. */
function rewrite(b: Builder, node: OnnxNode, shape: readonly number[] | undefined): boolean {
  if (node.domain !== '' || !shape || shape.length !== 3) return false;
  const [x] = node.inputs;
  const y = node.outputs[0];
  if (node.opType === 'GlobalAveragePool') {
    b.node('AveragePool', [x], [y], { kernel_shape: { ints: shape.slice(1) } });
    return true;
  }
  if (node.opType !== 'BatchNormalization' || node.outputs.filter(Boolean).length !== 1) return false;
  if (num(node, 'training_mode', 0) !== 0 || num(node, 'spatial', 1) !== 1) return false;
  const channels = shape[0];
  let params: (readonly number[] | undefined)[];
  try {
    params = [1, 2, 3, 4].map((slot) => constant(b, node, slot));
  } catch {
    return false; // statistics that are no constants: the runtime's own node
  }
  if (params.some((p) => p?.length !== channels)) return false;
  const [gamma, beta, mean, variance] = params as (readonly number[])[];
  const epsilon = num(node, 'epsilon', 1e-5);
  const scale = gamma.map((g, c) => g / Math.sqrt(variance[c] + epsilon));
  const shift = beta.map((v, c) => v - mean[c] * scale[c]);
  if (channels % BLOCK === 0) {
    const weight = b.floats(scale, [channels, 1, 1, 1]);
    b.node('Conv', [x, weight, b.floats(shift, [channels])], [y], { group: { i: channels }, kernel_shape: { ints: [1, 1] } });
  } else {
    const scaled = b.op('Mul', [x, b.floats(scale, [channels, 1, 1])]);
    b.node('Add', [scaled, b.floats(shift, [channels, 1, 1])], [y]);
  }
  return true;
}

/**
 * An ONNX graph (a PyTorch checkpoint) as TensorFlow.js layers: the plan that src/tfjs/onnxModel.ts
 * builds a LayersModel from, so that the one engine runs an imported network as the Keras layers it
 * already knows (src/contract/layerKinds.ts). Pure: graph in, steps out.
 *
 * The graph is walked in its order (planner.ts); each op's handler (ops/) makes the step of the
 * Keras layer with the same arithmetic, channels first as PyTorch computes, its weights moved into
 * TensorFlow.js's layouts (weights.ts). A step whose value the run names (a run layer: a graph
 * output of a checkpoint, docs/run-format.md "PyTorch runs") carries that name; the others are
 * `onnx:<node>`, parts of the network the run does not record (a flatten, the padding before a
 * convolution). Anything the engine cannot run exactly is one OnnxError line naming the op, the
 * node and the layer or module.
 */
import { OnnxError, type OnnxGraph } from './graph';
import { ACTIVATION_OPS } from './ops/activations';
import { ARITHMETIC_OPS } from './ops/arithmetic';
import { NORMALIZATION_OPS } from './ops/normalization';
import { RESIZE_OPS } from './ops/resize';
import { SHAPE_OPS } from './ops/shapes';
import { WINDOW_OPS } from './ops/windows';
import { Planner, type LayerPlan, type OpHandler } from './planner';

export type { LayerPlan, PlanClass, PlanSource, PlanStep } from './planner';

const OPS: Readonly<Record<string, OpHandler>> = {
  ...WINDOW_OPS,
  ...ACTIVATION_OPS,
  ...ARITHMETIC_OPS,
  ...SHAPE_OPS,
  ...NORMALIZATION_OPS,
  ...RESIZE_OPS,
};

/** Every ONNX op the plan takes, in the order docs/pytorch.md lists them. */
export const SUPPORTED_OPS: readonly string[] = Object.keys(OPS);

/**
 * The plan of a checkpoint written by the PyTorch recorder (docs/run-format.md, "PyTorch runs"):
 * graph output 0 is the model's output, and each further output is a run layer's value, named as
 * the layer.
 * @throws OnnxError for an op or option the engine cannot run exactly, or a graph that contradicts itself.
 */
export function planCheckpoint(graph: OnnxGraph): LayerPlan {
  if (graph.outputs.length === 0) throw new OnnxError('the graph has no output', 'malformed');
  const named = new Map(graph.outputs.slice(1).map((o) => [o.name, o.name]));
  return planLayers(graph, named, graph.outputs[0].name);
}

/**
 * The plan of `graph` with its steps named by `named` (value name → run layer name) and the value
 * `output` as the model's output.
 * @throws OnnxError as planCheckpoint.
 */
export function planLayers(graph: OnnxGraph, named: ReadonlyMap<string, string>, output: string): LayerPlan {
  return new Planner(graph, named, OPS).run(output);
}

/**
 * A PyTorch checkpoint (ONNX) as a TensorFlow.js LayersModel: decode (src/onnx/decode.ts), plan
 * (src/onnx/plan.ts: one Keras layer per step, channels first) and build here, the step's class
 * and options given to its `tf.layers` factory, its weights set once the model is built. The model is
 * a functional one whose layers the engine knows by class (src/contract/layerKinds.ts), so every
 * forward pass, ablation and query runs it as it runs a TensorFlow.js checkpoint.
 */
import type * as tfType from '@tensorflow/tfjs';
import { decodeOnnx } from '../onnx/decode';
import { OnnxError } from '../onnx/graph';
import { planCheckpoint, type LayerPlan, type PlanClass, type PlanStep } from '../onnx/plan';
import { installBatchNormAxis } from './batchNormAxis';
import { torchLayerClasses, type TorchLayerClasses } from './torchLayers';

type Tf = typeof tfType;
type Layer = tfType.layers.Layer;

/** Each plan class's factory: `args` are the step's options and name, as tf.layers takes them. */
const FACTORIES: Readonly<Record<PlanClass, (tf: Tf, args: never, torch: TorchLayerClasses) => Layer>> = {
  Conv2D: (tf, a) => tf.layers.conv2d(a),
  DepthwiseConv2D: (tf, a) => tf.layers.depthwiseConv2d(a),
  BatchNormalization: (tf, a) => tf.layers.batchNormalization(a),
  ReLU: (tf, a) => tf.layers.reLU(a),
  LeakyReLU: (tf, a) => tf.layers.leakyReLU(a),
  ELU: (tf, a) => tf.layers.elu(a),
  Activation: (tf, a) => tf.layers.activation(a),
  Softmax: (tf, a) => tf.layers.softmax(a),
  LogSoftmax: (_tf, a, torch) => new torch.LogSoftmax(a),
  TorchActivation: (_tf, a, torch) => new torch.TorchActivation(a),
  MaxPooling2D: (tf, a) => tf.layers.maxPooling2d(a),
  AveragePooling2D: (tf, a) => tf.layers.averagePooling2d(a),
  ChannelSlice: (_tf, a, torch) => new torch.ChannelSlice(a),
  TorchLayerNorm: (_tf, a, torch) => new torch.TorchLayerNorm(a),
  ChannelScale: (_tf, a, torch) => new torch.ChannelScale(a),
  TorchResize: (_tf, a, torch) => new torch.TorchResize(a),
  ZeroPadding2D: (tf, a) => tf.layers.zeroPadding2d(a),
  TorchPadding2D: (_tf, a, torch) => new torch.TorchPadding2D(a),
  Flatten: (tf, a) => tf.layers.flatten(a),
  Reshape: (tf, a) => tf.layers.reshape(a),
  Permute: (tf, a) => tf.layers.permute(a),
  Dense: (tf, a) => tf.layers.dense(a),
  Add: (tf, a) => tf.layers.add(a),
  Multiply: (tf, a) => tf.layers.multiply(a),
  Concatenate: (tf, a) => tf.layers.concatenate(a),
};

/**
 * The layout a plan is built in: `channelsFirst`, PyTorch's own (what the engine runs); or
 * `channelsLast`, the twin the deconvolution walks (src/tfjs/deconvolution/, which passes back
 * through channels-last layers only): the same layers and weights with the channel axis last, as
 * far as the layout does not change what a layer computes — a flatten, reshape or permute of a map
 * and what follows it are left out of the twin.
 */
export type PlanLayout = 'channelsFirst' | 'channelsLast';

/** A map's shape `[C, H, W]` in `layout`. */
const inLayout = (shape: readonly number[], layout: PlanLayout): number[] =>
  layout === 'channelsLast' && shape.length >= 2 ? [...shape.slice(1), shape[0]] : [...shape];

/**
 * The model of a plan, its weights set; its input layer is `input`, as a run's layer 0. In the
 * `channelsLast` layout its outputs are the twin's last steps (see {@link PlanLayout}).
 */
export function buildPlanModel(tf: Tf, plan: LayerPlan, name = 'pytorch', layout: PlanLayout = 'channelsFirst'): tfType.LayersModel {
  const torch = torchLayerClasses(tf);
  installBatchNormAxis(tf);
  const input = tf.input({ shape: inLayout(plan.inputShape, layout), name: 'input' });
  const values = new Map<PlanStep, tfType.SymbolicTensor>();
  const built: [Layer, PlanStep][] = [];
  for (const step of plan.steps) {
    if (step.inputs.some((s) => s !== 'input' && !values.has(s))) continue;
    const config = layout === 'channelsFirst' ? step.config : step.channelsLast;
    if (!config) continue;
    const inputs = step.inputs.map((s) => (s === 'input' ? input : values.get(s)!));
    let layer: Layer;
    try {
      layer = FACTORIES[step.className](tf, { ...config, name: step.name } as never, torch);
      values.set(step, layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tfType.SymbolicTensor);
    } catch (e) {
      // A step TensorFlow.js will not build is the importer's gap, said in one line naming the node, not an internal error.
      const why = String((e as Error)?.message ?? e).split('\n')[0];
      throw new OnnxError(`${step.node || step.name} (${step.className}): TensorFlow.js cannot build this step: ${why}`, 'unsupported');
    }
    built.push([layer, step]);
  }
  const read = new Set(built.flatMap(([, step]) => step.inputs));
  const outputs =
    layout === 'channelsFirst'
      ? [values.get(plan.output)!]
      : built.filter(([, step]) => !read.has(step)).map(([, step]) => values.get(step)!);
  const model = tf.model({ inputs: input, outputs, name });
  for (const [layer, step] of built) {
    if (step.weights.length === 0) continue;
    const tensors = step.weights.map((w) => tf.tensor(w.data, [...w.shape]));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  return model;
}

/** The model of a checkpoint's ONNX bytes (docs/run-format.md, "PyTorch runs"), in `layout`. @throws OnnxError */
export function loadOnnxCheckpoint(tf: Tf, bytes: Uint8Array, layout: PlanLayout = 'channelsFirst'): tfType.LayersModel {
  return buildPlanModel(tf, planCheckpoint(decodeOnnx(bytes)), 'pytorch', layout);
}

/**
 * The ops that slide a window or normalise channels: Conv (strides, pads, dilations, groups,
 * depthwise), MaxPool, AveragePool, their global forms (and ReduceMean, ReduceMax over the spatial
 * axes), and BatchNormalization at inference. Each
 * becomes the Keras layer of the same arithmetic, channels first; pads that are not TensorFlow's
 * `same` become a padding step of their own before a `valid` window.
 */
import type { OnnxNode } from '../graph';
import type { OpHandler, Planner, TensorValue } from '../planner';
import { openLayerNorm } from './normalization';
import {
  biasVector,
  ceilModeExtra,
  convKernel,
  depthwiseKernel,
  groupedConvKernel,
  paddingMode,
  windowOutput,
  type WindowAxis,
} from '../weights';

function conv(p: Planner, node: OnnxNode): void {
  const x = p.tensor(node, 0);
  const w = p.floats(node, 1);
  if (w.dims.length !== 4) p.refuse(node, `a ${w.dims.length - 2}-D convolution; CNN Slicer imports 2-D convolutions`);
  const [out, perGroup, kh, kw] = w.dims;
  const groups = p.num(node, 'group', 1);
  const channels = x.shape[0];
  if (perGroup * groups !== channels || out % groups !== 0)
    p.refuse(node, `its weight [${w.dims.join(', ')}] with ${groups} group(s) does not fit its ${channels}-channel input`);
  const axes = p.axes(node, x, p.nums(node, 'kernel_shape') ?? [kh, kw]);
  const strided = axes.some((a) => a.stride > 1);
  if (strided && axes.some((a) => a.dilation > 1))
    p.refuse(node, 'a convolution both strided and dilated, which TensorFlow.js does not run');
  const { input, padding } = windowInput(p, node, x, axes, 'zero');
  const shape = [out, ...axes.map(windowOutput)];
  const bias = node.inputs[2] ? biasVector(p.floats(node, 2).data, out, 1) : undefined;
  if (node.inputs[2] && !bias) p.refuse(node, `its bias does not have ${out} values`);
  const common = {
    kernelSize: [kh, kw],
    strides: axes.map((a) => a.stride),
    dilationRate: axes.map((a) => a.dilation),
    padding,
    dataFormat: 'channelsFirst',
    useBias: bias !== undefined,
    biasInitializer: 'zeros',
  };
  if (groups === channels && perGroup === 1 && groups > 1) {
    const config = { ...common, depthMultiplier: out / channels, depthwiseInitializer: 'zeros' };
    p.step(node, 'DepthwiseConv2D', config, [input], shape, [depthwiseKernel(w.data, w.dims, channels), bias]);
  } else {
    const kernel = groups === 1 ? convKernel(w.data, w.dims) : groupedConvKernel(w.data, w.dims, groups);
    p.step(node, 'Conv2D', { ...common, filters: out, kernelInitializer: 'zeros' }, [input], shape, [kernel, bias]);
  }
}

/** A window's input and padding: TensorFlow's own where the pads are its, else a padding step and `valid`. */
function windowInput(p: Planner, node: OnnxNode, x: TensorValue, axes: readonly WindowAxis[], fill: 'zero' | 'min', padsCount = false) {
  const mode = paddingMode(axes);
  // TensorFlow's `same` leaves its pads out of an average: pads that count are a padding step.
  if (mode === 'valid' || (mode === 'same' && !padsCount)) return { input: x, padding: mode };
  const input = p.padded(node, x, axes, fill);
  axes.forEach((a, d) => Object.assign(a, { size: input.shape[d + 1], before: 0, after: 0 }));
  return { input, padding: 'valid' as const };
}

function maxPool(p: Planner, node: OnnxNode): void {
  if (node.outputs.length > 1 && node.outputs[1]) p.refuse(node, 'a max pooling that returns indices');
  const x = p.tensor(node, 0);
  const kernel = p.nums(node, 'kernel_shape') ?? p.refuse(node, 'no kernel_shape');
  const axes = p.axes(node, x, kernel);
  if (axes.some((a) => a.dilation > 1)) p.refuse(node, 'a dilated max pooling');
  if (p.num(node, 'ceil_mode', 0)) for (const a of axes) a.after += ceilModeExtra(a);
  const { input, padding } = windowInput(p, node, x, axes, 'min');
  const config = { poolSize: kernel, strides: axes.map((a) => a.stride), padding, dataFormat: 'channelsFirst' };
  p.step(node, 'MaxPooling2D', config, [input], [x.shape[0], ...axes.map(windowOutput)]);
}

function averagePool(p: Planner, node: OnnxNode): void {
  const x = p.tensor(node, 0);
  const kernel = p.nums(node, 'kernel_shape') ?? p.refuse(node, 'no kernel_shape');
  const axes = p.axes(node, x, kernel);
  if (p.num(node, 'ceil_mode', 0) && axes.some((a) => ceilModeExtra(a) > 0))
    p.refuse(node, 'an average pooling with ceil_mode whose last window runs past the input');
  const includePad = p.num(node, 'count_include_pad', 0) === 1;
  if (!includePad && paddingMode(axes) === 'explicit')
    p.refuse(
      node,
      'an average pooling that leaves its pads out of the count (count_include_pad=False) with pads TensorFlow does not place',
    );
  const { input, padding } = windowInput(p, node, x, axes, 'zero', includePad);
  const config = { poolSize: kernel, strides: axes.map((a) => a.stride), padding, dataFormat: 'channelsFirst' };
  p.step(node, 'AveragePooling2D', config, [input], [x.shape[0], ...axes.map(windowOutput)]);
}

/** Global pooling keeps ONNX's `[C, 1, 1]`: a window the size of the map. */
function globalPool(className: 'MaxPooling2D' | 'AveragePooling2D'): OpHandler {
  return (p, node) => {
    const x = p.tensor(node, 0);
    if (x.shape.length !== 3)
      p.refuse(node, `its input has the shape [${x.shape.join(', ')}]; CNN Slicer imports 2-D pooling on [C, H, W] values`);
    const spatial = x.shape.slice(1);
    const config = { poolSize: spatial, strides: spatial, padding: 'valid', dataFormat: 'channelsFirst' };
    p.step(node, className, config, [x], [x.shape[0], 1, 1]);
  };
}

/**
 * ReduceMean or ReduceMax over the spatial axes (`x.mean([2, 3])`, `x.amax((2, 3))`: a global
 * pooling as public code writes it): a window the size of the map, its `[C, 1, 1]` flattened to
 * `[C]` unless `keepdims`. A reduction over any other axes is refused.
 */
function spatialReduction(className: 'MaxPooling2D' | 'AveragePooling2D'): OpHandler {
  return (p, node) => {
    const x = p.tensor(node, 0);
    if (x.shape.length !== 3)
      p.refuse(
        node,
        `its input has the shape [${x.shape.join(', ')}]; CNN Slicer imports a reduction over the spatial axes of [C, H, W] values`,
      );
    const axes = p.nums(node, 'axes') ?? (node.inputs[1] ? p.knownInts(node, 1) : undefined);
    const spatial = axes && [...new Set(axes.map((a) => (a + 4) % 4))].sort((a, b) => a - b);
    if (!axes || spatial?.join() !== '2,3')
      p.refuse(
        node,
        `a ${node.opType} over ${axes ? `the axes [${axes.join(', ')}]` : 'every axis'}; CNN Slicer imports one over the spatial axes [2, 3] (a global pooling)`,
      );
    const size = x.shape.slice(1);
    const config = { poolSize: size, strides: size, padding: 'valid', dataFormat: 'channelsFirst' };
    if (p.num(node, 'keepdims', 1) === 1) {
      p.step(node, className, config, [x], [x.shape[0], 1, 1]);
      return;
    }
    const pooled = p.helper(node, 'pool', className, config, x, [x.shape[0], 1, 1]);
    p.step(node, 'Flatten', {}, [pooled], [x.shape[0]], [], {});
  };
}

function batchNormalization(p: Planner, node: OnnxNode): void {
  if (p.num(node, 'training_mode', 0) !== 0 || node.outputs.slice(1).some(Boolean))
    p.refuse(node, 'a BatchNormalization in training mode (the checkpoint must be exported from a model in eval mode)');
  const x = p.tensor(node, 0);
  const channels = x.shape[0];
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => {
    const v = biasVector(p.floats(node, i).data, channels, 1);
    return v ?? p.refuse(node, `its input ${i} does not have ${channels} values`);
  });
  const config = {
    axis: 1,
    epsilon: p.num(node, 'epsilon', 1e-5),
    momentum: p.num(node, 'momentum', 0.9),
    center: true,
    scale: true,
    gammaInitializer: 'ones',
    betaInitializer: 'zeros',
    movingMeanInitializer: 'zeros',
    movingVarianceInitializer: 'ones',
  };
  p.step(node, 'BatchNormalization', config, [x], x.shape, [gamma, beta, mean, variance], { ...config, axis: -1 });
}

export const WINDOW_OPS: Readonly<Record<string, OpHandler>> = {
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalPool('AveragePooling2D'),
  GlobalMaxPool: globalPool('MaxPooling2D'),
  // A layer normalisation's first node (normalization.ts), else a global average pooling.
  ReduceMean: (p, node) => openLayerNorm(p, node) || spatialReduction('AveragePooling2D')(p, node),
  ReduceMax: spatialReduction('MaxPooling2D'),
  BatchNormalization: batchNormalization,
};

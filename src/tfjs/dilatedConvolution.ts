/**
 * Causal and dilated convolutions that train (docs/training-kernels.md, "Dilated and causal
 * convolutions"). TensorFlow.js 4.22 has neither:
 *  - `Conv1D` with `padding: 'causal'` throws "not implemented" in its forward pass; here it is an
 *    explicit left pad of `dilation · (kernel − 1)` steps before a valid convolution, so output
 *    step t reads inputs t − dilation·(kernel − 1) … t only (Keras's definition);
 *  - the gradient of `Conv2D` (which `conv1d` also runs) asserts dilations of 1. A convolution
 *    with dilation d equals one with the dilated filter: the filter with d − 1 zeros between its
 *    taps, of effective size (k − 1)·d + 1. Its input gradient is the input gradient of that
 *    convolution, and its filter gradient is the dilated filter's gradient at the taps (every d-th
 *    entry: a strided slice);
 *  - tfjs's fused `conv2d` (what a `Conv2D` layer without activation runs while training) has its
 *    own gradient with the same assertion: with dilations above 1 it runs unfused instead.
 * Global to the tfjs instance (layer classes and gradient registry), whatever the backend.
 * Idempotent.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from './wasmKernelSupport';

const INSTALLED = Symbol.for('cnn-slicer.dilatedConvolution');

type Pair = [number, number];

/** Installs the three pieces above in `tf`. */
export function installDilatedConvolutions(tf: Tf): void {
  const marks = tf as unknown as Record<symbol, unknown>;
  if (marks[INSTALLED] === true) return;
  installDilatedConv2DGradient(tf);
  unfuseDilatedConv2D(tf);
  installCausalConv1D(tf);
  Object.defineProperty(tf, INSTALLED, { value: true });
}

/** The filter `[kh, kw, in, out]` with `d − 1` zero taps between its taps along each spatial axis. */
export function dilateFilter(tf: Tf, filter: tfjs.Tensor4D, dilations: Pair): tfjs.Tensor4D {
  const [kh, kw, ci, co] = filter.shape;
  const [dh, dw] = dilations;
  if (dh === 1 && dw === 1) return filter;
  return tf.tidy(() => {
    const spread = tf.pad(filter.reshape([kh, 1, kw, 1, ci, co]), [
      [0, 0],
      [0, dh - 1],
      [0, 0],
      [0, dw - 1],
      [0, 0],
      [0, 0],
    ]);
    return tf.slice(
      tf.reshape<tfjs.Rank.R4>(spread, [kh * dh, kw * dw, ci, co]),
      [0, 0, 0, 0],
      [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co],
    );
  });
}

function pairOf(value: number | readonly number[] | undefined): Pair {
  if (value === undefined) return [1, 1];
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/** tfjs-core's gradient of `Conv2D`, and the dilated one above where dilations exceed 1. */
function installDilatedConv2DGradient(tf: Tf): void {
  const stock = tf.getGradient('Conv2D');
  if (stock === undefined) return;
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const dilations = pairOf(attrs.dilations as number | number[] | undefined);
      if (dilations[0] === 1 && dilations[1] === 1) return stock.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [tfjs.Tensor4D, tfjs.Tensor4D];
      return dilatedConv2DGradients(tf, dy as tfjs.Tensor4D, x, filter, attrs as unknown as ConvAttrs);
    },
  });
}

/** The attributes of a `Conv2D` kernel call. */
export interface ConvAttrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: string;
}

/**
 * The input and filter gradients of a convolution with any dilations, through the dilated filter
 * (module comment): at dilations 1 they are tfjs-core's own.
 */
export function dilatedConv2DGradients(
  tf: Tf,
  dy: tfjs.Tensor4D,
  x: tfjs.Tensor4D,
  filter: tfjs.Tensor4D,
  attrs: ConvAttrs,
): { x: () => tfjs.Tensor; filter: () => tfjs.Tensor } {
  const dilations = pairOf(attrs.dilations);
  const { strides, pad, dataFormat, dimRoundingMode } = attrs;
  const common = { strides, pad, dataFormat, dimRoundingMode } as unknown as tfjs.NamedAttrMap;
  return {
    x: () => {
      const dilated = dilateFilter(tf, filter, dilations);
      return tf.engine().runKernel<tfjs.Tensor>(
        'Conv2DBackpropInput',
        { dy, filter: dilated },
        {
          ...common,
          inputShape: x.shape,
        },
      );
    },
    filter: () => {
      const [kh, kw, ci, co] = filter.shape;
      const size = [(kh - 1) * dilations[0] + 1, (kw - 1) * dilations[1] + 1, ci, co];
      const whole = tf.engine().runKernel<tfjs.Tensor4D>(
        'Conv2DBackpropFilter',
        { x, dy },
        {
          ...common,
          filterShape: size,
        },
      );
      return tf.stridedSlice(whole, [0, 0, 0, 0], size, [dilations[0], dilations[1], 1, 1]);
    },
  };
}

type FusedConv2DArgs = Parameters<Tf['fused']['conv2d']>[0];

/**
 * tfjs's fused conv2d asserts dilations of 1 in its own gradient; a dilated one with no activation
 * (the only kind it fuses while a gradient is recorded) runs as conv2d plus bias instead.
 */
function unfuseDilatedConv2D(tf: Tf): void {
  const fused = tf.fused as unknown as { conv2d: (args: FusedConv2DArgs) => tfjs.Tensor };
  const original = fused.conv2d;
  fused.conv2d = (args: FusedConv2DArgs): tfjs.Tensor => {
    const [dh, dw] = pairOf(args.dilations);
    const linear = args.activation === undefined || args.activation === 'linear';
    if ((dh === 1 && dw === 1) || !linear) return original(args);
    return tf.tidy(() => {
      const y = tf.conv2d(
        args.x as tfjs.Tensor4D,
        args.filter,
        args.strides,
        args.pad,
        args.dataFormat,
        args.dilations,
        args.dimRoundingMode,
      );
      return args.bias === undefined || args.bias === null ? y : tf.add(y, args.bias);
    });
  };
}

interface ConvLayerFields {
  padding: string;
  kernelSize: number[];
  dilationRate: number[];
  dataFormat?: string;
}
interface LayerMethods {
  call(inputs: tfjs.Tensor | tfjs.Tensor[], kwargs: object): tfjs.Tensor | tfjs.Tensor[];
  computeOutputShape(shape: tfjs.Shape | tfjs.Shape[]): tfjs.Shape | tfjs.Shape[];
}

/** `Conv1D` with `padding: 'causal'`: a left pad, then a valid convolution. */
function installCausalConv1D(tf: Tf): void {
  const sample = tf.layers.conv1d({ filters: 1, kernelSize: 1 });
  const proto = Object.getPrototypeOf(sample) as LayerMethods;
  const base = Object.getPrototypeOf(proto) as LayerMethods;
  proto.call = function (this: ConvLayerFields & LayerMethods, inputs, kwargs) {
    if (this.padding !== 'causal') return base.call.call(this, inputs, kwargs);
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const left = this.dilationRate[0] * (this.kernelSize[0] - 1);
    const time = this.dataFormat === 'channelsFirst' ? 2 : 1;
    const paddings: [number, number][] = [
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    paddings[time] = [left, 0];
    return tf.tidy(() => {
      this.padding = 'valid';
      try {
        return base.call.call(this, tf.pad(x, paddings), kwargs);
      } finally {
        this.padding = 'causal';
      }
    });
  };
  // The causal output is as long as the input, as with 'same' padding (tfjs takes 'causal' as 'valid').
  proto.computeOutputShape = function (this: ConvLayerFields & LayerMethods, shape) {
    if (this.padding !== 'causal') return base.computeOutputShape.call(this, shape);
    this.padding = 'same';
    try {
      return base.computeOutputShape.call(this, shape);
    } finally {
      this.padding = 'causal';
    }
  };
}

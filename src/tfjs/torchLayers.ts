/**
 * The Keras layer classes a PyTorch checkpoint needs and TensorFlow.js 4.22 lacks, for the ONNX
 * import (src/onnx/plan.ts, built by onnxModel.ts):
 *  - `TorchActivation`: ONNX's HardSigmoid `max(0, min(1, αx + β))` with PyTorch's slope
 *    (tfjs's `hardSigmoid` has α = 0.2 fixed) and HardSwish `x · hardsigmoid(x)`;
 *  - `LogSoftmax`: `log_softmax` over the class scores (a classifier's last layer in PyTorch's own
 *    MNIST example);
 *  - `TorchPadding2D`: a channels-first padding with −∞, before a max pooling whose pads are not
 *    TensorFlow's `same` (PyTorch pads a max pooling with −∞: a pad never wins);
 *  - `ChannelSlice`: channels `begin .. begin + size` of a value (`x[:, a:b]`, `x.chunk(2, 1)`,
 *    `torch.split`: ShuffleNetV2's channel split), channels first unless `channelsLast`;
 *  - `TorchLayerNorm`: a layer normalisation over the channel axis (ConvNeXt's LayerNorm, planned
 *    channels first from its channels-last export, src/onnx/ops/normalization.ts): `(x − mean) /
 *    √(var + ε) · γ + β`, the mean and the biased variance over the channels of each position, as
 *    torch computes it; axis 1 unless `channelsLast` (the last axis);
 *  - `ChannelScale`: each channel times its own weight (ConvNeXt's layer scale, `gamma * x`);
 *  - `TorchResize`: `F.interpolate` / `nn.Upsample`, nearest or bilinear, with PyTorch's own source
 *    indices and weights ({@link resizeTaps}; tfjs's resizeBilinear and resizeNearestNeighbor take
 *    the ratio `in / out` of the sizes, where PyTorch takes `1 / scale_factor`).
 * The classes are made per tfjs instance (the runtime is loaded at run time) and registered with
 * its serialization, so a model holding them can be cloned and described like any other.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { ResizeCoordinates } from '../onnx/ops/resize';

type Tf = typeof tfType;
type Tensor = tfType.Tensor;
type Shape = tfType.Shape;
type Kwargs = Record<string, unknown>;

export interface TorchLayerClasses {
  TorchActivation: new (args: { name: string; fn: 'hardSigmoid' | 'hardSwish'; alpha: number; beta: number }) => tfType.layers.Layer;
  LogSoftmax: new (args: { name: string }) => tfType.layers.Layer;
  TorchPadding2D: new (args: PaddingArgs) => tfType.layers.Layer;
  ChannelSlice: new (args: SliceArgs) => tfType.layers.Layer;
  TorchLayerNorm: new (args: { name: string; epsilon?: number; channelsLast?: boolean }) => tfType.layers.Layer;
  ChannelScale: new (args: { name: string; channelsLast?: boolean }) => tfType.layers.Layer;
  TorchResize: new (args: ResizeArgs) => tfType.layers.Layer;
}

/** TorchResize's options (src/onnx/ops/resize.ts): the output's height and width, the scales given (else null: the sizes), the rule. */
interface ResizeArgs {
  name: string;
  mode?: 'nearest' | 'bilinear';
  size?: [number, number];
  scales?: [number, number] | null;
  coordinates?: ResizeCoordinates;
  channelsLast?: boolean;
}

/** Where each output index of one axis reads: `value = in[i0] · (1 − w1) + in[i1] · w1` (nearest: i1 = i0, w1 = 0). */
export interface ResizeTaps {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

/**
 * The taps of one axis resized from `inSize` to `outSize`, as PyTorch's CPU kernels compute them in
 * float32 (aten/src/ATen/native/UpSample.h): the ratio is `1 / scale` where a scale is given, else
 * `in / out` (`(in − 1) / (out − 1)` for align_corners); nearest reads `min(floor(dst · ratio), in − 1)`,
 * bilinear its source `ratio · (dst + ½) − ½` clamped at 0 (half_pixel) or `ratio · dst` (align_corners),
 * between its floor and the next index. An axis of the same size is read as it is.
 */
export function resizeTaps(
  inSize: number,
  outSize: number,
  scale: number | null,
  mode: 'nearest' | 'bilinear',
  coordinates: ResizeCoordinates,
): ResizeTaps {
  const f = Math.fround;
  const taps = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), w1: new Float32Array(outSize) };
  const ratio =
    coordinates === 'align_corners'
      ? outSize > 1
        ? f((inSize - 1) / (outSize - 1))
        : 0
      : scale !== null && scale > 0
        ? f(1 / scale)
        : f(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    if (inSize === outSize) {
      taps.i0[d] = taps.i1[d] = d;
      continue;
    }
    if (mode === 'nearest') {
      taps.i0[d] = taps.i1[d] = Math.min(Math.floor(f(d * ratio)), inSize - 1);
      continue;
    }
    const source = coordinates === 'align_corners' ? f(ratio * d) : Math.max(0, f(f(ratio * f(d + 0.5)) - 0.5));
    const i0 = Math.min(Math.trunc(source), inSize - 1);
    taps.i0[d] = i0;
    taps.i1[d] = i0 + (i0 < inSize - 1 ? 1 : 0);
    taps.w1[d] = Math.min(Math.max(f(source - i0), 0), 1);
  }
  return taps;
}

/** ChannelSlice's options: the first channel and how many; channels first (axis 1) unless `channelsLast` (the last axis). */
interface SliceArgs {
  name: string;
  begin?: number;
  size?: number;
  channelsLast?: boolean;
}

/** TorchPadding2D's options: pads before and after the height and the width; channels first unless `channelsLast`. */
interface PaddingArgs {
  name: string;
  padding?: [[number, number], [number, number]];
  fill?: 'min';
  channelsLast?: boolean;
}

const made = new WeakMap<Tf, TorchLayerClasses>();

const one = (inputs: Tensor | Tensor[]): Tensor => (Array.isArray(inputs) ? inputs[0] : inputs);

/** The classes for `tf`, made and registered once. */
export function torchLayerClasses(tf: Tf): TorchLayerClasses {
  const known = made.get(tf);
  if (known) return known;

  class TorchActivation extends tf.layers.Layer {
    static className = 'TorchActivation';
    readonly fn: 'hardSigmoid' | 'hardSwish';
    readonly alpha: number;
    readonly beta: number;
    constructor(args: { name: string; fn: 'hardSigmoid' | 'hardSwish'; alpha: number; beta: number }) {
      super({ name: args.name });
      [this.fn, this.alpha, this.beta] = [args.fn, args.alpha, args.beta];
    }
    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        const x = one(inputs);
        const gate = tf.clipByValue(tf.add(tf.mul(x, this.alpha), this.beta), 0, 1);
        return this.fn === 'hardSwish' ? tf.mul(x, gate) : gate;
      });
    }
    override computeOutputShape(shape: Shape | Shape[]): Shape | Shape[] {
      return shape;
    }
    override getConfig(): tfType.serialization.ConfigDict {
      return { ...super.getConfig(), fn: this.fn, alpha: this.alpha, beta: this.beta };
    }
  }

  class LogSoftmax extends tf.layers.Layer {
    static className = 'LogSoftmax';
    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
      return tf.tidy(() => tf.logSoftmax(one(inputs), -1));
    }
    override computeOutputShape(shape: Shape | Shape[]): Shape | Shape[] {
      return shape;
    }
  }

  class TorchPadding2D extends tf.layers.Layer {
    static className = 'TorchPadding2D';
    readonly padding: [[number, number], [number, number]];
    readonly fill: 'min';
    readonly channelsLast: boolean;
    constructor(args: PaddingArgs) {
      super({ name: args.name });
      // No pads given (a class built by name, as tfjs builds any registered class): none.
      this.padding = args.padding ?? [
        [0, 0],
        [0, 0],
      ];
      [this.fill, this.channelsLast] = [args.fill ?? 'min', args.channelsLast === true];
    }
    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
      const pads: [number, number][] = this.channelsLast ? [[0, 0], ...this.padding, [0, 0]] : [[0, 0], [0, 0], ...this.padding];
      return tf.tidy(() => tf.pad(one(inputs), pads, -Infinity));
    }
    override computeOutputShape(shape: Shape | Shape[]): Shape | Shape[] {
      const s = shape as Shape;
      const [[t, b], [l, r]] = this.padding;
      const grow = (d: number | null, by: number) => (d === null ? null : d + by);
      return this.channelsLast ? [s[0], grow(s[1], t + b), grow(s[2], l + r), s[3]] : [s[0], s[1], grow(s[2], t + b), grow(s[3], l + r)];
    }
    override getConfig(): tfType.serialization.ConfigDict {
      return { ...super.getConfig(), padding: this.padding, fill: this.fill, channelsLast: this.channelsLast };
    }
  }

  class ChannelSlice extends tf.layers.Layer {
    static className = 'ChannelSlice';
    readonly begin: number;
    readonly size: number;
    readonly channelsLast: boolean;
    constructor(args: SliceArgs) {
      super({ name: args.name });
      [this.begin, this.size, this.channelsLast] = [args.begin ?? 0, args.size ?? 1, args.channelsLast === true];
    }
    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        const x = one(inputs);
        const axis = this.channelsLast ? x.rank - 1 : 1;
        const begin = x.shape.map((_, d) => (d === axis ? this.begin : 0));
        const size = x.shape.map((n, d) => (d === axis ? this.size : n));
        return tf.slice(x, begin, size);
      });
    }
    override computeOutputShape(shape: Shape | Shape[]): Shape | Shape[] {
      const s = [...(shape as Shape)];
      s[this.channelsLast ? s.length - 1 : 1] = this.size;
      return s;
    }
    override getConfig(): tfType.serialization.ConfigDict {
      return { ...super.getConfig(), begin: this.begin, size: this.size, channelsLast: this.channelsLast };
    }
  }

  const { TorchLayerNorm, ChannelScale } = perChannelClasses(tf);
  const TorchResize = resizeClass(tf);

  for (const c of [TorchActivation, LogSoftmax, TorchPadding2D, ChannelSlice]) tf.serialization.registerClass(c);
  const classes: TorchLayerClasses = {
    TorchActivation,
    LogSoftmax,
    TorchPadding2D,
    ChannelSlice,
    TorchLayerNorm,
    ChannelScale,
    TorchResize,
  };
  made.set(tf, classes);
  return classes;
}

/** TorchLayerNorm and ChannelScale for `tf`: layers of one value a channel (or two), broadcast along the channel axis. */
function perChannelClasses(tf: Tf): Pick<TorchLayerClasses, 'TorchLayerNorm' | 'ChannelScale'> {
  /** A layer of one weight (or two) of one value a channel, broadcast along the channel axis: axis 1, or the last. */
  abstract class PerChannel extends tf.layers.Layer {
    readonly channelsLast: boolean;
    protected weightsOf: tfType.LayerVariable[] = [];
    constructor(args: { name: string; channelsLast?: boolean }) {
      super({ name: args.name });
      this.channelsLast = args.channelsLast === true;
    }
    protected abstract readonly weightNames: readonly string[];
    override build(shape: Shape | Shape[]): void {
      const s = shape as Shape;
      const channels = s[this.channelsLast ? s.length - 1 : 1] as number;
      this.weightsOf = this.weightNames.map((n) =>
        this.addWeight(n, [channels], 'float32', n === 'beta' ? tf.initializers.zeros() : tf.initializers.ones()),
      );
      this.built = true;
    }
    protected axis(x: Tensor): number {
      return this.channelsLast ? x.rank - 1 : 1;
    }
    /** Weight k shaped to broadcast along `x`'s channel axis. */
    protected along(x: Tensor, k: number): Tensor {
      const w = this.weightsOf[k].read();
      return this.channelsLast
        ? w
        : tf.reshape(
            w,
            x.shape.map((n, d) => (d === 1 ? n : 1)),
          );
    }
    override computeOutputShape(shape: Shape | Shape[]): Shape | Shape[] {
      return shape;
    }
    override getConfig(): tfType.serialization.ConfigDict {
      return { ...super.getConfig(), channelsLast: this.channelsLast };
    }
  }

  class TorchLayerNorm extends PerChannel {
    static className = 'TorchLayerNorm';
    protected readonly weightNames = ['gamma', 'beta'];
    readonly epsilon: number;
    constructor(args: { name: string; epsilon?: number; channelsLast?: boolean }) {
      super(args);
      this.epsilon = args.epsilon ?? 1e-5;
    }
    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        const x = one(inputs);
        const axis = this.axis(x);
        const centred = tf.sub(x, tf.mean(x, axis, true));
        const variance = tf.mean(tf.square(centred), axis, true);
        const normalised = tf.div(centred, tf.sqrt(tf.add(variance, this.epsilon)));
        return tf.add(tf.mul(normalised, this.along(x, 0)), this.along(x, 1));
      });
    }
    override getConfig(): tfType.serialization.ConfigDict {
      return { ...super.getConfig(), epsilon: this.epsilon };
    }
  }

  class ChannelScale extends PerChannel {
    static className = 'ChannelScale';
    protected readonly weightNames = ['scale'];
    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        const x = one(inputs);
        return tf.mul(x, this.along(x, 0));
      });
    }
  }

  tf.serialization.registerClass(TorchLayerNorm);
  tf.serialization.registerClass(ChannelScale);
  return { TorchLayerNorm, ChannelScale };
}

/** TorchResize for `tf`: each spatial axis resized in turn by gathering its taps ({@link resizeTaps}) and weighing them. */
function resizeClass(tf: Tf): TorchLayerClasses['TorchResize'] {
  class TorchResize extends tf.layers.Layer {
    static className = 'TorchResize';
    readonly mode: 'nearest' | 'bilinear';
    readonly size: [number, number];
    readonly scales: [number, number] | null;
    readonly coordinates: ResizeCoordinates;
    readonly channelsLast: boolean;
    constructor(args: ResizeArgs) {
      super({ name: args.name });
      [this.mode, this.size, this.scales] = [args.mode ?? 'nearest', args.size ?? [1, 1], args.scales ?? null];
      [this.coordinates, this.channelsLast] = [args.coordinates ?? 'asymmetric', args.channelsLast === true];
    }
    override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor {
      return tf.tidy(() => {
        let x = one(inputs);
        for (const k of [0, 1]) {
          const axis = (this.channelsLast ? 1 : 2) + k;
          const taps = resizeTaps(x.shape[axis], this.size[k], this.scales?.[k] ?? null, this.mode, this.coordinates);
          const first = tf.gather(x, tf.tensor1d(taps.i0, 'int32'), axis);
          if (this.mode === 'nearest') {
            x = first;
            continue;
          }
          const weight = tf.reshape(
            tf.tensor1d(taps.w1),
            x.shape.map((_, d) => (d === axis ? taps.w1.length : 1)),
          );
          const second = tf.gather(x, tf.tensor1d(taps.i1, 'int32'), axis);
          x = tf.add(first, tf.mul(tf.sub(second, first), weight));
        }
        return x;
      });
    }
    override computeOutputShape(shape: Shape | Shape[]): Shape | Shape[] {
      const s = [...(shape as Shape)];
      s.splice(this.channelsLast ? 1 : 2, 2, ...this.size);
      return s;
    }
    override getConfig(): tfType.serialization.ConfigDict {
      const { mode, size, scales, coordinates, channelsLast } = this;
      return { ...super.getConfig(), mode, size, scales, coordinates, channelsLast };
    }
  }
  tf.serialization.registerClass(TorchResize);
  return TorchResize;
}

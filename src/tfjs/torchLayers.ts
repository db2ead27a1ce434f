/**
 * The three Keras layer classes a PyTorch checkpoint needs and TensorFlow.js 4.22 lacks, for the
 * ONNX import (src/onnx/plan.ts, built by onnxModel.ts):
 *  - `TorchActivation`: ONNX's HardSigmoid `max(0, min(1, αx + β))` with PyTorch's slope
 *    (tfjs's `hardSigmoid` has α = 0.2 fixed) and HardSwish `x · hardsigmoid(x)`;
 *  - `LogSoftmax`: `log_softmax` over the class scores (a classifier's last layer in PyTorch's own
 *    MNIST example);
 *  - `TorchPadding2D`: a channels-first padding with −∞, before a max pooling whose pads are not
 *    TensorFlow's `same` (PyTorch pads a max pooling with −∞: a pad never wins).
 * The classes are made per tfjs instance (the runtime is loaded at run time) and registered with
 * its serialization, so a model holding them can be cloned and described like any other.
 */
import type * as tfType from '@tensorflow/tfjs';

type Tf = typeof tfType;
type Tensor = tfType.Tensor;
type Shape = tfType.Shape;
type Kwargs = Record<string, unknown>;

export interface TorchLayerClasses {
  TorchActivation: new (args: { name: string; fn: 'hardSigmoid' | 'hardSwish'; alpha: number; beta: number }) => tfType.layers.Layer;
  LogSoftmax: new (args: { name: string }) => tfType.layers.Layer;
  TorchPadding2D: new (args: PaddingArgs) => tfType.layers.Layer;
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

  for (const c of [TorchActivation, LogSoftmax, TorchPadding2D]) tf.serialization.registerClass(c);
  const classes: TorchLayerClasses = { TorchActivation, LogSoftmax, TorchPadding2D };
  made.set(tf, classes);
  return classes;
}

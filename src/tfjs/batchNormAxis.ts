/**
 * BatchNormalization over an axis other than the last (channels first: `axis: 1`, as PyTorch's
 * BatchNorm2d and a Keras `channels_first` model have it), computed right on every backend.
 *
 * tfjs-layers normalises such an input by reshaping the statistics to `[1, C, 1, 1]` and calling
 * `batchNorm`, whose CPU and WebAssembly kernels (TensorFlow.js 4.22) ignore that shape: they step
 * through mean, variance, offset and scale along the input's last axis, so a channels-first input
 * is normalised with the wrong channel's statistics (test/unit/tfjs/batchNormAxis.test.ts shows the
 * stock result). Here the layer moves its axis last, normalises there (the path every backend runs
 * right, the fused WASM training kernel included) and moves it back: the same arithmetic per value,
 * in training as in inference. Global to the tfjs instance; idempotent.
 */
import type * as tfjs from '@tensorflow/tfjs';

type Tf = typeof tfjs;
type LayerCall = (this: AxisLayer, inputs: tfjs.Tensor | tfjs.Tensor[], kwargs: tfjs.serialization.ConfigDict) => tfjs.Tensor;

interface AxisLayer {
  axis: number;
}

const INSTALLED = Symbol.for('cnn-slicer.batchNormAxis');

/** Wraps `BatchNormalization.call` in `tf` so that an axis other than the last is moved last around it. */
export function installBatchNormAxis(tf: Tf): void {
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: LayerCall } & Record<symbol, unknown>;
  if (proto[INSTALLED] === true) return;
  const stock = proto.call;
  proto.call = function (this: AxisLayer, inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const rank = input?.rank ?? 0;
    const axis = this.axis >= 0 ? this.axis : this.axis + rank;
    if (input === undefined || rank < 3 || axis === rank - 1) return stock.call(this, inputs, kwargs);
    const order = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis), axis];
    const back = order.map((_, i) => order.indexOf(i));
    return tf.tidy(() => {
      const saved = this.axis;
      this.axis = -1;
      try {
        return tf.transpose(stock.call(this, tf.transpose(input, order), kwargs), back);
      } finally {
        this.axis = saved;
      }
    });
  };
  Object.defineProperty(proto, INSTALLED, { value: true });
}

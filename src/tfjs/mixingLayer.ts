/**
 * The first layer after an ablated one that mixes its channels, as a linear map plus bias and an
 * activation: `act(x·W + b)` for Dense, `act(conv(x, W) + b)` for Conv2D. Removing channels S
 * from its input changes the pre-activation by the linear map of the change in those channels
 * alone, so an ablation of one channel costs a product with that channel's slice of W instead of
 * the whole layer (src/service/ablation.ts).
 */
import type * as tfType from '@tensorflow/tfjs';
import { layerKind } from '../contract/layerKinds';

export interface LinearMixing {
  /** The pre-activation `x·W + b` (or `conv(x, W) + b`) of inputs `x` (`[n, ...inputShape]`). */
  pre(x: tfType.Tensor): tfType.Tensor;
  /**
   * The linear map, without bias, of `d` (`[n, ...inputShape]`) restricted to the entries of input
   * channels `channels`: channel of entry k is `k mod channelCount` along the flattened input of a
   * Dense layer, the last axis of a Conv2D's input.
   */
  delta(d: tfType.Tensor, channels: readonly number[], channelCount: number): tfType.Tensor;
  /** The layer's activation of a pre-activation. */
  activate(pre: tfType.Tensor): tfType.Tensor;
  dispose(): void;
}

type Config = Record<string, unknown>;

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v ?? 1), Number(v ?? 1)]);

/** The layer as a linear map, or undefined when it is not one this shortcut knows (then the ablation runs the layer itself). */
export function linearMixing(tf: typeof tfType, layer: tfType.layers.Layer): LinearMixing | undefined {
  const map = layerKind(layer.getClassName()).linearMap;
  const config = layer.getConfig() as Config;
  if (map === undefined) return undefined;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') return undefined;
  const weights = layer.getWeights();
  const kernel = weights[0];
  const bias = config.useBias === false ? undefined : weights[1];
  const activationName = typeof config.activation === 'string' ? config.activation : 'linear';
  const activation = tf.layers.activation({ activation: activationName as 'linear' });
  const activate = (pre: tfType.Tensor) => activation.apply(pre) as tfType.Tensor;
  if (map === 'dense') {
    const units = kernel.shape[1]!;
    return {
      pre: (x) =>
        tf.tidy(() => {
          const flat = x.reshape([x.shape[0], -1]);
          const y = tf.matMul(flat, kernel);
          return bias ? y.add(bias) : y;
        }),
      delta: (d, channels, channelCount) =>
        tf.tidy(() => {
          const flat = d.reshape([d.shape[0], -1]);
          const columns: number[] = [];
          for (let k = 0; k < flat.shape[1]!; k++) if (channels.includes(k % channelCount)) columns.push(k);
          if (!columns.length) return tf.zeros([d.shape[0], units]);
          const idx = tf.tensor1d(columns, 'int32');
          return tf.matMul(tf.gather(flat, idx, 1), tf.gather(kernel, idx, 0));
        }),
      activate,
      dispose: () => undefined,
    };
  }
  const strides = pair(config.strides);
  const dilations = pair(config.dilationRate);
  const padding = config.padding === 'same' ? 'same' : 'valid';
  if (config.padding !== 'same' && config.padding !== 'valid') return undefined;
  return {
    pre: (x) =>
      tf.tidy(() => {
        const y = tf.conv2d(x as tfType.Tensor4D, kernel as tfType.Tensor4D, strides, padding, 'NHWC', dilations);
        return bias ? y.add(bias) : y;
      }),
    delta: (d, channels) =>
      tf.tidy(() => {
        const idx = tf.tensor1d([...channels], 'int32');
        return tf.conv2d(
          tf.gather(d, idx, 3) as tfType.Tensor4D,
          tf.gather(kernel, idx, 2) as tfType.Tensor4D,
          strides,
          padding,
          'NHWC',
          dilations,
        );
      }),
    activate,
    dispose: () => undefined,
  };
}

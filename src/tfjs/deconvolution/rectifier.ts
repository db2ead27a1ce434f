/**
 * The deconvnet's rectification at an activation, for every activation with a sound one
 * (docs/estimators.md "Deconvolution", docs/layers.md).
 *
 * Zeiler & Fergus pass the backward signal through a ReLU wherever the network has one. The
 * backward signal has no scale of its own: any positive multiple of it gives the same picture once
 * the projection is normalised for display. A rectification that means something must therefore
 * commute with positive scaling, so it can only be the activation's behaviour at the origin: its
 * one-sided slopes `f'(0⁻)` and `f'(0⁺)`, applied to the negative and the positive part of the
 * signal. For ReLU that is ReLU itself (slopes 0 and 1), as the method defines it; a leaky or
 * parametric ReLU keeps its slope; a smooth activation (tanh, sigmoid, softplus, swish, …) becomes a
 * scaled identity; SELU scales its negative part λα and its positive part λ. A cap (ReLU6) is a
 * magnitude of the forward pass that the scale-free signal does not share, so it plays no part.
 *
 * No sound rectification exists where the activation has no kink or slope at the origin to speak
 * of: a threshold away from the origin (`ThresholdedReLU` with θ > 0: the slope is 0 at the
 * origin, so the projection would be empty), or an activation that mixes the channels (softmax).
 * Those are refused with the reason.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { ActivationSource } from '../../contract/layerKindTypes';

/** The one-sided slopes at the origin; `perChannel`: the negative slope is the PReLU layer's own `alpha` weight. */
export interface Rectifier {
  negative: number;
  positive: number;
  perChannel?: boolean;
}

export const IDENTITY_RECTIFIER: Rectifier = { negative: 1, positive: 1 };
export const RELU_RECTIFIER: Rectifier = { negative: 0, positive: 1 };

/** SELU's constants (Klambauer et al. 2017), as tfjs uses them. */
const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

/**
 * The slopes at the origin of each activation a layer's `activation` option can name:
 * `f'(0⁻)`, `f'(0⁺)`.
 */
const ACTIVATION_SLOPES: Record<string, Rectifier> = {
  linear: IDENTITY_RECTIFIER,
  relu: RELU_RECTIFIER,
  relu6: RELU_RECTIFIER,
  // α = 1 in the `activation: 'elu'` form: αeˣ → 1 from the left.
  elu: IDENTITY_RECTIFIER,
  selu: { negative: SELU_SCALE * SELU_ALPHA, positive: SELU_SCALE },
  tanh: IDENTITY_RECTIFIER,
  softsign: IDENTITY_RECTIFIER,
  // σ'(0) = 1/4; tfjs's hard sigmoid is clip(0.2x + 0.5, 0, 1).
  sigmoid: { negative: 0.25, positive: 0.25 },
  hardSigmoid: { negative: 0.2, positive: 0.2 },
  // softplus'(0) = σ(0); swish'(0) = σ(0); gelu'(0) = Φ(0); mish'(0) = tanh(ln 2).
  softplus: { negative: 0.5, positive: 0.5 },
  swish: { negative: 0.5, positive: 0.5 },
  gelu: { negative: 0.5, positive: 0.5 },
  gelu_new: { negative: 0.5, positive: 0.5 },
  mish: { negative: 0.6, positive: 0.6 },
};

/** A reason no rectification exists, for the caller's message. */
export interface NoRectifier {
  refused: string;
}

const refuse = (why: string): NoRectifier => ({ refused: why });

/** The rectification of an `activation` option (a layer's own activation or an `Activation` layer's), or why there is none. */
export function activationRectifier(activation: unknown): Rectifier | NoRectifier {
  const name = typeof activation === 'string' ? activation : activation == null ? 'linear' : JSON.stringify(activation);
  const found = Object.prototype.hasOwnProperty.call(ACTIVATION_SLOPES, name) ? ACTIVATION_SLOPES[name] : undefined;
  if (found) return found;
  if (name === 'softmax' || name === 'logSoftmax')
    return refuse(`activation '${name}' mixes the channels, so no value can be rectified on its own`);
  return refuse(`activation '${name}' has no rectification defined; supported: ${Object.keys(ACTIVATION_SLOPES).join(', ')}`);
}

const numberOr = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/**
 * The rectification of a layer whose activation comes from `source` (src/contract/layerKinds.ts):
 * its `activation` option, or the class of an activation layer (`ReLU`, `LeakyReLU`, `ELU`, `PReLU`,
 * `ThresholdedReLU`, `Softmax`, with its own options in `config`); or why there is none.
 */
export function layerRectifier(source: ActivationSource | undefined, config: Record<string, unknown>): Rectifier | NoRectifier {
  switch (source) {
    case 'option':
      return activationRectifier(config.activation);
    case 'relu':
      // tfjs's ReLU layer has only a cap (`maxValue`), which plays no part at the origin.
      return RELU_RECTIFIER;
    case 'leakyRelu':
      return { negative: numberOr(config.alpha, 0.3), positive: 1 };
    case 'elu':
      return { negative: numberOr(config.alpha, 1), positive: 1 };
    case 'prelu':
      return { negative: 0, positive: 1, perChannel: true };
    case 'thresholdedRelu': {
      const theta = numberOr(config.theta, 1);
      if (theta > 0) return refuse(`its slope is 0 around the origin (θ = ${theta}), so every projection through it would be empty`);
      return RELU_RECTIFIER;
    }
    case 'softmax':
      return refuse('softmax mixes the channels, so no value can be rectified on its own');
    case undefined:
      return refuse('it has no activation to rectify');
  }
}

/** Whether `r` leaves the signal as it is. */
export function isIdentity(r: Rectifier): boolean {
  return !r.perChannel && r.negative === 1 && r.positive === 1;
}

/**
 * The rectified signal: `negative·t` where `t < 0`, `positive·t` elsewhere (`t` itself for the
 * identity, else a new tensor). `alpha`:
 * the PReLU layer's negative slopes (broadcast over the signal; `only` slices its one channel).
 */
export function rectify(tf: typeof tfType, t: tfType.Tensor, r: Rectifier, alpha?: tfType.Tensor, only?: number): tfType.Tensor {
  if (isIdentity(r)) return t;
  // ReLU exactly as before (the same kernel, the same bits).
  if (!r.perChannel && r.negative === 0 && r.positive === 1) return tf.relu(t);
  return tf.tidy(() => {
    const positive = r.positive === 1 ? t : tf.mul(t, r.positive);
    let slopes: tfType.Tensor | number = r.negative;
    if (r.perChannel) {
      if (!alpha) throw new Error('a PReLU layer without its alpha weight');
      const channels = alpha.shape[alpha.shape.length - 1];
      if (only === undefined || channels === 1) slopes = alpha;
      else {
        const begin = alpha.shape.map(() => 0);
        begin[begin.length - 1] = only;
        slopes = tf.slice(alpha, begin, [...alpha.shape.slice(0, -1), 1]);
      }
    }
    return tf.where(tf.greater(t, 0), positive, tf.mul(t, slopes));
  });
}

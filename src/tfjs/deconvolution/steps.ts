/**
 * What the backward walk of a deconvolution (index.ts) does at each layer: the step a layer call
 * becomes (`classify`), the shared types of the walk, and the error that names a layer it cannot
 * pass through.
 */
import type * as tfType from '@tensorflow/tfjs';
import { CodedError, hasErrorCode } from '../../analysis';
import { layerKind } from '../../contract/layerKinds';
import { activationRectifier, isIdentity, layerRectifier, type NoRectifier, type Rectifier } from './rectifier';

export type Tf = typeof tfType;
export type Layer = tfType.layers.Layer;
export type Symbolic = tfType.SymbolicTensor;
export type Pair = [number, number];
export type Shape4 = [number, number, number, number];

/** What the walk passes back through, in words, for the message of a layer it cannot (docs/layers.md has the full list). */
const SUPPORTED_IN_WORDS =
  'it passes back through convolutions (also 1-D, depthwise and separable), pooling, activations, batch normalisation, dropout, padding, reshape, add, average, concatenate and nested models (docs/layers.md)';

/** The projection is not available for this model or layer; `layer` names the layer that stops it. */
export class DeconvolutionError extends CodedError {
  constructor(
    message: string,
    readonly layer?: string,
  ) {
    super('deconvolution-unsupported', message, 'DeconvolutionError');
  }
  static is(e: unknown): e is DeconvolutionError {
    return hasErrorCode(e, 'deconvolution-unsupported');
  }
}

/**
 * What the backward walk does at one layer. Spatial steps carry `oneD` when the layer works on
 * `[n, T, C]` tensors: they run as the 2-D step on `[n, 1, T, C]`.
 */
export type Step =
  | { kind: 'conv'; rectifier: Rectifier; strides: Pair; padding: 'same' | 'valid'; dilation: Pair; oneD: boolean }
  | { kind: 'depthwise'; rectifier: Rectifier; strides: Pair; padding: 'same' | 'valid'; dilation: Pair; multiplier: number }
  | { kind: 'separable'; rectifier: Rectifier; strides: Pair; padding: 'same' | 'valid'; dilation: Pair; multiplier: number }
  | { kind: 'rectify'; rectifier: Rectifier }
  | { kind: 'maxPool' | 'avgPool'; pool: Pair; strides: Pair; padding: 'same' | 'valid'; oneD: boolean }
  | { kind: 'globalMaxPool' | 'globalAvgPool' }
  | { kind: 'crop'; padding: [Pair, Pair] }
  | { kind: 'identity' }
  | { kind: 'add' | 'average' }
  | { kind: 'concat' }
  | { kind: 'reshape' };

/** One call of a layer in the graph between the model input and the target, with its step. */
export interface Op {
  layer: Layer;
  step: Step;
  inputs: Symbolic[];
  output: Symbolic;
}

/**
 * The signal flowing back into one tensor of the graph: `t` has the tensor's shape except for the
 * channels (the last axis). While `only` is set the signal is that one channel alone (all others
 * zero, `t` one channel wide); otherwise `t` holds every channel.
 */
export interface Signal {
  t: tfType.Tensor;
  only: number | undefined;
}

/** What the backward walk does at `layer` (called on `inputs`), or a `DeconvolutionError` naming it. */
export function classify(layer: Layer, inputs: Symbolic[]): Step {
  const type = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new DeconvolutionError(
      `deconvolution supports channels-last data only; layer '${layer.name}' (${type}) is ${configText(config.dataFormat)}`,
      layer.name,
    );
  }
  const kind = layerKind(type);
  const oneD = kind.spatialRank === 1;
  const step = kind.deconvolution;
  switch (step) {
    case 'conv':
      return {
        kind: 'conv',
        rectifier: rectifierOf(layer, activationRectifier(config.activation)),
        strides: pair(config.strides, 1, oneD),
        padding: paddingOf(layer, config),
        dilation: pair(config.dilationRate, 1, oneD),
        oneD,
      };
    case 'depthwise':
    case 'separable':
      return {
        kind: step,
        rectifier: rectifierOf(layer, activationRectifier(config.activation)),
        strides: pair(config.strides, 1, false),
        padding: paddingOf(layer, config),
        dilation: pair(config.dilationRate, 1, false),
        multiplier: typeof config.depthMultiplier === 'number' ? config.depthMultiplier : 1,
      };
    case 'maxPool':
    case 'avgPool': {
      const pool = pair(config.poolSize, 2, oneD);
      return {
        kind: step,
        pool,
        strides: config.strides == null ? pool : pair(config.strides, 1, oneD),
        padding: paddingOf(layer, config),
        oneD,
      };
    }
    case 'globalAvgPool':
    case 'globalMaxPool':
    case 'identity':
    case 'reshape':
      return { kind: step };
    case 'rectify': {
      const rectifier = rectifierOf(layer, layerRectifier(kind.activation, config));
      // An `Activation` layer that is the identity (linear) is a step of its own; an activation layer always rectifies.
      return kind.activation === 'option' && isIdentity(rectifier) ? { kind: 'identity' } : { kind: 'rectify', rectifier };
    }
    case 'crop': {
      const p = config.padding as number[][] | undefined;
      if (!Array.isArray(p) || p.length !== 2 || !p.every((a) => Array.isArray(a) && a.length === 2)) {
        throw new DeconvolutionError(`deconvolution cannot read the padding of layer '${layer.name}' (${type})`, layer.name);
      }
      return { kind: 'crop', padding: [pair(p[0], 0, false), pair(p[1], 0, false)] };
    }
    case 'add':
    case 'average':
      // Broadcasting merges (a [n, 1, 1, C] branch added to a [n, H, W, C] one) are not the plain sum undone here.
      if (inputs.some((t) => t.shape.length !== inputs[0].shape.length || t.shape.some((d, i) => d !== inputs[0].shape[i]))) {
        throw new DeconvolutionError(
          `deconvolution cannot pass back through layer '${layer.name}' (${type}) whose inputs have different shapes`,
          layer.name,
        );
      }
      return { kind: step };
    case 'concat': {
      const rank = inputs[0].shape.length;
      const axis = typeof config.axis === 'number' ? config.axis : -1;
      if (axis !== -1 && axis !== rank - 1) {
        throw new DeconvolutionError(
          `deconvolution can pass back through a Concatenate on the channel axis only; layer '${layer.name}' concatenates on axis ${axis}`,
          layer.name,
        );
      }
      return { kind: 'concat' };
    }
    case undefined:
      throw new DeconvolutionError(
        `deconvolution cannot pass back through layer '${layer.name}' (${type}); ${SUPPORTED_IN_WORDS}`,
        layer.name,
      );
  }
}

/** `found`, or the error naming the layer and why it has no rectification. */
function rectifierOf(layer: Layer, found: Rectifier | NoRectifier): Rectifier {
  if ('refused' in found) {
    throw new DeconvolutionError(
      `deconvolution cannot pass back through layer '${layer.name}' (${layer.getClassName()}): ${found.refused}`,
      layer.name,
    );
  }
  return found;
}

function paddingOf(layer: Layer, config: Record<string, unknown>): 'same' | 'valid' {
  const p = config.padding ?? 'valid';
  if (p === 'same' || p === 'valid') return p;
  throw new DeconvolutionError(
    `deconvolution cannot pass back through layer '${layer.name}' (${layer.getClassName()}) with padding '${configText(p)}'`,
    layer.name,
  );
}

/**
 * A `[height, width]` pair from a config value that is a number or a list. For a 1-D layer the
 * value is its length and the height is 1 (the layer runs on a map one row high).
 */
function pair(v: unknown, fallback: number, oneD: boolean): Pair {
  const list = v == null ? [fallback] : typeof v === 'number' ? [v] : (v as number[]);
  if (oneD) return [1, list[0] ?? fallback];
  return [list[0], list.length > 1 ? list[1] : list[0]];
}

export function assertNever(x: never): never {
  throw new Error(`unexpected step ${JSON.stringify(x)}`);
}

/** A layer config value as text for a message or a comparison: strings as they are, anything else as JSON. */
export function configText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

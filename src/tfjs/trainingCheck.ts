/**
 * The check a recording runs before it writes anything: can this model be trained on this
 * backend? One tiny training step (the gradients of every trainable weight, on a batch of two
 * inputs) finds a missing kernel or a gradient tfjs does not have before the run folder exists,
 * where otherwise the first `model.fit` after epoch 0 failed with "internal error: Kernel '…' not
 * registered for backend 'wasm'" and a stack.
 *
 * What it does about a problem:
 *  - a kernel the WASM backend lacks but the CPU backend has: the CPU kernel is registered for
 *    'wasm' (inputs copied to the CPU backend and the result back), with a note saying so: slower
 *    where that op runs, but the run trains;
 *  - anything else (a kernel no backend has, a forward pass or a gradient tfjs does not implement):
 *    a `TrainingKernelError` naming every layer that fails and what each lacks (its forward pass,
 *    a kernel of this backend, or its gradient), found by running the same step layer by layer,
 *    the forward pass alone first.
 *
 * The model is left as it was: its weights (batch normalisation's moving statistics change in a
 * training step) are restored, and the run's seeded random source, which dropout and random
 * initialisers draw from, is left where it was: the step draws from a private generator instead
 * (tfjsRandom.ts).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { CodedError, hasErrorCode } from '../analysis/errors';
import { layerKind } from '../contract/layerKinds';
import { seededRandom } from '../analysis/random';
import { withTfjsRandom } from './tfjsRandom';
import { BACKEND, markOwn, type KernelArgs, type TensorInfo, type Tf } from './wasmKernelSupport';

/**
 * A model that cannot be trained on the backend in use. Its code is 'model' (the user's model is
 * what must change), so the CLI and the recorder report it as one line, like any other problem
 * with the model file.
 */
export class TrainingKernelError extends CodedError {
  constructor(
    message: string,
    /** The name of the first layer whose training step failed, when one was found. */
    readonly layerName?: string,
    /** The names of every layer whose training step failed. */
    readonly layerNames: string[] = layerName === undefined ? [] : [layerName],
  ) {
    super('model', message, 'TrainingKernelError');
  }
  static is(e: unknown): e is TrainingKernelError {
    return hasErrorCode(e, 'model') && (e as Error).name === 'TrainingKernelError';
  }
}

export interface TrainingCheck {
  /** Kernels that now run on the CPU backend's implementation for this backend. */
  cpuFallbacks: string[];
  /** One line per fallback, for the recording's log. */
  notes: string[];
}

const MISSING_KERNEL = /Kernel '([^']+)' not registered for backend '([^']+)'/;
/** A missing kernel is registered and the step retried; this bounds the retries. */
const MAX_FALLBACKS = 16;

/**
 * Runs one training step of `model` on two inputs and makes it work or explains why it cannot
 * (see the module comment). Throws `TrainingKernelError`; returns the fallbacks it registered.
 */
export function checkTrainingKernels(tf: Tf, model: tfjs.LayersModel, options: { sample?: SampleInputs } = {}): TrainingCheck {
  const cpuFallbacks: string[] = [];
  const notes: string[] = [];
  for (;;) {
    const error = trainingStepError(tf, model, () => gradientStep(tf, model, options.sample));
    if (error === undefined) return { cpuFallbacks, notes };
    const missing = MISSING_KERNEL.exec(message(error));
    if (missing !== null && missing[2] === BACKEND && cpuFallbacks.length < MAX_FALLBACKS && !cpuFallbacks.includes(missing[1])) {
      // The layer is looked for while the kernel is still missing, so that its step fails.
      const failing = firstFailingLayer(tf, model);
      if (registerCpuFallback(tf, missing[1])) {
        cpuFallbacks.push(missing[1]);
        const where = failing === undefined ? 'this model' : `layer '${failing.layer.name}' (${failing.layer.getClassName()})`;
        notes.push(
          `the WASM backend has no '${missing[1]}' kernel, which training ${where} needs: ` +
            `it runs on the CPU backend's kernel instead, so that layer trains more slowly`,
        );
        continue;
      }
    }
    throw explain(tf, model, error);
  }
}

/** What a layer lacks for training: its forward pass, a backend kernel, or tfjs's gradient. */
type Missing = 'forward' | 'kernel' | 'gradient';

interface FailingLayer {
  layer: tfjs.layers.Layer;
  error: unknown;
  missing: Missing;
}

const REMEDY: Record<Missing, string> = {
  forward: 'TensorFlow.js cannot compute its output (its forward pass fails): change its settings or replace the layer',
  kernel: 'this backend has no kernel for it: try another backend (--backend cpu)',
  gradient: 'TensorFlow.js has no gradient for it on any backend: replace or remove the layer',
};

function firstLine(error: unknown): string {
  return message(error).split('\n')[0].trim();
}

function explain(tf: Tf, model: tfjs.LayersModel, error: unknown): TrainingKernelError {
  const failing = failingLayers(tf, model);
  const backend = tf.getBackend();
  if (failing.length === 0) {
    const cause = firstLine(error);
    const remedy = REMEDY[MISSING_KERNEL.test(cause) ? 'kernel' : 'gradient'];
    return new TrainingKernelError(`the model cannot be trained on the ${backend} backend (${cause}); ${remedy}`);
  }
  const named = (f: FailingLayer) => `layer '${f.layer.name}' (${f.layer.getClassName()})`;
  const names = failing.map((f) => f.layer.name);
  if (failing.length === 1) {
    const [f] = failing;
    return new TrainingKernelError(
      `${named(f)} cannot be trained on the ${backend} backend (${firstLine(f.error)}); ${REMEDY[f.missing]}`,
      f.layer.name,
      names,
    );
  }
  const each = failing.map((f) => `${named(f)}: ${REMEDY[f.missing].split(':')[0]} (${firstLine(f.error)})`);
  return new TrainingKernelError(
    `${failing.length} layers cannot be trained on the ${backend} backend: ${each.join('; ')}; change, replace or remove them`,
    failing[0].layer.name,
    names,
  );
}

/**
 * Every layer, in the model's order, whose own training step fails (the gradients of its input
 * and its trainable weights, on inputs of its input shape), with what it lacks: its forward pass
 * alone is tried first.
 */
function failingLayers(tf: Tf, model: tfjs.LayersModel): FailingLayer[] {
  const failing: FailingLayer[] = [];
  for (const layer of model.layers) {
    const found = layerFailure(tf, model, layer);
    if (found !== undefined) failing.push(found);
  }
  return failing;
}

/** The first layer whose own training step fails, with that failure. */
function firstFailingLayer(tf: Tf, model: tfjs.LayersModel): FailingLayer | undefined {
  for (const layer of model.layers) {
    const found = layerFailure(tf, model, layer);
    if (found !== undefined) return found;
  }
  return undefined;
}

function layerFailure(tf: Tf, model: tfjs.LayersModel, layer: tfjs.layers.Layer): FailingLayer | undefined {
  if (layerKind(layer.getClassName()).input) return undefined;
  const forward = trainingStepError(tf, model, () => layerGradientStep(tf, layer, false));
  const error = forward ?? trainingStepError(tf, model, () => layerGradientStep(tf, layer, true));
  if (error === undefined) return undefined;
  const missing: Missing = MISSING_KERNEL.test(message(error)) ? 'kernel' : forward !== undefined ? 'forward' : 'gradient';
  return { layer, error, missing };
}

/**
 * Runs `step` with the model's weights saved and restored, drawing from a generator of its own
 * (the run's sequence goes on as if the check had not run), and returns what it threw (or `undefined`).
 */
function trainingStepError(tf: Tf, model: tfjs.LayersModel, step: () => void): unknown {
  const saved = model.getWeights().map((w) => w.clone());
  try {
    withTfjsRandom(seededRandom(0x7e57), () => tf.tidy(step));
    return undefined;
  } catch (e) {
    return e;
  } finally {
    model.setWeights(saved);
    tf.dispose(saved);
  }
}

/**
 * Real inputs for the step of a one-input model: a dimension the model leaves open (a sequence of
 * any length) gets the data's own size, and token ids stay valid indices for an embedding.
 */
export interface SampleInputs {
  /** Row-major values of `shape[0]` inputs. */
  data: Float32Array;
  /** With the batch axis first. */
  shape: number[];
}

/** The gradients of a loss on the model's outputs with respect to every trainable weight. */
function gradientStep(tf: Tf, model: tfjs.LayersModel, sample?: SampleInputs): void {
  const inputs =
    sample !== undefined && model.inputs.length === 1
      ? [tf.tensor(sample.data, sample.shape)]
      : model.inputs.map((input) => exampleBatch(tf, input.shape));
  const weights = model.trainableWeights.map((w) => (w as unknown as { read(): tfjs.Variable }).read());
  if (weights.length === 0) return;
  const { grads } = tf.variableGrads(() => {
    const outputs = model.apply(inputs.length === 1 ? inputs[0] : inputs, { training: true }) as tfjs.Tensor | tfjs.Tensor[];
    return squaredSum(tf, outputs);
  }, weights);
  for (const gradient of Object.values(grads)) gradient.dataSync();
}

/** One layer's step: the gradients of its inputs (as variables) and of its trainable weights (or only its output). */
function layerGradientStep(tf: Tf, layer: tfjs.layers.Layer, gradients = true): void {
  const shapes = layer.inboundNodes.length > 0 ? layer.inboundNodes[0].inputShapes : [];
  const list = (Array.isArray(shapes[0]) ? shapes : [shapes]) as (number | null)[][];
  const inputs = list.map((shape) => tf.variable(exampleBatch(tf, shape)));
  const weights = layer.trainableWeights.map((w) => (w as unknown as { read(): tfjs.Variable }).read());
  const loss = () => {
    const outputs = layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: true }) as tfjs.Tensor | tfjs.Tensor[];
    return squaredSum(tf, outputs);
  };
  try {
    if (!gradients) {
      loss().dataSync();
      return;
    }
    const { grads } = tf.variableGrads(loss, [...inputs, ...weights]);
    for (const gradient of Object.values(grads)) gradient.dataSync();
  } finally {
    tf.dispose(inputs);
  }
}

function squaredSum(tf: Tf, outputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Scalar {
  const list = Array.isArray(outputs) ? outputs : [outputs];
  return tf.addN(list.map((o) => tf.sum(tf.square(o.toFloat())))) as tfjs.Scalar;
}

/** Two inputs of `shape` (its batch axis `null`), values in [0, 1): valid as embedding ids too. */
function exampleBatch(tf: Tf, shape: (number | null)[]): tfjs.Tensor {
  // An open dimension gets a length every usual kernel size and stride fits in.
  const dims = shape.map((d, i) => (i === 0 ? 2 : (d ?? 16)));
  return tf.randomUniform(dims, 0, 1, 'float32', 7);
}

/**
 * Registers for 'wasm' a kernel that runs the CPU backend's `kernelName`: inputs copied to the
 * CPU backend, outputs copied back. False when the CPU backend has no such kernel either.
 */
function registerCpuFallback(tf: Tf, kernelName: string): boolean {
  const cpuKernel = tf.getKernel(kernelName, 'cpu');
  if (cpuKernel === undefined || tf.getKernel(kernelName, BACKEND) !== undefined) return false;
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const cpu = tf.findBackend('cpu');
    if (cpu === null) throw new Error(`the CPU backend, which runs '${kernelName}' for the WASM backend, is not available`);
    const created: tfjs.DataId[] = [];
    const cpuInputs: Record<string, TensorInfo> = {};
    try {
      for (const [name, info] of Object.entries(inputs)) {
        const dataId = cpu.write(backend.readSync(info.dataId), info.shape, info.dtype);
        created.push(dataId);
        cpuInputs[name] = { dataId, shape: info.shape, dtype: info.dtype };
      }
      const result = cpuKernel.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
      const outputs = (Array.isArray(result) ? result : [result]).map((out) => {
        const copy = backend.makeOutput(out.shape, out.dtype, undefined, cpu.readSync(out.dataId));
        cpu.disposeData(out.dataId);
        return copy;
      });
      // Multi-output kernels return arrays; the kernel function type allows it.
      return (Array.isArray(result) ? outputs : outputs[0]) as TensorInfo;
    } finally {
      for (const dataId of created) cpu.disposeData(dataId);
    }
  };
  tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc: markOwn(kernelFunc) });
  return true;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Fused optimizer steps on the WASM backend: one kernel of ./wasm/training.wat per weight tensor
 * for tfjs's Adam, momentum SGD and RMSprop (`installFusedOptimizers`), in place of the ~6–12
 * element-wise kernels per weight tensor that tfjs-core's `applyGradients` runs (≈11% of a LeNet
 * epoch for Adam, much of it engine overhead per kernel on small tensors). The arithmetic follows
 * tfjs-core op for op in float32, so a fused step equals the stock one to rounding;
 * test/unit/tfjs/wasmTrainingModule.test.ts checks both against tfjs's own (CPU backend) optimizers.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { BACKEND, type KernelArgs, type TensorInfo, type Tf } from './wasmKernelSupport';
import { exportsFor, pointer } from './wasmTrainingInstances';
import { sizeOfShape } from './wasmTrainingModule';

/** Names of the fused optimizer kernels (registered for the WASM backend only). */
export const ADAM_UPDATE = 'CnnSlicerAdamUpdate';
export const MOMENTUM_UPDATE = 'CnnSlicerMomentumUpdate';
export const RMSPROP_UPDATE = 'CnnSlicerRMSPropUpdate';

const f32 = Math.fround;

function adamUpdate({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { value, gradient, m, v } = inputs;
  const a = attrs as unknown as { learningRate: number; beta1: number; beta2: number; epsilon: number; accBeta1: number; accBeta2: number };
  const outs = [value, m, v].map((t) => backend.makeOutput([...t.shape], 'float32'));
  exportsFor(backend).adam(
    pointer(backend, value),
    pointer(backend, gradient),
    pointer(backend, m),
    pointer(backend, v),
    ...outs.map((o) => pointer(backend, o)),
    sizeOfShape(value.shape),
    a.learningRate,
    a.beta1,
    // tfjs-core multiplies by the scalars 1 − β (computed in float64, stored as float32) and
    // divides by 1 − β^t (a float32 subtraction).
    f32(1 - a.beta1),
    a.beta2,
    f32(1 - a.beta2),
    a.epsilon,
    f32(1 - f32(a.accBeta1)),
    f32(1 - f32(a.accBeta2)),
  );
  return outs;
}

function momentumUpdate({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { value, gradient, accumulation } = inputs;
  const a = attrs as unknown as { learningRate: number; momentum: number; useNesterov: boolean };
  const outs = [value, accumulation].map((t) => backend.makeOutput([...t.shape], 'float32'));
  exportsFor(backend).momentum(
    pointer(backend, value),
    pointer(backend, gradient),
    pointer(backend, accumulation),
    ...outs.map((o) => pointer(backend, o)),
    sizeOfShape(value.shape),
    f32(-a.learningRate),
    a.momentum,
    a.useNesterov ? 1 : 0,
  );
  return outs;
}

function rmspropUpdate({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { value, gradient, meanSquare, moment, meanGrad } = inputs;
  const a = attrs as unknown as { learningRate: number; decay: number; momentum: number; epsilon: number; centered: boolean };
  const targets = a.centered ? [value, meanSquare, moment, meanGrad] : [value, meanSquare, moment];
  const outs = targets.map((t) => backend.makeOutput([...t.shape], 'float32'));
  const p = outs.map((o) => pointer(backend, o));
  exportsFor(backend).rmsprop(
    pointer(backend, value),
    pointer(backend, gradient),
    pointer(backend, meanSquare),
    pointer(backend, moment),
    a.centered ? pointer(backend, meanGrad) : 0,
    p[0],
    p[1],
    p[2],
    a.centered ? p[3] : 0,
    sizeOfShape(value.shape),
    a.learningRate,
    a.decay,
    f32(1 - a.decay),
    a.momentum,
    a.epsilon,
    a.centered ? 1 : 0,
  );
  return outs;
}

/** The fused kernels, for registration by ./wasmKernels. */
export const fusedOptimizerKernels: [string, (args: KernelArgs) => TensorInfo[]][] = [
  [ADAM_UPDATE, adamUpdate],
  [MOMENTUM_UPDATE, momentumUpdate],
  [RMSPROP_UPDATE, rmspropUpdate],
];

type NamedGradients = tfjs.NamedTensorMap | { name: string; tensor: tfjs.Tensor }[];

/** The optimizer state tfjs-core keeps in protected fields, which the fused path reads and updates. */
interface Slot {
  originalName: string;
  variable: tfjs.Variable;
}
interface OptimizerState {
  incrementIterations(): void;
  learningRate: number;
  epsilon: number;
  // Adam
  beta1: number;
  beta2: number;
  accBeta1: tfjs.Variable;
  accBeta2: tfjs.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedSecondMoment: Slot[];
  // Momentum
  momentum: number;
  useNesterov: boolean;
  accumulations: Slot[];
  // RMSprop
  decay: number;
  centered: boolean;
  accumulatedMeanSquares: Slot[];
  accumulatedMoments: Slot[];
  accumulatedMeanGrads: Slot[];
}

const FUSED = Symbol.for('cnn-slicer.fusedOptimizer');

/**
 * Makes tfjs's `AdamOptimizer`, `MomentumOptimizer` and `RMSPropOptimizer` (whoever built them:
 * the recorder's settings or a model file's own `compile`) update each weight tensor with one
 * fused kernel while the WASM backend is active; on any other backend, or where a kernel is
 * missing, the stock `applyGradients` runs. The optimizers' state (slot variables, `accBeta1`/`2`,
 * iterations) is kept exactly as tfjs-core keeps it, so `getWeights`/`setWeights` and
 * serialisation see no difference. Idempotent.
 */
export function installFusedOptimizers(tf: Tf): void {
  const patch = (
    proto: { applyGradients: (this: unknown, g: NamedGradients) => void },
    kernelName: string,
    fused: (tf: Tf, self: OptimizerState, g: NamedGradients) => void,
  ): void => {
    const stock = proto.applyGradients;
    if ((stock as unknown as Record<symbol, unknown>)[FUSED] === true) return;
    const applyGradients = function (this: unknown, variableGradients: NamedGradients): void {
      if (tf.getBackend() !== BACKEND || tf.getKernel(kernelName, BACKEND) === undefined) return stock.call(this, variableGradients);
      fused(tf, this as OptimizerState, variableGradients);
    };
    Object.defineProperty(applyGradients, FUSED, { value: true });
    proto.applyGradients = applyGradients;
  };
  patch(tf.AdamOptimizer.prototype as never, ADAM_UPDATE, fusedAdam);
  patch(tf.MomentumOptimizer.prototype as never, MOMENTUM_UPDATE, fusedMomentum);
  patch(tf.RMSPropOptimizer.prototype, RMSPROP_UPDATE, fusedRmsprop);
}

/** The variables and gradients of an `applyGradients` call, in tfjs-core's order. */
function entries(tf: Tf, variableGradients: NamedGradients): { name: string; value: tfjs.Variable; gradient: tfjs.Tensor | undefined }[] {
  const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
  return names.map((name, i) => ({
    name,
    value: tf.engine().registeredVariables[name],
    gradient: Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name],
  }));
}

/** tfjs-core's slot variable: created (zeros, not trainable) on first use, as tfjs-core names it. */
function slot(tf: Tf, slots: Slot[], i: number, name: string, suffix: string, value: tfjs.Variable): tfjs.Variable {
  slots[i] ??= { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
  return slots[i].variable;
}

function runFused(tf: Tf, kernelName: string, inputs: tfjs.NamedTensorMap, attrs: tfjs.NamedAttrMap): tfjs.Tensor[] {
  return tf.engine().runKernel(kernelName, inputs, attrs) as unknown as tfjs.Tensor[];
}

function fusedAdam(tf: Tf, self: OptimizerState, variableGradients: NamedGradients): void {
  // Two scalar reads per step (not per weight): on the WASM backend a synchronous heap read.
  const accBeta1 = self.accBeta1.dataSync()[0];
  const accBeta2 = self.accBeta2.dataSync()[0];
  tf.tidy(() => {
    entries(tf, variableGradients).forEach(({ name, value, gradient }, i) => {
      const m = slot(tf, self.accumulatedFirstMoment, i, name, 'm', value);
      const v = slot(tf, self.accumulatedSecondMoment, i, name, 'v', value);
      if (gradient == null) return;
      const [newValue, newM, newV] = runFused(
        tf,
        ADAM_UPDATE,
        { value, gradient, m, v },
        { learningRate: self.learningRate, beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, accBeta1, accBeta2 },
      );
      m.assign(newM);
      v.assign(newV);
      value.assign(newValue);
    });
    self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
    self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
  });
  self.incrementIterations();
}

function fusedMomentum(tf: Tf, self: OptimizerState, variableGradients: NamedGradients): void {
  tf.tidy(() => {
    entries(tf, variableGradients).forEach(({ name, value, gradient }, i) => {
      const accumulation = slot(tf, self.accumulations, i, name, 'momentum', value);
      if (gradient == null) return;
      const [newValue, newAccumulation] = runFused(
        tf,
        MOMENTUM_UPDATE,
        { value, gradient, accumulation },
        { learningRate: self.learningRate, momentum: self.momentum, useNesterov: self.useNesterov },
      );
      accumulation.assign(newAccumulation);
      value.assign(newValue);
    });
  });
  self.incrementIterations();
}

function fusedRmsprop(tf: Tf, self: OptimizerState, variableGradients: NamedGradients): void {
  tf.tidy(() => {
    entries(tf, variableGradients).forEach(({ name, value, gradient }, i) => {
      const meanSquare = slot(tf, self.accumulatedMeanSquares, i, name, 'rms', value);
      const moment = slot(tf, self.accumulatedMoments, i, name, 'momentum', value);
      const meanGrad = self.centered ? slot(tf, self.accumulatedMeanGrads, i, name, 'mg', value) : undefined;
      if (gradient == null) return;
      const inputs: tfjs.NamedTensorMap = { value, gradient, meanSquare, moment };
      if (meanGrad) inputs.meanGrad = meanGrad;
      const [newValue, newMeanSquare, newMoment, newMeanGrad] = runFused(tf, RMSPROP_UPDATE, inputs, {
        learningRate: self.learningRate,
        decay: self.decay,
        momentum: self.momentum,
        epsilon: self.epsilon,
        centered: self.centered,
      });
      meanSquare.assign(newMeanSquare);
      moment.assign(newMoment);
      if (meanGrad) meanGrad.assign(newMeanGrad);
      value.assign(newValue);
    });
  });
  self.incrementIterations();
}

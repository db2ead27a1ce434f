/**
 * Training-mode BatchNormalization on the WASM backend in two kernels (./wasm/batchNorm.wat): one
 * forward pass (batch mean and variance, normalise, scale, shift) and one backward pass (the
 * gradients of the input, gamma and beta from the input, the mean and the variance).
 *
 * tfjs-layers normalises a training batch with `moments` and `batchNorm` (its
 * `normalizeBatchInTraining`): about a dozen kernels, each recorded on the gradient tape with its
 * own full-size intermediates (differences from the mean, their squares, normalised values,
 * broadcast scales and their gradients), held until the backward pass in a WASM heap that never
 * shrinks. On a full-width ResNet-18 that is most of the ~36 MB per input of a batch the first
 * training step takes. `installFusedBatchNorm` replaces the layer's training path, while the WASM
 * backend is active, by one `tf.customGrad` around the forward kernel, which saves only the input,
 * the batch mean, the batch variance and gamma for the backward kernel; the moving mean and
 * variance are updated as tfjs-layers updates them, with the same batch statistics.
 *
 * The stock path is kept for everything else: inference, other backends, a normalisation axis
 * other than the last, channel counts that are not a multiple of 4, layers without `scale` or
 * `center`, and non-float32 inputs. test/unit/tfjs/wasmBatchNorm.test.ts checks the kernels against
 * the stock layer (outputs, moving statistics and gradients) and a few training steps against
 * stock training.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { bytes as batchNormWasmBytes } from './wasm/batchNormWasm';
import { moduleForHeap } from './sharedHeap';
import { BACKEND, isOwn, markOwn, sizeOf, type KernelArgs, type TensorInfo, type Tf, type WasmKernelFunc } from './wasmKernelSupport';

export const BATCH_NORM_TRAIN = 'CnnSlicerBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'CnnSlicerBatchNormTrainGrad';

interface BatchNormExports {
  bnInference(...args: number[]): void;
  bnForward(...args: number[]): void;
  bnBackward(...args: number[]): void;
}

/** One instance per tfjs WASM memory (one per process in practice). */
const instances = new WeakMap<WebAssembly.Memory, BatchNormExports>();

function exportsFor(backend: BackendWasm): BatchNormExports {
  const memory = (backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory;
  let instance = instances.get(memory);
  if (instance === undefined) {
    instance = new WebAssembly.Instance(moduleForHeap(batchNormWasmBytes, memory), { env: { memory } })
      .exports as unknown as BatchNormExports;
    instances.set(memory, instance);
  }
  return instance;
}

/** Byte offset of a tensor's data in the WASM heap. */
function pointer(backend: BackendWasm, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

/** Runs `kernel` with a scratch tensor of `floats` float32 values in the heap, freed after. */
function withScratch(backend: BackendWasm, floats: number, kernel: (scratch: number) => void): void {
  const scratch = backend.makeOutput([floats], 'float32');
  try {
    kernel(pointer(backend, scratch));
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

/** `{ x, gamma, beta }`, attrs `{ epsilon }` → `[y, mean, variance]` (x channels last, C % 4 = 0). */
export function batchNormTrain({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { x, gamma, beta } = inputs;
  const epsilon = attrs.epsilon as number;
  const channels = x.shape[x.shape.length - 1];
  const rows = sizeOf(x.shape) / channels;
  const y = backend.makeOutput([...x.shape], 'float32');
  const mean = backend.makeOutput([channels], 'float32');
  const variance = backend.makeOutput([channels], 'float32');
  withScratch(backend, 3 * channels, (scratch) =>
    exportsFor(backend).bnForward(
      pointer(backend, x),
      pointer(backend, gamma),
      pointer(backend, beta),
      pointer(backend, y),
      pointer(backend, mean),
      pointer(backend, variance),
      scratch,
      rows,
      channels,
      epsilon,
    ),
  );
  return [y, mean, variance];
}

/**
 * tfjs's `FusedBatchNorm` (inference: the moving statistics given) through ./wasm/batchNorm.wat's
 * `bnInference`, the stock kernel's arithmetic four channels at a time (the same bits; ≈ 8× as
 * fast), where mean, variance, offset and scale are all float32 vectors of x's last axis; else the
 * stock kernel (which also takes broadcast statistics, and missing offsets or scales).
 */
export function fusedBatchNormInference(stock: WasmKernelFunc, args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, mean, variance, offset, scale } = inputs;
  const channels = x.shape[x.shape.length - 1];
  const statistics = [mean, variance, offset, scale];
  const applies =
    x.dtype === 'float32' &&
    x.shape.length >= 1 &&
    channels > 0 &&
    sizeOf(x.shape) > 0 &&
    statistics.every((t) => t !== undefined && t.dtype === 'float32' && sizeOf(t.shape) === channels);
  if (!applies) return stock(args);
  const y = backend.makeOutput([...x.shape], 'float32');
  // Two float64 values per channel.
  withScratch(backend, 4 * channels, (scratch) =>
    exportsFor(backend).bnInference(
      pointer(backend, x),
      pointer(backend, mean),
      pointer(backend, variance),
      pointer(backend, offset),
      pointer(backend, scale),
      pointer(backend, y),
      scratch,
      sizeOf(x.shape) / channels,
      channels,
      attrs.varianceEpsilon as number,
    ),
  );
  return y;
}

/** `{ x, dy, mean, variance, gamma }`, attrs `{ epsilon }` → `[dx, dgamma, dbeta]`. */
export function batchNormTrainGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { x, dy, mean, variance, gamma } = inputs;
  const epsilon = attrs.epsilon as number;
  const channels = x.shape[x.shape.length - 1];
  const rows = sizeOf(x.shape) / channels;
  const dx = backend.makeOutput([...x.shape], 'float32');
  const dgamma = backend.makeOutput([channels], 'float32');
  const dbeta = backend.makeOutput([channels], 'float32');
  withScratch(backend, 7 * channels, (scratch) =>
    exportsFor(backend).bnBackward(
      pointer(backend, x),
      pointer(backend, dy),
      pointer(backend, mean),
      pointer(backend, variance),
      pointer(backend, gamma),
      pointer(backend, dx),
      pointer(backend, dgamma),
      pointer(backend, dbeta),
      scratch,
      rows,
      channels,
      epsilon,
    ),
  );
  return [dx, dgamma, dbeta];
}

/** The kernels to register for backend 'wasm', by name. */
const batchNormKernels: [string, WasmKernelFunc][] = [
  [BATCH_NORM_TRAIN, batchNormTrain as unknown as WasmKernelFunc],
  [BATCH_NORM_TRAIN_GRAD, batchNormTrainGrad as unknown as WasmKernelFunc],
];

/**
 * Registers the two kernels for backend 'wasm' (where no kernel of that name is registered) and
 * installs the layer's fused training path; returns the kernel names that are this module's.
 * Idempotent.
 */
export function registerFusedBatchNorm(tf: Tf): string[] {
  const registered: string[] = [];
  for (const [kernelName, kernelFunc] of batchNormKernels) {
    const existing = tf.getKernel(kernelName, BACKEND);
    if (existing === undefined) tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc: markOwn(kernelFunc) });
    if (existing === undefined || isOwn(existing.kernelFunc)) registered.push(kernelName);
  }
  installFusedBatchNorm(tf);
  return registered;
}

/** The parts of tfjs-layers' BatchNormalization layer the fused path reads. */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: { read(): tfjs.Tensor } | null;
  beta: { read(): tfjs.Tensor } | null;
  movingMean: { read(): tfjs.Tensor; write(value: tfjs.Tensor): void };
  movingVariance: { read(): tfjs.Tensor; write(value: tfjs.Tensor): void };
}
type LayerCall = (this: BatchNormLayer, inputs: tfjs.Tensor | tfjs.Tensor[], kwargs: tfjs.serialization.ConfigDict) => tfjs.Tensor;

const FUSED = Symbol.for('cnn-slicer.fusedBatchNorm');

/**
 * Makes tfjs-layers' BatchNormalization layer train through the fused kernels while the WASM
 * backend is active and has them registered. Idempotent (the patched method is marked, and the
 * mark is global, so a second copy of this module in the process sees it).
 */
export function installFusedBatchNorm(tf: Tf): void {
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: LayerCall };
  const stock = proto.call;
  if ((stock as unknown as Record<symbol, unknown>)[FUSED] === true) return;
  const call: LayerCall = function (this: BatchNormLayer, inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!fusedApplies(tf, this, input, kwargs)) return stock.call(this, inputs, kwargs);
    return fusedTrainingCall(tf, this, input);
  };
  Object.defineProperty(call, FUSED, { value: true });
  proto.call = call;
}

function fusedApplies(
  tf: Tf,
  layer: BatchNormLayer,
  input: tfjs.Tensor | undefined,
  kwargs: tfjs.serialization.ConfigDict,
): input is tfjs.Tensor {
  if (kwargs?.training !== true || input === undefined) return false;
  if (tf.getBackend() !== BACKEND || tf.getKernel(BATCH_NORM_TRAIN, BACKEND) === undefined) return false;
  const axis = layer.axis >= 0 ? layer.axis : layer.axis + input.rank;
  return (
    input.dtype === 'float32' &&
    input.rank >= 2 &&
    axis === input.rank - 1 &&
    input.shape[axis] % 4 === 0 &&
    input.size > 0 &&
    layer.scale &&
    layer.center &&
    layer.gamma !== null &&
    layer.beta !== null
  );
}

/** tfjs-layers' training branch of `BatchNormalization.call`, with the normalisation fused. */
function fusedTrainingCall(tf: Tf, layer: BatchNormLayer, input: tfjs.Tensor): tfjs.Tensor {
  return tf.tidy(() => {
    const epsilon = layer.epsilon;
    let statistics: [tfjs.Tensor, tfjs.Tensor] | undefined;
    const normalize = tf.customGrad((...args) => {
      const [x, gamma, beta] = args as tfjs.Tensor[];
      const save = args[3] as tfjs.GradSaveFunc;
      const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { epsilon }) as unknown as tfjs.Tensor[];
      save([x, mean, variance, gamma]);
      // The batch statistics leave the custom gradient's scope for the moving averages below.
      statistics = [tf.keep(mean), tf.keep(variance)];
      return {
        value: y,
        gradFunc: (dy, saved) => {
          const [savedX, savedMean, savedVariance, savedGamma] = saved;
          return tf
            .engine()
            .runKernel(BATCH_NORM_TRAIN_GRAD, { x: savedX, dy, mean: savedMean, variance: savedVariance, gamma: savedGamma }, { epsilon });
        },
      };
    });
    const output = normalize(input, layer.gamma!.read(), layer.beta!.read());
    const [mean, variance] = statistics!;
    try {
      // As tfjs-layers' `doMovingAverage`: moving ← moving − (moving − batch) · (1 − momentum).
      for (const [variable, value] of [
        [layer.movingMean, mean],
        [layer.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const original = variable.read();
          variable.write(tf.sub(original, tf.mul(tf.sub(original, value), 1 - layer.momentum)));
        });
      }
    } finally {
      tf.dispose([mean, variance]);
    }
    return output;
  });
}

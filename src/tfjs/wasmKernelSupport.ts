/**
 * What the WASM training kernels (./wasmKernels, ./wasmReductionKernels, ./wasmDepthwiseKernels)
 * share: their types, the mark that tells this project's kernels from tfjs's own, and the calls
 * that run another kernel from inside a kernel function.
 *
 * Inside a kernel function tfjs ops cannot be called (the engine is in the middle of running a
 * kernel), so other kernels' `kernelFunc`s are called directly and every intermediate
 * `TensorInfo` is released with `backend.disposeData`.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Tf = typeof tfjs;
export type TensorInfo = tfjs.TensorInfo;
export type KernelInputs = Record<string, TensorInfo>;
export type KernelAttrs = tfjs.NamedAttrMap;
export interface KernelArgs {
  inputs: KernelInputs;
  backend: BackendWasm;
  attrs: KernelAttrs;
}
export type WasmKernelFunc = (args: KernelArgs) => TensorInfo;

export const BACKEND = 'wasm';

/**
 * Marks the kernel functions this project registers, so that a later call recognises them. The
 * tfjs kernel registry is global to the process, so the mark is a global symbol rather than
 * module state: a second copy of this module (another bundle in the same process) sees it too.
 */
const OWN_KERNEL = Symbol.for('cnn-slicer.wasmTrainingKernel');

export function isOwn(kernelFunc: tfjs.KernelFunc): boolean {
  return (kernelFunc as unknown as Record<symbol, unknown>)[OWN_KERNEL] === true;
}

export function markOwn(kernelFunc: WasmKernelFunc): tfjs.KernelFunc {
  Object.defineProperty(kernelFunc, OWN_KERNEL, { value: true });
  return kernelFunc as unknown as tfjs.KernelFunc;
}

/**
 * Runs another WASM kernel from inside a kernel function. The caller owns the result and must
 * release it with `backend.disposeData` unless it is the kernel's output.
 */
export function runKernel(tf: Tf, backend: BackendWasm, kernelName: string, inputs: KernelInputs, attrs: KernelAttrs): TensorInfo {
  const config = tf.getKernel(kernelName, BACKEND);
  if (config === undefined) {
    throw new Error(`the WASM training kernels need the backend's '${kernelName}' kernel, which is not registered`);
  }
  return config.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/** Releases intermediate results; `undefined` entries (never created) are skipped. */
export function disposeAll(backend: BackendWasm, infos: (TensorInfo | undefined)[]): void {
  for (const info of infos) if (info !== undefined) backend.disposeData(info.dataId);
}

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/**
 * The instances of ./wasm/training.wat and trainingFma.wat over TensorFlow.js's heap (one per heap,
 * with and without fused multiply-adds: `exportsFor`), which the training kernels
 * (wasmTrainingModule.ts) and the fused optimizer steps (wasmOptimizerKernels.ts) call; and the
 * kernel thread beside them (kernelThread.ts): `startKernelThread`, and `runSplit`, through which a
 * kernel's heavy call is shared with it.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { setFlagsFromString } from 'node:v8';
import { bytes as trainingFmaWasmBytes } from './wasm/trainingFmaWasm';
import { bytes as trainingWasmBytes } from './wasm/trainingWasm';
import { KernelThread, type SplitCall } from './kernelThread';
import { isShared, moduleForHeap } from './sharedHeap';
import type { TensorInfo } from './wasmKernelSupport';

export interface TrainingExports {
  /** ./wasm/trainingFma.wat only. */
  conv2d?: (...args: number[]) => void;
  maxPoolGrad(...args: number[]): void;
  pad(...args: number[]): void;
  reluGrad(...args: number[]): void;
  addBias(...args: number[]): void;
  filterGrad(...args: number[]): void;
  adam(...args: number[]): void;
  momentum(...args: number[]): void;
  rmsprop(...args: number[]): void;
}

/** One instance per tfjs WASM memory (one per process in practice), with and without FMA. */
const instances = new WeakMap<WebAssembly.Memory, { plain: TrainingExports; fma: TrainingExports | undefined }>();
/** Whether this WebAssembly engine compiles ./wasm/trainingFma.wat (undefined until asked). */
let fmaCompiles: boolean | undefined;
let fmaWanted = true;

/**
 * The training modules compiled for `memory`'s kind of heap (sharedHeap.ts `moduleForHeap`): the
 * plain one, and the filter-gradient and convolution kernels with fused multiply-adds
 * (./wasm/trainingFma.wat), ≈1.6–2× the unfused ones on a CPU with FMA. Those are relaxed SIMD,
 * which Node 20's V8 compiles only behind --experimental-wasm-relaxed-simd, so the flag is turned
 * on here (it enables the instructions and changes nothing else) when the engine does not validate
 * the module as it is. Where it still does not compile (an engine without relaxed SIMD), no fma
 * module: the unfused kernels run.
 */
function modulesFor(memory: WebAssembly.Memory): { plain: WebAssembly.Module; fma?: WebAssembly.Module } {
  const plain = moduleForHeap(trainingWasmBytes, memory);
  if (fmaCompiles === undefined) {
    if (!WebAssembly.validate(trainingFmaWasmBytes)) setFlagsFromString('--experimental-wasm-relaxed-simd');
  }
  if (fmaCompiles === false) return { plain };
  try {
    const fma = moduleForHeap(trainingFmaWasmBytes, memory);
    fmaCompiles = true;
    return { plain, fma };
  } catch {
    fmaCompiles = false;
    return { plain };
  }
}

/**
 * Whether the filter gradient uses fused multiply-adds where the engine has them (the default);
 * false runs the unfused kernel, for comparing the two. Returns whether the fused kernel is
 * available.
 */
export function useFusedMultiplyAdd(enabled: boolean): boolean {
  fmaWanted = enabled;
  if (fmaCompiles === undefined) modulesFor(new WebAssembly.Memory({ initial: 1, maximum: 65536 }));
  return fmaCompiles === true;
}

/** The tfjs heap of `backend`. */
function heapOf(backend: BackendWasm): WebAssembly.Memory {
  return (backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory;
}

/** Whether `exportsFor(backend)` hands out the fused multiply-add kernels. */
function fmaInUse(backend: BackendWasm): boolean {
  return exportsFor(backend) === instances.get(heapOf(backend))?.fma;
}

/** The kernel thread of this thread's tfjs heap, while one runs (kernelThread.ts). */
let kernelThread: KernelThread | undefined;

/** A kernel thread while it runs: `ready` resolves once it takes chunks (or rejects when it cannot start). */
export interface RunningKernelThread {
  ready: Promise<void>;
  /** While held, every kernel runs whole on this thread (another thread has the second core). */
  hold(held: boolean): void;
  /** Chunks the worker has computed. */
  workerChunks(): number;
  close(): void;
}

/**
 * Starts a kernel thread over `backend`'s heap (kernelThread.ts): from when it is ready, the
 * convolutions, filter gradients and max-pooling gradients of this thread split their work with
 * it, with the same bits. A thread that cannot start leaves every kernel to this thread.
 */
export function startKernelThread(backend: BackendWasm): RunningKernelThread {
  const memory = heapOf(backend);
  if (!isShared(memory)) throw new Error("the TensorFlow.js heap is not shared (initBackend's sharedHeap option)");
  const thread = new KernelThread(memory, modulesFor(memory));
  kernelThread?.close();
  kernelThread = thread;
  const close = (): void => {
    thread.close();
    if (kernelThread === thread) kernelThread = undefined;
  };
  const ready = thread.whenReady();
  ready.catch(close);
  return { ready, hold: (held) => thread.hold(held), workerChunks: () => thread.workerChunks, close };
}

/**
 * Runs `call` of `backend`'s training kernels: in chunks shared with the kernel thread when one is
 * ready, else whole here. Chunks never overlap in what they write and compute each value as the
 * whole call does, so the bits are the same.
 */
export function runSplit(backend: BackendWasm, call: Omit<SplitCall, 'fma'>): void {
  const own = exportsFor(backend) as unknown as Record<string, (...args: number[]) => void>;
  if (kernelThread?.ready) kernelThread.run({ ...call, fma: fmaInUse(backend) }, own);
  else own[call.fn](...call.args);
}

export function exportsFor(backend: BackendWasm): TrainingExports {
  const memory = heapOf(backend);
  let instance = instances.get(memory);
  if (instance === undefined) {
    const modules = modulesFor(memory);
    const plain = new WebAssembly.Instance(modules.plain, { env: { memory } }).exports as unknown as TrainingExports;
    const fmaCode = modules.fma;
    const fmaExports = fmaCode
      ? (new WebAssembly.Instance(fmaCode, { env: { memory } }).exports as unknown as Pick<TrainingExports, 'filterGrad' | 'conv2d'>)
      : undefined;
    instance = { plain, fma: fmaExports ? { ...plain, filterGrad: fmaExports.filterGrad, conv2d: fmaExports.conv2d } : undefined };
    instances.set(memory, instance);
  }
  return (fmaWanted ? instance.fma : undefined) ?? instance.plain;
}

/** Byte offset of a tensor's data in the WASM heap. */
export function pointer(backend: BackendWasm, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

/**
 * Chooses and initialises the TensorFlow.js backend for recording a training run.
 *
 * The order is the speed order measured on this project's machines
 * (README.md, "How fast, and why"):
 *  0. `tfjs-node-gpu` (registers the same 'tensorflow' backend, on CUDA), where the user installed
 *     it (a GPU host, docs/vscode.md "Recording on a remote GPU host"). Like tfjs-node it is
 *     optional, native and resolved at run time.
 *  1. `tfjs-node` ('tensorflow'), native TensorFlow, where the user has it. It is an optional
 *     dependency whose install downloads libtensorflow from outside the npm registry, so it is
 *     often absent, and `require` then throws MODULE_NOT_FOUND.
 *  2. `wasm` with the training kernels of ./wasmKernels: the stock WASM backend 4.22 cannot train
 *     a CNN (no `Conv2DBackpropFilter`); with them it trains a LeNet-like epoch ≈ 100× faster than
 *     the stock CPU backend. WASM SIMD is on in Node; WASM threads are not.
 *  3. `cpu`, pure JS: always there, but a LeNet-like epoch on 5,000 digits takes 2–3 minutes.
 *
 * This module runs in the recorder's child process, never in the VS Code extension host (which
 * stays free of tfjs), and so imports no `vscode`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import { type Backend, backendOfTfjsName, TFJS_BACKEND_NAMES, type TfjsBackendName } from '../contract/recordSettings';
import { installBatchNormAxis } from './batchNormAxis';
import { installDilatedConvolutions } from './dilatedConvolution';
import { sharedHeapBinaryUrl } from './sharedHeap';
import { registerWasmTrainingKernels } from './wasmKernels';
import { freeTapeAsItGoes } from './tapeMemory';

/** What ran, by TensorFlow.js's name (src/contract/recordSettings.ts TFJS_BACKEND_NAMES). */
export type BackendName = TfjsBackendName;

/** How the native packages are loaded: `require` in production, a fake in tests. */
export interface BackendLoader {
  /** Loads a package by name (`@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`); throws when it is missing or broken. */
  requireModule(name: string): unknown;
}

export interface InitializedBackend {
  /** The tfjs namespace to use: tfjs-node's when it loaded (it re-exports tfjs), else `@tensorflow/tfjs`. */
  tf: typeof tfjs;
  backend: BackendName;
  /** One line per backend that was tried and could not be used, in the order tried. */
  fallbackReasons: string[];
  /** One line for the user: why each faster backend was not used, then the one in use. */
  summary: string;
}

/** The package a native backend comes from, as people know it. */
const NATIVE_PACKAGES = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const;

/** A backend as the user knows it (package name or WebAssembly), for reasons and summaries. */
export function backendLabel(name: BackendName): string {
  return name === 'wasm' ? 'WebAssembly' : (backendOfTfjsName(name) ?? name);
}

/** "tfjs-node-gpu: not installed; tfjs-node: not installed; using WebAssembly". */
function summaryOf(backend: BackendName, fallbackReasons: readonly string[]): string {
  return [...fallbackReasons, `using ${backendLabel(backend)}`].join('; ');
}

/** How the backend is set up. */
export interface BackendOptions {
  /**
   * The WebAssembly backend's heap as a shared memory (sharedHeap.ts), for a kernel thread
   * (kernelThread.ts); only where this thread is the first to set the backend up (the recorder's).
   */
  sharedHeap?: boolean;
}

/** The WASM binaries the backend may ask for: plain, SIMD, and threaded SIMD (browsers only). */
const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/**
 * Initialises the fastest available backend, starting at `preference` and falling back down the
 * order tfjs-node-gpu → tfjs-node → wasm → cpu ('auto' starts at the top, 'cpu' tries only cpu).
 * Never throws for a backend that is unavailable; the reasons are returned so the caller can show
 * them. `loader` loads the native packages (a seam for tests: neither can be installed everywhere).
 *
 * Calls `tf.enableProdMode()` first: it silences the CPU backend's "install tfjs-node" banner and
 * tfjs's warnings (such as re-registered kernels), which would otherwise land in the recorder's
 * output, and skips debug-only checks. Every backend it returns frees the tape as the backward
 * pass walks it (tapeMemory.ts): the same gradients, in less memory.
 */
export async function initBackend(
  preference: Backend = 'auto',
  loader: BackendLoader = nodeLoader,
  options: BackendOptions = {},
): Promise<InitializedBackend> {
  const fallbackReasons: string[] = [];
  const order: readonly BackendName[] = TFJS_BACKEND_NAMES;
  // `auto` starts at the fastest; a named backend at itself, falling back to the slower ones.
  const start = Math.max(
    0,
    order.findIndex((name) => backendOfTfjsName(name) === preference),
  );

  for (const candidate of order.slice(start)) {
    try {
      const tf = await initCandidate(candidate, loader, options);
      freeTapeAsItGoes(tf);
      return { tf, backend: candidate, fallbackReasons, summary: summaryOf(candidate, fallbackReasons) };
    } catch (error) {
      fallbackReasons.push(`${candidate === 'wasm' ? 'wasm' : backendLabel(candidate)}: ${reasonOf(candidate, error)}`);
    }
  }
  // The CPU backend is part of @tensorflow/tfjs itself, so this means tfjs is broken.
  throw new Error(`no TensorFlow.js backend could be initialised (${fallbackReasons.join('; ')})`);
}

/** Sets up one backend and returns the tfjs namespace to use with it; throws why it cannot be used. */
async function initCandidate(candidate: BackendName, loader: BackendLoader, options: BackendOptions): Promise<typeof tfjs> {
  switch (candidate) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const tf = loader.requireModule(NATIVE_PACKAGES[candidate]) as typeof tfjs;
      tf.enableProdMode();
      await setBackendOrThrow(tf, 'tensorflow');
      installDilatedConvolutions(tf);
      installBatchNormAxis(tf);
      return tf;
    }
    case 'wasm':
      tfjs.enableProdMode();
      await initWasm(tfjs, options.sharedHeap === true);
      installBatchNormAxis(tfjs);
      return tfjs;
    case 'cpu':
      tfjs.enableProdMode();
      await setBackendOrThrow(tfjs, 'cpu');
      installDilatedConvolutions(tfjs);
      installBatchNormAxis(tfjs);
      return tfjs;
    default:
      return assertNever(candidate);
  }
}

/** Why a backend could not be used: "not installed" for a missing native package, else the error's first line. */
function reasonOf(candidate: BackendName, error: unknown): string {
  const native = candidate === 'tensorflow-gpu' || candidate === 'tensorflow' ? NATIVE_PACKAGES[candidate] : undefined;
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (native !== undefined && code === 'MODULE_NOT_FOUND' && firstLine(error).includes(`'${native}'`)) return 'not installed';
  return firstLine(error);
}

/**
 * Loads tfjs-node(-gpu) with a plain `require`, so that esbuild leaves it to run time (both are
 * marked external in esbuild.mjs) and a missing install is an exception here rather than a build
 * error. A literal name per package, so the bundler sees each one.
 */
const nodeLoader: BackendLoader = {
  requireModule(name: string): unknown {
    if (name === '@tensorflow/tfjs-node-gpu') return require('@tensorflow/tfjs-node-gpu') as unknown;
    if (name === '@tensorflow/tfjs-node') return require('@tensorflow/tfjs-node') as unknown;
    throw new Error(`${name} is no TensorFlow.js backend package`);
  },
};

async function initWasm(tf: typeof tfjs, sharedHeap: boolean): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // setWasmPaths must come before the backend's first initialisation. After a successful one it
  // is harmless (the paths are not read again), so it is simply called every time; after a failed
  // one it throws, which becomes the fallback reason. (Asking `tf.findBackend('wasm')` whether
  // the backend is up is no good: it starts the initialisation, before the paths are set.)
  // A shared heap: the binaries patched (sharedHeap.ts), as data: URLs fetched through tfjs's platform fetch.
  wasm.setWasmPaths(wasmFileMap(findWasmFolder(), sharedHeap), sharedHeap);
  // The kernels are registered before setBackend so that the engine runs their setup functions
  // when it sets the backend up (the replaced stock kernels keep their setup functions).
  registerWasmTrainingKernels(tf);
  const listenersBefore = processErrorListeners();
  try {
    await setBackendOrThrow(tf, 'wasm');
  } finally {
    removeListenersAddedSince(listenersBefore);
  }
}

interface ProcessErrorListeners {
  uncaughtException: Set<NodeJS.UncaughtExceptionListener>;
  unhandledRejection: Set<NodeJS.UnhandledRejectionListener>;
}

function processErrorListeners(): ProcessErrorListeners {
  return {
    uncaughtException: new Set(process.listeners('uncaughtException')),
    unhandledRejection: new Set(process.listeners('unhandledRejection')),
  };
}

/**
 * The WASM backend's Emscripten loader adds process-wide `uncaughtException` and
 * `unhandledRejection` listeners that rethrow. They change how this process dies of any error,
 * ours included: exit code 7 instead of 1, with the loader's whole minified source line (≈20 kB)
 * printed as the place of the throw; and a listener that throws keeps the listeners after it
 * (such as the recorder's own error reporting) from running. They guard nothing tfjs uses (an
 * Emscripten `exit()`), so they are removed, which gives the process Node's default behaviour back.
 */
function removeListenersAddedSince(before: ProcessErrorListeners): void {
  for (const listener of process.listeners('uncaughtException')) {
    if (!before.uncaughtException.has(listener)) process.removeListener('uncaughtException', listener);
  }
  for (const listener of process.listeners('unhandledRejection')) {
    if (!before.unhandledRejection.has(listener)) process.removeListener('unhandledRejection', listener);
  }
}

/**
 * The folder holding the backend's .wasm files.
 *
 * Left alone, the backend's Emscripten loader looks for them in `__dirname` of the script that
 * contains it. Unbundled that is `node_modules/@tensorflow/tfjs-backend-wasm/dist`, where they
 * are; inside an esbuild bundle it is the bundle's folder (`dist/`), where they are not, and
 * initialisation aborts with a message about serving the file "relative to the bundled js file".
 * So the folder is found through Node's module resolution from here (`require.resolve` is left to
 * run time by esbuild and walks up from dist/ to node_modules), with the bundle's own folder as a
 * second choice for a distribution that copies the .wasm files next to the bundle.
 */
function findWasmFolder(): string {
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    // Not resolvable from here: only the bundle's own folder is left to try.
  }
  candidates.push(__dirname);
  const folder = candidates.find(
    (dir) => existsSync(join(dir, 'tfjs-backend-wasm-simd.wasm')) && existsSync(join(dir, 'tfjs-backend-wasm.wasm')),
  );
  if (folder === undefined) {
    throw new Error(
      `the WASM backend's .wasm files were not found (looked in ${candidates.join(', ')}); reinstall @tensorflow/tfjs-backend-wasm`,
    );
  }
  return folder;
}

/**
 * Full paths for each binary rather than a folder prefix: the loader concatenates a prefix and a
 * file name as strings, so a prefix must end in a separator, which a map of paths sidesteps.
 */
function wasmFileMap(folder: string, sharedHeap: boolean): Record<(typeof WASM_BINARIES)[number], string> {
  return Object.fromEntries(
    WASM_BINARIES.map((name) => [
      name,
      sharedHeap && !name.includes('threaded') ? sharedHeapBinaryUrl(join(folder, name)) : join(folder, name),
    ]),
  ) as Record<(typeof WASM_BINARIES)[number], string>;
}

/**
 * `tf.setBackend` reports a failed initialisation by resolving to false (with the reason only in a
 * warning that prod mode silences), so it is turned into an exception here.
 */
async function setBackendOrThrow(tf: typeof tfjs, name: 'tensorflow' | 'wasm' | 'cpu'): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') failed to initialise the backend`);
  await tf.ready();
}

/** The first line of an error's message: a missing module's message goes on with its require stack. */
function firstLine(error: unknown): string {
  const message =
    error instanceof Error
      ? error.message
      : typeof error === 'object' && error !== null && 'message' in error
        ? String(error.message)
        : String(error);
  return message.split('\n')[0].trim();
}

function assertNever(value: never): never {
  throw new Error(`unexpected backend ${String(value)}`);
}

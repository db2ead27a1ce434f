/**
 * How the analysis core's WebAssembly kernels (wasm/*.wat) are compiled and instantiated. The core
 * is typed without the DOM or Node libraries, so it reaches the engine's WebAssembly through the
 * few members it uses; a runtime without WebAssembly, or without SIMD (the module then fails to
 * compile), gets null, and each kernel's plain-JS twin takes over.
 */

/** The part of the engine's WebAssembly API the kernels use. */
interface MinimalWebAssembly {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
}

/** A kernel's memory: it only grows. */
export interface KernelMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

function webAssembly(): MinimalWebAssembly | undefined {
  return (globalThis as unknown as { WebAssembly?: MinimalWebAssembly }).WebAssembly;
}

/**
 * The module of `bytes`, compiled on first call and kept for the thread: null where this engine
 * has no WebAssembly or cannot compile it (no SIMD, say).
 */
export function compiledOnce(bytes: Uint8Array): () => object | null {
  let module: object | null | undefined;
  return () => {
    if (module === undefined) {
      const wasm = webAssembly();
      try {
        module = wasm ? new wasm.Module(bytes) : null;
      } catch {
        module = null;
      }
    }
    return module;
  };
}

/** The exports of a new instance of a compiled module. */
export function instantiate<T>(module: object, imports: object = {}): T {
  return new (webAssembly() as MinimalWebAssembly).Instance(module, imports).exports as T;
}

/** Whether this runtime has WebAssembly at all. */
export function hasWebAssembly(): boolean {
  return webAssembly() !== undefined;
}

/** Whether this engine accepts `bytes` as it is (a module with relaxed SIMD needs a flag in Node 20). */
export function engineValidates(bytes: Uint8Array): boolean {
  const wasm = webAssembly();
  return wasm !== undefined && wasm.validate(bytes);
}

/** Grows `memory` to at least `bytes` (whole 64 KiB pages) and returns its buffer, which growing replaces. */
export function growTo(memory: KernelMemory, bytes: number): ArrayBuffer {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / 65536));
  return memory.buffer;
}

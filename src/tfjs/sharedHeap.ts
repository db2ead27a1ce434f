/**
 * TensorFlow.js's WebAssembly heap as a shared memory, so that a second thread can run a kernel's
 * share of the work in the very memory tfjs keeps its tensors in (kernelThread.ts), with no copy.
 *
 * The backend's binaries (`tfjs-backend-wasm*.wasm`, Emscripten builds without threads) define
 * their memory with a minimum and a maximum (256 pages and 65,536 = 4 GiB in 4.22). A memory
 * that is also *shared* differs by one flag bit in the binary's memory section (limits flag 0x01
 * → 0x03; WebAssembly's threads proposal, on by default in Node): the same instructions, the same
 * addresses, and `memory.grow` keeps every address where it was. `initBackend({ sharedHeap })`
 * hands the backend the patched binaries as `data:` URLs (its loader fetches them through tfjs's
 * platform `fetch`). Only the recorder asks for it: with a shared heap V8 collects a process's
 * other garbage buffers later (a MobileNetV2 report peaked at 3.1 GB instead of 2.3), and only a
 * training thread has a kernel thread to share its heap with.
 *
 * The modules that import the heap (./wasm/training.wat, trainingFma.wat, batchNorm.wat) declare a
 * shared import; {@link heapImportBinary} flips that bit for a heap that is not shared.
 */
import { readFileSync } from 'node:fs';

/** What a binary's memory section must hold for {@link sharedMemoryBinary} to patch it. */
export class SharedHeapError extends Error {}

function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (let i = at; i < bytes.length && shift < 35; i++, shift += 7) {
    value += (bytes[i] & 0x7f) * 2 ** shift;
    if (bytes[i] < 0x80) return { value, next: i + 1 };
  }
  throw new SharedHeapError('a malformed LEB128 number');
}

/**
 * A copy of the WebAssembly binary `bytes` whose one defined memory is shared. Throws a
 * {@link SharedHeapError} unless the binary defines exactly one memory with a maximum (a shared
 * memory needs one) and does not import one.
 */
export function sharedMemoryBinary(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)
    throw new SharedHeapError('not a WebAssembly binary');
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at];
    const size = readLeb(bytes, at + 1);
    if (id === 5) {
      const count = readLeb(bytes, size.next);
      if (count.value !== 1) throw new SharedHeapError(`the binary defines ${count.value} memories, not one`);
      const flags = bytes[count.next];
      if (flags === 0x03) return new Uint8Array(bytes);
      if (flags !== 0x01) throw new SharedHeapError(`the binary's memory has limits flags ${flags}, not a minimum and a maximum (1)`);
      const patched = new Uint8Array(bytes);
      patched[count.next] = 0x03;
      return patched;
    }
    at = size.next + size.value;
  }
  throw new SharedHeapError('the binary defines no memory');
}

/** `file` read and patched by {@link sharedMemoryBinary}, as a `data:` URL. */
export function sharedHeapBinaryUrl(file: string): string {
  const patched = sharedMemoryBinary(readFileSync(file));
  return `data:application/wasm;base64,${Buffer.from(patched.buffer, patched.byteOffset, patched.byteLength).toString('base64')}`;
}

/**
 * A copy of the WebAssembly binary `bytes` whose memory import (which must have a maximum) is
 * shared or not, to match the heap it will import. Throws a {@link SharedHeapError} when it
 * imports no memory.
 */
export function heapImportBinary(bytes: Uint8Array, shared: boolean): Uint8Array<ArrayBuffer> {
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at];
    const size = readLeb(bytes, at + 1);
    if (id === 2) {
      const count = readLeb(bytes, size.next);
      let p = count.next;
      for (let k = 0; k < count.value; k++) {
        for (let name = 0; name < 2; name++) {
          const length = readLeb(bytes, p);
          p = length.next + length.value;
        }
        const kind = bytes[p++];
        if (kind === 2) {
          if ((bytes[p] & 1) === 0) throw new SharedHeapError('the binary imports a memory without a maximum');
          const patched = new Uint8Array(bytes);
          patched[p] = shared ? 0x03 : 0x01;
          return patched;
        }
        if (kind === 0) p = readLeb(bytes, p).next;
        else if (kind === 1) p = skipLimits(bytes, p + 1);
        else if (kind === 3) p += 2;
        else throw new SharedHeapError(`an import of unknown kind ${kind}`);
      }
    }
    at = size.next + size.value;
  }
  throw new SharedHeapError('the binary imports no memory');
}

function skipLimits(bytes: Uint8Array, at: number): number {
  const flags = bytes[at];
  const min = readLeb(bytes, at + 1);
  return flags & 1 ? readLeb(bytes, min.next).next : min.next;
}

/** Whether `memory` is a shared heap. */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** Each module compiled once per kind of heap. */
const compiled = new WeakMap<Uint8Array, { shared?: WebAssembly.Module; plain?: WebAssembly.Module }>();

/** The module of `bytes` (a module importing the heap) compiled for `memory`'s kind of heap. */
export function moduleForHeap(bytes: Uint8Array, memory: WebAssembly.Memory): WebAssembly.Module {
  const shared = isShared(memory);
  let entry = compiled.get(bytes);
  if (!entry) compiled.set(bytes, (entry = {}));
  const key = shared ? 'shared' : 'plain';
  return (entry[key] ??= new WebAssembly.Module(heapImportBinary(bytes, shared)));
}

/**
 * The kernel thread's worker (kernelThread.ts; bundled to dist/kernelWorker.js): the training
 * modules instantiated over TensorFlow.js's shared heap, taking chunks of split calls until told
 * to stop. It blocks in `Atomics.wait` between jobs, so it never runs its event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { chunkArgs, chunkCount, CONTROL, decodeJob, takeChunk } from './kernelThread';

type Exports = Record<string, (...args: number[]) => void>;

const { memory, modules, control } = workerData as {
  memory: WebAssembly.Memory;
  modules: { plain: WebAssembly.Module; fma?: WebAssembly.Module };
  control: Int32Array;
};

function main(): void {
  if (
    !(memory instanceof WebAssembly.Memory && memory.buffer instanceof SharedArrayBuffer) ||
    !(modules?.plain instanceof WebAssembly.Module) ||
    (modules.fma !== undefined && !(modules.fma instanceof WebAssembly.Module)) ||
    !(control instanceof Int32Array && control.buffer instanceof SharedArrayBuffer && control.length >= CONTROL.size)
  )
    throw new Error('the kernel worker needs a shared heap, the training modules and a shared control block');
  const plain = new WebAssembly.Instance(modules.plain, { env: { memory } }).exports as unknown as Exports;
  const fma = modules.fma ? (new WebAssembly.Instance(modules.fma, { env: { memory } }).exports as unknown as Exports) : undefined;
  Atomics.store(control, CONTROL.state, 1);
  let seen = Atomics.load(control, CONTROL.sequence);
  for (;;) {
    // Asleep between jobs: spinning awake for the next one (tried: 0.2 and 2 ms) took the second core
    // from V8's compiler threads in a first epoch and made it slower, and gained nothing later.
    Atomics.wait(control, CONTROL.sequence, seen);
    if (Atomics.load(control, CONTROL.state) === 2) return;
    const sequence = Atomics.load(control, CONTROL.sequence);
    if (sequence === seen) continue;
    seen = sequence;
    const call = decodeJob(control);
    // As the recording's thread picks (wasmTrainingModule.ts exportsFor): the fused module's export where it has one.
    const f = call && (call.fma && fma?.[call.fn] ? fma : plain)[call.fn];
    if (!call || typeof f !== 'function') {
      // Not a job this worker can run: the recording's thread computes every chunk, then closes the thread.
      Atomics.store(control, CONTROL.failed, 1);
      parentPort?.postMessage({ error: 'the kernel worker received a job it cannot run' });
      continue;
    }
    const chunks = chunkCount(call);
    for (let i = takeChunk(control, sequence, chunks); i >= 0; i = takeChunk(control, sequence, chunks)) {
      try {
        f(...chunkArgs(call, i));
      } catch (e) {
        Atomics.store(control, CONTROL.failed, 1);
        parentPort?.postMessage({ error: (e as Error)?.message ?? String(e) });
      }
      Atomics.add(control, CONTROL.workerChunks, 1);
      Atomics.add(control, CONTROL.done, 1);
      Atomics.notify(control, CONTROL.done);
    }
  }
}

try {
  main();
} catch (e) {
  parentPort?.postMessage({ error: (e as Error)?.message ?? String(e) });
}

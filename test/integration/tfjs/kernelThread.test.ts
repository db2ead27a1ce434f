/**
 * The kernel thread (src/tfjs/kernelThread.ts) and the shared heap it needs (sharedHeap.ts): the
 * binary patch, the chunk arithmetic, the job tags, and on the real WebAssembly backend that every
 * split kernel (forward and input-gradient convolutions, both filter-gradient routes, max-pooling
 * gradients) and a whole training run give the same bits with the thread as without it, that the
 * worker really takes chunks, and that a held thread or a failing chunk behave.
 * Needs dist/kernelWorker.js (npm run build).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { initBackend } from '../../../src/tfjs/backend';
import {
  chunkArgs,
  chunkCount,
  CONTROL,
  decodeJob,
  encodeJob,
  KernelThread,
  takeChunk,
  type SplitCall,
} from '../../../src/tfjs/kernelThread';
import { heapImportBinary, sharedMemoryBinary, SharedHeapError } from '../../../src/tfjs/sharedHeap';
import { bytes as trainingWasmBytes } from '../../../src/tfjs/wasm/trainingWasm';
import { kernelThreadFor } from '../../../src/recorder/twoCoreTraining';
import { rng } from '../../support/reference';

/** A module with one memory section of the given limits bytes (and an empty type section before it). */
function moduleWithMemory(limits: number[]): Uint8Array<ArrayBuffer> {
  const memory = [1, ...limits];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 1, 0, 5, memory.length, ...memory]);
}

describe('shared heap: the backend binary patch', () => {
  it('turns a memory with a maximum into a shared one, one flag byte, and the result compiles', () => {
    const plain = moduleWithMemory([0x01, 0x02, 0x80, 0x01]);
    assert.ok(WebAssembly.validate(plain));
    const shared = sharedMemoryBinary(plain);
    assert.deepEqual(Array.from(shared), [...Array.from(plain.subarray(0, 14)), 0x03, 0x02, 0x80, 0x01]);
    assert.equal(plain[14], 0x01, 'the input is left as it was');
    const instance = new WebAssembly.Instance(new WebAssembly.Module(shared), {});
    assert.ok(instance);
    assert.deepEqual(Array.from(sharedMemoryBinary(shared)), Array.from(shared), 'an already shared memory is kept');
  });

  it('refuses what it cannot patch, saying why', () => {
    assert.throws(() => sharedMemoryBinary(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])), /not a WebAssembly binary/);
    assert.throws(
      () => sharedMemoryBinary(moduleWithMemory([0x00, 0x02])),
      (e: Error) => e instanceof SharedHeapError && /limits flags 0/.test(e.message),
    );
    assert.throws(() => sharedMemoryBinary(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 1, 0])), /defines no memory/);
  });

  it("flips a module's memory import between shared and not, and the training modules link to either heap", () => {
    const shared = heapImportBinary(trainingWasmBytes, true);
    const plain = heapImportBinary(trainingWasmBytes, false);
    assert.deepEqual(
      Array.from(shared).filter((b, i) => b !== plain[i]),
      [0x03],
      'one byte differs',
    );
    assert.ok(
      new WebAssembly.Instance(new WebAssembly.Module(plain), { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536 }) } }),
    );
    assert.ok(
      new WebAssembly.Instance(new WebAssembly.Module(shared), {
        env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) },
      }),
    );
    assert.throws(() => heapImportBinary(moduleWithMemory([0x01, 0x02, 0x80, 0x01]), true), /imports no memory/);
  });
});

describe('kernel thread: chunks and job tags', () => {
  const call = {
    args: [100, 7, 200, 10, 5],
    units: 10,
    perChunk: 4,
    countArg: 3,
    moved: [
      { arg: 0, stride: 8 },
      { arg: 2, stride: -1 },
    ],
  };

  it('cuts a call into chunks of perChunk units, the last one shorter, moving pointers by the first unit', () => {
    assert.equal(chunkCount(call), 3);
    assert.deepEqual(chunkArgs(call, 0), [100, 7, 200, 4, 5]);
    assert.deepEqual(chunkArgs(call, 1), [132, 7, 196, 4, 5]);
    assert.deepEqual(chunkArgs(call, 2), [164, 7, 192, 2, 5]);
    assert.deepEqual(call.args, [100, 7, 200, 10, 5], 'the call is left as it was');
  });

  it('passes a job through the control block as it was, and refuses fields out of range', () => {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL.size * 4));
    const job: SplitCall = { fn: 'filterGrad', fma: true, ...call };
    encodeJob(control, job);
    assert.deepEqual(decodeJob(control), { ...job, args: [...call.args, ...new Array<number>(11).fill(0)] });
    control[CONTROL.job] = 7;
    assert.equal(decodeJob(control), undefined, 'no such function');
    encodeJob(control, { ...job, countArg: 40 });
    assert.equal(decodeJob(control), undefined, 'no such argument');
  });

  it('hands out each chunk of a job once, and none of a job that is over or not yet begun', () => {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL.size * 4));
    Atomics.store(control, CONTROL.next, 3 << 16);
    assert.deepEqual([takeChunk(control, 3, 2), takeChunk(control, 3, 2), takeChunk(control, 3, 2)], [0, 1, -1]);
    assert.equal(takeChunk(control, 2, 2), -1, 'an older job takes nothing');
    Atomics.store(control, CONTROL.next, -1);
    assert.equal(takeChunk(control, 3, 2), -1, 'nothing while a job is being written');
  });
});

describe('kernel thread on its own memory', function () {
  this.timeout(60_000);
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const module = new WebAssembly.Module(trainingWasmBytes);
  const own = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Record<string, (...a: number[]) => void>;
  let thread: KernelThread;

  before(async () => {
    thread = new KernelThread(memory, { plain: module });
    await thread.whenReady();
  });
  after(() => thread.close());

  /**
   * The max-pooling gradient of n images of 1 × 1 pixel and 4 channels with a 1 × 1 window (so
   * dx = dy), x at byte 0, dy at 16n, dx at `out`, in chunks of 16 images.
   */
  function poolCall(n: number, out: number): SplitCall {
    return {
      fn: 'maxPoolGrad',
      fma: false,
      args: [0, 16 * n, out, n, 1, 1, 4, 1, 1, 1, 1, 1, 1, 0, 0],
      units: n,
      perChunk: 16,
      countArg: 3,
      moved: [
        { arg: 0, stride: 16 },
        { arg: 1, stride: 16 },
        { arg: 2, stride: 16 },
      ],
    };
  }

  it('computes a split call over the shared memory as the whole call does, the worker taking chunks', () => {
    const n = 64 * 1024;
    const values = new Float32Array(memory.buffer);
    const random = rng(11);
    for (let i = 0; i < 8 * n; i++) values[i] = random() * 2 - 1;
    own.maxPoolGrad(...poolCall(n, 32 * n).args);
    const whole = values.slice(8 * n, 12 * n);
    let before = thread.workerChunks;
    for (let attempt = 0; attempt < 20 && thread.workerChunks === before; attempt++) {
      values.fill(0, 8 * n, 12 * n);
      thread.run(poolCall(n, 32 * n), own);
      assert.deepEqual(values.slice(8 * n, 12 * n), whole);
    }
    assert.ok(thread.workerChunks > before, 'the worker computed some chunks');
    thread.hold(true);
    before = thread.workerChunks;
    thread.run(poolCall(n, 32 * n), own);
    assert.equal(thread.workerChunks, before, 'a held thread leaves every chunk here');
    thread.hold(false);
    assert.deepEqual(values.slice(8 * n, 12 * n), whole);
  });

  it('throws when a chunk fails and waits for the worker first; the thread is then closed', () => {
    const bad = poolCall(64 * 1024, 32 * 64 * 1024);
    bad.moved[2] = { arg: 2, stride: 1 << 26 };
    assert.throws(() => thread.run(bad, own), /out of bounds|kernel failed/);
    assert.equal(thread.ready, false);
  });
});

describe('kernel thread on the WebAssembly backend: the same bits', function () {
  this.timeout(180_000);
  const ROOT = join(__dirname, '../../..');
  const run = (mode: 'plain' | 'shared'): Record<string, unknown> => {
    const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', join(__dirname, '../../support/kernelThreadBits.ts'), mode], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr.slice(0, 2000));
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  };

  it('keeps the heap unshared unless asked, and then refuses a kernel thread', () => {
    assert.deepEqual(run('plain'), {
      shared: false,
      kernelThread: "the TensorFlow.js heap is not shared (initBackend's sharedHeap option)",
    });
  });

  it('gives the same bits with the thread as without it: convolutions, input and filter gradients (padded channels and patches), max-pool gradients, and a small CNN trained two epochs', () => {
    const r = run('shared') as { shared: boolean; kernels: string[]; workerChunks: number; training: string[] };
    assert.equal(r.shared, true);
    assert.deepEqual(r.kernels, [], 'outputs that differ');
    assert.ok(r.workerChunks > 0, 'the worker computed some chunks');
    assert.deepEqual(r.training, [], 'weights that differ');
  });

  it('is started for one-thread training on the WebAssembly backend with two cores, unless one thread was asked for', async () => {
    const { tf } = await initBackend('wasm');
    const lines: string[] = [];
    assert.equal(
      kernelThreadFor(tf, 'cpu', undefined, (l) => lines.push(l), 2),
      undefined,
    );
    assert.equal(
      kernelThreadFor(tf, 'wasm', 1, (l) => lines.push(l), 2),
      undefined,
    );
    assert.equal(
      kernelThreadFor(tf, 'wasm', undefined, (l) => lines.push(l), 1),
      undefined,
    );
    assert.deepEqual(lines, []);
  });
});

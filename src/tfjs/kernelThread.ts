/**
 * A second thread for the training kernels' heavy calls (docs/training-kernels.md, "The kernel
 * thread"). TensorFlow.js's heap is a shared memory (sharedHeap.ts), so a worker thread
 * (kernelWorker.ts, bundled to dist/kernelWorker.js) instantiates the training kernels of
 * ./wasm/*.wat over the very same memory. A split call is cut into chunks whose outputs do not
 * overlap, each computed exactly as the whole call computes it (a convolution's images, a filter
 * gradient's filter rows); this thread and the worker take chunks from one atomic
 * counter until none is left, so the result is bit for bit the one-thread result whoever computes
 * which chunk, and a worker that is slow to wake (its core busy) only leaves more chunks here.
 *
 * The call is synchronous, as tfjs kernels are: this thread waits for the chunks the worker holds
 * (`Atomics.wait`), so no JavaScript runs here, and no tensor moves or is freed, while the worker
 * reads the heap. The jobs pass through a small control block of their own.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

/** The training module's exports a split call can name. */
export const SPLIT_FUNCTIONS = ['conv2d', 'maxPoolGrad', 'filterGrad'] as const;
export type SplitFunction = (typeof SPLIT_FUNCTIONS)[number];

/**
 * One chunked call: a function of the training module, its arguments, and how chunk i moves them.
 * Chunk i takes `perChunk` units from unit `i · perChunk` (the last one fewer): argument
 * `countArg` becomes its unit count and each `moved` argument moves by its first unit × `stride`.
 */
export interface SplitCall {
  fn: SplitFunction;
  /** The fused multiply-add module's export (where it has the function), else the plain one's. */
  fma: boolean;
  args: number[];
  units: number;
  perChunk: number;
  countArg: number;
  /** At most three arguments (pointers, offsets) moved by the chunk's first unit × `stride`. */
  moved: { arg: number; stride: number }[];
}

/** How many chunks `call` is cut into. */
export function chunkCount(call: Pick<SplitCall, 'units' | 'perChunk'>): number {
  return Math.ceil(call.units / call.perChunk);
}

/** The arguments of chunk `i` of `call`. */
export function chunkArgs(call: Omit<SplitCall, 'fn' | 'fma'>, i: number): number[] {
  const args = call.args.slice();
  const first = i * call.perChunk;
  args[call.countArg] = Math.min(call.perChunk, call.units - first);
  for (const { arg, stride } of call.moved) args[arg] += first * stride;
  return args;
}

/** Argument slots of a job. */
const MAX_ARGS = 16;

/** Layout of the control block (Int32Array indices). */
export const CONTROL = {
  /** Bumped by this thread for every job; the worker waits on it. */
  sequence: 0,
  /** 1 once the worker is ready; 2 asks it to stop. */
  state: 1,
  /** The job's tag (its sequence number's low 15 bits) × 2^16 + the next chunk to take: see {@link takeChunk}. */
  next: 2,
  /** Chunks finished (this thread waits on it). */
  done: 3,
  /** 1 once a kernel failed on the worker (its message follows as a worker message): this thread throws. */
  failed: 4,
  /** Chunks the worker has computed. */
  workerChunks: 5,
  /** The job as {@link encodeJob} writes it: 11 fields, then the arguments. */
  job: 6,
  size: 6 + 11 + MAX_ARGS,
} as const;

/** Writes `call` into the control block for the worker. */
export function encodeJob(control: Int32Array, call: SplitCall): void {
  if (call.args.length > MAX_ARGS || call.moved.length > 3)
    throw new RangeError(`a split call takes at most ${MAX_ARGS} arguments and 3 moved ones`);
  const moved = [0, 1, 2].flatMap((k) => [call.moved[k]?.arg ?? -1, call.moved[k]?.stride ?? 0]);
  control.set([SPLIT_FUNCTIONS.indexOf(call.fn), call.fma ? 1 : 0, call.units, call.perChunk, call.countArg, ...moved], CONTROL.job);
  control.set(call.args, CONTROL.job + 11);
}

/** The job {@link encodeJob} wrote, or undefined when its fields make no job (a function or argument out of range). */
export function decodeJob(control: Int32Array): SplitCall | undefined {
  const f = control.subarray(CONTROL.job, CONTROL.job + 11);
  const argument = (i: number) => i >= 0 && i < MAX_ARGS;
  const moved = [f[5], f[7], f[9]].filter((a) => a >= 0);
  if (!(f[0] >= 0 && f[0] < SPLIT_FUNCTIONS.length && f[2] > 0 && f[3] > 0 && argument(f[4]) && moved.every(argument))) return undefined;
  return {
    fn: SPLIT_FUNCTIONS[f[0]],
    fma: f[1] === 1,
    units: f[2],
    perChunk: f[3],
    countArg: f[4],
    moved: [0, 1, 2].filter((k) => f[5 + 2 * k] >= 0).map((k) => ({ arg: f[5 + 2 * k], stride: f[6 + 2 * k] })),
    args: Array.from(control.subarray(CONTROL.job + 11, CONTROL.job + 11 + MAX_ARGS)),
  };
}

/** The tag of job `sequence` in {@link CONTROL}.next. */
function jobTag(sequence: number): number {
  return (sequence & 0x7fff) << 16;
}

/**
 * Takes the next chunk of job `sequence` (one of `chunks`), or returns −1 when none is left or
 * another job has begun: a thread that finished a job's last chunk late can never take a chunk of
 * the next job with the last one's arguments.
 */
export function takeChunk(control: Int32Array, sequence: number, chunks: number): number {
  const tag = jobTag(sequence);
  for (;;) {
    const value = Atomics.load(control, CONTROL.next);
    const index = value & 0xffff;
    if ((value & ~0xffff) !== tag || index >= chunks) return -1;
    if (Atomics.compareExchange(control, CONTROL.next, value, value + 1) === value) return index;
  }
}

/** The bundled worker next to the running bundle, or in dist/ when run from sources (tests). */
function resolveKernelWorkerScript(): string | undefined {
  return [join(__dirname, 'kernelWorker.js'), resolve(__dirname, '../../dist/kernelWorker.js')].find((p) => existsSync(p));
}

type Exports = Record<string, (...args: number[]) => void>;

/** How long this thread waits for the worker's chunks before it calls the worker lost. */
const LOST_AFTER_MS = 120_000;

/** How long this thread waits for the worker's last chunks awake before it sleeps, ms. */
const AWAKE_MS = 1;

export class KernelThread {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL.size * 4));
  private readonly worker: Worker;
  private closed = false;
  private held = false;
  private failure?: string;

  /**
   * Starts the worker over `memory` (the shared tfjs heap) with the training modules compiled
   * here; it takes chunks once it has instantiated them (until then every chunk runs here).
   */
  constructor(
    memory: WebAssembly.Memory,
    modules: { plain: WebAssembly.Module; fma?: WebAssembly.Module },
    script = resolveKernelWorkerScript(),
  ) {
    if (!script) throw new Error('the kernel worker bundle is missing (run npm run build)');
    this.worker = new Worker(script, { workerData: { memory, modules, control: this.control } });
    this.worker.unref();
    this.worker.on('error', (e) => (this.failure = e.message));
    this.worker.on('message', (m: { error?: string }) => {
      if (m.error) this.failure = m.error;
    });
  }

  /** The worker has instantiated the kernels and waits for chunks. */
  get ready(): boolean {
    return !this.closed && this.failure === undefined && Atomics.load(this.control, CONTROL.state) === 1;
  }

  /**
   * While held, every chunk runs on this thread and the worker sleeps: another thread of the
   * recording (the measurement worker) has the second core.
   */
  hold(held: boolean): void {
    this.held = held;
  }

  /** Resolves once the worker is ready; rejects when it failed or did not start within `timeoutMs`. */
  async whenReady(timeoutMs = 30_000): Promise<void> {
    const start = Date.now();
    while (!this.ready) {
      if (this.failure !== undefined) throw new Error(`the kernel thread failed: ${this.failure}`);
      if (this.closed || Date.now() - start > timeoutMs) throw new Error('the kernel thread did not start');
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /**
   * Runs `call` in chunks on this thread (`own`: its exports of the same modules) and the worker;
   * whole here while the worker is not ready or is held.
   * @throws Error when a chunk failed on the worker (the thread is then closed) or it stopped answering.
   */
  run(call: SplitCall, own: Exports): void {
    const f = own[call.fn];
    const chunks = chunkCount(call);
    if (!this.ready || this.held || chunks < 2) {
      // The whole call here: the same bits as its chunks, in one call.
      f(...call.args);
      return;
    }
    const c = this.control;
    const sequence = c[CONTROL.sequence] + 1;
    // No tag matches −1: a worker still reading the last job's fields cannot take a chunk while they change.
    Atomics.store(c, CONTROL.next, -1);
    c[CONTROL.done] = 0;
    encodeJob(c, call);
    Atomics.store(c, CONTROL.next, jobTag(sequence));
    Atomics.store(c, CONTROL.sequence, sequence);
    Atomics.notify(c, CONTROL.sequence);
    let mine = 0;
    let failedHere: { error: unknown } | undefined;
    try {
      for (let i = takeChunk(c, sequence, chunks); i >= 0; i = takeChunk(c, sequence, chunks)) {
        mine++;
        f(...chunkArgs(call, i));
      }
    } catch (error) {
      failedHere = { error };
    }
    // Even when a chunk failed here: the worker must be done with the heap before tfjs moves on.
    this.waitForWorker(chunks, mine);
    if (failedHere || Atomics.load(c, CONTROL.failed) === 1) {
      this.close();
      throw failedHere ? failedHere.error : new Error(`a kernel failed on the kernel thread${this.failure ? `: ${this.failure}` : ''}`);
    }
  }

  /** Chunks the worker has computed since it started (for tests and benchmarks). */
  get workerChunks(): number {
    return Atomics.load(this.control, CONTROL.workerChunks);
  }

  /**
   * Waits until all `chunks` are done, `mine` of them here: awake for a while (a chunk takes tens
   * of microseconds, about what waking from Atomics.wait costs), then asleep.
   */
  private waitForWorker(chunks: number, mine: number): void {
    const c = this.control;
    const started = performance.now();
    let done = Atomics.add(c, CONTROL.done, mine) + mine;
    while (done < chunks && performance.now() - started < AWAKE_MS) {
      for (let i = 0; i < 64 && done < chunks; i++) done = Atomics.load(c, CONTROL.done);
    }
    for (; done < chunks; done = Atomics.load(c, CONTROL.done)) {
      if (Atomics.wait(c, CONTROL.done, done, 1000) === 'timed-out' && performance.now() - started > LOST_AFTER_MS) {
        this.close();
        throw new Error('the kernel thread stopped answering');
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, CONTROL.state, 2);
    Atomics.add(this.control, CONTROL.sequence, 1);
    Atomics.notify(this.control, CONTROL.sequence);
    void this.worker.terminate();
  }
}

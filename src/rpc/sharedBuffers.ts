/**
 * Frees the array buffers a thread is done with, as soon as they add up, instead of when its
 * garbage collector would get to them.
 *
 * - **Worker threads** ({@link collectingPort}): a SharedArrayBuffer's memory is released only when
 *   every thread that holds it has collected its handle. A worker's heap holds a few small objects,
 *   so its garbage collector may not run for minutes, and every layer's shared values, distances
 *   and codes it was ever sent stay mapped until it does. Measured on a ResNet-50 with 100 probe
 *   inputs: 1.1 GB of layers long measured were still resident at the epoch's end, through the
 *   compute pool's two workers. So a worker counts the bytes of the shared buffers it has seen and,
 *   past {@link COLLECT_AFTER_BYTES}, runs a full collection once it has answered (a few
 *   milliseconds on a worker's small heap).
 * - **The analysis' own thread** ({@link threadPacer}, opened by the engine): it collects once its
 *   array buffers have grown by {@link PACE_BYTES}, looking on a timer and before a forward pass or
 *   an ablation allocates a layer's worth ({@link paceBeforeAllocating}).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MessagePortLike } from './ports';

/** Bytes of shared buffers received after which a worker collects its garbage. */
export const COLLECT_AFTER_BYTES = 64 * 1024 * 1024;

/** The collector's gc(), exposed the way Node's own test tools expose it without a command-line flag. */
let gc: (() => void) | undefined;
function collector(): () => void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  return gc;
}

/**
 * Bytes of shared layers let go (src/native/layerBuffers.ts `shared`) after which the thread
 * collects its garbage. V8 collects the ArrayBuffers a thread lets go once some tens of megabytes of
 * them add up, but a SharedArrayBuffer only when its heap of objects asks, so shared layers let go
 * stayed mapped until the pacer's {@link PACE_BYTES}: a ResNet-50 epoch at 224×224 (probe 100)
 * peaked at 1.71–1.75 GB with its layers in shared memory, against 1.43 GB unshared.
 */
export const SHARED_DROP_BYTES = 64 * 1024 * 1024;

/** A full collection of this thread's garbage now (a few milliseconds on a small heap). */
export function collectGarbage(): void {
  collector()();
}

/** Growth of the thread's array buffers after which {@link ArrayBufferPacer} collects its garbage. */
export const PACE_BYTES = 256 * 1024 * 1024;

/**
 * Least time between two of {@link ArrayBufferPacer}'s looks before allocating (ms): a look costs
 * tens of microseconds (`process.memoryUsage()` reads the process's statistics), and a forward pass
 * allocates before every chunk of every layer (measured: 1.8 s of the complete quarter-width
 * ResNet-18 report's thread in looks). In 5 ms a thread copies out tens of megabytes at most, well
 * under {@link PACE_BYTES}.
 */
export const LOOK_BEFORE_ALLOCATING_MS = 5;

/** How often {@link ArrayBufferPacer} looks at the thread's array buffers (ms). */
export const PACE_INTERVAL_MS = 250;

/**
 * Collects the garbage of the thread that runs the analysis (the service process, `cnn-slicer
 * report`) once its array buffers have grown by {@link PACE_BYTES} since the last collection.
 *
 * Every layer a query reads arrives in fresh buffers: a forward pass's values copied out of the
 * WebAssembly heap, a split pass's segments, a layer's codes for the compute workers. V8 counts
 * them but collects them late, after the thread's small heap of objects asks for it, so their
 * memory stays resident in between. Measured on the MobileNetV2 example's default report: a peak of
 * 2.2–2.9 GB from run to run, 1.67 GB when the thread collected every 250 ms. The pacer looks every
 * {@link PACE_INTERVAL_MS} (`process.memoryUsage().arrayBuffers`, a few microseconds), and where a
 * layer's worth of buffers is about to be allocated ({@link paceBeforeAllocating}), and collects
 * only when they have grown, so a thread that keeps its buffers pays one collection per
 * {@link PACE_BYTES} it adds. The timer does not keep the process alive.
 */
export class ArrayBufferPacer {
  /** The array buffers' bytes after the last collection (the least seen since): undefined until the first look after it. */
  private base: number | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private users = 0;
  /** When {@link lookIfOpen} last looked (`performance.now()`). */
  private lastLook = -Infinity;
  /** Collections run. */
  collections = 0;

  constructor(
    private readonly options: {
      threshold?: number;
      intervalMs?: number;
      /** Bytes of the thread's array buffers now. */
      bytes?: () => number;
      /** Least time between two looks before allocating (ms; default {@link LOOK_BEFORE_ALLOCATING_MS}). */
      lookEveryMs?: number;
      collect?: () => void;
    } = {},
  ) {}

  /**
   * Paces the thread on the timer while the returned function has not been called. The engine
   * calls it when it opens and the function when it closes; several engines of one thread share
   * the one pacer, which runs while any is open.
   */
  open(): () => void {
    if (this.users++ === 0) {
      this.timer = setInterval(() => this.look(), this.options.intervalMs ?? PACE_INTERVAL_MS);
      this.timer.unref();
    }
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      if (--this.users === 0) clearInterval(this.timer);
    };
  }

  /**
   * A look now, when the pacer is open: before a layer's worth of new buffers is allocated. While
   * a forward pass or an ablation keeps the thread busy, the timer waits (seconds on a deep model),
   * and the garbage of the pass before would stay.
   */
  lookIfOpen(): void {
    if (this.users === 0) return;
    const now = performance.now();
    if (now - this.lastLook < (this.options.lookEveryMs ?? LOOK_BEFORE_ALLOCATING_MS)) return;
    this.lastLook = now;
    this.look();
  }

  /** One look: collects when the buffers grew past the threshold. Whether it collected. */
  look(): boolean {
    const now = (this.options.bytes ?? (() => process.memoryUsage().arrayBuffers))();
    // Freed buffers may be released a little after the collection: the base is the least seen since.
    if (this.base === undefined || now < this.base) {
      this.base = now;
      return false;
    }
    if (now - this.base < (this.options.threshold ?? PACE_BYTES)) return false;
    (this.options.collect ?? (() => collector()()))();
    this.collections++;
    this.base = undefined;
    return true;
  }
}

/** This thread's pacer (module state is per thread): open while an engine of the thread is. */
export const threadPacer = new ArrayBufferPacer();

/** {@link threadPacer}'s look before a layer's worth of buffers is allocated (forward passes, ablations). */
export function paceBeforeAllocating(): void {
  threadPacer.lookIfOpen();
}

/** Counts the shared buffers a worker receives and collects the garbage when they add up. */
export class SharedBufferCollector {
  private readonly seen = new WeakSet<SharedArrayBuffer>();
  private bytes = 0;
  private scheduled = false;

  constructor(
    private readonly threshold = COLLECT_AFTER_BYTES,
    private readonly collect: () => void = () => collector()(),
  ) {}

  /** Notes the shared buffers in `message` (nested objects and arrays, a few levels deep), each once. */
  received(message: unknown): void {
    this.walk(message, 4);
    if (this.bytes >= this.threshold && !this.scheduled) {
      this.scheduled = true;
      // After the reply is posted: the handles of this request are garbage by then.
      setImmediate(() => {
        this.scheduled = false;
        this.bytes = 0;
        this.collect();
      });
    }
  }

  private walk(value: unknown, depth: number): void {
    if (value instanceof SharedArrayBuffer) {
      if (!this.seen.has(value)) {
        this.seen.add(value);
        this.bytes += value.byteLength;
      }
      return;
    }
    if (depth === 0 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
    for (const v of Array.isArray(value) ? value : Object.values(value)) this.walk(v, depth - 1);
  }
}

/** `port` with the shared buffers of every message it receives counted by `collector`. */
export function collectingPort(port: MessagePortLike, collector = new SharedBufferCollector()): MessagePortLike {
  return {
    postMessage: (message) => port.postMessage(message),
    onMessage: (listener) =>
      port.onMessage((message) => {
        collector.received(message);
        listener(message);
      }),
  };
}

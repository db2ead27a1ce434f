import { collectGarbage, SHARED_DROP_BYTES } from '../rpc/sharedBuffers';

/**
 * Arrays of a pass's layers that their reader has finished with, for the pass to write later layers
 * into. A new array of a deep layer is fresh memory: the kernel maps and zeroes its pages as the
 * runtime first writes them (a ResNet-50 epoch at 224×224, probe 100: 15 GB of activations, 3.7
 * million page faults, most of `cnn-slicer measure`'s 10–12 s of system time), and the one it
 * replaces stays resident until a collection. A ResNet's layers come in runs of the same size, so an
 * array given back is usually the next one taken.
 *
 * `NativeCheckpoint.forwardLayers` takes its outputs here (`buffers`) and the reader gives each
 * layer's array back once it is done with it ({@link LayerBuffers.give}); an array that the pass
 * itself still reads (a layer live across a later cut) waits until the pass lets it go
 * ({@link LayerBuffers.hold}, {@link LayerBuffers.release}). The values of a pass do not depend on
 * where its arrays come from: every element of a taken array is written before it is read.
 */
export class LayerBuffers {
  /** Arrays free to take, oldest first. */
  private readonly free: Float32Array[] = [];
  private freeBytes = 0;
  /** Arrays the pass still reads, with whether their reader has given them back meanwhile. */
  private readonly held = new Map<Float32Array, boolean>();
  /** Arrays handed out by {@link take} and not given back yet (only those are taken back). */
  private readonly out = new WeakSet<Float32Array>();
  /** How many arrays of each length the pass takes next ({@link expect}); undefined: any. */
  private expected: Map<number, number> | undefined;
  /** Takes that found an array given back (for tests and benches). */
  reused = 0;
  /** Bytes of shared arrays let go since the last collection. */
  private dropped = 0;

  /**
   * @param maxFreeBytes most bytes of free arrays kept (the oldest let go past it): about the
   * largest layer, so that the arrays waiting here are no more than what would wait for a collection.
   * @param shared new arrays in shared memory (SharedArrayBuffer), so that the compute workers read
   * the layers where they lie: only for sessions that write into any array (the direct runner's;
   * onnxruntime-node's binding refuses shared memory).
   * @param collect what collects the thread's garbage once {@link SHARED_DROP_BYTES} of shared
   * arrays were let go (tests count the calls).
   */
  constructor(
    private readonly maxFreeBytes: number,
    private readonly shared = false,
    private readonly collect: () => void = collectGarbage,
  ) {}

  /** A float32 array of `length` elements (its values are left from its last use): one given back, or a new one. */
  take(length: number): Float32Array {
    const at = this.free.findIndex((a) => a.length === length);
    let array: Float32Array;
    if (at >= 0) {
      array = this.free.splice(at, 1)[0];
      this.freeBytes -= array.byteLength;
      this.reused++;
    } else array = this.shared ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
    this.out.add(array);
    return array;
  }

  /**
   * The reader is done with `array` (one that {@link take} gave; others are ignored): it is taken
   * again once the pass no longer reads it either. The caller keeps no view of it.
   */
  give(array: Float32Array): void {
    if (!this.out.has(array)) return;
    if (this.held.has(array)) {
      this.held.set(array, true);
      return;
    }
    this.out.delete(array);
    this.keep(array);
  }

  /**
   * An array moved back from another thread (the native pass worker's caller, passWorker.ts): the
   * memory of one {@link take} gave and the pass moved out, now a new view that nobody else holds.
   * Kept as a given-back array is.
   */
  adopt(array: Float32Array): void {
    this.keep(array);
  }

  /** The pass reads `array` after handing it out (it is live across a cut): a give waits for {@link release}. */
  hold(array: Float32Array): void {
    if (this.out.has(array) && !this.held.has(array)) this.held.set(array, false);
  }

  /** The pass no longer reads `array`: free now if its reader gave it back. */
  release(array: Float32Array): void {
    const given = this.held.get(array);
    if (given === undefined) return;
    this.held.delete(array);
    if (given) {
      this.out.delete(array);
      this.keep(array);
    }
  }

  /**
   * The lengths of the arrays the pass takes next (its next segment's layers): free arrays that none
   * of them can use are let go now, and so are those given back until the next call, so that a
   * collection frees their memory while the layers are measured, as it would have had they not been
   * kept. Until the first call, every length is kept.
   */
  expect(lengths: readonly number[]): void {
    this.expected = new Map<number, number>();
    for (const l of lengths) this.expected.set(l, (this.expected.get(l) ?? 0) + 1);
    const free = this.free.splice(0);
    this.freeBytes = 0;
    for (const array of free) this.keep(array);
  }

  /** Lets go of every free array. */
  clear(): void {
    this.free.length = 0;
    this.freeBytes = 0;
  }

  /** Bytes of the arrays free to take now. */
  get bytesFree(): number {
    return this.freeBytes;
  }

  private keep(array: Float32Array): void {
    if (array.byteLength > this.maxFreeBytes) return this.drop(array);
    if (this.expected) {
      const left = this.expected.get(array.length) ?? 0;
      const kept = this.free.filter((a) => a.length === array.length).length;
      if (kept >= left) return this.drop(array);
    }
    this.free.push(array);
    this.freeBytes += array.byteLength;
    while (this.freeBytes > this.maxFreeBytes) {
      const oldest = this.free.shift()!;
      this.freeBytes -= oldest.byteLength;
      this.drop(oldest);
    }
  }

  /**
   * `array` is let go. A shared one is collected with the thread's garbage once
   * {@link SHARED_DROP_BYTES} of them add up (sharedBuffers.ts: V8 would leave them mapped for long).
   */
  private drop(array: Float32Array): void {
    if (!this.shared) return;
    this.dropped += array.byteLength;
    if (this.dropped < SHARED_DROP_BYTES) return;
    this.dropped = 0;
    this.collect();
  }
}

/** Bytes of the largest of the layers 1..last over `count` inputs (float32): a pass's {@link LayerBuffers} keep about that much. */
export function largestLayerBytes(layers: readonly { outputShape: readonly number[] }[], count: number, last = layers.length - 1): number {
  let largest = 0;
  for (let l = 1; l <= last; l++)
    largest = Math.max(
      largest,
      layers[l].outputShape.reduce((a, b) => a * b, 1),
    );
  return count * largest * 4;
}

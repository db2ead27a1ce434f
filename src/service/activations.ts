/**
 * Layer activations of whole probe sets kept in memory across queries, least recently used first
 * out once their bytes exceed the budget: the next query often slices the same layer again, or
 * a deeper one whose forward pass can continue from it.
 */
import type { Activations } from '../tfjs/forward';

/** Default budget of kept activations (bytes). */
export const DEFAULT_ACTIVATION_BYTES = 1024 ** 3;

/**
 * Layers of at most this many bytes over the probe set are small: a model's class scores (200
 * inputs × 10 classes: 8 KB), a global pooling's output. Large layers leave memory before them,
 * and a report letting go of a run's layers ({@link ActivationCache.dropRun} with `keepSmall`)
 * keeps them: the confusion cells and every ablation's baseline read the class scores the findings'
 * pass computed, instead of a pass of the whole model each (2 s apiece for a CIFAR ResNet-18 at probe 200).
 */
export const SMALL_ACTIVATION_BYTES = 1024 * 1024;

export class ActivationCache {
  private readonly entries = new Map<string, Activations>();
  private bytes = 0;

  constructor(private readonly budgetBytes = DEFAULT_ACTIVATION_BYTES) {}

  static key(runFolder: string, epoch: number, layer: number): string {
    return `${runFolder}|${epoch}|${layer}`;
  }

  /** The kept activations, now the most recently used. */
  get(key: string): Activations | undefined {
    const found = this.entries.get(key);
    if (found) {
      this.entries.delete(key);
      this.entries.set(key, found);
    }
    return found;
  }

  /** The kept activations, leaving the order of use as it is. */
  peek(key: string): Activations | undefined {
    return this.entries.get(key);
  }

  remember(key: string, acts: Activations): void {
    if (acts.data.byteLength > this.budgetBytes) return;
    const old = this.entries.get(key);
    if (old) this.bytes -= old.data.byteLength;
    this.entries.delete(key);
    this.entries.set(key, acts);
    this.bytes += acts.data.byteLength;
    // The least recently used large layers first, then, only where that is not enough, small ones.
    for (const small of [false, true]) {
      for (const [k, a] of this.entries) {
        if (this.bytes <= this.budgetBytes) return;
        if (!small && isSmall(a)) continue;
        this.entries.delete(k);
        this.bytes -= a.data.byteLength;
      }
    }
  }

  /** Forgets every activation of the run in `runFolder`; with `keepSmall`, all but the small ones ({@link SMALL_ACTIVATION_BYTES}). */
  dropRun(runFolder: string, o: { keepSmall?: boolean } = {}): void {
    for (const [k, a] of this.entries) {
      if (k.startsWith(runFolder + '|') && !(o.keepSmall && isSmall(a))) {
        this.entries.delete(k);
        this.bytes -= a.data.byteLength;
      }
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

function isSmall(a: Activations): boolean {
  return a.data.byteLength <= SMALL_ACTIVATION_BYTES;
}

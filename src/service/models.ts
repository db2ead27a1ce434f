/**
 * The checkpoints of one run loaded as models. A query pins each model it uses (`acquire`) until
 * it ends (`release`): a pinned model is never disposed, so concurrent queries over many epochs
 * never meet a freed layer. Beyond the budget (two epochs: a view usually compares neighbouring
 * epochs) the least recently used unpinned model is disposed, or a pinned one when its last pin is
 * released. Concurrent queries of one epoch share one load.
 */
import type * as tfType from '@tensorflow/tfjs';
import { checkpointFolder } from '../run/paths';
import { QueryError } from '../contract/queries';

/** Epochs whose models stay loaded per run when no query pins them. */
export const MODELS_PER_RUN = 2;

/** What a run's checkpoints load into: TensorFlow.js's LayersModel, or the native engine's checkpoint (src/native/). */
export interface Disposable {
  dispose(): unknown;
}

/** A pinned model: valid until `release()`, which must be called exactly once. */
export interface ModelLease<M extends Disposable = tfType.LayersModel> {
  readonly epoch: number;
  readonly model: M;
  release(): void;
}

interface Entry<M> {
  epoch: number;
  /** The one load every query of this epoch awaits. */
  loading: Promise<M>;
  model?: M;
  /** Queries holding the model (those waiting for the load included). */
  pins: number;
}

export class CheckpointModels<M extends Disposable = tfType.LayersModel> {
  /** Least recently used first. */
  private readonly entries = new Map<number, Entry<M>>();
  private closed = false;

  /**
   * @param load loads a checkpoint folder (model.json + weights.bin) into a model.
   * @param budget models kept loaded when no query pins them.
   */
  constructor(
    private readonly runFolder: string,
    private readonly load: (dir: string) => Promise<M>,
    private readonly budget = MODELS_PER_RUN,
  ) {}

  /** The checkpoint folder of `epoch`. */
  checkpoint(epoch: number): string {
    return checkpointFolder(this.runFolder, epoch);
  }

  /** The model of `epoch`, pinned until the lease is released. */
  async acquire(epoch: number): Promise<ModelLease<M>> {
    if (this.closed) {
      // The engine closed, or the run was recorded again, while the query ran.
      throw new QueryError('cancelled', `the run at ${this.runFolder} was closed while the query ran; ask again`);
    }
    let entry = this.entries.get(epoch);
    if (entry)
      this.entries.delete(epoch); // most recently used last
    else entry = { epoch, loading: this.loadEpoch(epoch), pins: 0 };
    this.entries.set(epoch, entry);
    entry.pins++;
    const pinned = entry;
    let model: M;
    try {
      model = await pinned.loading;
    } catch (e) {
      pinned.pins--;
      if (this.entries.get(epoch) === pinned) this.entries.delete(epoch); // the next query tries again
      throw e;
    }
    pinned.model = model;
    this.evict();
    let released = false;
    return {
      epoch,
      model,
      release: () => {
        if (released) return;
        released = true;
        pinned.pins--;
        this.evict();
      },
    };
  }

  /** The models loaded now (pinned or not). */
  loaded(): M[] {
    return [...this.entries.values()].flatMap((e) => (e.model ? [e.model] : []));
  }

  /** Models loaded now (pinned or not). */
  get loadedCount(): number {
    let count = 0;
    for (const e of this.entries.values()) if (e.model) count++;
    return count;
  }

  /** Disposes every model now, or when its last pin is released; nothing can be acquired after. */
  dispose(): void {
    this.closed = true;
    this.evict();
  }

  private async loadEpoch(epoch: number): Promise<M> {
    const dir = this.checkpoint(epoch);
    try {
      return await this.load(dir);
    } catch (e) {
      throw new QueryError(
        'run-format',
        `the checkpoint of epoch ${epoch} (${dir}) cannot be loaded: ${(e as Error).message.split('\n')[0]}`,
      );
    }
  }

  /** Disposes unpinned models, least recently used first, until at most the budget are loaded. */
  private evict(): void {
    const budget = this.closed ? 0 : this.budget;
    let loaded = this.loadedCount;
    for (const [epoch, e] of this.entries) {
      if (loaded <= budget) break;
      if (!e.model || e.pins > 0) continue;
      this.entries.delete(epoch);
      void e.model.dispose();
      loaded--;
    }
  }
}

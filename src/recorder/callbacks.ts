/**
 * What happens around the training of a recording, as callbacks in the style of tfjs-layers'
 * `BaseCallback` / `CallbackList`: each concern is a small object with the hooks it needs — the
 * event-loop yielder, cancellation, the ETA clock and the progress reporter — and a list calls
 * them in order. The epochs are the run's (1..epochs; epoch 0 is the untrained model and is not
 * trained), not those of the one-epoch `model.fit` calls that train them.
 */
import type { RecordProgress } from '../contract/protocols/recorder';

/** What the callbacks know of the training ahead (set once, before the first epoch). */
export interface TrainingParams {
  /** Training epochs of the run. */
  epochs: number;
  /** Batches per epoch. */
  batches: number;
}

/** The logs tfjs hands to a batch's end (`loss`, `acc`), resolved to numbers. */
export type BatchLogs = { loss?: number; [name: string]: number | undefined };

/** The outcome of one training epoch (null when tfjs reported none). */
export interface EpochLogs {
  loss: number | null;
  accuracy: number | null;
}

/**
 * What a callback may do to the model being trained: ask it to stop after the current batch. A
 * tfjs `LayersModel` is one; naming only this keeps the module free of tfjs, so the parent process
 * can share its types.
 */
export interface TrainedModel {
  stopTraining: boolean;
}

/** A milliseconds clock; tests inject one. */
export type Clock = () => number;

/** Base of the recording callbacks: every hook does nothing unless a subclass says otherwise. */
export abstract class RecordCallback {
  protected params: TrainingParams = { epochs: 0, batches: 0 };
  protected model?: TrainedModel;
  setParams(params: TrainingParams): void {
    this.params = params;
  }
  setModel(model: TrainedModel): void {
    this.model = model;
  }
  async onEpochBegin(epoch: number): Promise<void> {
    void epoch;
  }
  async onBatchEnd(batch: number, logs?: BatchLogs): Promise<void> {
    void batch;
    void logs;
  }
  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    void epoch;
    void logs;
  }
}

/** Calls its callbacks in order, each hook awaited before the next callback's. */
export class RecordCallbackList {
  constructor(readonly callbacks: RecordCallback[]) {}
  setParams(params: TrainingParams): void {
    for (const c of this.callbacks) c.setParams(params);
  }
  setModel(model: TrainedModel): void {
    for (const c of this.callbacks) c.setModel(model);
  }
  async onEpochBegin(epoch: number): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin(epoch);
  }
  async onBatchEnd(batch: number, logs?: BatchLogs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd(batch, logs);
  }
  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd(epoch, logs);
  }
}

/**
 * Gives the event loop a macrotask turn before every epoch. A small model's epoch can run entirely
 * on microtasks, which would starve the IPC 'message' event that carries a cancel until the whole
 * run is over.
 */
export class EventLoopYielder extends RecordCallback {
  override async onEpochBegin(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Cancellation: once the signal is aborted, training stops after the current batch (through the
 * model's `stopTraining`, as tfjs-layers' own early stopping does) and no further epoch starts.
 */
export class CancelOnAbort extends RecordCallback {
  constructor(private readonly signal: AbortSignal | undefined) {
    super();
  }
  /** Whether the recording was asked to stop; an epoch trained while it became true is partial. */
  get requested(): boolean {
    return this.signal?.aborted ?? false;
  }
  override async onBatchEnd(): Promise<void> {
    if (this.requested && this.model) this.model.stopTraining = true;
  }
}

/**
 * The estimated time left. Its clock starts with the first training epoch: the epoch-0 measurement
 * before it is not part of the fraction done, so counting it made early estimates far too long.
 *
 * The first estimates are wild (the first batches pay for warm-up: kernel compilation, allocation),
 * and a wrong "13m01s left" for a 30 s job is worse than none. So no estimate is given until it is
 * stable: at least `STABLE_UPDATES` estimates in a row, each within `STABLE_RATIO` of the one before,
 * and at least `STABLE_AFTER_MS` of training. Once stable, every estimate is given.
 */
export class EtaClock extends RecordCallback {
  static readonly STABLE_UPDATES = 3;
  static readonly STABLE_RATIO = 0.2;
  static readonly STABLE_AFTER_MS = 1000;
  private startedMs: number | undefined;
  private previousMs: number | undefined;
  private agreeing = 0;
  private stable = false;
  constructor(private readonly now: Clock) {
    super();
  }
  override async onEpochBegin(epoch: number): Promise<void> {
    if (epoch > 0) this.startedMs ??= this.now();
  }
  /** Milliseconds left when `fraction` of the run is done at `atMs`; undefined before it is stable. */
  remainingMs(fraction: number, atMs: number): number | undefined {
    if (!(fraction > 0)) return undefined;
    const elapsedMs = atMs - (this.startedMs ?? atMs);
    const estimateMs = (elapsedMs / fraction) * (1 - fraction);
    if (!this.stable) {
      const previous = this.previousMs;
      const agrees = previous !== undefined && Math.abs(estimateMs - previous) <= EtaClock.STABLE_RATIO * Math.max(previous, 1);
      this.agreeing = agrees ? this.agreeing + 1 : 0;
      this.previousMs = estimateMs;
      this.stable = this.agreeing >= EtaClock.STABLE_UPDATES - 1 && elapsedMs >= EtaClock.STABLE_AFTER_MS;
      if (!this.stable) return undefined;
    }
    return estimateMs;
  }
}

/** How often training progress is reported at most (the last batch of an epoch always is). */
export const PROGRESS_INTERVAL_MS = 125;

/**
 * Reports progress: the loading steps and the recording of an epoch as they happen, and training
 * after a batch at most every `intervalMs` (the parent process and the editor need no more).
 */
export class ProgressReporter extends RecordCallback {
  private epoch = 0;
  private lastReportMs = -Infinity;
  constructor(
    private readonly report: ((p: RecordProgress) => void) | undefined,
    private readonly eta: EtaClock,
    private readonly now: Clock,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {
    super();
  }
  loading(message: string): void {
    this.report?.({ phase: 'loading', epoch: 0, epochs: 0, batch: 0, batches: 0, fraction: 0, message });
  }
  recording(epoch: number): void {
    const { epochs, batches } = this.params;
    this.report?.({
      phase: 'recording',
      epoch,
      epochs,
      batch: batches,
      batches,
      fraction: epoch / Math.max(1, epochs),
      message: `recording epoch ${epoch}`,
    });
  }
  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
  }
  override async onBatchEnd(batch: number, logs?: BatchLogs): Promise<void> {
    const { epochs, batches } = this.params;
    const t = this.now();
    if (t - this.lastReportMs < this.intervalMs && batch + 1 !== batches) return;
    this.lastReportMs = t;
    const fraction = (this.epoch - 1 + (batch + 1) / batches) / epochs;
    this.report?.({
      phase: 'training',
      epoch: this.epoch,
      epochs,
      batch: batch + 1,
      batches,
      loss: logs?.loss,
      fraction,
      etaMs: this.eta.remainingMs(fraction, t),
    });
  }
}

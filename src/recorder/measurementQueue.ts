/**
 * The measurement pipeline of a recording: where each recorded epoch is measured and in which order
 * its results are appended to the run folder. It is a small object with a lifecycle, in the style of
 * tfjs-layers' callbacks (`History`, `CallbackList`): the training loop hands it each epoch (`add`),
 * asks whether a measurement failed (`failed`), waits for what is in flight (`settleAll`) and
 * releases the worker (`close`); how an epoch is measured and appended are parts it is given, so its
 * order and fallbacks are tested with fakes.
 *
 * With a measurement worker, epoch t is measured there, on a copy of its weights (the checkpoint's
 * bytes), while this thread trains epoch t + 1: the worker takes one core and training the other.
 * The last epoch, after which nothing trains, is measured in two parts at once, here and on the
 * worker, and the worker is stopped after it. The worker measures one epoch at a time, in order, and
 * may fall one epoch behind (one measuring, one waiting), so that a slow measurement (the first, with
 * the input layer) is made up by the later ones instead of holding up training; epochs are appended
 * in order, each once its measurement is done, so the run folder's crash-safety order holds. If the
 * worker cannot measure an epoch (it cannot load the model, say), that epoch and any queued after it
 * are measured again here on copies of the same weights, and the later ones before the next epoch
 * trains; a failure here, or of appending, stops the training (`onFailure`) and is the run's error.
 */
import type { EpochMetrics, LayerEpochMetrics } from '../contract/runFormat';
import type { CheckpointFiles } from '../run/writer';
import type { EpochLogs } from './callbacks';
import type { EpochWorker } from '../measure/measureWorkerClient';

/** Epochs handed to the measurement worker and not yet appended, at most (one measuring, one waiting). */
export const MEASURE_QUEUE = 2;

/** When an epoch trained and when its recording started (the clock's ms), for its timings. */
export interface EpochTiming {
  trainMs: number;
  recordStart: number;
}

/** A recorded epoch: its weights' bytes, taken before the next epoch changes them, and its training logs. */
export interface RecordedEpoch {
  epoch: number;
  checkpoint: CheckpointFiles;
  logs: EpochLogs;
  timing: EpochTiming;
}

/** What the queue is given: the ways to measure an epoch here, how to append one, and the recording's clock, log and progress. */
export interface MeasurementQueueParts {
  /** Measures the live model, whose weights are the epoch's, on this thread. */
  measureHere(epoch: number): Promise<EpochMetrics>;
  /** Measures an epoch on this thread from its checkpoint's bytes (the live model has trained on since). */
  measureCopy(epoch: number, checkpoint: CheckpointFiles): Promise<EpochMetrics>;
  /** Measures the last epoch here and on the worker at once (falling back to this thread alone). */
  measureInTwo(worker: EpochWorker, epoch: number, checkpoint: CheckpointFiles): Promise<EpochMetrics>;
  /** Appends a measured epoch to the run folder. */
  append(recorded: RecordedEpoch, measured: EpochMetrics): void;
  /** The input layer's summary once an epoch was appended (it never changes, so the worker skips it). */
  inputMetrics(): LayerEpochMetrics | undefined;
  /** Called once a measurement or an append failed: training stops after its current batch. */
  onFailure(): void;
  /** The worker starts (true) or stops (false) measuring an epoch beside training. */
  workerBusy?(busy: boolean): void;
  /** Says that the recording is recording `epoch` (the progress). */
  recording(epoch: number): void;
  log(line: string): void;
  now(): number;
}

/** An epoch handed to the worker: measured there while later epochs train, or waiting for its turn. */
interface Queued extends RecordedEpoch {
  /** Settles once the epoch is appended, once the worker gave up on it (`workerError`), or once it was `skipped`. */
  done: Promise<void>;
  workerError?: { error: unknown };
  /** Not sent to the worker because it gave up on an earlier epoch: measured here, in order. */
  skipped?: boolean;
  /** Appending failed: training stops and the loop rethrows it. */
  failed: boolean;
  /** How long the worker took to measure the epoch, ms. */
  measureMs?: number;
}

export class MeasurementQueue {
  /** The epochs handed to the worker and not yet settled, oldest first (the worker measures them in this order). */
  private readonly queue: Queued[] = [];
  /** How long the worker took to measure the last epoch it measured, ms. */
  private lastWorkerMs: number | undefined;

  /** `worker` measures epochs beside training; without one, every epoch is measured here before the next trains. */
  constructor(
    private readonly parts: MeasurementQueueParts,
    private worker?: EpochWorker,
  ) {}

  /** Whether the worker still measures epochs beside training. */
  get usesWorker(): boolean {
    return this.worker !== undefined;
  }

  /** The epochs handed to the worker and not yet appended. */
  get pending(): number {
    return this.queue.length;
  }

  /** Whether a measurement or an append failed: the loop stops training and `settleAll` rethrows it. */
  get failed(): boolean {
    return this.queue.some((q) => q.failed);
  }

  /**
   * Measures a recorded epoch: hands it to the worker, or (without one, or for the `last` epoch)
   * measures it here once the epochs before it are appended, and appends it.
   */
  async add(recorded: RecordedEpoch, last: boolean): Promise<void> {
    const { parts } = this;
    const { epoch, timing } = recorded;
    // The worker may fall behind by one epoch (one measuring, one waiting), so that an epoch
    // measured slower than the next one trains (the first, with the input layer) costs nothing
    // while the later ones leave time to catch up.
    while (this.worker && !last && this.queue.length >= MEASURE_QUEUE) await this.settleOldest();
    if (this.worker && this.lastWorkerMs !== undefined && this.lastWorkerMs > 2 * timing.trainMs) {
      await this.settleAll();
      if (this.worker) {
        // On two cores, one core measuring while the other trains beats every core measuring after
        // training only while the measurement takes less than twice the training.
        parts.log(
          `measuring each epoch before the next one trains (on one thread the last measurement took ${(this.lastWorkerMs / 1000).toFixed(1)} s, more than twice the ${(timing.trainMs / 1000).toFixed(1)} s of training beside it: every core measures faster)`,
        );
        this.close();
      }
    }
    if (!this.worker || last) {
      await this.settleAll();
      // Nothing trains after the last epoch: this thread and the worker measure half of it each.
      const worker = this.worker;
      this.worker = undefined;
      parts.recording(epoch);
      timing.recordStart = parts.now();
      try {
        const measured = worker ? await parts.measureInTwo(worker, epoch, recorded.checkpoint) : await parts.measureHere(epoch);
        parts.append(recorded, measured);
      } finally {
        worker?.close();
      }
      return;
    }
    parts.recording(epoch);
    timing.recordStart = parts.now();
    this.enqueue(this.worker, recorded);
  }

  /** Waits until every epoch handed to the worker is appended (or measured here after it gave up); rethrows the first failure. */
  async settleAll(): Promise<void> {
    while (this.queue.length) await this.settleOldest();
  }

  /** Stops the worker, if any; epochs added later are measured here. Safe to call more than once. */
  close(): void {
    this.worker?.close();
    this.worker = undefined;
  }

  /** Hands an epoch to the worker, after the epochs before it (the worker measures one at a time, in order). */
  private enqueue(worker: EpochWorker, recorded: RecordedEpoch): void {
    const { parts } = this;
    const previous = this.queue.at(-1);
    const current: Queued = { ...recorded, done: Promise.resolve(), failed: false };
    current.done = (previous?.done ?? Promise.resolve()).then(async () => {
      if (previous && (previous.workerError || previous.skipped)) {
        current.skipped = true;
        return;
      }
      recorded.timing.recordStart = parts.now();
      try {
        parts.workerBusy?.(true);
        const measured = await worker
          .measure(recorded.epoch, recorded.checkpoint, parts.inputMetrics())
          .finally(() => parts.workerBusy?.(false));
        current.measureMs = parts.now() - recorded.timing.recordStart;
        parts.append(recorded, measured);
      } catch (error) {
        // Appending failed (rethrown below), or the worker gave up on the epoch (measured here later).
        if (current.measureMs !== undefined) throw error;
        current.workerError = { error };
      }
    });
    current.done.catch(() => {
      current.failed = true;
      // Training stops after its current batch; the loop then rethrows this failure.
      parts.onFailure();
    });
    this.queue.push(current);
  }

  /**
   * Waits for the oldest epoch on the worker. If the worker gave up on it (or on an earlier one),
   * the epoch is measured here on a copy of its weights and the worker is not used again. If that
   * or appending failed, the recording stopped while recording that epoch, whatever trained
   * meanwhile: the progress says so last, as the sequential order would.
   */
  private async settleOldest(): Promise<void> {
    const { parts } = this;
    const current = this.queue.shift();
    if (!current) return;
    try {
      await current.done;
      if (current.measureMs !== undefined) this.lastWorkerMs = current.measureMs;
      if (!current.workerError && !current.skipped) return;
      if (current.workerError) {
        const reason = (current.workerError.error as Error)?.message ?? String(current.workerError.error);
        parts.log(
          `measuring each epoch before the next one trains (the measurement worker could not measure epoch ${current.epoch}: ${reason})`,
        );
      }
      this.close();
      parts.recording(current.epoch);
      current.timing.recordStart = parts.now();
      parts.append(current, await parts.measureCopy(current.epoch, current.checkpoint));
    } catch (e) {
      parts.recording(current.epoch);
      throw e;
    }
  }
}

/**
 * Forward passes over a small subset of the probe inputs (a class alone, a few picked inputs),
 * paused between queries. The views and a report ask a subset's layers one query at a time, mostly
 * in ascending order; a pass run from the input for each of them made a sweep over a model's L
 * layers cost L²/2 layers (a MobileNetV2's 152 layers: 36 s for one class's information plane,
 * against 1 s for the same layers in one pass). A paused pass holds only what its later layers
 * read (a sequential model: its last layer; a residual network: the branches still open) and the
 * model it runs, pinned; a query for a layer it has not reached continues it from there.
 *
 * The layers come out of the same kernels, chunk for chunk, as a pass run to each layer alone:
 * continuing a pass changes which layers are computed how often, never their values.
 */
import { CancelledError } from '../analysis/errors';
import type { Activations } from '../tfjs/forward';

/** A started pass: its layers in ascending order, and how to release what it pinned. */
export interface PassSource {
  steps: AsyncGenerator<{ index: number; out: Activations }>;
  /** Ends the pass and releases what it pinned (its model), at once. */
  close(): void;
}

interface PausedPass {
  key: string;
  /** The last layer the pass has handed out (0 before the first). */
  position: number;
  /** A query is continuing it: nobody else may. */
  busy: boolean;
  source: PassSource;
  /** Aborts the pass's own work when it is closed. */
  controller: AbortController;
  /** Closed as soon as the query continuing it is done (its run was replaced, or the engine closed). */
  dropped: boolean;
}

/** Passes kept paused at most: each pins its epoch's model. */
export const MAX_PAUSED_PASSES = 3;

export class SubsetPasses {
  /** Least recently used first. */
  private passes: PausedPass[] = [];
  constructor(private readonly maxPaused = MAX_PAUSED_PASSES) {}

  /**
   * Layer `layer` of the pass `key` names (run, epoch and inputs): a paused pass of `key` that has
   * not handed it out yet is continued, else `start` starts one (its signal aborts when the pass is
   * closed). Every layer handed out on the way goes to `passed`, so that a later query for it
   * finds it in memory. `signal` is the asking query's: it stops waiting between two layers and
   * leaves the pass paused where it is.
   */
  async layer(
    key: string,
    layer: number,
    start: (signal: AbortSignal) => Promise<PassSource>,
    passed: (index: number, out: Activations) => void,
    signal?: AbortSignal,
  ): Promise<Activations> {
    if (signal?.aborted) throw new CancelledError();
    let pass = this.passes
      .filter((p) => p.key === key && !p.busy && p.position < layer)
      .reduce<PausedPass | undefined>((best, p) => (!best || p.position > best.position ? p : best), undefined);
    if (pass) this.passes.splice(this.passes.indexOf(pass), 1);
    else {
      const controller = new AbortController();
      pass = { key, position: 0, busy: false, source: await start(controller.signal), controller, dropped: false };
    }
    this.passes.push(pass);
    pass.busy = true;
    let failed = false;
    try {
      for (;;) {
        if (signal?.aborted) throw new CancelledError();
        let step: IteratorResult<{ index: number; out: Activations }>;
        try {
          step = await pass.source.steps.next();
        } catch (e) {
          failed = true;
          throw e;
        }
        if (step.done || step.value.index > layer) {
          failed = true;
          throw new Error(`the forward pass of ${key} handed out no activations of layer ${layer}`);
        }
        pass.position = step.value.index;
        if (step.value.index === layer) return step.value.out;
        passed(step.value.index, step.value.out);
      }
    } finally {
      pass.busy = false;
      if (failed || pass.dropped) this.close(pass);
      this.trim();
    }
  }

  /** Closes the passes of the run in `runFolder` (their keys start with it); one being continued, once it pauses. */
  dropRun(runFolder: string): void {
    this.drop((p) => p.key.startsWith(runFolder + '|'));
  }

  /** Closes every pass; one being continued, once it pauses. */
  clear(): void {
    this.drop(() => true);
  }

  private drop(which: (p: PausedPass) => boolean): void {
    for (const p of this.passes.filter(which)) {
      p.dropped = true;
      // Out of the list at once: no later query may continue it.
      if (p.busy) this.passes.splice(this.passes.indexOf(p), 1);
      else this.close(p);
    }
  }

  /** Passes paused now. */
  get paused(): number {
    return this.passes.filter((p) => !p.busy).length;
  }

  private trim(): void {
    const idle = this.passes.filter((p) => !p.busy);
    for (const p of idle.slice(0, Math.max(0, this.passes.length - this.maxPaused))) this.close(p);
  }

  private close(pass: PausedPass): void {
    if (pass.controller.signal.aborted) return;
    const k = this.passes.indexOf(pass);
    if (k >= 0) this.passes.splice(k, 1);
    pass.controller.abort();
    pass.source.close();
  }
}

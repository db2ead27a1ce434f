// Whether the extension measures a PyTorch run now (pendingMeasures.ts), decided from what it has
// read: the run, its measuring lock's live holder (src/run/measureLock.ts) and what this window has
// started already. Pure, so that the decision is tested without VS Code.
import { MEASURED_ELSEWHERE_END, type MeasureLock } from '../../contract/measureLockFormat';
import type { RunRecord } from '../../run/store';

export type MeasureDecision =
  /** Nothing to do: no epoch awaits its measures, the recorder (and its own measurer) still runs, or this window measures it already. */
  | { kind: 'skip' }
  /** Another process measures it: look again once it has let go of the lock. */
  | { kind: 'wait'; holder: MeasureLock }
  /** Start `cnn-slicer measure` on it. */
  | { kind: 'measure' };

/**
 * The decision for one run. `holder` is the live holder of its measuring lock (undefined when none
 * holds it: no lock, or a stale one, which `measure` takes over); `started`, whether this window's
 * own measure of it runs or has run.
 */
export function decideMeasure(
  run: Pick<RunRecord, 'pending' | 'manifest'>,
  holder: MeasureLock | undefined,
  started: boolean,
): MeasureDecision {
  if (!run.pending?.length || run.manifest.status === 'recording' || started) return { kind: 'skip' };
  return holder ? { kind: 'wait', holder } : { kind: 'measure' };
}

/** Whether a finished `cnn-slicer measure` left the run to another process (its one line), so the run may be looked at again. */
export function leftToAnother(stderr: string): boolean {
  return stderr.split('\n').some((line) => line.endsWith(MEASURED_ELSEWHERE_END));
}

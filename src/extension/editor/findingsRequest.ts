// What the editor asks of the analysis service for a run's findings (runFindings.ts), pure so that
// the service tests ask exactly it. The query names its epoch — the run's newest measured epoch
// when it is asked — so its answer is about that epoch even if the next one lands meanwhile, and it
// is asked from no view: a query from a view is cancelled by the next query from that view
// (src/service/serviceProcess.ts), and the findings of epoch e must not be cancelled because epoch
// e + 1 landed, or because another run's findings were asked (issue 66: the findings query was
// cancelled by every new metrics line, and Problems stayed empty). A new epoch asks its own findings.
import { hasErrorCode } from '../../analysis/errors';
import type { Query } from '../../contract/queries';
import { isPythonRun } from '../../contract/runFormat';
import type { ClientQueryOptions } from '../../service/client';
import type { RunRecord } from '../../run/store';

/** A run's state as far as its findings go: a new epoch or a change of status asks again. */
export function findingsStateKey(run: Pick<RunRecord, 'manifest'>): string {
  return `${run.manifest.status}\n${run.manifest.epochs.length}\n${run.manifest.epochs[run.manifest.epochs.length - 1] ?? ''}`;
}

/**
 * Whether a run's findings can be asked now: it has a measured epoch, and it is no longer recording
 * — or it is a PyTorch run, whose epochs are measured from their checkpoints by another process
 * while the user's script trains on: the findings of its newest measured epoch are asked as soon as
 * its measures land, not when the training ends (issue 66: half an hour on a ResNet18). A run the
 * extension records itself (TensorFlow.js) is asked once it ends: its findings would compete with
 * its own training for the cores.
 */
export function findingsAnswerable(run: Pick<RunRecord, 'manifest'>): boolean {
  return run.manifest.epochs.length > 0 && (run.manifest.status !== 'recording' || isPythonRun(run.manifest));
}

/** The findings query of `run` at its newest measured epoch, and how it is asked; undefined for a run with no epoch. */
export function findingsRequest(
  run: Pick<RunRecord, 'manifest'>,
): { query: Extract<Query, { kind: 'findings' }>; options: ClientQueryOptions } | undefined {
  const epoch = run.manifest.epochs.at(-1);
  if (epoch === undefined) return undefined;
  return { query: { kind: 'findings', epoch }, options: { priority: 'background' } };
}

/** How many times the findings of one run state are asked again after the service cancelled them. */
export const FINDINGS_ASKED_AGAIN = 2;

/**
 * Whether the findings of a run state are asked again after `error`: a query the service cancelled
 * (it was shut down or given other folders, or a view's newer query replaced it) has no answer to
 * keep, and Problems would otherwise stay empty until the run changes; at most
 * {@link FINDINGS_ASKED_AGAIN} times per state. Any other error is the answer (logged once).
 */
export function askFindingsAgain(error: unknown, timesAskedAgain: number): boolean {
  return hasErrorCode(error, 'cancelled') && timesAskedAgain < FINDINGS_ASKED_AGAIN;
}

/** Every failure a query can meet, turned into the one error the service reports: a QueryError. */
import { hasErrorCode } from '../analysis';
import { CancelledError } from '../analysis/errors';
import { RunFormatError } from '../contract/runFormat';
import { QueryError } from '../contract/queries';

/** Every failure a query can meet, as a QueryError with a readable message. */
export function asQueryError(e: unknown): QueryError {
  if (e instanceof QueryError) return e;
  // The whole error with its stack, for whoever debugs the service (the answer carries its message only).
  if (process.env.CNN_SLICER_DEBUG) console.error(e);
  // A stack overflow is a RangeError too, and a bug here, never a subset too large.
  if (e instanceof RangeError && /call stack/.test(e.message)) return new QueryError('internal', `internal error: ${e.message}`);
  if (CancelledError.is(e)) return new QueryError('cancelled', 'the query was cancelled');
  if (hasErrorCode(e, 'run-format') || e instanceof RunFormatError) return new QueryError('run-format', (e as Error).message);
  if (hasErrorCode(e, 'deconvolution-unsupported')) return new QueryError('unsupported', (e as Error).message);
  // A checkpoint whose scores are NaN (training diverged) is a fact about the run, not a bug here.
  if (hasErrorCode(e, 'non-finite-prediction')) return new QueryError('unsupported', (e as Error).message);
  // More inputs than a pairwise measure's memory allows (analysis/pairwiseBudget.ts): the subset is too large.
  if (hasErrorCode(e, 'out-of-range') || hasErrorCode(e, 'too-many-pairs') || e instanceof RangeError)
    return new QueryError('out-of-range', (e as Error).message);
  if (hasErrorCode(e, 'bad-query')) return new QueryError('bad-query', (e as Error).message);
  return new QueryError('internal', `internal error: ${(e as Error)?.message ?? String(e)}`);
}

/**
 * The memory bound of the pairwise measures. Inter-sample entropy, channel capacity and the pairwise
 * information with the labels look at every pair of the N inputs, so their memory grows with N².
 * Before any of them allocates, the bytes it will need are estimated here, and a computation above
 * the budget is refused with one line that says how many inputs fit, instead of growing until the
 * system kills the process (70,000 inputs asked for tens of GB).
 *
 * The estimates are upper bounds fitted to measurements of the CLI on 2 cores (6,000 and 12,000
 * inputs, docs/estimators.md "Memory of the pairwise measures"), rounded up:
 * - inter-sample entropy: the whole distance matrix, 8 bytes per ordered pair, where it fits in
 *   {@link SHARED_DISTANCE_MATRIX_BYTES} (beyond, the rows are computed again where needed), and 32
 *   bytes per neighbour kept (an index and a weight, their transpose, the workers' rows; `k` is the user's);
 * - binned pair distances (capacity, `mi pairwise`, the recorder's label information): 20 bytes per
 *   unordered pair in flight (a float64 distance and a code on each core, and copies), plus 3 per
 *   pair for each code stream kept (a channel, a layer, the same-label flags).
 */
import { CodedError, hasErrorCode } from './errors';

/** The most memory a pairwise measure may ask for: 4 GiB (wasm32's whole address space; a quarter of a 16 GB machine). */
export const PAIRWISE_MEMORY_BUDGET_BYTES = 4 * 2 ** 30;

/** The largest distance matrix inter-sample entropy keeps whole (2 GiB); larger sets compute rows as they go. */
export const SHARED_DISTANCE_MATRIX_BYTES = 2 * 1024 ** 3;

/** A pairwise computation, as much as its memory depends on. */
export type PairwiseWork =
  /** Inter-sample entropy of `n` inputs with `k` neighbours (the estimator uses min(k, n − 1)). */
  | { kind: 'inter'; n: number; k: number }
  /** Binned distances of every pair of `n` inputs, `streams` code arrays held at once. */
  | { kind: 'codes'; n: number; streams: number };

/** The number of unordered pairs of `n` inputs, N(N − 1)/2. */
export function pairCount(n: number): number {
  return n < 2 ? 0 : (n * (n - 1)) / 2;
}

/** The estimated peak bytes of `work` (an upper bound, see the file comment). */
export function pairwiseBytes(work: PairwiseWork): number {
  const { n } = work;
  switch (work.kind) {
    case 'inter': {
      const matrix = 8 * n * n;
      return (matrix <= SHARED_DISTANCE_MATRIX_BYTES ? matrix : 0) + 32 * n * Math.max(0, Math.min(work.k, n - 1));
    }
    case 'codes':
      return pairCount(n) * (20 + 3 * Math.max(1, work.streams));
  }
}

/** The most inputs `work` may have within `budget` bytes. */
export function maxPairwiseInputs(work: PairwiseWork, budget = PAIRWISE_MEMORY_BUDGET_BYTES): number {
  let lo = 2;
  let hi = Math.max(2, work.n);
  if (pairwiseBytes({ ...work, n: hi }) <= budget) return hi;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (pairwiseBytes({ ...work, n: mid }) <= budget) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** A pairwise measure refused before it allocated: more inputs than its memory budget allows. */
export class PairwiseSizeError extends CodedError {
  constructor(
    message: string,
    readonly maxInputs: number,
  ) {
    super('too-many-pairs', message, 'PairwiseSizeError');
  }
  static is(e: unknown): e is PairwiseSizeError {
    return hasErrorCode(e, 'too-many-pairs');
  }
}

const gigabytes = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 1 : 0)} GB`;

/**
 * Throws a {@link PairwiseSizeError} when `work` would need more than `budget` bytes; `what` names
 * the measure for the message ("mi pairwise", "channel capacity", …), `remedy` says what to do
 * given the most inputs that fit (default: use a subset of at most that many).
 */
export function checkPairwiseSize(
  work: PairwiseWork,
  what: string,
  remedy = (most: string) => `use at most ${most} inputs (a subset of them)`,
  budget = PAIRWISE_MEMORY_BUDGET_BYTES,
): void {
  const bytes = pairwiseBytes(work);
  if (bytes <= budget) return;
  const most = maxPairwiseInputs(work, budget);
  throw new PairwiseSizeError(
    `${what} on ${work.n.toLocaleString('en-US')} inputs would need about ${gigabytes(bytes)} of memory ` +
      `(it looks at every pair of inputs, ${pairCount(work.n).toLocaleString('en-US')} pairs), above the limit of ${gigabytes(budget)}: ` +
      remedy(most.toLocaleString('en-US')),
    most,
  );
}

/**
 * The order in which the engine computes queries: at most `slots` at once, the waiting ones by
 * priority (queries.ts, QUERY_PRIORITIES), quick before long within one priority, then first come
 * first. A burst of
 * queries from the views (hundreds at once) would otherwise run all together and every answer
 * would arrive near the end; in order, what is on screen arrives first. Computing on both cores
 * is the compute pool's and the forward worker's business: a slot is a query in flight, not a core.
 */
import { CancelledError } from '../compute/pool';
import { QUERY_PRIORITIES, QueryPriority } from './queries';

interface Waiter {
  rank: number;
  seq: number;
  start: () => void;
}

export class QueryQueue {
  private running = 0;
  private seq = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`a query queue needs at least one slot, got ${slots}`);
  }

  /** Whether a query asking now would wait. */
  get full(): boolean {
    return this.running >= this.slots;
  }

  /** Queries waiting for a slot. */
  get pending(): number {
    return this.waiting.length;
  }

  /**
   * Waits for a slot (taken at once when one is free) and resolves with its release function;
   * rejects with a CancelledError, leaving the queue, if `signal` aborts first. Within one
   * priority, `quick` queries (a slice of a few inputs) go before the others (measures over the
   * whole probe set): shortest first gives most answers soonest, and a quick one delays a long
   * one by little.
   */
  acquire(priority: QueryPriority = 'visible', signal?: AbortSignal, quick = false): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.running--;
      this.next();
    };
    if (this.running < this.slots) {
      this.running++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        rank: 2 * QUERY_PRIORITIES.indexOf(priority) + (quick ? 0 : 1),
        seq: this.seq++,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Kept sorted: by rank, then by arrival.
      let at = this.waiting.length;
      while (
        at > 0 &&
        (this.waiting[at - 1].rank > waiter.rank || (this.waiting[at - 1].rank === waiter.rank && this.waiting[at - 1].seq > waiter.seq))
      )
        at--;
      this.waiting.splice(at, 0, waiter);
    });
  }

  private next(): void {
    while (this.running < this.slots && this.waiting.length) {
      this.running++;
      this.waiting.shift()!.start();
    }
  }
}

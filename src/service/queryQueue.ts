/**
 * The order in which the engine computes queries: at most `slots` at once, the waiting ones by
 * priority (queries/priorities.ts, QUERY_PRIORITIES), quick before long within one priority, then first come
 * first. A burst of
 * queries from the views (hundreds at once) would otherwise run all together and every answer
 * would arrive near the end; in order, what is on screen arrives first. Computing on both cores
 * is the compute pool's and the forward worker's business: a slot is a query in flight, not a core.
 *
 * `quickSlots` more slots serve quick queries only (a slice of a few inputs): without them, a few
 * long measures (capacity matrices of seconds each) holding every slot keep dozens of quick
 * slices of a lower priority waiting that would each take milliseconds — the tail of a burst.
 */
import { CancelledError } from '../analysis/errors';
import { QUERY_PRIORITIES, QueryPriority } from '../contract/queries';

interface Waiter {
  /** 2 × the priority's place in QUERY_PRIORITIES, + 1 for a long query. */
  rank: number;
  /** Who asked (a panel): its queries go behind every other asker's while it stands behind (`standBehind`). */
  asker?: string;
  seq: number;
  quick: boolean;
  start: (lane: Lane) => void;
}

type Lane = 'shared' | 'quick';

export class QueryQueue {
  private running = 0;
  private quickRunning = 0;
  private seq = 0;
  private readonly waiting: Waiter[] = [];
  /** The askers standing behind the others (a panel that is not the active one). */
  private readonly behind = new Set<string>();

  constructor(
    private readonly slots: number,
    private readonly quickSlots = 0,
  ) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`a query queue needs at least one slot, got ${slots}`);
    if (!Number.isInteger(quickSlots) || quickSlots < 0)
      throw new RangeError(`a query queue's quick slots must be a whole number ≥ 0, got ${quickSlots}`);
  }

  /** Whether a long query asking now would wait. */
  get full(): boolean {
    return this.running >= this.slots;
  }

  /** Whether a query asking now (quick or not) would wait. */
  wouldWait(quick = false): boolean {
    return this.running >= this.slots && !(quick && this.quickRunning < this.quickSlots);
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
   * one by little. A quick query also takes a free quick slot when every shared slot is taken.
   */
  acquire(priority: QueryPriority = 'visible', signal?: AbortSignal, quick = false, asker?: string): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const releaseOf = (lane: Lane) => {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (lane === 'quick') this.quickRunning--;
        else this.running--;
        this.next();
      };
    };
    const lane = this.freeLane(quick);
    if (lane) {
      this.take(lane);
      return Promise.resolve(releaseOf(lane));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        rank: 2 * QUERY_PRIORITIES.indexOf(priority) + (quick ? 0 : 1),
        asker,
        seq: this.seq++,
        quick,
        start: (taken) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(releaseOf(taken));
        },
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Kept sorted: by standing and rank, then by arrival.
      let at = this.waiting.length;
      while (at > 0 && this.before(waiter, this.waiting[at - 1])) at--;
      this.waiting.splice(at, 0, waiter);
    });
  }

  /**
   * Puts what `asker` waits for, and asks from now on, behind every other asker's queries (`behind`
   * true: its panel is not the active one), whatever their priorities; or back among them. Queries
   * already computing go on.
   */
  standBehind(asker: string, behind: boolean): void {
    if (behind === this.behind.has(asker)) return;
    if (behind) this.behind.add(asker);
    else this.behind.delete(asker);
    this.waiting.sort((a, b) => this.key(a) - this.key(b) || a.seq - b.seq);
  }

  /** A waiter's place: its rank, after every rank of the askers in front when its asker stands behind. */
  private key(w: Waiter): number {
    return (w.asker !== undefined && this.behind.has(w.asker) ? 2 * QUERY_PRIORITIES.length : 0) + w.rank;
  }

  private before(a: Waiter, b: Waiter): boolean {
    return this.key(a) < this.key(b) || (this.key(a) === this.key(b) && a.seq < b.seq);
  }

  /** The lane a query would start in now: a shared slot first, else (quick only) a quick slot. */
  private freeLane(quick: boolean): Lane | undefined {
    if (this.running < this.slots) return 'shared';
    return quick && this.quickRunning < this.quickSlots ? 'quick' : undefined;
  }

  private take(lane: Lane): void {
    if (lane === 'quick') this.quickRunning++;
    else this.running++;
  }

  /** Starts the waiting queries that fit, in order; a quick one may pass long ones only into a quick slot. */
  private next(): void {
    for (let at = 0; at < this.waiting.length;) {
      const lane = this.freeLane(this.waiting[at].quick);
      if (!lane) {
        // Only a quick slot is left (or none): only a quick waiter further on can start.
        if (this.quickRunning >= this.quickSlots) return;
        at++;
        continue;
      }
      this.take(lane);
      this.waiting.splice(at, 1)[0].start(lane);
    }
  }
}

/**
 * Computing a report's answers under its time budget: the all-input answers in the budget's
 * order, then each class alone while the page has room for it (report.ts plans both).
 */
import { answeredFromRecord, canonicalQuery, needsForwardPass, QueryError } from '../contract/queries';
import type { NetworkGraphAnswer, Query, QueryKind } from '../contract/queries';
import type { AnalysisEngine } from '../service/engine';
import type { ReportData } from '../../src/contract/reportCodec';
import type { ReportAnswer, ReportEntry } from '../contract/reportCodec';
import { networkQueries } from '../contract/plan';
import { leftOutNote } from '../contract/reportNotes';
import { describeQuery, encodeGroups, entryBytes, holdAnswer } from './reportAnswers';
import type { ReportResult } from './reportPage';

/**
 * One step of a report's computing: `query`, held under its own key, or under `as` (a stand-in:
 * the estimate tier of `as`, src/contract/plan.ts `reportStandIn`). An `upgrade` step is the exact
 * query of a stand-in computed earlier: it replaces the stand-in when done, and where the time
 * budget stops it the stand-in stays (it is not left out).
 */
export interface ReportStep {
  view: string;
  query: Query;
  as?: Query;
  upgrade?: boolean;
}

/**
 * The plan with the estimate tier: each step that has a stand-in computes the stand-in in its place
 * (held under the step's key), and the exact steps follow at the end, in the same order, as upgrades.
 */
export function withStandIns(ordered: readonly { view: string; query: Query }[], standIn: (q: Query) => Query | undefined): ReportStep[] {
  const upgrades: ReportStep[] = [];
  const steps = ordered.map(({ view, query }): ReportStep => {
    const cheap = standIn(query);
    if (!cheap) return { view, query };
    upgrades.push({ view, query, upgrade: true });
    return { view, query: cheap, as: query };
  });
  return [...steps, ...upgrades];
}

/** Time spent per query kind ("<kind> (class alone)" for the classes): answers and milliseconds. */
export type Timings = Record<string, { count: number; ms: number }>;

/** What computing a report needs of its options. */
export interface ComputeOptions {
  runFolder: string;
  onProgress?: (done: number, total: number, what: string) => void;
}

/**
 * Each class alone (`classSteps`, one list of steps per class), in order: computed, then added
 * whole while it fits in `room` bytes. Once one does not fit, the later ones are left out
 * uncomputed (a deep model's all-input answers fill the page: its classes took minutes to compute,
 * then were all left out); a class whose computing runs past the time budget is left out.
 */
export async function classAnswers(
  engine: AnalysisEngine,
  o: ComputeOptions,
  classSteps: { view: string; query: Query }[][],
  room: number,
  budget: Omit<Parameters<typeof computeAnswers>[3], 'groupOf'>,
): Promise<{
  entries: Record<string, ReportEntry>;
  held: number[];
  classes: Omit<NonNullable<ReportResult['classes']>, 'total'>;
  errors: number;
}> {
  const entries: Record<string, ReportEntry> = {};
  const held: number[] = [];
  const classes = { answers: 0, outOfTime: 0, overSize: 0 };
  let errors = 0;
  for (const [g, steps] of classSteps.entries()) {
    if (room <= 0 || classes.overSize > 0) {
      classes.overSize++;
      continue;
    }
    const group = await computeAnswers(engine, o, steps, {
      ...budget,
      groupOf: new Map(steps.map(({ query }) => [canonicalQuery(query), 0])),
    });
    errors += group.errors;
    if (group.incomplete.size > 0) {
      classes.outOfTime++;
      continue;
    }
    const fitted = encodeGroups([group.answers], room);
    if (fitted.fitted === 0) {
      classes.overSize++;
      continue;
    }
    Object.assign(entries, fitted.entries);
    room -= Object.entries(fitted.entries).reduce((n, [key, entry]) => n + entryBytes(key, entry), 0);
    classes.answers += Object.keys(fitted.entries).length;
    held.push(g);
  }
  return { entries, held, classes: { ...classes, held: held.length }, errors };
}

/** The kinds whose query reads every layer over the probe set (or its backward pass): a report empties the engine's caches of layers around them. */
const WHOLE_PASS_KINDS: ReadonlySet<QueryKind> = new Set(['findings', 'networkGraph', 'channelImportanceEstimate', 'confusion']);

/**
 * Answers computed beside others, where one leaves a core idle that the other fills: the report
 * starts the `beside` kind's all-input query when it reaches the first query of the `with` kind,
 * and takes its answer at its own place in the order. Where the native engine serves the run (a
 * PyTorch run's checkpoint: `checkpoint.format` 'onnx'), the Taylor pass runs beside the
 * deconvolutions: each of the 66 deconvolutions of the CIFAR ResNet-18 report (probe 200, 2 cores)
 * is a short native run between the report thread's own work (its inputs, its answer), and the
 * Taylor pass's chunks fill those gaps. Both on ONNX Runtime: 8.6–9.0 s side by side against 10.3 s
 * one after the other (docs/native-engine.md). It began when the deconvolutions ran TensorFlow.js on
 * the report's thread (1.25 cores busy on 2): 12.1 → 14.0 s with the Taylor pass's 5.3 s inside.
 */
export const SIDE_BY_SIDE: readonly { beside: QueryKind; with: QueryKind }[] = [
  { beside: 'channelImportanceEstimate', with: 'deconvolution' },
];

/** Queries started ahead of their place ({@link SIDE_BY_SIDE}), by key, with when each started. */
interface Ahead {
  answer: Promise<{ answer: unknown }>;
  started: number;
  /** When it settled, once it has. */
  ended?: number;
}

class SideLane {
  private readonly running = new Map<string, Ahead>();
  private readonly opened = new Set<QueryKind>();
  /** Whether the native engine runs the run's passes (a PyTorch run's ONNX checkpoint). */
  private readonly native: boolean;

  constructor(
    private readonly engine: AnalysisEngine,
    private readonly runFolder: string,
    private readonly o: SideOptions,
  ) {
    this.native = o.manifest.checkpoint?.format === 'onnx';
  }

  /**
   * Starts the all-input queries of `ordered` after `i` that run beside step `i`'s kind, once per
   * pair. What the engine keeps of the run's layers is let go first: the side query reads every
   * layer (WHOLE_PASS_KINDS), and the step's answers keep their own.
   */
  startBeside(ordered: readonly ReportStep[], i: number): void {
    const { engine, runFolder, o } = this;
    if (!this.native) return;
    for (const pair of SIDE_BY_SIDE) {
      if (ordered[i].query.kind !== pair.with || this.opened.has(pair.beside)) continue;
      this.opened.add(pair.beside);
      const step = ordered.slice(i + 1).find((s) => s.query.kind === pair.beside && !s.as && !s.upgrade);
      if (!step) continue;
      const key = canonicalQuery(step.query);
      if (o.groupOf.has(key) || o.skip(key)) continue;
      if (WHOLE_PASS_KINDS.has(pair.beside)) engine.dropLayers(runFolder);
      const ahead: Ahead = {
        answer: engine.answer(runFolder, step.query, o.signal ? { signal: o.signal } : {}),
        started: performance.now(),
      };
      // Its failure is met where its step takes it; until then, not an unhandled rejection.
      const settle = () => (ahead.ended = performance.now());
      ahead.answer.then(settle, settle);
      this.running.set(key, ahead);
    }
  }

  /** The query started ahead for `key` (once), and when it started. */
  take(key: string): Ahead | undefined {
    const found = this.running.get(key);
    this.running.delete(key);
    return found;
  }

  /** Waits for the queries never taken (their steps left out past the deadline): none outlives the report's engine. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map((r) => r.answer));
    this.running.clear();
  }
}

interface SideOptions {
  manifest: ReportData['manifest'];
  groupOf: ReadonlyMap<string, number>;
  /** Whether the step of `key` is answered already or left out. */
  skip: (key: string) => boolean;
  signal?: AbortSignal;
}

/** What {@link computeAnswers} gives back. */
export interface ComputedAnswers {
  /** By key: undefined where the answer is held only encoded (`encoded`, see holdAnswer). */
  answers: Record<string, ReportAnswer | undefined>;
  errors: number;
  outOfTime: Map<string, string>;
  /** The keys of `outOfTime` whose computing had started and was cancelled at the deadline. */
  cancelled: Set<string>;
  /** The keys whose answer is a stand-in (an estimate): their exact query did not fit the time budget. */
  estimated: Set<string>;
  incomplete: Set<number>;
  /**
   * Each all-input answer as the page embeds it (encodeAnswers' first step), encoded as soon as it
   * was computed: within the time budget, rather than all at once after it (measured: 5.7 s for a
   * quarter-width ResNet-18's 14 MB page, on a loaded machine).
   */
  encoded: Map<string, { entry: ReportEntry; rawBytes: number }>;
}

/**
 * Answers the steps in order. Once computing has run past `deadline`, a step that needs a
 * forward pass not cached yet is left out: an all-input answer with a note, a step of an optional
 * group (`groupOf`: a class alone) by marking its group incomplete and skipping the rest of it —
 * any step of a group that is not read from the recorded summaries, since the group's forward-pass
 * steps come after it and would leave the group out anyway. A step of {@link SIDE_BY_SIDE} may
 * start beside an earlier one; its answer is taken at its own place.
 */
export async function computeAnswers(
  engine: AnalysisEngine,
  o: ComputeOptions,
  ordered: ReportStep[],
  budget: {
    deadline: number;
    maxSeconds: number;
    groupOf: Map<string, number>;
    manifest: ReportData['manifest'];
    /** Steps done of how many, over every call: `done` is advanced here. */
    progress: { done: number; total: number };
    /** Time per query kind, over every call: added to here. */
    timings: Timings;
    /**
     * Aborts at `deadline` ({@link deadlineSignal}): what is computing then is cancelled, and its
     * answer left out like one never started (a cancelled answer is never cached nor shown in part).
     */
    signal?: AbortSignal;
  },
): Promise<ComputedAnswers> {
  const encoded = new Map<string, { entry: ReportEntry; rawBytes: number }>();
  const answers: Record<string, ReportAnswer | undefined> = {};
  const outOfTime = new Map<string, string>();
  const cancelled = new Set<string>();
  const estimated = new Set<string>();
  const incomplete = new Set<number>();
  const timings = budget.timings;
  const held = new HeldAnswers(answers, encoded, estimated);
  let errors = 0;
  const beside = new SideLane(engine, o.runFolder, { ...budget, skip: (key) => key in answers || outOfTime.has(key) });
  try {
    for (let i = 0; i < ordered.length; i++) {
      const { query, as, upgrade } = ordered[i];
      if (!pastDeadline(budget)) beside.startBeside(ordered, i);
      o.onProgress?.(budget.progress.done++, budget.progress.total, query.kind);
      const key = canonicalQuery(as ?? query);
      const group = budget.groupOf.get(key);
      if (upgrade) {
        // Only over its stand-in: where the stand-in was refused or left out, so is this.
        if (!estimated.has(key)) continue;
      } else if (key in answers || outOfTime.has(key) || (group !== undefined && incomplete.has(group))) continue;
      // Past the deadline nothing that runs the model is started (cached answers cost nothing), nor
      // any step of a class alone that computes: what the class computed before would be thrown away.
      const computes = !answeredFromRecord(query, budget.manifest);
      const late = pastDeadline(budget);
      const leaveOut = (why: string) => {
        if (group !== undefined) incomplete.add(group);
        else outOfTime.set(key, leftOutNote(describeQuery(key), 'time', `because ${why} its time budget of ${budget.maxSeconds} s`));
      };
      // A query started beside an earlier one is taken whatever the time: the deadline cancels it if it still runs then.
      const ahead = group === undefined && !as && !upgrade ? beside.take(key) : undefined;
      if (!ahead && late && (needsForwardPass(query.kind) || (group !== undefined && computes)) && !engine.isCached(o.runFolder, query)) {
        // An upgrade past the deadline leaves its stand-in, the estimate, in place.
        if (!upgrade) leaveOut('computing ran past');
        continue;
      }
      // A query that reads every layer over the probe set needs memory of its own, and leaves layers in
      // the engine's caches that the report's next answers do not read: what the caches hold is let go
      // before it and after it, rather than added up with it (the CIFAR ResNet-18 report's peak: 2.2 → 1.54 GB).
      if (WHOLE_PASS_KINDS.has(query.kind) && !ahead) engine.dropLayers(o.runFolder);
      const t = ahead?.started ?? performance.now();
      try {
        // What computes is cancelled at the deadline. Started after it, what computes from the
        // recorded summaries alone (the information plane, input diversity: under a second in all)
        // is answered, as what only reads them is.
        const control = computes && !late && budget.signal ? { signal: budget.signal } : {};
        const answer = (await (ahead?.answer ?? engine.answer(o.runFolder, query, control))).answer;
        if (group === undefined) held.hold(key, query.kind, answer, ordered[i]);
        else answers[key] = { answer };
        const k = (timings[group !== undefined ? `${query.kind} (class alone)` : as ? `${query.kind} (estimate tier)` : query.kind] ??= {
          count: 0,
          ms: 0,
        });
        k.count++;
        k.ms += (ahead?.ended ?? performance.now()) - t;
        if (WHOLE_PASS_KINDS.has(query.kind)) engine.dropLayers(o.runFolder);
        // The Network view's thumbnails are the inputs its clusters respond to most: known only from
        // the graph's answer, and asked next (before any optional group).
        if (query.kind === 'networkGraph') {
          const thumbnails = networkQueries.thumbnails(answer as NetworkGraphAnswer);
          if (thumbnails) {
            ordered.splice(i + 1, 0, { view: 'query', query: thumbnails });
            budget.progress.total++;
          }
        }
      } catch (e) {
        // Cancelled at the deadline: left out whole, said so (never its partial numbers).
        if (e instanceof QueryError && e.code === 'cancelled' && budget.signal?.aborted) {
          if (upgrade) continue; // its stand-in stays
          leaveOut('computing it was stopped when the report reached');
          if (group === undefined) cancelled.add(key);
          continue;
        }
        // A refusal (a dense layer cannot be deconvolved, a class too small) is part of the
        // report: the view shows the service's message in place. Anything else is a failure.
        if (!(e instanceof QueryError) || e.code === 'internal' || e.code === 'cancelled') throw e;
        held.refuse(key, { code: e.code, message: e.message });
        errors++;
      }
    }
  } finally {
    await beside.settled();
  }
  await held.encodingDone();
  return { answers, errors, outOfTime, cancelled, estimated, incomplete, encoded };
}

/**
 * The all-input answers as they are computed: each held whole or only encoded (holdAnswer), its
 * gzip running off this thread while the next answers compute. A key stored again (a stand-in's
 * exact query, src/contract/plan.ts `reportStandIn`) replaces what it held, and an encoding that
 * finishes after its replacement's is dropped.
 */
class HeldAnswers {
  /** How many times each key was stored: only the latest store's encoding is kept. */
  private readonly stored = new Map<string, number>();
  private readonly encoding: Promise<void>[] = [];
  private failed: { error: unknown } | undefined;

  constructor(
    private readonly answers: Record<string, ReportAnswer | undefined>,
    private readonly encoded: Map<string, { entry: ReportEntry; rawBytes: number }>,
    /** The keys holding a stand-in (an estimate). */
    private readonly estimated: Set<string>,
  ) {}

  hold(key: string, kind: string, answer: unknown, step: ReportStep): void {
    const held = holdAnswer(kind, answer);
    this.answers[key] = held.whole;
    const version = this.bump(key);
    if (step.as) this.estimated.add(key);
    else this.estimated.delete(key);
    this.encoding.push(
      held.encoded.then(
        (done) => void (this.stored.get(key) === version && this.encoded.set(key, done)),
        (error: unknown) => void (this.failed ??= { error }),
      ),
    );
  }

  /** A refusal, which the view shows in place (an exact query's, over its estimate's answer). */
  refuse(key: string, error: { code: QueryError['code']; message: string }): void {
    this.bump(key);
    this.estimated.delete(key);
    this.encoded.delete(key);
    this.answers[key] = { error };
  }

  async encodingDone(): Promise<void> {
    await Promise.all(this.encoding);
    if (this.failed) throw this.failed.error;
  }

  private bump(key: string): number {
    const version = (this.stored.get(key) ?? 0) + 1;
    this.stored.set(key, version);
    return version;
  }
}

/** Whether the report's time is spent: its deadline has passed, or its signal aborted. */
function pastDeadline(budget: { deadline: number; signal?: AbortSignal }): boolean {
  return budget.signal?.aborted === true || performance.now() > budget.deadline;
}

/**
 * A signal that aborts at `deadline` (a `performance.now()` time), so that the report's time budget
 * is a bound: the answer computing then is cancelled, not only the answers after it left unstarted.
 * `clear` stops the timer. An infinite deadline never aborts.
 *
 * A timer alone aborts late: it fires only when the event loop reaches its timers, and a forward
 * pass on this thread awaits promises already settled (microtasks) layer after layer, for seconds
 * (measured: a label-information answer of the quarter-width ResNet-18 ran 5.4 s past the deadline,
 * a timer of 500 ms not firing once). So reading `aborted`, which every cancellation point does
 * (the forward pass before each layer, an ablation before each group, the handlers' loops), looks
 * at the clock too and aborts then, its `abort` listeners (the compute pool's) called at once.
 */
export function deadlineSignal(deadline: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const signal = controller.signal;
  // The signal's own state, read through AbortSignal's getter.
  const aborted = (): boolean => Reflect.get(AbortSignal.prototype, 'aborted', signal);
  Object.defineProperty(signal, 'aborted', {
    get: () => {
      if (!aborted() && performance.now() >= deadline) controller.abort();
      return aborted();
    },
  });
  const ms = deadline - performance.now();
  if (ms <= 0) controller.abort();
  // Beyond setTimeout's range (about 24.8 days) the timer would fire at once: no timer, no abort.
  if (ms <= 0 || ms > 2 ** 31 - 1) return { signal: controller.signal, clear: () => undefined };
  const timer = setTimeout(() => controller.abort(), ms);
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

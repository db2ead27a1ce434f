/**
 * The measuring lock of a run folder (`measuring.lock`, docs/run-format.md "The measuring lock"): the
 * one `cnn-slicer measure` process measuring a PyTorch run's epochs says who it is, so that a second
 * one (the extension's, the CLI's, another `--follow`) leaves or waits instead of measuring the same
 * epochs again. Written by src/run/measureLock.ts, read there and by the extension host
 * (src/extension/runs/pendingMeasures.ts) through it; both parse it with this schema.
 */
import * as v from 'valibot';

export const MeasureLockSchema = v.object({
  /** The measuring process. */
  pid: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** When that process started, as src/run/process.ts reads it (Linux: /proc/<pid>/stat field 22); absent elsewhere. */
  pidStartTime: v.optional(v.pipe(v.string(), v.regex(/^\d+$/))),
  /** The machine it runs on (`os.hostname()`): a process of another host cannot be checked, so its lock holds. */
  host: v.string(),
  /** When it took the lock (ISO time). */
  startedAt: v.pipe(v.string(), v.isoTimestamp()),
  /** Whether it follows a recording (`measure --follow`). */
  follow: v.boolean(),
});
export type MeasureLock = v.InferOutput<typeof MeasureLockSchema>;

/** A lock file's text parsed and checked, or undefined when it is not a lock (damaged, cut off, or of another shape). */
export function parseMeasureLock(text: string): MeasureLock | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = v.safeParse(MeasureLockSchema, value);
  return r.success ? r.output : undefined;
}

/** How that line ends: the extension tells a measure that left the run to another process by it. */
export const MEASURED_ELSEWHERE_END = '; not measuring it twice';

/** The one line a second measurer says when it leaves a run another process is measuring. */
export function measuredElsewhereLine(run: string, lock: MeasureLock, ownHost: string): string {
  const where = lock.host === ownHost ? '' : ` on ${lock.host}`;
  return `run ${run} is being measured by process ${lock.pid}${where} since ${lock.startedAt}${MEASURED_ELSEWHERE_END}`;
}

/** Option parsing shared by the CLI commands. */
import { UsageError } from './usage';

/** An integer option with a lower bound, or its default. */
export function intOption(values: Record<string, string | boolean | undefined>, name: string, fallback: number, min: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (typeof raw !== 'string' || !/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(v) || v < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return v;
}

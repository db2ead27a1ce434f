/** Option parsing shared by the CLI commands. */
import { existsSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './usage';

/** An integer option with a lower bound (and an upper one when given), or its default. */
export function intOption(
  values: Record<string, string | boolean | undefined>,
  name: string,
  fallback: number,
  min: number,
  max?: number,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (typeof raw !== 'string' || !/^\s*-?\d+\s*$/.test(raw) || !Number.isSafeInteger(v) || v < min || (max !== undefined && v > max)) {
    const range = max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be an integer ${range}, got "${raw}"`);
  }
  return v;
}

/**
 * A file to write named with --out: it may not be a folder (writing it would fail only at the
 * end, after all the work, and leave `<folder>.partial` behind), and its folder must exist.
 */
export function checkOutputFile(path: string): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UsageError(`--out ${path} is a folder: name the file to write, e.g. ${join(path, basename(path) + '.html')}`);
  if (!existsSync(dirname(path))) throw new UsageError(`the folder of --out (${dirname(path)}) does not exist`);
}

/**
 * `--pairs 1:3,1:5`: layer index pairs `I:J` (I on the columns, J on the rows, as in the Layer view).
 * Checks only the spelling; whether the layers exist and have channels needs the run (report.ts).
 */
export function layerPairsOption(raw: string | boolean | undefined): [number, number][] {
  if (raw === undefined) return [];
  if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError('--pairs needs a list of layer index pairs such as 1:3,1:5');
  return raw.split(',').map((item) => {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(item);
    if (!m) throw new UsageError(`--pairs: "${item}" is not a layer pair I:J of two layer indices, as in 1:3`);
    const pair: [number, number] = [Number(m[1]), Number(m[2])];
    if (pair[0] === pair[1]) throw new UsageError(`--pairs: "${item}" pairs layer ${pair[0]} with itself; name two different layers`);
    return pair;
  });
}

type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * `args` parsed as `cnn-slicer <command>` takes them (positionals allowed, unknown options refused);
 * a problem is a UsageError whose one line points at the command's help.
 */
export function parseCommandLine<O extends CommandOptions>(
  command: string,
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>> {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (e) {
    throw new UsageError(((e as Error).message.split('\n')[0] ?? 'bad arguments') + ` (see cnn-slicer ${command} --help)`);
  }
}

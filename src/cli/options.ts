/** Option parsing shared by the CLI commands. */
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './usage';

/** The command line without `--verbose` (allowed anywhere: it shows an internal error's stack), the command's name first. */
export function withoutVerbose(args: readonly string[]): string[] {
  return args.filter((a) => a !== '--verbose');
}

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
  // Written once, before the work, where the page will be written (its `.partial` name): a folder
  // that cannot take it (read-only, no permission, a file in the path) is said now, not after
  // minutes of computing.
  const probe = `${path}.partial`;
  const existed = existsSync(probe);
  try {
    writeFileSync(probe, '', { flag: 'a' });
    if (!existed) rmSync(probe, { force: true });
  } catch (e) {
    throw new UsageError(`cannot write --out ${path}: ${writeFailure(e)}; choose a folder you can write to`);
  }
}

/** Why a file could not be written, in words (the system's code in brackets). */
export function writeFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    ENOTDIR: 'a part of the path is a file, not a folder',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'over the disk quota',
    EISDIR: 'it is a folder',
    ENOENT: 'the folder does not exist',
  };
  return code && words[code] ? `${words[code]} (${code})` : (e as Error).message.split('\n')[0];
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
/**
 * A `parseArgs` failure in the CLI's own words, one line ending with where help is (`help`, e.g.
 * "cnn-slicer findings --help"): Node's messages name the option in its own syntax over several
 * lines, and call a negative number "ambiguous".
 */
export function commandLineError(e: unknown, help: string): UsageError {
  const message = (e as Error)?.message ?? String(e);
  const option = /Option '(--?[\w-]+)/.exec(message)?.[1];
  const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
  let line = message.split('\n')[0] || 'bad arguments';
  if (unknown !== undefined) line = `unknown option ${unknown}`;
  else if (option !== undefined && message.includes('argument is ambiguous'))
    line = `${option} needs a value; write a value that starts with "-" as ${option}=VALUE`;
  else if (option !== undefined && message.includes('argument missing')) line = `${option} needs a value`;
  else if (option !== undefined && message.includes('does not take an argument')) line = `${option} takes no value`;
  return new UsageError(`${line} (see ${help})`);
}

export function parseCommandLine<O extends CommandOptions>(
  command: string,
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>> {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (e) {
    throw commandLineError(e, `cnn-slicer ${command} --help`);
  }
}

/**
 * The `cnn-slicer` command line (dist/cli.js): the analysis core on plain .npy arrays, and the
 * demo. Bad input prints one line on stderr and exits with 2; a bug prints one line and exits
 * with 1 (its stack only with --verbose).
 */
import { parseArgs } from 'node:util';
import {
  argmaxRows,
  channelEntropies,
  checkPairwiseSize,
  confusionMatrix,
  labelEntropies,
  layerActivations,
  PairwiseSizeError,
  sampleChannelEntropies,
  SortKey,
  sortMatrix,
} from '../analysis';
import { ComputePool } from '../compute/pool';
import { runDemo } from './demo';
import { runFindings } from './findings';
import { runMi } from './mi';
import { readActivations, readLabels, readNpyFile } from './npyFiles';
import { commandLineError, intOption } from './options';
import { runQuery, runRuns } from './query';
import { runRecord } from './record';
import { runReport } from './report';
import { HELP, UsageError } from './usage';
import { ModelError } from '../recorder/modelLoader';
import { DatasetError } from '../data/dataset';
import { INTER_SAMPLE_UNDEFINED_TEXT, MAX_BINS, MAX_CLASSES, NonFinitePredictionError, npyToFloat64 } from '../analysis';
import { QueryError } from '../contract/queries';
import { RunWriteError } from '../run/files';

type Options = Record<string, { type: 'string' | 'boolean' }>;

function parse(
  argv: string[],
  options: Options,
  positionals: number,
  help: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw commandLineError(e, '--help');
  }
  if (parsed.values.help) {
    process.stdout.write(help + '\n');
    return undefined;
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(
      `expected ${positionals} file argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.length} (see --help)`,
    );
  }
  return parsed;
}

const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

function noteNonFinite(count: number): void {
  if (count > 0) process.stderr.write(`note: ${count} non-finite value${count === 1 ? '' : 's'} ignored\n`);
}

async function entropy(argv: string[]): Promise<void> {
  const [kind, ...rest] = argv;
  switch (kind) {
    case 'intra': {
      const p = parse(rest, { bins: { type: 'string' } }, 1, HELP.intra);
      if (!p) return;
      const bins = intOption(p.values, 'bins', 32, 2, MAX_BINS);
      const x = readActivations(p.positionals[0]);
      // The whole sample is one histogram: view it as one channel of units·channels values.
      const whole = layerActivations([x.count, x.units * x.channels], x.data);
      const table = sampleChannelEntropies(whole, bins);
      noteNonFinite(table.nonFiniteCount);
      print(Array.from(table.entropyBits, orNull));
      return;
    }
    case 'channels': {
      const p = parse(rest, { bins: { type: 'string' }, labels: { type: 'string' }, classes: { type: 'string' } }, 1, HELP.channels);
      if (!p) return;
      const bins = intOption(p.values, 'bins', 32, 2, MAX_BINS);
      const x = readActivations(p.positionals[0]);
      const labels = typeof p.values.labels === 'string' ? readLabels(p.values.labels, x.count) : undefined;
      const classes = p.values.classes === undefined ? undefined : intOption(p.values, 'classes', 0, 1, MAX_CLASSES);
      if (labels && classes !== undefined) {
        const bad = labels.findIndex((y) => y >= classes);
        if (bad >= 0) throw new UsageError(`label ${bad} is ${labels[bad]}, outside 0..${classes - 1} (--classes ${classes})`);
      }
      const s = channelEntropies(x, { bins, labels, classes });
      noteNonFinite(s.nonFiniteCount);
      print({
        channels: s.channels,
        entropyBits: s.all.map(orNull),
        ...(s.perClass ? { perClass: s.perClass.map((row) => row.map(orNull)), classCounts: s.classCounts } : {}),
        nonFiniteCount: s.nonFiniteCount,
      });
      return;
    }
    case 'inter': {
      const p = parse(rest, { k: { type: 'string' } }, 1, HELP.inter);
      if (!p) return;
      const k = intOption(p.values, 'k', 1000, 2);
      const x = readActivations(p.positionals[0]);
      checkPairwiseSize({ kind: 'inter', n: x.count, k }, 'entropy inter');
      const pool = new ComputePool();
      try {
        const r = await pool.interSampleEntropy(x.data, x.count, x.units * x.channels, { k });
        noteNonFinite(r.nonFiniteCount);
        if (r.entropyBits === undefined && r.undefinedReason)
          process.stderr.write(`note: undefined: ${INTER_SAMPLE_UNDEFINED_TEXT[r.undefinedReason]}\n`);
        print(orNull(r.entropyBits));
      } finally {
        pool.close();
      }
      return;
    }
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write([HELP.intra, HELP.channels, HELP.inter].join('\n\n') + '\n');
      if (kind === undefined) throw new UsageError('entropy needs a kind: intra, channels or inter');
      return;
    default:
      throw new UsageError(`unknown entropy kind "${kind}"; use intra, channels or inter`);
  }
}

async function capacity(argv: string[]): Promise<void> {
  const p = parse(argv, { bins: { type: 'string' }, sort: { type: 'string' } }, 2, HELP.capacity);
  if (!p) return;
  const bins = intOption(p.values, 'bins', 32, 2, MAX_BINS);
  const sort = (p.values.sort ?? 'none') as string;
  if (!['none', 'max', 'mean'].includes(sort)) throw new UsageError(`--sort must be none, max or mean, got "${sort}"`);
  const a = readActivations(p.positionals[0]);
  const b = readActivations(p.positionals[1]);
  if (a.count !== b.count) {
    throw new UsageError(
      `${p.positionals[0]} has ${a.count} samples but ${p.positionals[1]} has ${b.count}; capacity needs the same inputs in both`,
    );
  }
  checkPairwiseSize({ kind: 'codes', n: a.count, streams: a.channels + b.channels }, 'capacity');
  const pool = new ComputePool();
  try {
    const m = await pool.capacityMatrix(a, b, { bins });
    const order = sortMatrix(m.values, m.rows, m.columns, sort as SortKey);
    print(order.rowOrder.map((r) => order.columnOrder.map((c) => orNull(m.values[r * m.columns + c]))));
  } finally {
    pool.close();
  }
}

function labels(argv: string[]): void {
  const p = parse(argv, { classes: { type: 'string' } }, 2, HELP.labels);
  if (!p) return;
  const classes = p.values.classes === undefined ? undefined : intOption(p.values, 'classes', 0, 1, MAX_CLASSES);
  const truth = readLabels(p.positionals[0]);
  const predArray = readNpyFile(p.positionals[1]);
  let predicted: Int32Array;
  if (predArray.shape.length === 2 && predArray.shape[1] > 1) {
    if (predArray.shape[0] !== truth.length)
      throw new UsageError(`${p.positionals[1]} has ${predArray.shape[0]} rows but there are ${truth.length} true labels`);
    try {
      predicted = argmaxRows(npyToFloat64(predArray), predArray.shape[0], predArray.shape[1]);
    } catch (e) {
      if (NonFinitePredictionError.is(e)) throw new UsageError(`${p.positionals[1]}: ${e.message}`);
      throw e;
    }
  } else {
    predicted = readLabels(p.positionals[1], truth.length);
  }
  try {
    const r = labelEntropies(confusionMatrix(truth, predicted, classes));
    print({ confusion: r.confusion, hLabelGivenPred: r.hLabelGivenPred.map(orNull), hPredGivenLabel: r.hPredGivenLabel.map(orNull) });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}

/** Runs one CLI invocation; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  // --verbose, anywhere, shows the stack of an internal error; the commands never see it.
  const verbose = args.includes('--verbose');
  const argv = args.filter((a) => a !== '--verbose');
  const [command, ...rest] = argv;
  let exitCode = 0;
  try {
    switch (command) {
      case 'entropy':
        await entropy(rest);
        break;
      case 'capacity':
        await capacity(rest);
        break;
      case 'labels':
        labels(rest);
        break;
      case 'mi': {
        const [kind, ...args] = rest;
        const help = kind === 'binned' ? HELP.miBinned : HELP.mi;
        const options: Options = { labels: { type: 'string' }, bins: { type: 'string' }, channels: { type: 'boolean' } };
        const p = kind === undefined || kind === '--help' || kind === '-h' ? parse(rest, {}, 0, help) : parse(args, options, 1, help);
        if (p) {
          const mi = await runMi(kind, p.positionals[0], p.values);
          print(mi.output);
          noteNonFinite(mi.nonFiniteCount);
        }
        break;
      }
      case 'record':
        exitCode = await runRecord(rest, verbose);
        break;
      case 'query':
        await runQuery(rest);
        break;
      case 'runs':
        await runRuns(rest);
        break;
      case 'findings':
        await runFindings(rest);
        break;
      case 'report':
        await runReport(rest);
        break;
      case 'demo': {
        const p = parse(
          rest,
          { k: { type: 'string' }, seed: { type: 'string' }, epochs: { type: 'string' }, out: { type: 'string' } },
          0,
          HELP.demo,
        );
        if (p) {
          await runDemo({
            k: intOption(p.values, 'k', 1000, 2),
            seed: intOption(p.values, 'seed', 1, 0),
            epochs: intOption(p.values, 'epochs', 3, 1),
            out: typeof p.values.out === 'string' ? p.values.out : undefined,
          });
        }
        break;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP.main + '\n');
        break;
      default:
        throw new UsageError(`unknown command "${command}" (see cnn-slicer --help)`);
    }
    return exitCode;
  } catch (e) {
    // RangeErrors from the analysis core name a bad parameter or shape: the user's input.
    if (
      UsageError.is(e) ||
      e instanceof RangeError ||
      PairwiseSizeError.is(e) ||
      ModelError.is(e) ||
      DatasetError.is(e) ||
      (e instanceof QueryError && e.code !== 'internal')
    ) {
      process.stderr.write(`cnn-slicer: ${e.message}\n`);
      return 2;
    }
    // A run folder that could not be written (a full disk): its message says what to do.
    if (RunWriteError.is(e)) {
      process.stderr.write(`cnn-slicer: ${e.message}\n`);
      return 1;
    }
    // Errors from the analysis service already begin with "internal error: ".
    const message = ((e as Error)?.message ?? String(e)).split('\n')[0].replace(/^internal error: /, '');
    process.stderr.write(
      `cnn-slicer: internal error: ${message}. This is a bug in CNN Slicer: ` +
        (verbose ? 'please report it with the stack below\n' : 'run again with --verbose to see where it happened, and report it\n'),
    );
    if (verbose) process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

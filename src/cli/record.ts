/**
 * `cnn-slicer record <model-file> [options]`: records a run headless, in this process, with a
 * progress bar on stderr; Ctrl-C cancels after the current batch and leaves a complete run.
 */
import { parseArgs } from 'node:util';
import { RecordOptions, recordRun } from '../recorder/record';
import { intOption } from './options';
import { HELP, UsageError } from './usage';

function bar(fraction: number, width = 24): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function parseRecordArgs(argv: string[]): RecordOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        dataset: { type: 'string' },
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        optimizer: { type: 'string' },
        probe: { type: 'string' },
        'probe-per-class': { type: 'string' },
        'record-every': { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        backend: { type: 'string' },
        'train-limit': { type: 'string' },
        bins: { type: 'string' },
        k: { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError(((e as Error).message.split('\n')[0] ?? 'bad arguments') + ' (see record --help)');
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(HELP.record + '\n');
    return undefined;
  }
  if (parsed.positionals.length !== 1)
    throw new UsageError(`record needs one model file, got ${parsed.positionals.length} (see record --help)`);
  const lr = v.lr === undefined ? undefined : Number(v.lr);
  if (lr !== undefined && !(lr > 0 && Number.isFinite(lr))) throw new UsageError(`--lr must be a positive number, got "${v.lr}"`);
  if (v.optimizer !== undefined && !['sgd', 'adam', 'rmsprop'].includes(v.optimizer))
    throw new UsageError(`--optimizer must be sgd, adam or rmsprop, got "${v.optimizer}"`);
  if (v.backend !== undefined && !['auto', 'tfjs-node', 'wasm', 'cpu'].includes(v.backend))
    throw new UsageError(`--backend must be auto, tfjs-node, wasm or cpu, got "${v.backend}"`);
  const opt = (name: string, min: number) => (v[name as keyof typeof v] === undefined ? undefined : intOption(v, name, 0, min));
  return {
    modelFile: parsed.positionals[0],
    dataset: v.dataset,
    epochs: opt('epochs', 0),
    batchSize: opt('batch-size', 1),
    learningRate: lr,
    optimizer: v.optimizer as RecordOptions['optimizer'],
    probeSize: opt('probe', 3),
    probePerClass: opt('probe-per-class', 1),
    recordEvery: opt('record-every', 1),
    seed: opt('seed', 0),
    runsFolder: v.out,
    backend: v.backend as RecordOptions['backend'],
    trainLimit: opt('train-limit', 1),
    bins: opt('bins', 2),
    k: opt('k', 2),
  };
}

/** Records and returns the run folder; progress goes to stderr, the folder to stdout. */
export async function runRecord(argv: string[], quiet = false): Promise<string | undefined> {
  const options = parseRecordArgs(argv);
  if (!options) return undefined;
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ncancelling after the current batch… (Ctrl-C again to stop at once)\n');
    controller.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  const tty = process.stderr.isTTY;
  let lastLine = '';
  try {
    const result = await recordRun(
      { ...options, signal: controller.signal },
      {
        onProgress: (p) => {
          if (quiet) return;
          const text =
            p.phase === 'training'
              ? `${bar(p.fraction)} epoch ${p.epoch}/${p.epochs} · batch ${p.batch}/${p.batches} · loss ${p.loss?.toFixed(4) ?? '—'} · ETA ${duration(p.etaMs)}`
              : `${bar(p.fraction)} ${p.message ?? p.phase}`;
          if (tty) process.stderr.write(`\r${text.padEnd(lastLine.length)}`);
          else if (p.phase !== 'training' || p.batch === p.batches) process.stderr.write(text + '\n');
          lastLine = text;
        },
        log: (line) => {
          if (quiet) return;
          process.stderr.write((tty ? '\r\x1b[K' : '') + line + '\n');
        },
      },
    );
    if (tty && !quiet) process.stderr.write('\n');
    process.stderr.write(
      `run ${result.manifest.status}: ${result.manifest.epochs.length} epochs recorded (${result.manifest.epochs.join(', ')})\n`,
    );
    process.stdout.write(result.folder + '\n');
    return result.folder;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

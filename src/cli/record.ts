/**
 * `cnn-slicer record <model-file> [options]`: records a run headless, in the recorder child process
 * (src/recorder/client.ts, shared with the extension), with a progress bar on stderr; Ctrl-C cancels after the current batch and
 * leaves a complete run. Every option is checked before the recorder starts.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pythonModelFileProblem, type RecordOptions, type RecordProgress } from '../contract/protocols/recorder';
import { RECORD_SETTINGS, type RecordSetting, type RecordSettingName, settingProblem } from '../contract/recordSettings';
import { commandLineError, intOption } from './options';
import { parseControlSpec } from '../data/control';
import { pytorchControlLines } from '../contract/controlFormat';
import { isPythonRun } from '../contract/runFormat';
import { readControlSource, sourceModelFile } from '../recorder/control';
import { RecorderClient, type RecordingOutcome } from '../recorder/client';
import { HELP_ASKED, UsageError } from './usage';
import type { CliStreams } from './streams';

function bar(fraction: number, width = 24): string {
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The longest `--model-timeout`, seconds: a day is already far beyond any model that builds. */
export const MAX_MODEL_TIMEOUT_S = 86_400;

/** The `record` options that are no recording setting: where runs go, the model's time limit, a control run, help. */
const COMMAND_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  out: { type: 'string' },
  'model-timeout': { type: 'string' },
  control: { type: 'string' },
} as const;

/** A `string` option per recording setting, by its flag (src/contract/recordSettings.ts). */
const SETTING_OPTIONS = Object.fromEntries(Object.values(RECORD_SETTINGS).map((s) => [s.flag, { type: 'string' as const }]));

/**
 * A setting's value from its option, checked as the recorder checks it (settings.ts), so that a bad
 * value is said before the recorder starts; undefined when the option is not given.
 */
function settingOption(s: RecordSetting, values: Record<string, string | boolean | undefined>): unknown {
  const raw = values[s.flag];
  if (typeof raw !== 'string') return undefined;
  switch (s.kind) {
    case 'integer':
      return intOption(values, s.flag, 0, s.min, s.max);
    case 'positive': {
      const value = Number(raw);
      if (settingProblem(s, value) !== undefined) throw new UsageError(`--${s.flag} ${settingProblem(s, value)}, got "${raw}"`);
      return value;
    }
    case 'choice':
    case 'text':
      if (settingProblem(s, raw) !== undefined) throw new UsageError(`--${s.flag} ${settingProblem(s, raw)}, got "${raw}"`);
      return raw;
  }
}

/** The `record` command's options: one per recording setting, and the command's own (its descriptor shows them: src/cli/commands/runs.ts). */
export const RECORD_OPTIONS = { ...SETTING_OPTIONS, ...COMMAND_OPTIONS };

/** The recording `argv` asks for; undefined when it asks for the help (the command prints its descriptor's). */
export function parseRecordArgs(argv: string[]): RecordOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: RECORD_OPTIONS });
  } catch (e) {
    throw commandLineError(e, 'record --help');
  }
  const v = parsed.values;
  if (v.help) return undefined;
  const control = typeof v.control === 'string' ? v.control : undefined;
  if (parsed.positionals.length !== 1)
    throw new UsageError(
      `record needs one ${control === undefined ? 'model file' : 'run folder'}, got ${parsed.positionals.length} (see record --help)`,
    );
  // The recorder checks every setting again (settings.ts); checking here too answers before it starts.
  const settings = Object.fromEntries(
    (Object.entries(RECORD_SETTINGS) as [RecordSettingName, RecordSetting][]).map(([name, s]) => [name, settingOption(s, v)]),
  ) as Pick<RecordOptions, RecordSettingName>;
  const controlRun = control === undefined ? undefined : controlOf(parsed.positionals[0], control);
  const python = controlRun === undefined ? pythonModelFileProblem(resolve(parsed.positionals[0])) : undefined;
  if (python) throw new UsageError(python);
  return {
    ...settings,
    modelFile: controlRun?.modelFile ?? parsed.positionals[0],
    control: controlRun?.control,
    runsFolder: typeof v.out === 'string' ? v.out : undefined,
    modelFactoryTimeoutMs: v['model-timeout'] === undefined ? undefined : intOption(v, 'model-timeout', 0, 1, MAX_MODEL_TIMEOUT_S) * 1000,
    origins: { options: 'the command line' },
  };
}

/**
 * `record <run-folder> --control SPEC`: the spec checked, the run folder read (unchanged), and the
 * model file it was recorded from; the recorder takes the rest of the run's settings (src/recorder/control.ts).
 */
function controlOf(folder: string, spec: string): { modelFile: string; control: NonNullable<RecordOptions['control']> } {
  try {
    parseControlSpec(spec);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const path = resolve(folder);
  if (!existsSync(path) || !statSync(path).isDirectory())
    throw new UsageError(
      `record --control needs the run folder to control, and ${path} is not a folder: record <run-folder> --control ${spec}`,
    );
  let manifest;
  try {
    manifest = readControlSource(path);
  } catch (e) {
    throw new UsageError(`${(e as Error).message}: record <run-folder> --control ${spec} needs a recorded run`);
  }
  if (isPythonRun(manifest))
    throw new UsageError(
      `run ${manifest.id} was trained by a PyTorch script, which records its control itself (docs/pytorch.md): ` +
        pytorchControlLines(parseControlSpec(spec).spec, path, manifest.model.name).join('; '),
    );
  return { modelFile: sourceModelFile(manifest, path), control: { spec, sourceRun: path } };
}

/** What the recorder said, as the command's output: one line on stderr and the exit code. */
export interface RecordEnding {
  /** 0 done (completed or cancelled), 1 a bug or a write failure, 2 bad input, 130 stopped by Ctrl-C before a run was recorded. */
  exitCode: number;
  /** The line for stderr (without "cnn-slicer: " for failures). */
  line: string;
  /** The run folder, for stdout, when the recording finished. */
  folder?: string;
  /** The full message of an internal error (its stack), shown with --verbose. */
  detail?: string;
}

/** "epoch 0", "epochs 0–3", "epochs 0, 2, 4": which epochs are on disk. */
export function describeEpochs(epochs: number[]): string {
  if (epochs.length === 1) return `epoch ${epochs[0]}`;
  const contiguous = epochs.every((e, i) => i === 0 || e === epochs[i - 1] + 1);
  return contiguous && epochs.length > 2 ? `epochs ${epochs[0]}–${epochs[epochs.length - 1]}` : `epochs ${epochs.join(', ')}`;
}

/**
 * Where the recording was when it ended: "while training epoch 3", "while loading the model".
 * Progress is throttled, so an epoch already on disk means the recording had moved on to training
 * the next one.
 */
function describeStage(p: RecordProgress | undefined, epochs: number[]): string {
  if (!p) return 'while starting';
  if (p.phase === 'recording' && epochs.includes(p.epoch)) return `while training epoch ${p.epoch + 1}`;
  if (p.phase === 'training') return `while training epoch ${p.epoch}`;
  if (p.phase === 'recording') return `while recording epoch ${p.epoch}`;
  return `while ${p.message ?? 'loading'}`;
}

/** What is left on disk after a recording that did not finish, and what to do with it. */
function keptOnDisk(folder: string | undefined, epochs: number[]): string {
  if (!folder) return 'nothing was recorded';
  if (epochs.length === 0) return `the run folder ${folder} holds no epoch yet (it is marked as not finished; delete it)`;
  return `${describeEpochs(epochs)} ${epochs.length === 1 ? 'is' : 'are'} kept in ${folder} (open ${epochs.length === 1 ? 'it' : 'them'} with "cnn-slicer report ${folder}")`;
}

/** Error codes of the recorder that name a problem of the user's input (exit code 2). */
const USER_CODES = new Set(['model', 'dataset', 'run-format', 'bad-options', 'non-finite-prediction', 'bad-request']);

/** Turns the outcome of a recording into the command's output. */
export function describeOutcome(o: RecordingOutcome): RecordEnding {
  switch (o.kind) {
    case 'done':
      return {
        exitCode: 0,
        line: `run ${o.status}: ${o.epochs.length} epoch${o.epochs.length === 1 ? '' : 's'} recorded (${o.epochs.join(', ')})`,
        folder: o.folder,
      };
    case 'stopped':
      return {
        exitCode: 130,
        line: o.folder
          ? `stopped at once ${describeStage(o.progress, o.epochs)}; ${keptOnDisk(o.folder, o.epochs)}; the run shows as interrupted`
          : `stopped ${describeStage(o.progress, o.epochs)}; nothing was recorded`,
      };
    case 'died':
      return {
        exitCode: 1,
        line: `recording failed ${describeStage(o.progress, o.epochs)}: ${o.message}; ${keptOnDisk(o.folder, o.epochs)}`,
      };
    case 'failed': {
      if (o.code === 'cancelled') return { exitCode: 130, line: `cancelled ${describeStage(o.progress, o.epochs)}; nothing was recorded` };
      const firstLine = o.message
        .split('\n')[0]
        .replace(/^internal error: /, '')
        .replace(/^Error: /, '');
      if (o.code === 'internal') {
        return {
          exitCode: 1,
          line:
            `recording failed ${describeStage(o.progress, o.epochs)}: ${firstLine}; ${keptOnDisk(o.folder, o.epochs)}. ` +
            'This is a bug in CNN Slicer: run again with --verbose to see where it happened, and report it',
          detail: o.message,
        };
      }
      // The recorder's messages for these already say what to do; what is kept is added once a run exists.
      return {
        exitCode: USER_CODES.has(o.code) ? 2 : 1,
        line: o.folder
          ? `recording stopped ${describeStage(o.progress, o.epochs)}: ${firstLine}; ${keptOnDisk(o.folder, o.epochs)}`
          : firstLine,
      };
    }
  }
}

/** The recorder child process's script: beside dist/cli.js. */
function recorderScript(): string {
  const script = resolve(__dirname, 'recorder.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: build CNN Slicer (npm run build) or install it again`);
  return script;
}

/**
 * A runs folder named with --out must be a folder (it is made when missing): a file there would
 * only fail once the model and the dataset were loaded.
 */
function checkRunsFolder(folder: string | undefined): void {
  if (folder === undefined) return;
  const path = resolve(folder);
  if (existsSync(path) && !statSync(path).isDirectory())
    throw new UsageError(`--out ${path} is a file, not a folder: name the folder that holds the run folders (it is made when missing)`);
}

/**
 * Records in the recorder child process; progress goes to stderr, the run folder to stdout. The
 * first Ctrl-C cancels after the current batch (or, before the run folder exists, stops the
 * loading within two seconds); a second stops the recorder at once.
 */
export async function runRecord(argv: string[], io: CliStreams, verbose = false): Promise<number | typeof HELP_ASKED> {
  const options = parseRecordArgs(argv);
  if (!options) return HELP_ASKED;
  checkRunsFolder(options.runsFolder);
  const tty = io.stderr.isTTY;
  let lastLine = '';
  const clearBar = () => {
    if (tty && lastLine) io.stderr.write('\r\x1b[K');
    lastLine = '';
  };
  const child = new RecorderClient({
    script: recorderScript(),
    options,
    parentName: 'dist/cli.js',
    events: {
      onProgress: (p) => {
        const text =
          p.phase === 'training'
            ? `${bar(p.fraction)} epoch ${p.epoch}/${p.epochs} · batch ${p.batch}/${p.batches} · loss ${p.loss?.toFixed(4) ?? '—'} · ETA ${duration(p.etaMs)}`
            : `${bar(p.fraction)} ${p.message ?? p.phase}`;
        if (tty) io.stderr.write(`\r${text.padEnd(lastLine.length)}`);
        else if (p.phase !== 'training' || p.batch === p.batches) io.stderr.write(text + '\n');
        lastLine = text;
      },
      onRunFolder: () => undefined,
      onLog: (line) => {
        clearBar();
        io.stderr.write(line + '\n');
      },
      onOutput: (text) => {
        clearBar();
        io.stderr.write(text);
      },
    },
  });
  let interrupts = 0;
  let loadingTimer: NodeJS.Timeout | undefined;
  const onSigint = () => {
    interrupts++;
    clearBar();
    if (interrupts > 1) {
      child.stop();
      return;
    }
    child.cancel();
    if (child.hasRunFolder) {
      io.stderr.write('cancelling after the current batch… (Ctrl-C again to stop at once)\n');
      return;
    }
    // Before the run folder exists nothing is lost by stopping; user code that never returns
    // (a createModel that loops) does not read the cancel, so it gets two seconds.
    io.stderr.write('cancelling…\n');
    loadingTimer = setTimeout(() => {
      if (!child.hasRunFolder) child.stop();
    }, 2000);
  };
  process.on('SIGINT', onSigint);
  try {
    const outcome = await child.done;
    clearBar();
    const ending = describeOutcome(outcome);
    if (ending.folder !== undefined) {
      io.stderr.write(ending.line + '\n');
      io.stdout.write(ending.folder + '\n');
    } else {
      io.stderr.write(`cnn-slicer: ${ending.line}\n`);
      if (verbose && ending.detail) io.stderr.write(ending.detail + '\n');
    }
    return ending.exitCode;
  } finally {
    clearTimeout(loadingTimer);
    process.off('SIGINT', onSigint);
  }
}

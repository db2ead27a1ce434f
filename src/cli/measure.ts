/**
 * `cnn-slicer measure`: computes the measures of a PyTorch run's epochs (src/recorder/measureRun.ts)
 * — every per-layer measure and the label entropies, from each epoch's ONNX checkpoint, with the
 * engine that measures TensorFlow.js recordings. The Python recorder starts `measure --follow`
 * beside the training when `node` is on the PATH (python/cnn_slicer/measurer.py); `query`,
 * `findings` and `report` measure what is still pending before they open a run
 * ({@link measureBeforeOpening}).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ComputePool } from '../compute/pool';
import { BACKENDS, isBackend } from '../contract/recordSettings';
import { measurePendingEpochs } from '../recorder/measureRun';
import { readRun } from '../run/store';
import { initBackend } from '../tfjs/backend';
import { parseCommandLine } from './options';
import { HELP_ASKED, UsageError } from './usage';
import type { CliStreams } from './streams';

/** The `measure` command's options (its descriptor shows them: src/cli/commands/runs.ts). */
export const MEASURE_OPTIONS = {
  follow: { type: 'boolean' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** How often `--follow` looks for a newly landed epoch (ms). */
const FOLLOW_POLL_MS = 500;

export async function runMeasure(argv: string[], io: CliStreams): Promise<void | typeof HELP_ASKED> {
  const parsed = parseCommandLine('measure', argv, MEASURE_OPTIONS);
  if (parsed.values.help) return HELP_ASKED;
  if (parsed.positionals.length !== 1) throw new UsageError(`expected one run folder, got ${parsed.positionals.length} argument(s)`);
  const folder = runFolderArgument(parsed.positionals[0]);
  const backend = parsed.values.backend ?? 'auto';
  if (!isBackend(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${backend}"`);
  const { tf } = await initBackend(backend);
  const pool = new ComputePool();
  pool.start();
  const log = (line: string) => io.stderr.write(`${line}\n`);
  try {
    for (;;) {
      const result = await measurePendingEpochs(folder, { engine: { tf, pool }, log });
      if (!parsed.values.follow) return;
      // Until the recorder has stopped and every epoch it wrote is measured.
      const run = readRun(folder);
      if (run.manifest.status !== 'recording' && !run.pending?.length && result.pending.length === 0) return;
      await new Promise((done) => setTimeout(done, FOLLOW_POLL_MS));
    }
  } finally {
    pool.close();
  }
}

/** A run folder named on the command line, checked: it exists and is a folder. */
export function runFolderArgument(path: string): string {
  const folder = resolve(path);
  if (!existsSync(folder)) throw new UsageError(`${folder} does not exist`);
  if (!statSync(folder).isDirectory())
    throw new UsageError(`${folder} is a file, not a run folder: name a folder that "cnn-slicer runs" lists`);
  return folder;
}

/**
 * Measures a PyTorch run's pending epochs before a command opens it, saying so on stderr; nothing for
 * other runs, or for one whose recorder is still running (its own measurer does it).
 */
export async function measureBeforeOpening(folder: string, io: CliStreams): Promise<void> {
  let run;
  try {
    run = readRun(folder);
  } catch {
    return; // the command reports the run's problem itself
  }
  if (!run.pending?.length || run.manifest.status === 'recording') return;
  io.stderr.write(`measuring ${run.pending.length} epoch(s) recorded by PyTorch (once per run)\n`);
  await measurePendingEpochs(folder, { log: (line) => io.stderr.write(`  ${line}\n`) });
}

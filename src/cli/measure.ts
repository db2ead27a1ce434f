/**
 * `cnn-slicer measure`: computes the measures of a PyTorch run's epochs (src/measure/measureRun.ts)
 * — every per-layer measure and the label entropies, from each epoch's ONNX checkpoint, with the
 * engine that measures TensorFlow.js recordings. The Python recorder starts `measure --follow`
 * beside the training when `node` is on the PATH (python/cnn_slicer/measurer.py); `query`,
 * `findings` and `report` measure what is still pending before they open a run
 * ({@link measureBeforeOpening}).
 *
 * One measurer per run: each holds the run's measuring lock (src/run/measureLock.ts) while it
 * measures. A second `measure` leaves with one line naming the process that measures the run, exit
 * code 0 (the run is being measured: nothing failed); a second `measure --follow` leaves a holder
 * that follows too, and waits for one that does not; `query`, `findings` and `report` wait for the
 * holder, then measure what it left.
 */
import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ComputePool } from '../compute/pool';
import { BACKENDS, isBackend } from '../contract/recordSettings';
import { measurePendingEpochs } from '../measure/measureRun';
import { measuredElsewhereLine } from '../contract/measureLockFormat';
import { releaseOnExit, takeMeasureLock, type HeldMeasureLock } from '../run/measureLock';
import { runStamp } from '../run/listingCache';
import { readRun } from '../run/store';
import { initBackend } from '../tfjs/backend';
import { EXECUTION_PROVIDERS, isExecutionProvider } from '../contract/recordSettings';
import { parseCommandLine } from './options';
import { HELP_ASKED, UsageError } from './usage';
import type { CliStreams } from './streams';

/** The `measure` command's options (its descriptor shows them: src/cli/commands/runs.ts). */
export const MEASURE_OPTIONS = {
  follow: { type: 'boolean' },
  provider: { type: 'string' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** How often `--follow` looks for a newly landed epoch (ms). */
const FOLLOW_POLL_MS = 500;
/** The longest a followed run goes unread while its files look unchanged (a checkpoint landing after its line, a clock that moved). */
const FOLLOW_CHECK_MS = 10_000;

export async function runMeasure(argv: string[], io: CliStreams): Promise<void | typeof HELP_ASKED> {
  const parsed = parseCommandLine('measure', argv, MEASURE_OPTIONS);
  if (parsed.values.help) return HELP_ASKED;
  if (parsed.positionals.length !== 1) throw new UsageError(`expected one run folder, got ${parsed.positionals.length} argument(s)`);
  const folder = runFolderArgument(parsed.positionals[0]);
  const backend = parsed.values.backend ?? 'auto';
  if (!isBackend(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${backend}"`);
  const provider = parsed.values.provider;
  if (provider !== undefined && !isExecutionProvider(provider))
    throw new UsageError(`--provider must be one of ${EXECUTION_PROVIDERS.join(', ')}, got "${provider}"`);
  const follow = parsed.values.follow === true;
  const log = (line: string) => io.stderr.write(`${line}\n`);
  // One measurer per run: taken before the engine loads, held to the end (exit, error or signal);
  // its release is hooked first, so that no signal falls between the two.
  const exit = releaseOnExit();
  let held: HeldMeasureLock | undefined;
  try {
    held = await takeOrWait(folder, follow, log);
    if (held) exit.hold(held); // in the same turn as the take: no signal is answered in between
  } finally {
    if (!held) exit.done();
  }
  if (!held) return;
  try {
    const { tf } = await initBackend(backend);
    const pool = new ComputePool();
    pool.start();
    try {
      let seen: string | undefined;
      let checked = 0;
      for (;;) {
        // Following, the run is read again only once its manifest or metrics changed (or every
        // FOLLOW_CHECK_MS): reading a long run's metrics twice a poll kept a core busy beside the
        // training it follows (a CIFAR ResNet-18's 50 epochs are 160 MB of lines, 1.3 s a read).
        const stamp = follow ? await runStamp(folder) : undefined;
        if (stamp === undefined || stamp !== seen || Date.now() - checked >= FOLLOW_CHECK_MS) {
          checked = Date.now();
          const result = await measurePendingEpochs(folder, { engine: { tf, pool }, log, locked: true, provider });
          if (!follow) return;
          // Until the recorder has stopped and every epoch it wrote is measured.
          if (followDone(folder) && result.pending.length === 0) return;
          // Unchanged from here on: nothing left to measure in what was read (a measure that left an
          // epoch pending, or the run changed meanwhile, reads it again at the next poll).
          seen = result.pending.length === 0 ? stamp : undefined;
        }
        await sleep(FOLLOW_POLL_MS);
      }
    } finally {
      pool.close();
    }
  } finally {
    exit.done();
  }
}

/** Whether a followed run needs no more measuring: its recorder has stopped and no epoch awaits its measures. */
function followDone(folder: string): boolean {
  const run = readRun(folder);
  return run.manifest.status !== 'recording' && !run.pending?.length;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * The run's measuring lock, taken; or undefined where this process leaves the run to the one that
 * holds it, having said so in one line. `measure` leaves at once. `measure --follow` leaves a holder
 * that follows too, and waits for one that does not (it would stop before the recording does), then
 * follows the rest itself — or leaves once nothing is left to measure.
 */
async function takeOrWait(folder: string, follow: boolean, log: (line: string) => void): Promise<HeldMeasureLock | undefined> {
  let said = false;
  for (;;) {
    const attempt = takeMeasureLock(folder, { follow });
    if (attempt.taken) return attempt.taken;
    const holder = attempt.holder;
    if (!follow || holder.follow || holder.host !== hostname()) {
      log(measuredElsewhereLine(folder, holder, hostname()));
      return undefined;
    }
    if (followDone(folder)) return undefined;
    if (!said) log(`run ${folder} is being measured by process ${holder.pid} since ${holder.startedAt}; following it once that ends`);
    said = true;
    await sleep(FOLLOW_POLL_MS);
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
  for (let waited = false; ; waited = true) {
    // Measured from the run as read above (the folder is not read again before the first measure);
    // after waiting for another measurer, from the run as it left it.
    const result = await measurePendingEpochs(folder, { run: waited ? undefined : run, log: (line) => io.stderr.write(`  ${line}\n`) });
    const holder = result.measuredBy;
    if (!holder) return;
    // Another process is measuring it: wait for it (it measures what this would), unless it is another host's.
    if (holder.host !== hostname()) {
      io.stderr.write(`  ${measuredElsewhereLine(folder, holder, hostname())}\n`);
      return;
    }
    if (!waited) io.stderr.write(`  process ${holder.pid} is measuring it (since ${holder.startedAt}); waiting for it\n`);
    await sleep(FOLLOW_POLL_MS);
  }
}

/**
 * The measures of a PyTorch run's epochs (format version 2, docs/run-format.md "PyTorch runs"),
 * computed by the same code that measures a TensorFlow.js recording (measure.ts), from each epoch's
 * ONNX checkpoint loaded into the engine (src/tfjs/onnxModel.ts): the per-layer entropies, dead
 * channels, label information and binned information, and the label entropies. The Python recorder
 * writes each epoch's line with `pending: "measures"`; this appends the complete line for it, which
 * the reader then takes instead (src/contract/runFormat.ts `parseMetricsLines`). No measure is
 * computed anywhere else: Python computes none of them.
 *
 * One measurer per run: it measures under the run's measuring lock (src/run/measureLock.ts), taken
 * here unless the caller holds it (`cnn-slicer measure` holds it for the whole of `--follow`); where
 * another process holds it, it measures nothing and says who does. The run folder is read once, by
 * the caller or here: the manifest, the pending lines and the probe come from that one read (a line
 * appended since is caught by the checks). Under the lock it still checks, before measuring each epoch but the first and
 * again before appending any epoch's line, that metrics.jsonl has no complete line for it yet, so
 * the file never holds two lines of one epoch.
 *
 * The probe numbers of the complete line are the engine's, from the imported checkpoint (the same
 * numbers every query of the run sees); the Python recorder's are PyTorch's own, and
 * test/integration/measure/measureRun.test.ts holds the two accuracies equal.
 */
import type * as tfType from '@tensorflow/tfjs';
import { ComputePool } from '../compute/pool';
import { PYTORCH_RUN_FORMAT_VERSION, type EpochMetrics, type PendingEpochMetrics, type RunManifest } from '../contract/runFormat';
import type { MeasureLock } from '../contract/measureLockFormat';
import { appendLineDurable, writeFileAtomic } from '../run/files';
import { writePerClass } from '../run/perClass';
import { threadPacer } from '../rpc/sharedBuffers';
import { join } from 'node:path';
import { takeMeasureLock } from '../run/measureLock';
import { checkpointFolder } from '../run/paths';
import { readProbe } from '../run/probe';
import { metricsAppendedSince, readRun, type RunRecord } from '../run/store';
import type { Backend } from '../contract/recordSettings';
import { initBackend } from '../tfjs/backend';
import { loadCheckpoint } from '../tfjs/forward';
import { readAnyCheckpoint } from '../run/checkpoint';
import { NativeCheckpoint } from '../native/nativeForward';
import { nativeRuntime, providerFromEnvironment, setSpinning } from '../native/ortRuntime';
import type { ExecutionProvider } from '../contract/recordSettings';
import { measureEpoch, measureInputLayer, type MeasureContext } from './measure';
import { classScoresOf } from './classScores';

export interface MeasureRunOptions {
  backend?: Backend;
  /** A backend and compute pool to measure with (kept open for the caller); else they are made, and closed after. */
  engine?: { tf: typeof tfType; pool: ComputePool };
  /** One line per epoch measured. */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** The caller holds the run's measuring lock (else it is taken here, and released at the end). */
  locked?: boolean;
  /** Where the native engine runs the checkpoints (default: `CNN_SLICER_PROVIDER`, else the CPU). */
  provider?: ExecutionProvider;
  /**
   * The run as the caller has just read it (src/run/store.ts `readRun`), measured from without
   * reading the folder again; else it is read here. A line another measurer appends after this read
   * is still seen: each epoch is checked before its line is appended.
   */
  run?: RunRecord;
}

export interface MeasureRunResult {
  /** The epochs measured now, ascending. */
  measured: number[];
  /** Epochs whose measures are still pending afterwards (none unless cancelled, or measured elsewhere). */
  pending: number[];
  /** The process measuring the run instead (its lock), when it held the run's measuring lock: nothing was measured. */
  measuredBy?: MeasureLock;
}

/** Whether a run is one whose epochs are measured after recording (a PyTorch run). */
export function measuredAfterRecording(manifest: Pick<RunManifest, 'formatVersion'>): boolean {
  return manifest.formatVersion === PYTORCH_RUN_FORMAT_VERSION;
}

/**
 * Measures every epoch of the run in `folder` whose measures are pending, in epoch order, and
 * appends each complete line to its metrics.jsonl as soon as it is measured.
 * @throws RunFormatError for a run that cannot be read; OnnxError for a checkpoint the engine cannot import.
 */
export async function measurePendingEpochs(folder: string, options: MeasureRunOptions = {}): Promise<MeasureRunResult> {
  // The run folder is read once (or by the caller): the lock, the probe and every epoch's measures
  // start from this record. Of its measured epochs only their numbers are kept (a deep model's
  // lines are megabytes each).
  const run = options.run ?? readRun(folder);
  const lines = run.pending ?? [];
  if (lines.length === 0) return { measured: [], pending: [] };
  const start = { manifest: run.manifest, measured: new MeasuredEpochs(folder, run.manifest, run) };
  if (options.locked) return measureUnderLock(folder, start, lines, options);
  const attempt = takeMeasureLock(folder, { follow: false });
  if (!attempt.taken) return { measured: [], pending: lines.map((l) => l.epoch), measuredBy: attempt.holder };
  try {
    return await measureUnderLock(folder, start, lines, options);
  } finally {
    attempt.taken.release();
  }
}

/**
 * The epochs metrics.jsonl holds a complete (measured) line of, kept up to date from what was
 * appended since the run was read (store.ts `metricsAppendedSince`): each line is read once, where
 * reading the whole run again before and after every epoch made a long run's measuring quadratic
 * (a CIFAR ResNet-18's line is 3 MB, a ResNet-50's 18 MB). Where the file no longer continues what
 * was read, the run is read again.
 */
class MeasuredEpochs {
  private readonly epochs = new Set<number>();
  private next = 0;

  constructor(
    private readonly folder: string,
    private readonly manifest: RunManifest,
    run: Pick<RunRecord, 'metrics' | 'metricsBytes'>,
  ) {
    this.reset(run);
  }

  /** Whether metrics.jsonl holds a complete line of `epoch` now. */
  has(epoch: number): boolean {
    this.refresh();
    return this.epochs.has(epoch);
  }

  private refresh(): void {
    const appended = metricsAppendedSince(this.folder, this.manifest, this.next);
    if (!appended) {
      this.epochs.clear();
      this.reset(readRun(this.folder, { repair: false }));
      return;
    }
    for (const e of appended.complete) this.epochs.add(e);
    this.next = appended.next;
  }

  private reset(run: Pick<RunRecord, 'metrics' | 'metricsBytes'>): void {
    for (const m of run.metrics) this.epochs.add(m.epoch);
    this.next = run.metricsBytes ?? 0;
  }
}

async function measureUnderLock(
  folder: string,
  run: { manifest: RunManifest; measured: MeasuredEpochs },
  lines: PendingEpochMetrics[],
  options: MeasureRunOptions,
): Promise<MeasureRunResult> {
  const pending = lines.map((l) => l.epoch);
  const tf = options.engine?.tf ?? (await initBackend(options.backend ?? 'auto')).tf;
  const pool = options.engine?.pool ?? new ComputePool();
  if (!options.engine) pool.start();
  const measured: number[] = [];
  // Each layer of an epoch arrives in new buffers: they are collected as they add up (a deep model's
  // layers are hundreds of megabytes each), not when this thread's small heap would ask for it.
  const stopPacing = threadPacer.open();
  // The runtime shares the cores with this thread's summaries (and the worker's, where the pass
  // runs there): its threads sleep between operators rather than spin (ortRuntime.ts stopSpinning),
  // the setting put back at the end.
  const spinning = setSpinning(false);
  try {
    const ctx = measureContext(tf, run.manifest, readProbe({ folder, manifest: run.manifest }), pool);
    const inputMetrics = await measureInputLayer(ctx);
    for (const [i, recorded] of lines.entries()) {
      const epoch = recorded.epoch;
      if (options.signal?.aborted) break;
      // A line written since the run was read (by a measurer that took no lock: an older version, or
      // one that let go of the lock between the caller's read and this lock). The first epoch is not
      // checked before it is measured, the run having just been read: only before its line is appended.
      if (i > 0 && run.measured.has(epoch)) continue;
      const started = performance.now();
      const model = await epochModel(tf, checkpointFolder(folder, epoch), run.manifest.layers, options);
      let metrics: EpochMetrics;
      try {
        metrics = await measureEpoch({ ...ctx, ...model }, epoch, inputMetrics);
      } finally {
        model.model?.dispose();
        await model.native?.dispose();
      }
      const line: EpochMetrics = {
        ...metrics,
        trainLoss: recorded.trainLoss,
        trainAccuracy: recorded.trainAccuracy,
        timingsMs: {
          ...metrics.timingsMs,
          train: recorded.timingsMs.train,
          record: recorded.timingsMs.record + (performance.now() - started),
        },
      };
      if (run.measured.has(epoch)) continue;
      // The per-class entropies to their own file first, then the line that names it (src/run/perClass.ts).
      const written = writePerClass(folder, line, (path, bytes) => writeFileAtomic(path, bytes));
      appendLineDurable(join(folder, 'metrics.jsonl'), metricsLine(written, run.manifest));
      measured.push(epoch);
      options.log?.(
        `epoch ${epoch}: measured ${run.manifest.layers.length} layers (probe accuracy ${(100 * line.probeAccuracy).toFixed(1)}%)`,
      );
    }
  } finally {
    setSpinning(spinning);
    stopPacing();
    if (!options.engine) pool.close();
  }
  return { measured, pending: pending.filter((e) => !measured.includes(e) && !run.measured.has(e)) };
}

/**
 * The epoch's metrics line as JSON. Should it be longer than a JavaScript string holds (its
 * per-class entropies, classes × every channel, are in their own file since they made a ResNet-50
 * with a 1,000-class head's line 120 million numbers long; the rest is a few per channel), one line
 * says so, instead of the runtime's "Invalid string length".
 */
export function metricsLine(line: EpochMetrics, manifest: RunManifest): string {
  try {
    return JSON.stringify(line);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const channels = line.layers.reduce((sum, l) => sum + l.channelBits.length, 0);
    const classes = manifest.dataset.classNames.length;
    throw new Error(
      `epoch ${line.epoch}'s measures do not fit in one metrics line: ${channels.toLocaleString('en-US')} channels and ${classes.toLocaleString('en-US')} classes are more than one line of JSON holds; CNN Slicer measures models with fewer channels`,
      { cause: e },
    );
  }
}

/** Whether the native engine's unavailability has been said (once per process). */
let saidUnavailable = false;

/**
 * The model of one epoch's checkpoint: on the native engine (ONNX Runtime) where it loads, else on
 * TensorFlow.js's WebAssembly engine, the reason said once (`log`).
 */
async function epochModel(
  tf: typeof tfType,
  dir: string,
  layers: RunManifest['layers'],
  options: MeasureRunOptions,
): Promise<{ model?: tfType.LayersModel; native?: NativeCheckpoint }> {
  const runtime = nativeRuntime();
  if ('ort' in runtime) {
    const files = await readAnyCheckpoint(dir, layers);
    if (files.format === 'onnx') {
      const native = NativeCheckpoint.open(files.bytes, layers, options.provider ?? providerFromEnvironment());
      return { native };
    }
  } else if (!saidUnavailable) {
    saidUnavailable = true;
    options.log?.(`the native engine is not in use (${runtime.reason}): measuring on WebAssembly`);
  }
  return { model: await loadCheckpoint(tf, dir, layers) };
}

function measureContext(tf: typeof tfType, manifest: RunManifest, probe: ReturnType<typeof readProbe>, pool: ComputePool): MeasureContext {
  const classes = manifest.dataset.classNames.length;
  const byClass = Array.from({ length: classes }, () => [] as number[]);
  probe.labels.forEach((label, i) => byClass[label].push(i));
  const output = manifest.output ?? { layer: manifest.layers.at(-1)!.name, kind: 'softmax' as const, chosenBy: 'only' as const };
  const units = manifest.layers.at(-1)!.outputShape.at(-1) ?? 1;
  return {
    tf,
    settings: manifest.settings as MeasureContext['settings'],
    layers: manifest.layers,
    probeInputs: probe.inputs,
    probeLabels: probe.labels,
    probeByClass: byClass,
    classes,
    classScores: classScoresOf({ kind: output.kind, units }, classes),
    pool,
    timings: { forward: 0, channels: 0, inter: 0 },
  };
}

/**
 * The measures of a PyTorch run's epochs (format version 2, docs/run-format.md "PyTorch runs"),
 * computed by the same code that measures a TensorFlow.js recording (measure.ts), from each epoch's
 * ONNX checkpoint loaded into the engine (src/tfjs/onnxModel.ts): the per-layer entropies, dead
 * channels, label information and binned information, and the label entropies. The Python recorder
 * writes each epoch's line with `pending: "measures"`; this appends the complete line for it, which
 * the reader then takes instead (src/contract/runFormat.ts `parseMetricsLines`). No measure is
 * computed anywhere else: Python computes none of them.
 *
 * The probe numbers of the complete line are the engine's, from the imported checkpoint (the same
 * numbers every query of the run sees); the Python recorder's are PyTorch's own, and
 * test/integration/recorder/measureRun.test.ts holds the two accuracies equal.
 */
import type * as tfType from '@tensorflow/tfjs';
import { ComputePool } from '../compute/pool';
import { PYTORCH_RUN_FORMAT_VERSION, type EpochMetrics, type RunManifest } from '../contract/runFormat';
import { appendLineDurable } from '../run/files';
import { join } from 'node:path';
import { checkpointFolder } from '../run/paths';
import { readProbe } from '../run/probe';
import { readRun } from '../run/store';
import type { Backend } from '../contract/recordSettings';
import { initBackend } from '../tfjs/backend';
import { loadCheckpoint } from '../tfjs/forward';
import { measureEpoch, measureInputLayer, type MeasureContext } from './measure';
import { classScoresOf } from './outputs';

export interface MeasureRunOptions {
  backend?: Backend;
  /** A backend and compute pool to measure with (kept open for the caller); else they are made, and closed after. */
  engine?: { tf: typeof tfType; pool: ComputePool };
  /** One line per epoch measured. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface MeasureRunResult {
  /** The epochs measured now, ascending. */
  measured: number[];
  /** Epochs whose measures are still pending afterwards (none unless cancelled). */
  pending: number[];
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
  const run = readRun(folder);
  const lines = run.pending ?? [];
  const pending = lines.map((l) => l.epoch);
  if (pending.length === 0) return { measured: [], pending: [] };
  const tf = options.engine?.tf ?? (await initBackend(options.backend ?? 'auto')).tf;
  const pool = options.engine?.pool ?? new ComputePool();
  if (!options.engine) pool.start();
  const measured: number[] = [];
  try {
    const ctx = measureContext(tf, run.manifest, readProbe(run), pool);
    const inputMetrics = await measureInputLayer(ctx);
    for (const recorded of lines) {
      const epoch = recorded.epoch;
      if (options.signal?.aborted) break;
      const model = await loadCheckpoint(tf, checkpointFolder(folder, epoch), run.manifest.layers);
      let metrics: EpochMetrics;
      const started = performance.now();
      try {
        metrics = await measureEpoch({ ...ctx, model }, epoch, inputMetrics);
      } finally {
        model.dispose();
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
      appendLineDurable(join(folder, 'metrics.jsonl'), JSON.stringify(line));
      measured.push(epoch);
      options.log?.(
        `epoch ${epoch}: measured ${run.manifest.layers.length} layers (probe accuracy ${(100 * line.probeAccuracy).toFixed(1)}%)`,
      );
    }
  } finally {
    if (!options.engine) pool.close();
  }
  return { measured, pending: pending.filter((e) => !measured.includes(e)) };
}

function measureContext(
  tf: typeof tfType,
  manifest: RunManifest,
  probe: ReturnType<typeof readProbe>,
  pool: ComputePool,
): Omit<MeasureContext, 'model'> & { model: tfType.LayersModel } {
  const classes = manifest.dataset.classNames.length;
  const byClass = Array.from({ length: classes }, () => [] as number[]);
  probe.labels.forEach((label, i) => byClass[label].push(i));
  const output = manifest.output ?? { layer: manifest.layers.at(-1)!.name, kind: 'softmax' as const, chosenBy: 'only' as const };
  const units = manifest.layers.at(-1)!.outputShape.at(-1) ?? 1;
  return {
    tf,
    // Set per epoch.
    model: undefined as unknown as tfType.LayersModel,
    settings: manifest.settings as MeasureContext['settings'],
    layers: manifest.layers,
    probeInputs: probe.inputs,
    probeLabels: probe.labels,
    probeByClass: byClass,
    classes,
    classScores: classScoresOf({ ...output, outputIndex: 0, units }, classes),
    pool,
    timings: { forward: 0, channels: 0, inter: 0 },
  };
}

/**
 * The two ways the recorder measures an epoch other than on the live model with the compute pool:
 * in two parts at once, here and on the measurement worker (the last epoch, after which nothing
 * trains), and here from a copy of its weights (after the worker gave up on it).
 */
import type * as tfType from '@tensorflow/tfjs';
import { seededRandom } from '../analysis';
import type { EpochMetrics, LayerEpochMetrics, RunSettings } from '../contract/runFormat';
import type { CheckpointFiles } from '../run/writer';
import { loadCheckpointBytes } from '../tfjs/forward';
import { withTfjsRandom } from '../tfjs/tfjsRandom';
import { joinParts, MeasureContext, measureEpoch, splitLayers } from './measure';
import type { EpochWorker } from './measureWorkerClient';
import { OneThreadEntropies } from './oneThreadEntropies';

/**
 * An epoch measured by this thread and the worker at once, when nothing trains beside them: this
 * thread measures the first layers of the live model (its weights are the epoch's), the worker the
 * others from the checkpoint, each about half of the work and on one core, without the compute
 * pool (whose threads would only contend with the two). If the worker fails, this thread measures
 * the whole epoch on every core.
 */
export async function measureInTwo(
  run: { measure: MeasureContext; settings: RunSettings; log: (line: string) => void },
  worker: EpochWorker,
  epoch: number,
  checkpoint: CheckpointFiles,
  inputMetrics: LayerEpochMetrics | undefined,
): Promise<EpochMetrics> {
  const { layers, probeLabels } = run.measure;
  const cut = splitLayers(layers, probeLabels.length, run.settings.k);
  if (cut === undefined) return measureEpoch(run.measure, epoch, inputMetrics);
  const start = performance.now();
  let lastLayersMs = 0;
  const lastLayers = worker.measure(epoch, checkpoint, inputMetrics, { first: cut + 1, last: layers.length - 1 });
  lastLayers.then(() => (lastLayersMs = performance.now() - start)).catch(() => undefined); // awaited below
  const firstLayers = await measureEpoch({ ...run.measure, pool: new OneThreadEntropies() }, epoch, inputMetrics, { first: 0, last: cut });
  const firstLayersMs = performance.now() - start;
  try {
    const joined = joinParts(firstLayers, await lastLayers);
    run.log(
      `epoch ${epoch} measured in two parts: layers 0–${cut} on this thread in ${(firstLayersMs / 1000).toFixed(2)} s, ` +
        `${cut + 1}–${layers.length - 1} on the measurement worker in ${(lastLayersMs / 1000).toFixed(2)} s`,
    );
    return joined;
  } catch (e) {
    run.log(
      `measuring epoch ${epoch} on this thread alone (the measurement worker could not measure its part: ${(e as Error)?.message ?? String(e)})`,
    );
    return measureEpoch(run.measure, epoch, inputMetrics);
  }
}

/**
 * The measurement of an epoch on this thread from its checkpoint's bytes, after the worker gave up
 * on it (the live model has trained on since). Building the copy runs its layers' initialisers,
 * which draw from tfjs's random source: a throwaway generator meanwhile keeps the run's seeded
 * sequence as it was (nothing else runs on this thread while the copy is built).
 */
export async function measureCopy(
  run: { tf: typeof tfType; measure: MeasureContext; settings: RunSettings },
  epoch: number,
  checkpoint: CheckpointFiles,
  inputMetrics: LayerEpochMetrics | undefined,
): Promise<EpochMetrics> {
  const copy = await withTfjsRandom(seededRandom(run.settings.seed ^ epoch), () =>
    loadCheckpointBytes(run.tf, checkpoint.modelJson, checkpoint.weights),
  );
  try {
    return await measureEpoch({ ...run.measure, model: copy }, epoch, inputMetrics);
  } finally {
    copy.dispose();
  }
}

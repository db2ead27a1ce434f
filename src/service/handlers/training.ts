/**
 * `training`: loss, accuracy and the label/prediction entropies of every recorded epoch (paper
 * Fig. 6). Over every probe input they are the recorder's; for an input subset `x` the probe
 * measures are those of the subset's inputs alone, from the scored output at each epoch
 * (analysis/predictions.ts, the recorder's one definition), and the training set's loss and
 * accuracy stay the recorder's means over the epoch (no subset of the probe set reaches them).
 */
import { classScores, predictionMeasures } from '../../analysis';
import { scoredOutput } from '../ablation';
import { QueryError } from '../../contract/queries';
import type { TrainingAnswer } from '../../contract/queries';
import type { QueryContext } from '../queryContext';
import { Handler, orNull } from './handler';

export const training: Handler<'training'> = async (q, ctx) => {
  const metrics = ctx.run.record.metrics;
  const classes = ctx.classes();
  const recorded: TrainingAnswer = {
    epochs: metrics.map((e) => e.epoch),
    classNames: ctx.manifest.dataset.classNames,
    trainLoss: metrics.map((e) => e.trainLoss),
    trainAccuracy: metrics.map((e) => e.trainAccuracy),
    probeLoss: metrics.map((e) => e.probeLoss),
    probeAccuracy: metrics.map((e) => e.probeAccuracy),
    hLabelGivenPred: Array.from({ length: classes }, (_, c) => metrics.map((e) => e.hLabelGivenPred[c] ?? null)),
    hPredGivenLabel: Array.from({ length: classes }, (_, c) => metrics.map((e) => e.hPredGivenLabel[c] ?? null)),
  };
  if (!q.x || q.x.kind === 'all') return recorded;
  return { ...recorded, ...(await subsetMeasures(ctx, q.x, recorded.epochs, classes)) };
};

/** The probe measures of the inputs of `x` at every epoch: a pass of the model up to its scored output per epoch. */
async function subsetMeasures(
  ctx: QueryContext,
  x: NonNullable<Parameters<QueryContext['subset']>[0]>,
  epochs: number[],
  classes: number,
): Promise<Pick<TrainingAnswer, 'probeLoss' | 'probeAccuracy' | 'hLabelGivenPred' | 'hPredGivenLabel' | 'inputCount'>> {
  const output = scoredOutput(ctx.manifest);
  const indices = ctx.subset(x);
  if (!indices.length)
    throw new QueryError('out-of-range', 'the input subset holds no probe input, so it has no loss, accuracy or label entropies');
  const probe = ctx.probe();
  const labels = Int32Array.from(indices, (i) => probe.labels[i]);
  const probeLoss: (number | null)[] = [];
  const probeAccuracy: number[] = [];
  const hLabelGivenPred: (number | null)[][] = Array.from({ length: classes }, () => []);
  const hPredGivenLabel: (number | null)[][] = Array.from({ length: classes }, () => []);
  for (const [k, epoch] of epochs.entries()) {
    ctx.control.signal?.throwIfAborted();
    ctx.control.onProgress?.(k / Math.max(1, epochs.length), `epoch ${epoch}: predictions of ${indices.length} inputs`);
    const out = await ctx.layerOutput(epoch, output.layer, indices);
    const m = predictionMeasures(classScores(output.kind, Float32Array.from(out.data), classes), labels, classes);
    probeLoss.push(orNull(m.loss));
    probeAccuracy.push(m.accuracy);
    for (let c = 0; c < classes; c++) {
      hLabelGivenPred[c].push(orNull(m.hLabelGivenPred[c]));
      hPredGivenLabel[c].push(orNull(m.hPredGivenLabel[c]));
    }
  }
  return { probeLoss, probeAccuracy, hLabelGivenPred, hPredGivenLabel, inputCount: indices.length };
}

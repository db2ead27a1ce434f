/** `training`: loss, accuracy and the label/prediction entropies of every recorded epoch (paper Fig. 6). */
import type { Handler } from './handler';

export const training: Handler<'training'> = (_q, ctx) => {
  const metrics = ctx.run.record.metrics;
  const classes = ctx.classes();
  return {
    epochs: metrics.map((e) => e.epoch),
    classNames: ctx.manifest.dataset.classNames,
    trainLoss: metrics.map((e) => e.trainLoss),
    trainAccuracy: metrics.map((e) => e.trainAccuracy),
    probeLoss: metrics.map((e) => e.probeLoss),
    probeAccuracy: metrics.map((e) => e.probeAccuracy),
    hLabelGivenPred: Array.from({ length: classes }, (_, c) => metrics.map((e) => e.hLabelGivenPred[c] ?? null)),
    hPredGivenLabel: Array.from({ length: classes }, (_, c) => metrics.map((e) => e.hPredGivenLabel[c] ?? null)),
  };
};

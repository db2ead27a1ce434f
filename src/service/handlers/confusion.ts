/** `confusion`: the recorded confusion matrix of an epoch, or with `inputs` the probe inputs in each cell. */
import { argmaxRows, confusionMatrix } from '../../analysis';
import type { Handler } from './handler';

export const confusion: Handler<'confusion'> = async (q, ctx) => {
  const m = ctx.manifest;
  const metrics = ctx.metricsAt(q.epoch);
  if (!q.inputs) return { epoch: q.epoch, classNames: m.dataset.classNames, matrix: metrics.confusion };
  const probe = ctx.probe();
  const n = probe.labels.length;
  const classes = ctx.classes();
  const out = await ctx.layerOutput(q.epoch, m.layers.length - 1, ctx.subset(undefined));
  const predicted = argmaxRows(out.data, n, out.data.length / n);
  const cells: number[][][] = Array.from({ length: classes }, () => Array.from({ length: classes }, () => []));
  for (let i = 0; i < n; i++) cells[probe.labels[i]][predicted[i]]?.push(i);
  return { epoch: q.epoch, classNames: m.dataset.classNames, matrix: confusionMatrix(probe.labels, predicted, classes), cells };
};

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
  // The run's output kind says how its values predict a class (src/recorder/outputs.ts): one sigmoid
  // unit predicts class 1 above 0.5 (an argmax over its one value would say class 0 for every input),
  // class scores by their largest, and an output that predicts no class puts no input in any cell.
  const kind = m.output?.kind ?? 'softmax';
  const cells: number[][][] = Array.from({ length: classes }, () => Array.from({ length: classes }, () => []));
  if (kind === 'none') return { epoch: q.epoch, classNames: m.dataset.classNames, matrix: metrics.confusion, cells };
  const out = await ctx.layerOutput(q.epoch, m.layers.length - 1, ctx.subset(undefined));
  const predicted =
    kind === 'binary'
      ? Int32Array.from({ length: n }, (_, i) => (out.data[i] > 0.5 ? 1 : 0))
      : argmaxRows(out.data, n, out.data.length / n);
  for (let i = 0; i < n; i++) cells[probe.labels[i]][predicted[i]]?.push(i);
  return { epoch: q.epoch, classNames: m.dataset.classNames, matrix: confusionMatrix(probe.labels, predicted, classes), cells };
};

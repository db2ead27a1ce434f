/**
 * `channelLabelInformation`: `I_pair(T_c; Y)` of every channel of a layer over recorded epochs
 * (estimators.md "Pairwise estimator" step 4; Fang et al.'s basic units), on any input subset. Each
 * epoch is one distance pass per channel on the compute pool, the very codes of the layer's capacity
 * matrices (measureCache.ts layerPairCodes, shared across queries: the findings' evidence and the
 * capacity matrices of the same layer, epoch and inputs compute them once), and the values are kept
 * on their own once computed (measureCache.ts channelLabelBits: the findings' evidence asked first).
 */
import { sameLabelPairs, uninformativeChannels } from '../../analysis';
import { Handler, orNull } from './handler';

export const channelLabelInformation: Handler<'channelLabelInformation'> = async (q, ctx) => {
  ctx.checkLayer(q.layer);
  const epochs = [...new Set(q.epochs ?? ctx.run.record.metrics.map((m) => m.epoch))].sort((a, b) => a - b);
  for (const epoch of epochs) ctx.metricsAt(epoch);
  const probe = ctx.probe();
  const indices = ctx.subset(q.x);
  const same = sameLabelPairs(indices.map((i) => probe.labels[i]));
  const bins = q.bins ?? ctx.manifest.settings.bins;
  const bits: (number | null)[][] = [];
  for (const [k, epoch] of epochs.entries()) {
    ctx.control.onProgress?.(k / epochs.length, `label information: epoch ${epoch}`);
    bits.push((await ctx.channelLabelBits({ layer: q.layer, epoch, bins, ...(q.x ? { x: q.x } : {}) })).map(orNull));
  }
  return {
    layer: q.layer,
    epochs,
    bits,
    ceilingBits: orNull(same.entropyBits),
    uninformative: uninformativeChannels(bits.at(-1) ?? []),
    inputCount: indices.length,
  };
};

/**
 * `informationPlane`: every layer's point `(I(X; T), I(T; Y))` at every recorded epoch, with the
 * pairwise or the binning estimator (estimators.md "The information plane"). Over all probe inputs
 * at the recorded bins the points are read from the metrics; otherwise (another subset or bin
 * count, or a run recorded before these were measured) they are computed from forward passes.
 */
import {
  binnedInformation,
  capacityBits,
  DEFAULT_PLANE_BINS,
  DistanceCodes,
  pairwiseInformationFromCodes,
  sameLabelPairs,
  shannonEntropyBits,
  wholeLayerDistanceCodes,
} from '../../analysis';
import type { InformationPlanePoint } from '../../contract/queries';
import { Handler, orNull } from './handler';

export const informationPlane: Handler<'informationPlane'> = async (q, ctx) => {
  const m = ctx.manifest;
  const pairwise = q.estimator === 'pairwise';
  const recordedBins = pairwise ? m.settings.bins : DEFAULT_PLANE_BINS;
  const bins = q.bins ?? recordedBins;
  const probe = ctx.probe();
  const indices = ctx.subset(q.x);
  const labels = indices.map((i) => probe.labels[i]);
  const n = indices.length;
  const same = sameLabelPairs(labels);
  const metrics = ctx.run.record.metrics;
  // The recorded values are over every probe input at the recorded bins; any other slice is computed.
  const useRecorded = n === probe.labels.length && bins === recordedBins;
  const recorded = (epoch: number, layer: number): InformationPlanePoint | undefined => {
    if (!useRecorded) return undefined;
    const lm = metrics.find((e) => e.epoch === epoch)?.layers[layer];
    if (pairwise) {
      if (lm?.labelInformationBits === undefined || lm.inputCapacityBits === undefined) return undefined;
      return { epoch, ixt: lm.inputCapacityBits, ity: lm.labelInformationBits, saturated: false };
    }
    if (!lm?.binnedInformation) return undefined;
    const b = lm.binnedInformation;
    return { epoch, ixt: b.ixtBits, ity: b.ityBits, saturated: b.saturated };
  };
  const epochs = metrics.map((e) => e.epoch);
  const layerIndices = m.layers.map((l) => l.index).filter((l) => l > 0);
  const points = new Map<number, InformationPlanePoint[]>(layerIndices.map((l) => [l, []]));
  let inputCodes: DistanceCodes | undefined;
  for (const [k, epoch] of epochs.entries()) {
    for (const layer of layerIndices) {
      let point = recorded(epoch, layer);
      if (!point) {
        ctx.control.onProgress?.(k / epochs.length, `information plane: epoch ${epoch}, layer ${layer}`);
        if (ctx.control.signal?.aborted) break;
        const t = await ctx.layerOutput(epoch, layer, indices);
        if (pairwise) {
          // I_pair(X; T) is the layer-level capacity between the input (layer 0) and T: the same
          // codes and joint histogram as the layerCapacity query, so the two always agree.
          inputCodes ??= wholeLayerDistanceCodes(await ctx.layerOutput(epoch, 0, indices), bins);
          const codes = wholeLayerDistanceCodes(t, bins);
          point = {
            epoch,
            ixt: orNull(capacityBits(inputCodes, codes)),
            ity: orNull(pairwiseInformationFromCodes(codes, same)),
            saturated: false,
          };
        } else {
          const b = binnedInformation(t, labels, bins);
          point = { epoch, ixt: orNull(b.ixtBits), ity: orNull(b.ityBits), saturated: b.saturated };
        }
      }
      points.get(layer)!.push(point);
    }
  }
  const classCounts = new Map<number, number>();
  for (const y of labels) classCounts.set(y, (classCounts.get(y) ?? 0) + 1);
  const hY = shannonEntropyBits([...classCounts.values()]);
  const ceilings = pairwise
    ? { ixt: Math.log2(bins), ity: orNull(same.entropyBits) }
    : { ixt: n >= 2 ? Math.log2(n) : null, ity: n >= 2 && hY !== undefined && hY > 0 ? hY : null };
  return {
    estimator: q.estimator,
    epochs,
    layers: layerIndices.map((layer) => ({ layer, points: points.get(layer)! })),
    ceilings,
    inputCount: n,
  };
};

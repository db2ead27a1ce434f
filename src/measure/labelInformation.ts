/**
 * The information-plane summaries of one layer at a recorded epoch (estimators.md "Mutual
 * information with the labels and the information plane"), over all probe inputs: the pairwise
 * `I_pair(T; Y)` and `I_pair(X; T)` (the layer-level capacity between the input and the layer), and
 * the binning estimator's `(I(X; T), I(T; Y))` with its saturation flag.
 */
import {
  BinnedInformation,
  binnedInformation,
  capacityBits,
  DEFAULT_PLANE_BINS,
  DistanceCodes,
  FiniteRange,
  LayerActivations,
  layerActivations,
  LayerValues,
  pairwiseInformationFromCodes,
  SameLabelPairs,
  sameLabelPairs,
  wholeLayerDistanceCodes,
} from '../analysis';
import type { LayerEpochMetrics } from '../contract/runFormat';

export type LabelInformationMetrics = Required<Pick<LayerEpochMetrics, 'labelInformationBits' | 'inputCapacityBits' | 'binnedInformation'>>;

/** What the measurement of every layer of a recording shares: the labels' pairs and the input's distance codes. */
export interface LabelInformationInputs {
  labels: ArrayLike<number>;
  same: SameLabelPairs;
  /** The binned pair distances of the probe inputs (layer 0) as one channel; the same at every epoch. */
  inputCodes: DistanceCodes;
  /** Bins of the pairwise estimator (the run's `settings.bins`). */
  bins: number;
}

/**
 * The information-plane summaries of `layer` (all probe inputs, in probe order). `codes` are the
 * layer's binned pair distances when already known (from the inter-sample entropy's distance
 * matrix); without them the distances are computed here.
 */
export function measureLabelInformation(
  layer: LayerActivations | LayerValues,
  inputs: LabelInformationInputs,
  known?: DistanceCodes,
  binnedAlready?: BinnedInformation,
): LabelInformationMetrics {
  const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
  const codes = known ?? wholeLayerDistanceCodes(layer, inputs.bins);
  const binned = binnedAlready ?? measureBinnedInformation(layer, inputs.labels);
  return {
    labelInformationBits: orNull(pairwiseInformationFromCodes(codes, inputs.same)),
    inputCapacityBits: orNull(capacityBits(inputs.inputCodes, codes)),
    binnedInformation: { ixtBits: orNull(binned.ixtBits), ityBits: orNull(binned.ityBits), saturated: binned.saturated },
  };
}

/**
 * The binning estimator's part of the summaries, which needs no pair distances: the recorder
 * computes it while the compute pool is still busy with the layer's distances.
 */
export function measureBinnedInformation(
  layer: LayerActivations | LayerValues,
  labels: ArrayLike<number>,
  range?: FiniteRange,
): BinnedInformation {
  return binnedInformation(layer, labels, DEFAULT_PLANE_BINS, undefined, range);
}

const shared = new WeakMap<ArrayLike<number>, LabelInformationInputs>();

/**
 * The label pairs and the input's distance codes of a recording's probe set, computed at its first
 * measured layer and reused for every later layer and epoch (the probe set never changes).
 */
export function labelInformationInputs(probe: {
  probeInputs: Float32Array;
  probeLabels: Int32Array;
  inputShape: readonly number[];
  bins: number;
}): LabelInformationInputs {
  let inputs = shared.get(probe.probeInputs);
  if (!inputs || inputs.bins !== probe.bins || inputs.labels !== probe.probeLabels) {
    const { bins, probeLabels } = probe;
    const input = layerActivations([probeLabels.length, ...probe.inputShape], probe.probeInputs);
    inputs = { labels: probeLabels, same: sameLabelPairs(probeLabels), inputCodes: wholeLayerDistanceCodes(input, bins), bins };
    shared.set(probe.probeInputs, inputs);
  }
  return inputs;
}

/**
 * `cnn-slicer mi`: mutual information with the labels on .npy arrays (estimators.md "Mutual
 * information with the labels and the information plane"): the pairwise estimator of a layer or of
 * each channel, and the binning estimator's information-plane point.
 */
import {
  binnedInformation,
  checkPairwiseSize,
  DEFAULT_BINS,
  DEFAULT_PLANE_BINS,
  MAX_BINS,
  pairwiseInformationFromCodes,
  sameLabelPairs,
  wholeLayerDistanceCodes,
} from '../analysis';
import { ComputePool } from '../compute/pool';
import { readActivations, readLabels } from './npyFiles';
import { intOption } from './options';
import { UsageError } from './usage';

/** What the command prints, as JSON. */
export type MiOutput = number | null | (number | null)[] | { ixt: number | null; ity: number | null; saturated: boolean };

const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);

/**
 * Runs `mi pairwise|binned T.npy` with its parsed options (`labels` the labels file, `bins`,
 * `channels`) and returns what to print, with the count of non-finite values the estimate set
 * aside (estimators.md: each is a symbol of its own; the command notes how many there were).
 */
export async function runMi(
  kind: string | undefined,
  file: string,
  values: Record<string, string | boolean | undefined>,
): Promise<{ output: MiOutput; nonFiniteCount: number }> {
  if (kind !== 'pairwise' && kind !== 'binned') {
    throw new UsageError(kind === undefined ? 'mi needs a kind: pairwise or binned' : `unknown mi kind "${kind}"; use pairwise or binned`);
  }
  if (typeof values.labels !== 'string') throw new UsageError(`mi ${kind} needs --labels Y.npy: the integer label of every input`);
  if (kind === 'binned' && values.channels !== undefined) throw new UsageError('--channels applies to mi pairwise only');
  const bins = intOption(values, 'bins', kind === 'pairwise' ? DEFAULT_BINS : DEFAULT_PLANE_BINS, 2, MAX_BINS);
  const layer = readActivations(file);
  const labels = readLabels(values.labels, layer.count);
  if (kind === 'pairwise') {
    // The codes of the layer or of each channel, and the same-label flags, are held at once.
    checkPairwiseSize({ kind: 'codes', n: layer.count, streams: (values.channels ? layer.channels : 1) + 1 }, 'mi pairwise');
  }
  if (kind === 'binned') {
    const b = binnedInformation(layer, labels, bins);
    return { output: { ixt: orNull(b.ixtBits), ity: orNull(b.ityBits), saturated: b.saturated }, nonFiniteCount: b.nonFiniteCount };
  }
  const same = sameLabelPairs(labels);
  if (!values.channels) {
    const codes = wholeLayerDistanceCodes(layer, bins);
    return { output: orNull(pairwiseInformationFromCodes(codes, same)), nonFiniteCount: codes.nonFiniteCount };
  }
  // One distance pass per channel, the channels shared among the cores.
  const pool = new ComputePool();
  try {
    const codes = await pool.layerDistanceCodes(layer, { bins });
    return {
      output: codes.map((c) => orNull(pairwiseInformationFromCodes(c, same))),
      nonFiniteCount: codes.reduce((sum, c) => sum + c.nonFiniteCount, 0),
    };
  } finally {
    pool.close();
  }
}

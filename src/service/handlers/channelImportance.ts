/**
 * `channelImportance`: every channel of a layer ablated alone, and how well each information
 * measure of the channels orders them by what their ablation costs (Spearman's ρ with Δ loss, a
 * permutation p-value adjusted by Holm's method over the measures, and bootstrap intervals of each
 * Δ loss and of ρ over the probe inputs; docs/estimators.md "Channel importance").
 */
import {
  BOOTSTRAP_LEVEL,
  BOOTSTRAP_RESAMPLES,
  BOOTSTRAP_SEED,
  bootstrapDraws,
  holmAdjust,
  pairedDifferences,
  percentileInterval,
  resampledMeans,
  averageRanks,
  pearson,
  layerActivations,
  LayerActivations,
  pairwiseInformationFromCodes,
  PredictionMeasures,
  sameLabelPairs,
  spearman,
  DEFAULT_PERMUTATIONS,
} from '../../analysis';
import { distanceCodesOf } from '../../compute/pool';
import type { SharedCodes } from '../../compute/protocol';
import { ablationAxis, AblationSession, mixesChannels } from '../ablation';
import type { ChannelAblation, ImportanceMeasure, MeasureCorrelation } from '../../contract/queries';
import type { QueryContext } from '../queryContext';
import { channelEntropies } from './channelEntropies';
import { Handler, orNull } from './handler';
import { NEAR_DUPLICATE_SHARE, nearDuplicateShares } from '../../analysis/nearDuplicates';

/** The classes losing most accuracy that a channel's row names. */
const CLASSES_LOSING = 3;

/** The first layer after `layer`, in the run's order, that mixes channels and has more than one (its capacities are `capacityToNext`). */
export function nextMixingLayer(ctx: QueryContext, layer: number): number | undefined {
  const layers = ctx.manifest.layers;
  for (let l = layer + 1; l < layers.length; l++) if (mixesChannels(layers[l]) && ablationAxis(layers[l]).channels > 1) return l;
  return undefined;
}

/** A layer's activations (channels last, as `layerOutput` gives every layer) by channel, a dense layer's units each one channel of one value. */
function unitsAsChannels(ctx: QueryContext, layer: number, data: ArrayLike<number>, n: number): LayerActivations {
  const { channels, per } = ablationAxis(ctx.manifest.layers[layer]);
  return layerActivations([n, per / channels, channels], data);
}

export const channelImportance: Handler<'channelImportance'> = async (q, ctx) => {
  const session = await AblationSession.open(ctx, q);
  const { channels } = session.axis;
  const groups = [[], ...Array.from({ length: channels }, (_, c) => [c])];
  const progress = ctx.control.onProgress;
  // The information measures run on the compute workers while the ablations run on this thread.
  const measuring = informationMeasures(ctx, q, session);
  measuring.catch(() => undefined); // awaited below
  const measured = await session.measure(groups, (done) =>
    progress?.(
      0.1 + 0.6 * (done / groups.length),
      `ablating ${channels} channels one at a time: ${Math.round((100 * done) / groups.length)}%`,
    ),
  );
  const [baseline, ...ablated] = measured;
  const resampled = resampledDeltaLoss(ablated, baseline);
  const rows = ablated.map((m, c) => channelRow(c, m, baseline, resampled[c]));
  const deltaLoss = rows.map((r) => r.deltaLoss);
  const measures = await measuring;
  const tests = measures.map((m) => spearman(m.values, deltaLoss, { permutations: DEFAULT_PERMUTATIONS, seed: 0 }));
  const adjusted = holmAdjust(tests.map((r) => r.pValue));
  const rhoIntervals = spearmanIntervals(
    measures.map((m) => m.values),
    resampled,
  );
  const correlations: MeasureCorrelation[] = measures.map((m, k) => {
    const r = tests[k];
    const constant = r.rho === undefined && r.count >= 3 && !m.note;
    const rhoInterval = r.rho === undefined ? undefined : rhoIntervals[k];
    return {
      ...m,
      spearman: orNull(r.rho),
      pValue: orNull(r.pValue),
      adjustedPValue: orNull(adjusted[k]),
      spearmanLow: orNull(rhoInterval?.low),
      spearmanHigh: orNull(rhoInterval?.high),
      channelCount: r.count,
      ...(constant ? { note: 'the measure (or Δ loss) is the same for every channel: there is no order to correlate' } : {}),
    };
  });
  const ranking = rows.map((r) => r.channel).sort((a, b) => (deltaLoss[b] ?? -Infinity) - (deltaLoss[a] ?? -Infinity) || a - b);
  return {
    epoch: q.epoch,
    layer: q.layer,
    mode: session.mode,
    inputCount: session.indices.length,
    classNames: ctx.manifest.dataset.classNames,
    baseline: { accuracy: baseline.accuracy, loss: orNull(baseline.loss) },
    channels: rows,
    measures: correlations,
    permutations: DEFAULT_PERMUTATIONS,
    correction: 'holm',
    bootstrap: { resamples: BOOTSTRAP_RESAMPLES, seed: BOOTSTRAP_SEED, level: BOOTSTRAP_LEVEL },
    ranking,
  };
};

/**
 * `[channel]`: Δ loss of the channel's ablation on each bootstrap resample of the probe inputs (the
 * mean over the resample of each input's ablated − baseline loss; every channel on the same
 * resamples, BOOTSTRAP_RESAMPLES of them with seed BOOTSTRAP_SEED), undefined without a loss.
 */
export function resampledDeltaLoss(ablated: readonly PredictionMeasures[], baseline: PredictionMeasures): (Float64Array | undefined)[] {
  const n = baseline.inputLosses.length;
  if (baseline.loss === undefined || !n) return ablated.map(() => undefined);
  const draws = bootstrapDraws(n, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED);
  return ablated.map((m) =>
    m.loss === undefined ? undefined : resampledMeans(pairedDifferences(m.inputLosses, baseline.inputLosses), draws),
  );
}

/**
 * Per measure, the bootstrap interval of Spearman's ρ of its values with Δ loss: ρ on each
 * resample's Δ losses (the measure's values held as measured; a resample without an order, every
 * Δ loss equal, counts as ρ = 0), its percentile interval; undefined with fewer than 3 channels
 * having both. Measures defined on the same channels share each resample's ranks of Δ loss.
 */
export function spearmanIntervals(
  measures: readonly (readonly (number | null)[])[],
  resampled: readonly (Float64Array | undefined)[],
): ({ low: number; high: number } | undefined)[] {
  const resamples = resampled.find((r) => r !== undefined)?.length ?? 0;
  const kept = measures.map((values) =>
    resampled.flatMap((r, c) => (r !== undefined && typeof values[c] === 'number' && Number.isFinite(values[c]) ? [c] : [])),
  );
  const out: ({ low: number; high: number } | undefined)[] = measures.map(() => undefined);
  const groups = new Map<string, number[]>();
  kept.forEach((channels, k) => {
    if (channels.length < 3 || !resamples) return;
    const key = channels.join(',');
    groups.set(key, [...(groups.get(key) ?? []), k]);
  });
  for (const members of groups.values()) {
    const channels = kept[members[0]];
    const rx = members.map((k) => averageRanks(channels.map((c) => measures[k][c]!)));
    const rhos = members.map(() => new Float64Array(resamples));
    const y = new Array<number>(channels.length);
    for (let b = 0; b < resamples; b++) {
      channels.forEach((c, i) => (y[i] = resampled[c]![b]));
      const ry = averageRanks(y);
      members.forEach((_, g) => (rhos[g][b] = pearson(rx[g], ry) ?? 0));
    }
    members.forEach((k, g) => (out[k] = percentileInterval(rhos[g])));
  }
  return out;
}

function channelRow(channel: number, m: PredictionMeasures, baseline: PredictionMeasures, resampled?: Float64Array): ChannelAblation {
  const interval = resampled && percentileInterval(resampled);
  const losing = m.perClassAccuracy
    .map((a, c) => ({
      class: c,
      deltaAccuracy: a === undefined || baseline.perClassAccuracy[c] === undefined ? 0 : a - baseline.perClassAccuracy[c],
    }))
    .filter((d) => d.deltaAccuracy < 0)
    .sort((a, b) => a.deltaAccuracy - b.deltaAccuracy || a.class - b.class)
    .slice(0, CLASSES_LOSING);
  return {
    channel,
    deltaLoss: m.loss === undefined || baseline.loss === undefined ? null : m.loss - baseline.loss,
    deltaLossLow: orNull(interval?.low),
    deltaLossHigh: orNull(interval?.high),
    deltaAccuracy: m.accuracy - baseline.accuracy,
    classesLosing: losing,
  };
}

type MeasureValues = Omit<MeasureCorrelation, 'spearman' | 'pValue' | 'adjustedPValue' | 'spearmanLow' | 'spearmanHigh' | 'channelCount'>;

/** The four information measures of the layer's channels (each `[channel]`, null where undefined). */
async function informationMeasures(
  ctx: QueryContext,
  q: { epoch: number; layer: number; x?: import('../../analysis').InputSubset; bins?: number },
  session: AblationSession,
): Promise<MeasureValues[]> {
  const { channels } = session.axis;
  const indices = session.indices;
  const n = indices.length;
  const bins = ctx.manifest.settings.bins;
  const none = (measure: ImportanceMeasure, note: string): MeasureValues => ({
    measure,
    values: new Array<number | null>(channels).fill(null),
    note,
  });
  const vector = ctx.manifest.layers[q.layer].outputShape.length < 2;
  const entropy: MeasureValues = vector
    ? none('channelEntropy', 'a unit of a dense layer holds one value per input: it has no intra-sample entropy')
    : {
        measure: 'channelEntropy',
        values: (await channelEntropies({ kind: 'channelEntropies', epoch: q.epoch, layer: q.layer, ...(q.x ? { x: q.x } : {}) }, ctx)).all,
      };
  const signal = ctx.control.signal;
  const pool = ctx.computePool();
  const own = await ctx.layerOutput(q.epoch, q.layer, indices);
  const codes = await pool.layerCodes(unitsAsChannels(ctx, q.layer, own.data, n), bins, signal);
  const probe = ctx.probe();
  const same = sameLabelPairs(indices.map((i) => probe.labels[i]));
  const label: MeasureValues = {
    measure: 'labelInformation',
    values: codes.map((c) => orNull(pairwiseInformationFromCodes(distanceCodesOf(c), same))),
  };
  const self = await pool.capacityFromCodes(codes, codes, signal);
  const duplicates: MeasureValues = {
    measure: 'nearDuplicateShare',
    values: nearDuplicateShares(self.values, channels, NEAR_DUPLICATE_SHARE).map(orNull),
  };
  const next = nextMixingLayer(ctx, q.layer);
  let toNext: MeasureValues;
  if (next === undefined) toNext = { ...none('capacityToNext', 'no layer after this one mixes its channels'), otherLayer: null };
  else {
    const after = await ctx.layerOutput(q.epoch, next, indices);
    const rows: SharedCodes[] = await pool.layerCodes(unitsAsChannels(ctx, next, after.data, n), bins, signal);
    const cm = await pool.capacityFromCodes(codes, rows, signal);
    const best = Array.from({ length: channels }, (_, c) => {
      let max: number | undefined;
      for (let r = 0; r < cm.rows; r++) {
        const v = cm.values[r * cm.columns + c];
        if (Number.isFinite(v) && (max === undefined || v > max)) max = v;
      }
      return orNull(max);
    });
    toNext = { measure: 'capacityToNext', values: best, otherLayer: next };
  }
  return [entropy, label, toNext, duplicates];
}

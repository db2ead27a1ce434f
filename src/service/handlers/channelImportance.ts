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
  sampleWithoutReplacement,
} from '../../analysis';
import { distanceCodesOf } from '../../compute/capacityStages';
import type { SharedCodes } from '../../contract/protocols/compute';
import { ablationAxis, AblationSession, mixesChannels } from '../ablation';
import { ESTIMATE_VERIFIED_MIN, ESTIMATE_VERIFIED_RHO, IMPORTANCE_SAMPLE_SEED, importanceTiers } from '../../contract/queries';
import type { AnswerOf, ChannelAblation, ImportanceMeasure, MeasureCorrelation, QueryOf } from '../../contract/queries';
import { answerKey } from '../answerKey';
import { scoredOutputLayer } from '../../contract/runFormat';
import { cachedCapacityMatrix, checkCancelled } from './capacityMatrix';
import { channelImportanceEstimate } from './channelImportanceEstimate';
import type { QueryContext } from '../queryContext';
import { channelEntropies } from './channelEntropies';
import { Handler, orNull } from './handler';
import { NEAR_DUPLICATE_SHARE, nearDuplicateShares, ScreenedSelfCapacity } from '../../analysis/nearDuplicates';
import { screenedSelfCapacity } from '../selfCapacity';

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
  // The estimates alone (`exact: 0`, where there are estimates) measure only the baseline: the
  // layer's activations are not read (a report's stand-in for each layer: 3.7 s each otherwise).
  const session = await AblationSession.open(ctx, q, { baselineOnly: estimatesAlone(ctx, q) });
  const { channels } = session.axis;
  const progress = ctx.control.onProgress;
  // The information measures run on the compute workers while the ablations run on this thread.
  // (With no channel measured, `exact: 0` and an estimate to give, there is nothing to correlate them with.)
  const early = q.exact !== 0 ? informationMeasures(ctx, q, session) : undefined;
  early?.catch(() => undefined); // awaited below
  const tier = await estimateTier(ctx, q, session);
  const measuring = early ?? (tier.measured.length ? informationMeasures(ctx, q, session) : Promise.resolve([]));
  const measuredChannels = tier.measured;
  const groups = [[], ...measuredChannels.map((c) => [c])];
  const measured = await session.measure(groups, (done) =>
    progress?.(
      0.1 + 0.6 * (done / groups.length),
      `ablating ${measuredChannels.length} of ${channels} channels one at a time: ${Math.round((100 * done) / groups.length)}%`,
    ),
  );
  const [baseline, ...ablated] = measured;
  const resampledMeasured = resampledDeltaLoss(ablated, baseline);
  const resampled: (Float64Array | undefined)[] = Array.from({ length: channels }, () => undefined);
  const rows: ChannelAblation[] = Array.from({ length: channels }, (_, c) => unmeasuredRow(c, tier.estimates[c]));
  measuredChannels.forEach((c, k) => {
    resampled[c] = resampledMeasured[k];
    rows[c] = { ...channelRow(c, ablated[k], baseline, resampledMeasured[k]), estimate: tier.estimates[c] };
  });
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
  const estimateRho = tier.exhaustiveReason === 'no estimate' ? undefined : spearman(tier.estimates, deltaLoss, { permutations: 0 }).rho;
  const ranking = importanceRanking(rows);
  return {
    epoch: q.epoch,
    layer: q.layer,
    mode: session.mode,
    inputCount: session.indices.length,
    classNames: ctx.manifest.dataset.classNames,
    baseline: { accuracy: baseline.accuracy, loss: orNull(baseline.loss) },
    channels: rows,
    estimate: {
      exhaustive: measuredChannels.length === channels,
      measuredCount: measuredChannels.length,
      ...importanceTiers(q.exact),
      seed: IMPORTANCE_SAMPLE_SEED,
      spearman: orNull(estimateRho),
      verified: estimateRho !== undefined && estimateRho >= ESTIMATE_VERIFIED_RHO && measuredChannels.length >= ESTIMATE_VERIFIED_MIN,
      ...(tier.note ? { note: tier.note } : {}),
    },
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

/**
 * Whether the answer is the estimates alone: `exact: 0`, and an estimate to give (zero ablation over
 * every probe input of a layer up to the scored output; {@link estimateTier} measures every channel
 * otherwise).
 */
function estimatesAlone(ctx: QueryContext, q: QueryOf<'channelImportance'>): boolean {
  if (q.exact !== 0 || q.exhaustive || (q.mode ?? 'zero') !== 'zero') return false;
  const m = ctx.manifest;
  if (m.output?.kind === 'none' || q.layer > scoredOutputLayer(m)) return false;
  return ctx.subset(q.x).length === ctx.probe().labels.length;
}

/**
 * Which channels the answer ablates exactly, and every channel's estimate: all of them when asked
 * `exhaustive`, when the layer has no more channels than the two tiers measure, or when there is no
 * estimate to choose by (mean ablation and input subsets have none: the Taylor estimate is of zeroing
 * over every probe input); else the two tiers of {@link twoTierChannels}.
 */
async function estimateTier(
  ctx: QueryContext,
  q: QueryOf<'channelImportance'>,
  session: AblationSession,
): Promise<{ measured: number[]; estimates: (number | null)[]; note?: string; exhaustiveReason?: 'asked' | 'small' | 'no estimate' }> {
  const { channels } = session.axis;
  const all = Array.from({ length: channels }, (_, c) => c);
  const none = (note: string) => ({ measured: all, estimates: all.map(() => null), note, exhaustiveReason: 'no estimate' as const });
  if (session.mode !== 'zero') return none('the Taylor estimate is of zeroing a channel: a mean ablation measures every channel');
  if (session.indices.length !== ctx.probe().labels.length)
    return none('the Taylor estimate is over every probe input: an input subset measures every channel');
  if (q.layer > session.output.layer)
    return none('the layer has no Taylor estimate (it is not before the scored output): every channel is measured');
  const estimates = await cachedEstimates(ctx, q.epoch, q.layer);
  if (q.exhaustive) return { measured: all, estimates, exhaustiveReason: 'asked' };
  const { topK, sampled } = importanceTiers(q.exact);
  if (channels <= topK + sampled) return { measured: all, estimates, exhaustiveReason: 'small' };
  return { measured: twoTierChannels(estimates, topK, sampled, IMPORTANCE_SAMPLE_SEED), estimates };
}

/**
 * The channels measured exactly, ascending: the `topK` largest estimates of Δ loss (ties by index;
 * a channel with no estimate last) and `sampled` drawn uniformly from the rest with `seed`.
 */
export function twoTierChannels(estimates: readonly (number | null)[], topK: number, sampled: number, seed: number): number[] {
  const size = (c: number) => estimates[c] ?? -Infinity;
  const order = estimates.map((_, c) => c).sort((a, b) => size(b) - size(a) || a - b);
  const rest = order.slice(topK).sort((a, b) => a - b);
  return [...order.slice(0, topK), ...sampleWithoutReplacement(rest, sampled, seed)].sort((a, b) => a - b);
}

/**
 * The layer's estimates at `epoch`: from the Taylor pass over every layer when its answer is cached
 * (a report asks it first, so its importance answers share one pass), else from a pass that gates
 * this layer alone, cached as the `channelImportanceEstimate` answer of this layer. That pass runs
 * the same forward pass in the same chunks and walks back only from the loss to this layer (not to
 * layer 1): the same numbers, bit for bit (test/unit/tfjs/taylor.test.ts), at a fraction of the cost
 * for a deep layer.
 */
async function cachedEstimates(ctx: QueryContext, epoch: number, layer: number): Promise<(number | null)[]> {
  const every = ctx.run.cache.get<AnswerOf['channelImportanceEstimate']>(answerKey(ctx.run, { kind: 'channelImportanceEstimate', epoch }));
  const fromEvery = every?.layers.find((l) => l.layer === layer);
  if (fromEvery) return fromEvery.estimates;
  const query: QueryOf<'channelImportanceEstimate'> = { kind: 'channelImportanceEstimate', epoch, layers: [layer] };
  const key = answerKey(ctx.run, query);
  let answer = ctx.run.cache.get<AnswerOf['channelImportanceEstimate']>(key);
  if (!answer) {
    answer = await channelImportanceEstimate(query, ctx);
    checkCancelled(ctx);
    ctx.run.cache.set(key, answer);
  }
  const found = answer.layers.find((l) => l.layer === layer);
  if (!found) throw new Error(`the Taylor pass gave no estimate of layer ${layer}`);
  return found.estimates;
}

/** Channel indices, most costly first: the measured channels by Δ loss, then the unmeasured by estimate (ties by index). */
export function importanceRanking(rows: readonly ChannelAblation[]): number[] {
  const key = (r: ChannelAblation): [number, number] => (r.measured ? [0, -(r.deltaLoss ?? -Infinity)] : [1, -(r.estimate ?? -Infinity)]);
  return rows
    .map((r) => r.channel)
    .sort((a, b) => {
      const [ta, va] = key(rows[a]);
      const [tb, vb] = key(rows[b]);
      return ta - tb || va - vb || a - b;
    });
}

function unmeasuredRow(channel: number, estimate: number | null): ChannelAblation {
  return {
    channel,
    measured: false,
    estimate,
    deltaLoss: null,
    deltaLossLow: null,
    deltaLossHigh: null,
    deltaAccuracy: null,
    classesLosing: [],
  };
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
    measured: true,
    estimate: null,
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
  const subset = q.x ? { x: q.x } : {};
  // A layer with feature maps reads the codes and the screened self-capacity every query shares
  // (the findings, the capacity matrices, the label information); a dense layer's units are its
  // channels here, which no other query codes one by one.
  let codes: SharedCodes[];
  let self: ScreenedSelfCapacity;
  if (!vector) {
    codes = (await ctx.layerPairCodes({ layerI: q.layer, layerJ: q.layer, epoch: q.epoch, ...subset })).columns;
    self = await ctx.selfCapacity({ layer: q.layer, epoch: q.epoch, ...subset });
  } else {
    const own = unitsAsChannels(ctx, q.layer, (await ctx.layerOutput(q.epoch, q.layer, indices)).data, n);
    codes = await pool.layerCodes(own, bins, signal);
    self = await screenedSelfCapacity(pool, own, codes, { signal });
  }
  // A layer with feature maps: the values the findings and `channelLabelInformation` read (kept on their own).
  let labelBits: (number | undefined)[];
  if (!vector) labelBits = await ctx.channelLabelBits({ layer: q.layer, epoch: q.epoch, ...subset });
  else {
    const probe = ctx.probe();
    const same = sameLabelPairs(indices.map((i) => probe.labels[i]));
    labelBits = codes.map((c) => pairwiseInformationFromCodes(distanceCodesOf(c), same));
  }
  const label: MeasureValues = { measure: 'labelInformation', values: labelBits.map(orNull) };
  const duplicates: MeasureValues = {
    measure: 'nearDuplicateShare',
    values: nearDuplicateShares(self, NEAR_DUPLICATE_SHARE).map(orNull),
  };
  const next = nextMixingLayer(ctx, q.layer);
  let toNext: MeasureValues;
  if (next === undefined) toNext = { ...none('capacityToNext', 'no layer after this one mixes its channels'), otherLayer: null };
  else {
    // `[row · columns + column]`: rows the next layer's channels, columns this layer's.
    let cells: ArrayLike<number | null>;
    let rowCount: number;
    if (!vector && ctx.manifest.layers[next].outputShape.length >= 2) {
      // The Layer view's matrix and the network graph's: computed once, kept in the answer cache.
      const cm = await cachedCapacityMatrix({ kind: 'capacityMatrix', layerI: q.layer, layerJ: next, epoch: q.epoch, ...subset }, ctx);
      [cells, rowCount] = [cm.values, cm.rows];
    } else {
      const after = await ctx.layerOutput(q.epoch, next, indices);
      const rows: SharedCodes[] = await pool.layerCodes(unitsAsChannels(ctx, next, after.data, n), bins, signal);
      const cm = await pool.capacityFromCodes(codes, rows, signal);
      [cells, rowCount] = [cm.values, cm.rows];
    }
    const best = Array.from({ length: channels }, (_, c) => {
      let max: number | undefined;
      for (let r = 0; r < rowCount; r++) {
        const v = cells[r * channels + c];
        if (v !== null && Number.isFinite(v) && (max === undefined || v > max)) max = v;
      }
      return orNull(max);
    });
    toNext = { measure: 'capacityToNext', values: best, otherLayer: next };
  }
  return [entropy, label, toNext, duplicates];
}

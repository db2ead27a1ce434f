// The slice queries the views ask, built in one place so that the standalone report precomputes
// exactly the queries the views will look up (a report answers by canonical query; a query built
// slightly differently would miss). Pure: the CLI's `report` command imports it too.
import type { NetworkGraphAnswer, Query, QueryKind, QueryOf } from './queries';
import { scoredOutputLayer } from './runFormat';
import type { RunManifest } from './runFormat';
import type { InputSubset } from '../analysis/subsets';
import { REPORT_STAGES, VIEW_IDS } from './views';
import type { ReportStage, ViewId } from './views';
import { isConvolution, layerKind } from './layerKinds';

/** Inputs whose feature maps and deconvolutions the views show: one per class, as in Figs. 9 and 15. */
export const SAMPLE_INPUTS: InputSubset = { kind: 'perClass', count: 1, seed: 0 };

/**
 * Subset sizes of the input-diversity bars over the whole dataset, in inputs PER CLASS (paper
 * Fig. 5(B): datasets of 100, 500 and 1000 digits per class). A class's bar draws that many of
 * its inputs; the "all classes" bar is exactly the union of those draws (the `inputDiversity`
 * query's "all" row), so both mean the same "n per class".
 */
export const DIVERSITY_SIZES = [100, 500, 1000];

/**
 * Subset sizes over the probe set, in inputs per class, which holds far fewer inputs per class (≈50
 * in a probe of 500): a quarter, half and all of the smallest class, so every class has a bar of every size.
 */
export function probeDiversitySizes(manifest: RunManifest): number[] {
  const smallest = Math.min(...manifest.probe.classCounts.filter((n) => n > 0));
  if (!Number.isFinite(smallest) || smallest < 3) return [3];
  return [...new Set([Math.max(3, Math.floor(smallest / 4)), Math.max(3, Math.floor(smallest / 2)), smallest])];
}

/** The per-class diversity sizes of a source: what the bars' legend names ("n per class"). */
export function diversitySizes(manifest: RunManifest, source: 'probe' | 'dataset'): number[] {
  return source === 'probe' ? probeDiversitySizes(manifest) : DIVERSITY_SIZES;
}

const isAll = (x: InputSubset) => x.kind === 'all';
/** Optional subsets are left out for "all", so both spellings are one canonical query. */
const withSubset = (x: InputSubset) => (isAll(x) ? {} : { x });

export const queries = {
  run: (): QueryOf<'run'> => ({ kind: 'run' }),
  /** The training curves; with a subset, its probe measures (the training set's stay the recorder's). */
  training: (x: InputSubset = { kind: 'all' }): QueryOf<'training'> => ({ kind: 'training', ...withSubset(x) }),
  confusion: (epoch: number): QueryOf<'confusion'> => ({ kind: 'confusion', epoch, inputs: true }),
  inputs: (x: InputSubset): QueryOf<'inputs'> => ({ kind: 'inputs', x }),
  /** The diversity bars: n per class for each class, and "all" = the union of those draws (n × classes inputs). */
  inputDiversity: (manifest: RunManifest, source: 'probe' | 'dataset'): QueryOf<'inputDiversity'> => ({
    kind: 'inputDiversity',
    sizes: diversitySizes(manifest, source),
    source,
  }),
  channelEntropies: (layer: number, epoch: number, x: InputSubset): QueryOf<'channelEntropies'> => ({
    kind: 'channelEntropies',
    layer,
    epoch,
    ...withSubset(x),
  }),
  interSample: (layer: number, epoch: number, x: InputSubset): QueryOf<'interSample'> => ({
    kind: 'interSample',
    layer,
    epoch,
    ...withSubset(x),
  }),
  smallMultiples: (layer: number): QueryOf<'smallMultiples'> => ({ kind: 'smallMultiples', layer }),
  capacityMatrix: (layerI: number, layerJ: number, epoch: number, x: InputSubset): QueryOf<'capacityMatrix'> => ({
    kind: 'capacityMatrix',
    layerI,
    layerJ,
    epoch,
    ...withSubset(x),
  }),
  layerCapacity: (layerI: number, layerJ: number, epoch: number, x: InputSubset): QueryOf<'layerCapacity'> => ({
    kind: 'layerCapacity',
    layerI,
    layerJ,
    epoch,
    ...withSubset(x),
  }),
  /** All channels of a layer for the sample inputs; views pick the channels they show from it. */
  featureMaps: (manifest: RunManifest, layer: number, epoch: number): QueryOf<'featureMaps'> => ({
    kind: 'featureMaps',
    layer,
    channels: allChannels(manifest, layer),
    epoch,
    x: SAMPLE_INPUTS,
  }),
  deconvolution: (layer: number, channel: number, epoch: number): QueryOf<'deconvolution'> => ({
    kind: 'deconvolution',
    layer,
    channel,
    epoch,
    x: SAMPLE_INPUTS,
  }),
};

export function allChannels(manifest: RunManifest, layer: number): number[] {
  return Array.from({ length: Math.min(4096, manifest.layers[layer]?.channels ?? 1) }, (_, i) => i);
}

/** Layer pairs a report precomputes capacity for: each layer with several channels and the next such layer. */
export function capacityPairs(manifest: RunManifest): [number, number][] {
  const multi = manifest.layers.filter((l) => l.index > 0 && l.channels > 1).map((l) => l.index);
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < multi.length; i++) pairs.push([multi[i], multi[i + 1]]);
  return pairs;
}

/** How many epochs the Layer view's epoch strip shows by default (Figs. 10/11): spread over the run. */
export const STRIP_EPOCH_COUNT = 4;

/** The epoch strip's default epochs: 4 spread over the recorded ones, the first and last included. */
export function stripEpochs(manifest: RunManifest): number[] {
  return spreadEpochs(manifest.epochs, STRIP_EPOCH_COUNT);
}

/**
 * The depth strip's default pairs (Fig. 12): the first convolution (else the first layer with
 * several channels) as layer I against every later layer with several channels as layer J; with
 * `base` (a multi-channel layer), that layer instead of the first convolution.
 */
export function depthPairs(manifest: RunManifest, base?: number): [number, number][] {
  const multi = manifest.layers.filter((l) => l.index > 0 && l.channels > 1);
  const first =
    (base !== undefined ? multi.find((l) => l.index === base) : undefined) ?? multi.find((l) => isConvolution(l.className)) ?? multi[0];
  if (!first) return [];
  return multi.filter((l) => l.index > first.index).map((l) => [first.index, l.index]);
}

/** Most depth-strip pairs a report precomputes: a deep network (ResNet-18: ~60 later layers) would otherwise multiply its size. */
export const REPORT_DEPTH_PAIRS = 12;

/** The depth pairs a report precomputes: all of them, or REPORT_DEPTH_PAIRS spread over the depth (the deepest included). */
export function reportDepthPairs(manifest: RunManifest): [number, number][] {
  const pairs = depthPairs(manifest);
  return spreadEpochs(
    pairs.map((_, k) => k),
    REPORT_DEPTH_PAIRS,
  ).map((k) => pairs[k]);
}

export interface ReportPlanOptions {
  /** Epochs that get forward-pass answers (capacity, feature maps, confusion cells, deconvolution). */
  epochs: number[];
  /** Include the input diversity of the whole dataset (reads the dataset again). */
  datasetDiversity: boolean;
  /** Most channels per layer that get a precomputed deconvolution. */
  deconvolutionChannels: number;
}

/** A view's part of the report plan: the queries it needs precomputed, by stage (src/contract/views.ts REPORT_STAGES). */
export type ViewPlan = (manifest: RunManifest, o: ReportPlanOptions) => { readonly [S in ReportStage]?: Query[] };

const ALL: InputSubset = { kind: 'all' };
const after = (manifest: RunManifest) => manifest.layers.filter((l) => l.index > 0);

/**
 * Each view's part of a standalone report: the queries it asks by default, built as it builds them.
 * A view declared in src/contract/views.ts without its part here does not compile (its part may be empty).
 */
export const REPORT_PLAN_OF_VIEW: Record<ViewId, ViewPlan> = {
  query: (manifest, o) => ({
    // The Findings list.
    first: manifest.epochs.length > 0 ? [importanceQueries.findings()] : [],
    views: [
      queries.run(),
      queries.inputs(SAMPLE_INPUTS),
      ...manifest.layers.flatMap((l) => manifest.epochs.map((e) => queries.interSample(l.index, e, ALL))),
    ],
    // The Network view's graph at every epoch the report computes (its thumbnails follow from each
    // answer: reportCompute.ts), so its slider and ▶ play through them.
    last: reportNetworkEpochs(o).map((e) => networkQueries.networkGraph(e)),
  }),
  training: (manifest, o) => {
    const views: Query[] = [queries.training(), queries.inputDiversity(manifest, 'probe')];
    if (o.datasetDiversity) views.push(queries.inputDiversity(manifest, 'dataset'));
    // A run whose model predicts no class (regression, embedding) has no confusion matrix to show.
    if (!manifest.output?.labelMeasuresAbsent) for (const e of o.epochs) views.push(queries.confusion(e));
    return { views };
  },
  layer: (manifest, o) => {
    const views: Query[] = [];
    for (const e of o.epochs) {
      for (const [a, b] of capacityPairs(manifest)) views.push(queries.capacityMatrix(a, b, e, ALL), queries.layerCapacity(a, b, e, ALL));
      for (const l of after(manifest)) views.push(queries.featureMaps(manifest, l.index, e));
    }
    // The strips: every consecutive pair at the epoch strip's epochs (Figs. 10/11), and the first
    // convolution against every later multi-channel layer (Fig. 12) at the same epochs, so the
    // depth strip is complete at each of them. Duplicates of the above are answered once.
    for (const e of stripEpochs(manifest))
      for (const [a, b] of [...capacityPairs(manifest), ...reportDepthPairs(manifest)]) views.push(queries.capacityMatrix(a, b, e, ALL));
    return { views };
  },
  channel: (manifest, o) => {
    const views: Query[] = after(manifest).flatMap((l) => [
      queries.smallMultiples(l.index),
      ...manifest.epochs.map((e) => queries.channelEntropies(l.index, e, ALL)),
    ]);
    const last = o.epochs[o.epochs.length - 1];
    // A one-channel layer (flatten, dense) is usually refused by the service: the report keeps that
    // refusal (channel 0), so the Channel view shows the service's reason instead of "not in report".
    if (last !== undefined)
      for (const l of after(manifest))
        for (let c = 0; c < (l.channels <= 1 ? 1 : Math.min(l.channels, o.deconvolutionChannels)); c++)
          views.push(queries.deconvolution(l.index, c, last));
    return { views };
  },
  information: (manifest, o) => {
    const epoch = reportNetworkEpoch(o);
    return {
      views: informationPlan(manifest).map((step) => step.query),
      // Channel importance (each channel ablated alone) at the last epoch, for the layers the view shows.
      // The one Taylor pass over every layer first: each importance answer reads its layer's estimates from it.
      last: epoch === undefined ? [] : reportImportance(manifest, epoch),
    };
  },
};

/** A report's channel importance at `epoch`: the every-layer Taylor estimate (when the run scores classes), then each layer's two tiers. */
function reportImportance(manifest: RunManifest, epoch: number): Query[] {
  const layers = reportImportanceLayers(manifest);
  if (!layers.length) return [];
  const estimate = manifest.output?.labelMeasuresAbsent ? [] : [importanceQueries.estimate(epoch)];
  return [...estimate, ...layers.map((l) => importanceQueries.channelImportance(l, epoch))];
}

/**
 * The estimate tier of a report (issue 67): a planned query that has a cheap stand-in answers it
 * first, under the planned query's own key, and the planned (exact) query runs again at the end of
 * the plan, replacing it if it is done within the time budget. A report is thus never missing an
 * answer for time where an estimate exists, and its views say which answers are estimates.
 *
 * - Channel importance: `exact: 0`, every channel's Taylor estimate from the one Taylor pass the
 *   report makes, no ablation (unless the query is a mean ablation, an input subset, `exhaustive`
 *   or asks its own `exact`: those have no stand-in).
 * - A capacity matrix or layer-level capacity over every probe input: the same over a seeded sample
 *   of the probe inputs ({@link standInPerClass} per class); its answer's `inputCount` says how
 *   many, and the Layer view marks it an estimate ({@link capacityEstimateNote}). None where the
 *   probe set is too small for a sample of at least 3 per class under a quarter of it.
 */
export function reportStandIn(query: Query, manifest: RunManifest): Query | undefined {
  if (query.kind === 'channelImportance') {
    if (query.exhaustive || query.exact !== undefined || (query.mode ?? 'zero') !== 'zero' || query.x !== undefined) return undefined;
    return { ...query, exact: 0 };
  }
  if ((query.kind === 'capacityMatrix' || query.kind === 'layerCapacity') && query.x === undefined) {
    const count = standInPerClass(manifest);
    return count === undefined ? undefined : { ...query, x: { kind: 'perClass', count, seed: 0 } };
  }
  return undefined;
}

/** Most inputs a stand-in capacity matrix is computed from: 64 inputs give 2,016 pairs, a tenth of a probe of 200's 19,900. */
export const STAND_IN_INPUTS = 64;

/**
 * Inputs per class of a stand-in capacity matrix, or undefined where there is none (fewer than 3
 * per class would do). The sample stays under a quarter of the probe set, where the analysis
 * service runs one paused forward pass over those inputs that serves every layer in turn
 * (src/service/subsetPasses.ts) instead of a pass over the whole probe set for each matrix.
 */
export function standInPerClass(manifest: RunManifest): number | undefined {
  const classes = manifest.probe.classCounts.filter((n) => n > 0).length;
  if (classes === 0) return undefined;
  const count = Math.min(Math.ceil(STAND_IN_INPUTS / classes), Math.floor((manifest.probe.size / 4 - 1) / classes));
  return count >= 3 ? count : undefined;
}

/**
 * What a view says over a capacity matrix asked of every probe input whose answer is over fewer
 * (`inputCount`): a report's stand-in ({@link reportStandIn}), an estimate. Undefined where the
 * answer is over every probe input, or the slice asked a subset (then the subset is what it is over).
 */
export function capacityEstimateNote(inputCount: number, manifest: RunManifest, subset: InputSubset): string | undefined {
  if (subset.kind !== 'all' || inputCount >= manifest.probe.size) return undefined;
  return (
    `an estimate, computed from a seeded sample of ${inputCount} of the ${manifest.probe.size} probe inputs, not all of them, ` +
    'because the report’s time budget (--max-seconds) left no room for the exact value. Fewer input pairs fill the joint ' +
    'histogram more thinly, so the values read higher than the exact ones. Write the report again with a larger --max-seconds, ' +
    'or open the run in VS Code, for the exact values.'
  );
}

/** The queries a standalone report answers, in the order they are computed (cheap first): each view's part, stage by stage. */
export function reportPlan(manifest: RunManifest, o: ReportPlanOptions): { view: ViewId; query: Query }[] {
  return assemblePlan(VIEW_IDS, REPORT_PLAN_OF_VIEW, manifest, o);
}

/** A plan from the parts of `views` (in tab order): stage by stage, each view's queries of that stage in turn. */
export function assemblePlan<V extends string>(
  views: readonly V[],
  parts: Record<V, ViewPlan>,
  manifest: RunManifest,
  o: ReportPlanOptions,
): { view: V; query: Query }[] {
  const planned = views.map((view) => ({ view, part: parts[view](manifest, o) }));
  return REPORT_STAGES.flatMap((stage) => planned.flatMap(({ view, part }) => (part[stage] ?? []).map((query) => ({ view, query }))));
}

/** Up to `count` recorded epochs, evenly spread, always with the last (and the first when count ≥ 2). */
export function spreadEpochs(epochs: number[], count: number): number[] {
  if (epochs.length <= count) return epochs.slice();
  if (count <= 1) return epochs.slice(-1);
  const picked = new Set<number>();
  for (let i = 0; i < count; i++) picked.add(epochs[Math.round((i * (epochs.length - 1)) / (count - 1))]);
  return [...picked].sort((a, b) => a - b);
}

/**
 * Input diversity measured the same way for every compared run: subset sizes the smallest class of
 * every run can fill, so each run gets a value at each size (the estimate grows with the subset size,
 * so runs are compared only at equal sizes).
 */
export function compareDiversitySizes(manifests: RunManifest[]): number[] {
  const smallest = manifests.reduce(
    (m, manifest) => (manifest.probe.classCounts.some((n) => n > 0) ? Math.min(m, ...manifest.probe.classCounts.filter((n) => n > 0)) : m),
    Infinity,
  );
  if (!Number.isFinite(smallest) || smallest < 3) return [3];
  return [...new Set([Math.max(3, Math.floor(smallest / 4)), Math.max(3, Math.floor(smallest / 2)), smallest])];
}

/** The epoch whose per-layer summaries the comparison view shows for a run: its last recorded one. */
export function compareEpoch(manifest: RunManifest): number | undefined {
  return manifest.epochs[manifest.epochs.length - 1];
}

/**
 * The queries the comparison view asks of each run, all answered from summaries or the probe inputs
 * (no forward pass), so a comparison report stays small: the run, its training curves, the input
 * diversity at the sizes shared by all runs, and each layer's inter-sample and channel entropies at
 * the run's last epoch.
 */
export function comparePlan(manifest: RunManifest, all: RunManifest[]): { view: ViewId; query: Query }[] {
  const subset: InputSubset = { kind: 'all' };
  const plan: { view: ViewId; query: Query }[] = [
    { view: 'training', query: queries.run() },
    { view: 'training', query: queries.training() },
    { view: 'training', query: compareQueries.inputDiversity(all) },
  ];
  const epoch = compareEpoch(manifest);
  if (epoch === undefined) return plan;
  for (const l of manifest.layers) {
    plan.push({ view: 'query', query: queries.interSample(l.index, epoch, subset) });
    if (l.index > 0) plan.push({ view: 'channel', query: queries.channelEntropies(l.index, epoch, subset) });
  }
  plan.push(...compareInformationPlan());
  return plan;
}

export const compareQueries = {
  inputDiversity: (all: RunManifest[]): QueryOf<'inputDiversity'> => ({
    kind: 'inputDiversity',
    sizes: compareDiversitySizes(all),
    source: 'probe',
  }),
};

// ---------------------------------------------------------------------------------------------
// The Information view: mutual information with the labels and the information plane.

/** The two estimators of the information plane (docs/estimators.md), in the order the view offers them. */
export const INFORMATION_ESTIMATORS = ['pairwise', 'binned'] as const;
export type InformationEstimator = (typeof INFORMATION_ESTIMATORS)[number];

export const informationQueries = {
  /** Every layer's (I(X;T), I(T;Y)) over the recorded epochs, for one estimator. */
  plane: (estimator: InformationEstimator, x: InputSubset): QueryOf<'informationPlane'> => ({
    kind: 'informationPlane',
    estimator,
    ...withSubset(x),
  }),
  /** I_pair(T_c; Y) of every channel of a layer at every recorded epoch: the channel × epoch heatmap. */
  channels: (layer: number, x: InputSubset): QueryOf<'channelLabelInformation'> => ({
    kind: 'channelLabelInformation',
    layer,
    ...withSubset(x),
  }),
  /** Redundancy: the capacity matrix of a layer with itself (duplicate filters form blocks). */
  redundancy: (layer: number, epoch: number, x: InputSubset): QueryOf<'capacityMatrix'> => queries.capacityMatrix(layer, layer, epoch, x),
};

/** The layers whose channels the Information view compares: every layer after the input with several channels. */
export function informationLayers(manifest: RunManifest): number[] {
  return manifest.layers.filter((l) => l.index > 0 && l.channels > 1).map((l) => l.index);
}

/** Most layers whose redundancy matrix a report precomputes (at the last epoch): a deep model's would not fit. */
export const REPORT_REDUNDANCY_LAYERS = 12;

/**
 * The Information view's answers in a report: the plane for both estimators, the channel heatmap of
 * every multi-channel layer, and the redundancy matrix of up to REPORT_REDUNDANCY_LAYERS of them
 * (spread over the depth) at the last epoch, which the view opens on.
 */
export function informationPlan(manifest: RunManifest): { view: ViewId; query: Query }[] {
  const all: InputSubset = { kind: 'all' };
  const plan: { view: ViewId; query: Query }[] = INFORMATION_ESTIMATORS.map((e) => ({
    view: 'information' as const,
    query: informationQueries.plane(e, all),
  }));
  const layers = informationLayers(manifest);
  for (const l of layers) plan.push({ view: 'information', query: informationQueries.channels(l, all) });
  const last = manifest.epochs[manifest.epochs.length - 1];
  if (last !== undefined) {
    const spread = spreadEpochs(
      layers.map((_, k) => k),
      REPORT_REDUNDANCY_LAYERS,
    ).map((k) => layers[k]);
    for (const l of spread) plan.push({ view: 'information', query: informationQueries.redundancy(l, last, all) });
  }
  return plan;
}

/** What the comparison view asks each run for its information-plane trajectories: both estimators (recorded values, no forward pass). */
export function compareInformationPlan(): { view: ViewId; query: Query }[] {
  return INFORMATION_ESTIMATORS.map((e) => ({ view: 'information' as const, query: informationQueries.plane(e, { kind: 'all' }) }));
}

// ---------------------------------------------------------------------------------------------
// The Network view (CNNVis-style overview): the clustered graph and its thumbnails.

export const networkQueries = {
  /** The clustered network at one epoch, with the service's default clusters per layer and seed. */
  networkGraph: (epoch: number): QueryOf<'networkGraph'> => ({ kind: 'networkGraph', epoch }),
  /**
   * The pictures of the probe inputs the clusters respond to most (the thumbnails), or null when
   * the answer names none. Built from the answer, so the report asks exactly what the view will.
   */
  thumbnails: (answer: NetworkGraphAnswer): QueryOf<'inputs'> | null => {
    const indices = [...new Set(answer.clusters.flatMap((c) => c.topInputs))].sort((a, b) => a - b);
    return indices.length ? { kind: 'inputs', x: { kind: 'indices', indices } } : null;
  },
};

/** The last epoch a report computes forward passes for: its channel importance is measured there. */
export function reportNetworkEpoch(o: ReportPlanOptions): number | undefined {
  return o.epochs[o.epochs.length - 1];
}

/** The epochs whose network graph a report holds: every epoch it computes forward passes for (`--epochs`, spread). */
export function reportNetworkEpochs(o: ReportPlanOptions): number[] {
  return o.epochs.slice();
}

// ---------------------------------------------------------------------------------------------
// What the measures mean for the model: channel ablation and the findings.

export const importanceQueries = {
  /** A layer's channels estimated and the most costly and a sample ablated alone (`exhaustive`: every one), against their information measures (zero ablation). */
  channelImportance: (layer: number, epoch: number, exhaustive?: boolean): QueryOf<'channelImportance'> =>
    exhaustive ? { kind: 'channelImportance', layer, epoch, exhaustive } : { kind: 'channelImportance', layer, epoch },
  /**
   * The Taylor estimate of every channel of every layer at `epoch`, one pass: a report asks it before
   * its channel importance, whose answers then read it (else each runs a pass of its own layer).
   */
  estimate: (epoch: number): QueryOf<'channelImportanceEstimate'> => ({ kind: 'channelImportanceEstimate', epoch }),
  /** The findings of the run at an epoch (the last recorded when absent). */
  findings: (epoch?: number): QueryOf<'findings'> => (epoch === undefined ? { kind: 'findings' } : { kind: 'findings', epoch }),
};

/** Most layers whose channel importance a report precomputes (the Taylor pass, then a forward pass per measured channel each). */
export const REPORT_IMPORTANCE_LAYERS = 12;

/**
 * The layers whose channel importance the Information view asks: the multi-channel layers of
 * {@link informationLayers}, and the dense layers of more than one unit before the scored output
 * (each unit a channel of one value; the output's own units are the class scores), in the run's order.
 */
export function importanceLayers(manifest: RunManifest): number[] {
  const multi = new Set(informationLayers(manifest));
  const output = scoredOutputLayer(manifest);
  return manifest.layers.filter((l) => multi.has(l.index) || (l.index > 0 && l.index < output && isDenseLayer(l))).map((l) => l.index);
}

/** A layer that mixes its input into a vector of more than one unit (a dense layer): no feature maps, each unit its own channel. */
export function isDenseLayer(layer: RunManifest['layers'][number]): boolean {
  return layer.outputShape.length === 1 && layer.outputShape[0] > 1 && layerKind(layer.className).channels === 'mixes';
}

/** The layers whose channel importance a report holds: all of {@link importanceLayers}, or REPORT_IMPORTANCE_LAYERS spread over the depth. */
export function reportImportanceLayers(manifest: RunManifest): number[] {
  const layers = importanceLayers(manifest);
  return spreadEpochs(
    layers.map((_, k) => k),
    REPORT_IMPORTANCE_LAYERS,
  ).map((k) => layers[k]);
}

/** A builder of queries of one kind: whatever the view knows in, a query of that kind (or none) out. */
type BuilderOf<K extends QueryKind> = (...args: never[]) => QueryOf<K> | null;

/**
 * The builder the views ask each kind through, one per kind of the vocabulary
 * (src/contract/queries): a kind added without its builder here does not compile. `null` marks a
 * kind no view asks (the command line's `cnn-slicer query` does).
 */
export const QUERY_BUILDERS: { [K in QueryKind]: BuilderOf<K> | null } = {
  run: queries.run,
  training: queries.training,
  confusion: queries.confusion,
  inputs: queries.inputs,
  featureMaps: queries.featureMaps,
  channelEntropies: queries.channelEntropies,
  smallMultiples: queries.smallMultiples,
  interSample: queries.interSample,
  inputDiversity: queries.inputDiversity,
  capacityMatrix: queries.capacityMatrix,
  layerCapacity: queries.layerCapacity,
  channelPair: null,
  deconvolution: queries.deconvolution,
  networkGraph: networkQueries.networkGraph,
  channelLabelInformation: informationQueries.channels,
  informationPlane: informationQueries.plane,
  ablation: null,
  channelImportance: importanceQueries.channelImportance,
  channelImportanceEstimate: importanceQueries.estimate,
  findings: importanceQueries.findings,
};

// ---------------------------------------------------------------------------------------------
// The input subsets a report holds besides all inputs: each class alone.

/** Fewest probe inputs of a class for a report to hold its subset: an entropy between inputs needs two. */
export const REPORT_CLASS_MIN_INPUTS = 2;

/** Most classes a report holds alone (the first ones): a model of many classes would otherwise multiply the report. */
export const REPORT_CLASS_SUBSETS = 100;

/**
 * The subsets a report precomputes besides all inputs: each class with enough probe inputs, alone
 * (the first {@link REPORT_CLASS_SUBSETS}), spelt as the Query view's picker spells one class (so
 * the picker's query is the report's key).
 */
export function reportClassSubsets(manifest: RunManifest): InputSubset[] {
  return manifest.probe.classCounts
    .flatMap((n, c) => (n >= REPORT_CLASS_MIN_INPUTS ? [{ kind: 'classes' as const, classes: [c] }] : []))
    .slice(0, REPORT_CLASS_SUBSETS);
}

/**
 * A subset as the views ask it, so that equal subsets are one canonical query: classes sorted and
 * distinct, and every one of `classCount` classes is all inputs.
 */
export function canonicalSubset(x: InputSubset, classCount: number): InputSubset {
  if (x.kind !== 'classes') return x;
  const classes = [...new Set(x.classes)].sort((a, b) => a - b);
  return classCount > 0 && classes.length === classCount && classes.every((c, k) => c === k)
    ? { kind: 'all' }
    : { kind: 'classes', classes };
}

/**
 * The steps of `plan` whose query takes the input subset, asked for `x` instead: rebuilt by the
 * views' own builders, so a report's per-class keys are the queries the views ask.
 */
export function subsetSteps(plan: { view: ViewId; query: Query }[], x: InputSubset): { view: ViewId; query: Query }[] {
  const out: { view: ViewId; query: Query }[] = [];
  for (const { view, query: q } of plan) {
    if ('x' in q && q.x !== undefined) continue;
    const query = subsetQuery(q, x);
    if (query) out.push({ view, query });
  }
  return out;
}

/** The query `q` asks, over the inputs `x` instead, built as the views build it; undefined for kinds that take no subset. */
function subsetQuery(q: Query, x: InputSubset): Query | undefined {
  switch (q.kind) {
    case 'training':
      return queries.training(x);
    case 'interSample':
      return queries.interSample(q.layer, q.epoch, x);
    case 'channelEntropies':
      return queries.channelEntropies(q.layer, q.epoch, x);
    case 'capacityMatrix':
      return queries.capacityMatrix(q.layerI, q.layerJ, q.epoch, x);
    case 'layerCapacity':
      return queries.layerCapacity(q.layerI, q.layerJ, q.epoch, x);
    case 'informationPlane':
      return informationQueries.plane(q.estimator, x);
    case 'channelLabelInformation':
      return informationQueries.channels(q.layer, x);
    default:
      return undefined;
  }
}

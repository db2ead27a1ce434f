/**
 * `networkGraph`: the network as CNNVis draws it (the exact definitions are in
 * docs/estimators.md "Channel clusters and the network graph"). The model's layers as a DAG from
 * the checkpoint's topology; the channels of each layer with channels grouped by their mean
 * activation per probe input (src/analysis/channelClusters.ts); per cluster its channels' mean
 * channel entropy, the probe inputs it responds to most and its mean activation per class; and
 * edges between the clusters of each clustered layer and its nearest clustered ancestors, weighted
 * by the mean channel capacity between their members — read from the capacity matrices of those
 * layer pairs, through the same answer cache as the `capacityMatrix` query.
 */
import { channelProfiles, clusterChannels, defaultClusterCount, InputSubset } from '../../analysis';
import { layerInputs } from '../networkTopology';
import type { AnswerOf, Bits, NetworkCluster, NetworkEdge, NetworkNode } from '../queries';
import { cachedCapacityMatrix, checkCancelled } from './capacityMatrix';
import { channelEntropies } from './channelEntropies';
import type { Handler } from './handler';

/** Edges kept per cluster and layer pair: its strongest outgoing and its strongest incoming ones. */
export const EDGES_PER_CLUSTER = 3;

/**
 * Most probe inputs the edges' capacities are measured on: a larger probe set is drawn down to a
 * class-balanced, seeded subset of about this many (the `capacityMatrix` query with a `perClass`
 * subset), because the capacity matrices of every layer pair cost pairs of inputs (N²/2) times
 * channel pairs, and on all of a 500-input probe they take tens of seconds where the graph should
 * take a few. The clusters are always measured on every probe input.
 */
export const EDGE_INPUTS = 160;

/** Probe inputs named per cluster as the ones it responds to most. */
export const TOP_INPUTS = 4;

export const networkGraph: Handler<'networkGraph'> = async (q, ctx) => {
  const m = ctx.manifest;
  ctx.metricsAt(q.epoch);
  for (const l of q.layers ?? []) ctx.checkLayer(l);
  const layers = m.layers;
  const { model } = await ctx.model(q.epoch);
  const inputs = layerInputs(model, layers);
  const chosen = q.layers ? new Set(q.layers) : undefined;
  const nodes: NetworkNode[] = layers.map((layer, l) => ({
    layer: l,
    inputs: inputs[l],
    ...(inputs[l].length > 1 ? { merge: mergeName(layer.className) } : {}),
    clustered: layer.channels > 1 && (!chosen || chosen.has(l)),
  }));

  const probe = ctx.probe();
  const all = ctx.subset(undefined);
  const classCount = ctx.classes();
  const edgeInputs = edgeSubset(probe.labels.length, classCount, q.seed ?? m.settings.seed);
  const clusters: NetworkCluster[] = [];
  const edges: NetworkEdge[] = [];
  /** Member channels of each cluster of each clustered layer. */
  const membersOf = new Map<number, number[][]>();
  const clusteredLayers = nodes.filter((n) => n.clustered).map((n) => n.layer);
  // Layer by layer, ascending: each forward pass continues from the activations the previous one
  // kept, and a layer's edges are measured right after it is clustered, while its ancestors'
  // activations are most likely still in memory (a ResNet's layers do not all fit at once).
  for (const [step, l] of clusteredLayers.entries()) {
    checkCancelled(ctx);
    ctx.control.onProgress?.(step / clusteredLayers.length, `network graph: clustering ${layers[l].name}`);
    const acts = await ctx.layerOutput(q.epoch, l, all);
    const profiles = channelProfiles(acts);
    const k = Math.min(q.clusters ?? defaultClusterCount(acts.channels), acts.channels);
    const grouping = clusterChannels(profiles, acts.channels, acts.count, k);
    membersOf.set(l, grouping.clusters);
    const entropies = (await channelEntropies({ kind: 'channelEntropies', layer: l, epoch: q.epoch }, ctx)).all;
    grouping.clusters.forEach((channels, cluster) => {
      const profile = clusterProfile(profiles, acts.count, channels);
      clusters.push({
        layer: l,
        cluster,
        channels,
        meanEntropyBits: meanOf(channels.map((c) => entropies[c])),
        topInputs: strongestInputs(profile, TOP_INPUTS),
        classMeans: classMeans(profile, probe.labels, classCount),
      });
    });
    for (const from of nearestClusteredAncestors(l, nodes)) {
      checkCancelled(ctx);
      ctx.control.onProgress?.((step + 0.5) / clusteredLayers.length, `network graph: capacity ${layers[from].name} → ${layers[l].name}`);
      const matrix = await cachedCapacityMatrix(
        { kind: 'capacityMatrix', layerI: from, layerJ: l, epoch: q.epoch, ...(edgeInputs ? { x: edgeInputs } : {}) },
        ctx,
      );
      edges.push(...strongestEdges(from, membersOf.get(from)!, l, grouping.clusters, matrix));
    }
  }
  return { epoch: q.epoch, nodes, clusters, edges, classCount, inputCount: all.length };
};

/**
 * The inputs the edges are measured on: all (undefined) when the probe set has at most
 * {@link EDGE_INPUTS}, else ⌊EDGE_INPUTS / classes⌋ (at least 1) of each class drawn with `seed`.
 */
export function edgeSubset(probeSize: number, classCount: number, seed: number): InputSubset | undefined {
  if (probeSize <= EDGE_INPUTS) return undefined;
  return { kind: 'perClass', count: Math.max(1, Math.floor(EDGE_INPUTS / Math.max(1, classCount))), seed };
}

/** 'Add' → 'add', 'Concatenate' → 'concatenate': the merge as the view names it. */
function mergeName(className: string): string {
  return className.charAt(0).toLowerCase() + className.slice(1);
}

/**
 * The clustered layers an edge into `layer` comes from: along each input, the input itself when it
 * is clustered, else (flatten, a one-channel layer, a layer left out of `layers`) its own inputs in
 * turn. Each once, in the order the inputs are read.
 */
export function nearestClusteredAncestors(layer: number, nodes: readonly NetworkNode[]): number[] {
  const found: number[] = [];
  const seen = new Set<number>();
  const walk = (l: number) => {
    for (const input of nodes[l].inputs) {
      if (seen.has(input)) continue;
      seen.add(input);
      if (nodes[input].clustered) found.push(input);
      else walk(input);
    }
  };
  walk(layer);
  return found;
}

/**
 * The `capacityMatrix` answer of a layer pair from the run's answer cache, or computed by the
 * `capacityMatrix` handler and stored where that query will find it: one implementation and one
 * cache entry for both queries.
 */
/** The cluster's mean activation per input: the mean of its members' finite profile values (NaN where none is finite). */
function clusterProfile(profiles: Float64Array, count: number, members: readonly number[]): Float64Array {
  const out = new Float64Array(count);
  for (let n = 0; n < count; n++) {
    let sum = 0;
    let finite = 0;
    for (const c of members) {
      const v = profiles[c * count + n];
      if (Number.isFinite(v)) {
        sum += v;
        finite++;
      }
    }
    out[n] = finite > 0 ? sum / finite : NaN;
  }
  return out;
}

/** The `count` inputs of the highest finite profile values, strongest first, ties to the lower index. */
function strongestInputs(profile: Float64Array, count: number): number[] {
  const order = Array.from(profile.keys()).filter((n) => Number.isFinite(profile[n]));
  order.sort((a, b) => profile[b] - profile[a] || a - b);
  return order.slice(0, count);
}

/** The mean of the profile over each class's probe inputs; null where a class has no input with a finite value. */
function classMeans(profile: Float64Array, labels: ArrayLike<number>, classCount: number): (number | null)[] {
  const sums = new Float64Array(classCount);
  const counts = new Float64Array(classCount);
  for (let n = 0; n < profile.length; n++) {
    if (!Number.isFinite(profile[n]) || labels[n] < 0 || labels[n] >= classCount) continue;
    sums[labels[n]] += profile[n];
    counts[labels[n]]++;
  }
  return Array.from(sums, (s, c) => (counts[c] > 0 ? s / counts[c] : null));
}

/** The mean of the defined values; null when none is. */
function meanOf(values: readonly Bits[]): Bits {
  let sum = 0;
  let count = 0;
  for (const v of values)
    if (v !== null && Number.isFinite(v)) {
      sum += v;
      count++;
    }
  return count > 0 ? sum / count : null;
}

/**
 * Every cluster pair of one layer pair weighted by the mean of the capacity cells between their
 * members (rows = channels of `to`, columns = channels of `from`, as the capacity matrix is laid
 * out); kept: each cluster's {@link EDGES_PER_CLUSTER} strongest outgoing and strongest incoming
 * edges, ranked by bits (undefined last), ties to the lower cluster numbers.
 */
export function strongestEdges(
  from: number,
  fromClusters: readonly number[][],
  to: number,
  toClusters: readonly number[][],
  matrix: Pick<AnswerOf['capacityMatrix'], 'rows' | 'columns' | 'values'>,
): NetworkEdge[] {
  const all: NetworkEdge[] = [];
  fromClusters.forEach((columns, fromCluster) =>
    toClusters.forEach((rows, toCluster) => {
      const cells: Bits[] = [];
      for (const r of rows) for (const c of columns) cells.push(matrix.values[r * matrix.columns + c]);
      all.push({ fromLayer: from, fromCluster, toLayer: to, toCluster, bits: meanOf(cells) });
    }),
  );
  const rank = (a: NetworkEdge, b: NetworkEdge) =>
    (b.bits ?? -Infinity) - (a.bits ?? -Infinity) || a.fromCluster - b.fromCluster || a.toCluster - b.toCluster;
  const kept = new Set<NetworkEdge>();
  const keepStrongest = (edges: NetworkEdge[]) =>
    [...edges]
      .sort(rank)
      .slice(0, EDGES_PER_CLUSTER)
      .forEach((e) => kept.add(e));
  fromClusters.forEach((_, c) => keepStrongest(all.filter((e) => e.fromCluster === c)));
  toClusters.forEach((_, c) => keepStrongest(all.filter((e) => e.toCluster === c)));
  return all.filter((e) => kept.has(e));
}

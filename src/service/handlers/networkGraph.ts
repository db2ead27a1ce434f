/**
 * `networkGraph`: the network as CNNVis draws it (the exact definitions are in
 * docs/estimators.md "Channel clusters and the network graph"). The model's layers as a DAG from
 * the checkpoint's topology; the channels of each layer with channels grouped by their mean
 * activation per probe input (src/analysis/channelClusters.ts); per cluster its channels' mean
 * channel entropy, the probe inputs it responds to most and its mean activation per class; and
 * edges between the clusters of each clustered layer and its nearest clustered ancestors, weighted
 * by the mean channel capacity between their members — read from the capacity matrices of those
 * layer pairs, through the same answer cache as the `capacityMatrix` query, or, for a layer pair
 * of more than {@link EXACT_CELLS} channel pairs, from the capacity cells between a seeded sample
 * of each cluster's members (computed by the same kernel as the matrix, cell for cell).
 */
import { channelProfiles, clusterChannels, defaultClusterCount, InputSubset, sampleWithoutReplacement } from '../../analysis';
import { layerInputs } from '../networkTopology';
import { mergeName } from '../../contract/layerKinds';
import type { SharedCodes } from '../../contract/protocols/compute';
import { answerKey } from '../answerKey';
import type { AnswerOf, Bits, NetworkCluster, NetworkEdge, NetworkNode, QueryOf } from '../../contract/queries';
import type { QueryContext } from '../queryContext';
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

/**
 * Layers whose edges may still be being measured while the forward pass goes on: enough to keep
 * the compute pool busy beside it, few enough that the activations they read stay in memory.
 */
const EDGES_IN_FLIGHT = 2;

/** Probe inputs named per cluster as the ones it responds to most. */
export const TOP_INPUTS = 4;

/**
 * Largest layer pair (channels of one × channels of the other) whose edges are the exact mean over
 * every member pair: its whole capacity matrix is computed (and cached as the `capacityMatrix`
 * answer). Beyond, the full matrices cost most of a cold graph (a ResNet-18's 512 × 512 pairs are
 * 64 times the cells of a 64 × 64 one), and each cluster pair is measured on a sample.
 */
export const EXACT_CELLS = 64 * 64;

/**
 * Members of each cluster the edges of a layer pair beyond {@link EXACT_CELLS} are measured on: a
 * cluster of at most this many channels takes all of them, a larger one a seeded sample of this
 * many ({@link sampledMembers}); an edge is then the mean of the capacity cells between the two
 * samples (at most `MEMBER_SAMPLE²` channel pairs).
 */
export const MEMBER_SAMPLE = 8;

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
  const seed = q.seed ?? m.settings.seed;
  const edgeInputs = edgeSubset(probe.labels.length, classCount, seed);
  const clusters: NetworkCluster[] = [];
  const edges: NetworkEdge[] = [];
  /** Member channels of each cluster of each clustered layer. */
  const membersOf = new Map<number, number[][]>();
  const clusteredLayers = nodes.filter((n) => n.clustered).map((n) => n.layer);
  // One forward pass hands out the clustered layers in ascending order (probeLayers); a layer's
  // edges are measured right after it is clustered, on the compute pool, while the pass goes on to
  // the next layers — at most EDGES_IN_FLIGHT layers behind, so that the activations they read are
  // still in memory. Each layer's edges land in its own slot: the answer's order is the layers'.
  const edgesOf: Promise<NetworkEdge[]>[] = [];
  // The codes of each layer's sampled channels, computed once for both layer pairs it is in (its
  // sample is the same in each: sampledMembers depends on the seed, the layer and the cluster).
  const codesOfSample = new Map<number, Promise<SharedCodes[]>>();
  const sampledCodes = (layer: number, channels: readonly number[]) => {
    let codes = codesOfSample.get(layer);
    if (!codes) {
      codes = ctx.channelCodes({ layer, epoch: q.epoch, ...(edgeInputs ? { x: edgeInputs } : {}) }, channels);
      codesOfSample.set(layer, codes);
    }
    return codes;
  };
  let settled = 0;
  const edgesInto = async (l: number, step: number, members: number[][]): Promise<NetworkEdge[]> => {
    const out: NetworkEdge[] = [];
    for (const from of nearestClusteredAncestors(l, nodes)) {
      checkCancelled(ctx);
      ctx.control.onProgress?.((step + 0.5) / clusteredLayers.length, `network graph: capacity ${layers[from].name} → ${layers[l].name}`);
      const query = { kind: 'capacityMatrix', layerI: from, layerJ: l, epoch: q.epoch, ...(edgeInputs ? { x: edgeInputs } : {}) } as const;
      if (layers[from].channels * layers[l].channels <= EXACT_CELLS) {
        out.push(...strongestEdges(from, membersOf.get(from)!, l, members, await cachedCapacityMatrix(query, ctx)));
        continue;
      }
      const fromSample = membersOf.get(from)!.map((m, k) => sampledMembers(m, seed, from, k));
      const toSample = members.map((m, k) => sampledMembers(m, seed, l, k));
      const cells = await sampledCapacityCells(query, fromSample.flat(), toSample.flat(), ctx, sampledCodes);
      out.push(...sampledEdges(from, membersOf.get(from)!, fromSample, l, members, toSample, cells));
    }
    return out;
  };
  try {
    let step = 0;
    for await (const { layer: l, acts } of ctx.probeLayers(q.epoch, clusteredLayers)) {
      checkCancelled(ctx);
      ctx.control.onProgress?.(step / clusteredLayers.length, `network graph: clustering ${layers[l].name}`);
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
      const pending = edgesInto(l, step, grouping.clusters);
      pending.catch(() => undefined); // awaited below; a failure meanwhile is not unhandled
      edgesOf.push(pending);
      while (edgesOf.length - settled > EDGES_IN_FLIGHT) await edgesOf[settled++];
      step++;
    }
  } finally {
    // Nothing is left running past the query, whether it ends or fails.
    await Promise.allSettled(edgesOf);
  }
  for (const pending of edgesOf) edges.push(...(await pending));
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

/**
 * The members of cluster `cluster` of layer `layer` its edges are measured on, ascending: all of
 * them up to {@link MEMBER_SAMPLE}, else {@link MEMBER_SAMPLE} drawn without replacement with a
 * seed made of the query's `seed`, the layer and the cluster (the same draw in every layer pair
 * the cluster is in, on every machine).
 */
export function sampledMembers(members: readonly number[], seed: number, layer: number, cluster: number, count = MEMBER_SAMPLE): number[] {
  if (members.length <= count) return [...members];
  return sampleWithoutReplacement(members, count, memberSeed(seed, layer, cluster));
}

/** One 32-bit seed per (query seed, layer, cluster): the three mixed as a multiplicative hash. */
function memberSeed(seed: number, layer: number, cluster: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ layer, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ cluster, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The capacity cells of the `rows` channels of `layerJ` against the `columns` channels of
 * `layerI` (row-major, `rows.length × columns.length`; NaN where undefined): the cells of the
 * `capacityMatrix` answer of `query`, read from it when the answer cache holds it, else computed
 * by the compute pool's capacity kernel on those channels' codes alone — the same kernel and codes
 * as the whole matrix, so the same bits.
 */
async function sampledCapacityCells(
  query: QueryOf<'capacityMatrix'>,
  columns: readonly number[],
  rows: readonly number[],
  ctx: QueryContext,
  codesOf: (layer: number, channels: readonly number[]) => Promise<SharedCodes[]>,
): Promise<{ rows: number; columns: number; values: ArrayLike<number | null> }> {
  const hit = ctx.run.cache.get<AnswerOf['capacityMatrix']>(answerKey(ctx.run, query));
  if (hit) {
    const values = new Float64Array(rows.length * columns.length);
    rows.forEach((r, i) => columns.forEach((c, k) => (values[i * columns.length + k] = hit.values[r * hit.columns + c] ?? NaN)));
    return { rows: rows.length, columns: columns.length, values };
  }
  const codesI = await codesOf(query.layerI, columns);
  const codesJ = await codesOf(query.layerJ, rows);
  checkCancelled(ctx);
  return ctx.computePool().capacityFromCodes(codesI, codesJ, ctx.control.signal);
}

/**
 * {@link strongestEdges} on the capacity cells between the clusters' sampled members (`cells`:
 * rows = the `toSample` channels in order, columns = the `fromSample` channels in order). A cluster
 * pair whose samples are both whole gives exactly the mean of {@link strongestEdges} on the full
 * matrix, the same cells summed in the same order; the others carry `sampledPairs`, the member
 * pairs their mean is over.
 */
export function sampledEdges(
  from: number,
  fromClusters: readonly number[][],
  fromSample: readonly number[][],
  to: number,
  toClusters: readonly number[][],
  toSample: readonly number[][],
  cells: Pick<AnswerOf['capacityMatrix'], 'rows' | 'columns'> & { values: ArrayLike<number | null> },
): NetworkEdge[] {
  const positions = (sample: readonly number[][]) => {
    let next = 0;
    return sample.map((members) => members.map(() => next++));
  };
  const edges = strongestEdges(from, positions(fromSample), to, positions(toSample), cells);
  for (const e of edges) {
    const pairs = fromSample[e.fromCluster].length * toSample[e.toCluster].length;
    if (pairs < fromClusters[e.fromCluster].length * toClusters[e.toCluster].length) e.sampledPairs = pairs;
  }
  return edges;
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
  matrix: Pick<AnswerOf['capacityMatrix'], 'rows' | 'columns'> & { values: ArrayLike<number | null> },
): NetworkEdge[] {
  const all: NetworkEdge[] = [];
  fromClusters.forEach((columns, fromCluster) =>
    toClusters.forEach((rows, toCluster) => {
      const cells: Bits[] = [];
      for (const r of rows) for (const c of columns) cells.push(matrix.values[r * matrix.columns + c] ?? null);
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

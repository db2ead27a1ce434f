/** `networkGraph`: the network as CNNVis draws it: channel clusters per layer, edges weighted by capacity. */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { BitsSchema, index, indexList, NumberList, queryFields } from './fields';

/** Most clusters per layer a `networkGraph` query may ask for (a ResNet-18 layer has 512 channels). */
export const MAX_NETWORK_CLUSTERS = 4096;

const NetworkNodeSchema = v.object({
  /** Run layer index (RunLayer.index); layer 0 is the input. */
  layer: v.number(),
  /** The layers whose outputs feed this one (empty for the input); several for add/concatenate merges. */
  inputs: NumberList,
  /** How several inputs combine, from the layer's class: 'add', 'concatenate', 'multiply', 'average', … or undefined for one input. */
  merge: v.optional(v.string()),
  /** True when the layer's channels were clustered (a layer with channels > 1, and listed in the query's `layers` when it has them). */
  clustered: v.boolean(),
});
export type NetworkNode = v.InferOutput<typeof NetworkNodeSchema>;

const NetworkClusterSchema = v.object({
  layer: v.number(),
  /** 0..K-1 within its layer, ordered by the smallest member channel. */
  cluster: v.number(),
  /** Member channels, ascending; each channel of a clustered layer is in exactly one cluster. */
  channels: NumberList,
  /** Mean intra-sample (channel) entropy of the members over the probe inputs, bits. */
  meanEntropyBits: BitsSchema,
  /** Probe input indices (into the probe set, as the `inputs` query numbers them) that activate the cluster most, strongest first (at most 4). */
  topInputs: NumberList,
  /** Mean activation of the cluster per class, `[class]` (length = the run's class count; null where a class has no probe input). */
  classMeans: v.array(v.nullable(v.number())),
});
export type NetworkCluster = v.InferOutput<typeof NetworkClusterSchema>;

const NetworkEdgeSchema = v.object({
  fromLayer: v.number(),
  fromCluster: v.number(),
  toLayer: v.number(),
  toCluster: v.number(),
  /** Mean channel capacity (bits) between the members of the two clusters (over a sample of them when `sampledPairs` is given). */
  bits: BitsSchema,
  /**
   * Present when `bits` is the mean over a seeded sample of the member channel pairs rather than
   * all of them (layer pairs of more than 64 × 64 channels, estimators.md): how many pairs.
   */
  sampledPairs: v.optional(v.number()),
});
export type NetworkEdge = v.InferOutput<typeof NetworkEdgeSchema>;

export const networkGraph = defineQuery({
  kind: 'networkGraph',
  query: queryFields('networkGraph', {
    epoch: index('epoch'),
    clusters: v.optional(
      v.pipe(
        index('clusters'),
        v.check(
          (c) => c >= 1 && c <= MAX_NETWORK_CLUSTERS,
          (issue) => `"clusters" must be from 1 to ${MAX_NETWORK_CLUSTERS} clusters per layer, got ${String(issue.input)}`,
        ),
      ),
    ),
    /** Deduplicated and sorted, so one set of layers is one query (and one cached answer). */
    layers: v.optional(
      v.pipe(
        indexList('layers', 10000),
        v.check((l) => l.length > 0, '"layers" must name at least one layer (leave it out for every layer)'),
        v.transform((l) => [...new Set(l)].sort((a, b) => a - b)),
      ),
    ),
    seed: v.optional(index('seed')),
  }),
  answer: v.object({
    epoch: v.number(),
    nodes: v.array(NetworkNodeSchema),
    clusters: v.array(NetworkClusterSchema),
    /** Between clusters of consecutive clustered layers along every graph edge (residual and concat edges too); the strongest kept per cluster. */
    edges: v.array(NetworkEdgeSchema),
    classCount: v.number(),
    inputCount: v.number(),
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type NetworkGraphAnswer = v.InferOutput<typeof networkGraph.answer>;

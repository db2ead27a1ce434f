// The geometry of the Network view (after CNNVis): the model as a left-to-right layered
// DAG laid out by d3-dag's Sugiyama layout (so the branches and merges of graph models are drawn as
// such), each clustered layer's clusters packed into its node by d3-hierarchy's treemap (area ∝
// channels, with a readable minimum), and the cluster-to-cluster edges bundled along the layer-to-layer links. Pure: no DOM,
// so it is tested in Node and measured apart from the drawing.
import { graphStratify, sugiyama, layeringLongestPath, decrossTwoLayer, coordGreedy } from 'd3-dag';
import { hierarchy, treemap, treemapSliceDice } from 'd3-hierarchy';
import type { NetworkCluster, NetworkEdge, NetworkGraphAnswer } from '../../src/contract/queries';

/** Width and height of a layer node without clusters (the input, flatten, a one-channel dense layer), px. */
export const PLAIN_WIDTH = 80;
export const PLAIN_HEIGHT = 34;
/** Height of a node's title strip (the layer's name; a click there goes to its source line), px. */
export const HEADER_HEIGHT = 16;
/** Space between two layers (where the bands fan in and out) and between two nodes of one layer, px. */
export const LAYER_GAP = 60;
export const NODE_GAP = 40;
/** Band width per bit of mean channel capacity, px: a fixed scale, so bands compare across epochs and runs. */
export const BAND_PX_PER_BIT = 4;
/** Widest band, px (a band wider than this is drawn at this width; the tooltip gives its bits). */
export const MAX_BAND_PX = 16;
/** Thinnest band drawn, px, so a weak edge stays visible. */
export const MIN_BAND_PX = 0.6;
/** Widest a bundle's trunk gets, px: beyond it the bands overlap in the trunk (each keeps its own width). */
export const MAX_TRUNK_PX = 36;
/** How far into the gap between two layers the bands leave their clusters and merge into the bundle, as a fraction of the gap. */
export const FAN_FRACTION = 0.34;

export interface LayerInfo {
  index: number;
  name: string;
  channels: number;
  /** The node's title as drawn ("flatten1 · Flatten"): the node is made wide enough to show it whole. */
  title?: string;
}

/** Width of a title at the node's 11 px font, px (generous, so the drawn text fits inside). */
export const titleWidth = (title: string): number => Math.ceil(6.6 * title.length) + 10;

/**
 * The smallest readable cluster, px: room for a row of input thumbnails (at least MIN_THUMB_PX) and
 * a class strip (at least MIN_STRIP_PX) under them. A node is made tall enough for its clusters to
 * keep this size, so a layer of many clusters scrolls instead of shrinking them to dots.
 */
export const MIN_CLUSTER_WIDTH = 56;
export const MIN_CLUSTER_HEIGHT = 52;
export const MIN_THUMB_PX = 28;
export const MIN_STRIP_PX = 6;
/** Most a node grows to fill the panel, as a multiple of its base size (width, height). */
export const MAX_GROW = [2.5, 8] as const;

/** The space the graph is fitted to (the panel's width and the height left to it), px. */
export interface FitTo {
  width: number;
  height: number;
}

export interface NodeBox {
  layer: number;
  clustered: boolean;
  merge?: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ClusterBox {
  cluster: NetworkCluster;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Band {
  edge: NetworkEdge;
  widthPx: number;
  /** The band's centre line, left to right: from its source cluster into the bundle, along it, out to its target cluster. */
  points: [number, number][];
}

export interface NetworkLayout {
  width: number;
  height: number;
  nodes: NodeBox[];
  clusters: ClusterBox[];
  bands: Band[];
  /** The layer-to-layer links (the bundles' trunks), drawn thin under the bands so unclustered layers are joined too. */
  links: { from: number; to: number; points: [number, number][] }[];
}

/** Size of a clustered node: grows with √channels, so 8 channels get a small box (108 × 81 px) and 512 a large one (168 × 260 px). */
export function clusteredSize(channels: number): [number, number] {
  const root = Math.sqrt(Math.max(1, channels));
  return [Math.round(100 + 3 * root), Math.round(HEADER_HEIGHT + 40 + 9 * root)];
}

export function bandWidthPx(bits: number): number {
  return Math.min(MAX_BAND_PX, Math.max(MIN_BAND_PX, bits * BAND_PX_PER_BIT));
}

/**
 * Lays the graph out left to right. `layers` gives each node's channel count (the run's layers);
 * nodes the answer does not list are not drawn.
 */
export function layoutNetwork(answer: NetworkGraphAnswer, layers: LayerInfo[], fit?: FitTo): NetworkLayout {
  let grow: [number, number] = [1, 1];
  let layout = layoutOnce(answer, layers, grow);
  if (!fit) return layout;
  // Grow the clustered nodes until the graph fills the space (a few passes: the gaps do not grow).
  for (let pass = 0; pass < 3; pass++) {
    const wantW = Math.min(MAX_GROW[0], Math.max(1, grow[0] * growFactor(fit.width, layout.width, layout, 'width')));
    const wantH = Math.min(MAX_GROW[1], Math.max(1, grow[1] * growFactor(fit.height, layout.height, layout, 'height')));
    if (Math.abs(wantW - grow[0]) < 0.02 && Math.abs(wantH - grow[1]) < 0.02) break;
    grow = [wantW, wantH];
    layout = layoutOnce(answer, layers, grow);
  }
  return layout;
}

/**
 * How much the clustered nodes should grow along one side for the graph to reach `target`: the
 * gaps and the plain nodes stay as they are. Width: the layer columns' widest clustered nodes
 * grow; height: the tallest column's clustered nodes (below their titles) grow.
 */
function growFactor(target: number, now: number, layout: NetworkLayout, side: 'width' | 'height'): number {
  const columns = new Map<number, number>();
  for (const n of layout.nodes) {
    if (!n.clustered) continue;
    const key = Math.round(n.x);
    const v = side === 'width' ? n.width : n.height - HEADER_HEIGHT;
    columns.set(key, side === 'width' ? Math.max(columns.get(key) ?? 0, v) : (columns.get(key) ?? 0) + v);
  }
  if (now <= 0 || columns.size === 0) return 1;
  const growing = side === 'width' ? [...columns.values()].reduce((x, y) => x + y, 0) : Math.max(...columns.values());
  return Math.max(0.1, (target - (now - growing)) / Math.max(1, growing));
}

function layoutOnce(answer: NetworkGraphAnswer, layers: LayerInfo[], grow: [number, number]): NetworkLayout {
  const byLayer = new Map(layers.map((l) => [l.index, l]));
  const present = new Set(answer.nodes.map((n) => n.layer));
  const clusterCount = new Map<number, number>();
  for (const c of answer.clusters) clusterCount.set(c.layer, (clusterCount.get(c.layer) ?? 0) + 1);
  const size = (layer: number, clustered: boolean): [number, number] => {
    const info = byLayer.get(layer);
    const title = info?.title ? titleWidth(info.title) : 0;
    if (!clustered) return [Math.max(PLAIN_WIDTH, title), PLAIN_HEIGHT];
    const [w0, h0] = clusteredSize(info?.channels ?? 1);
    const w = Math.max(Math.round(w0 * grow[0]), title);
    // Tall enough for every cluster at its readable minimum (packing wastes some room: a quarter more).
    const n = clusterCount.get(layer) ?? 1;
    const perRow = Math.max(1, Math.floor((w - 6) / (MIN_CLUSTER_WIDTH + 2)));
    const minInner = Math.ceil(n / perRow) * (MIN_CLUSTER_HEIGHT + 2) * (n > perRow ? 1.25 : 1) + 6;
    return [w, HEADER_HEIGHT + Math.round(Math.max((h0 - HEADER_HEIGHT) * grow[1], minInner))];
  };
  const clusteredOf = new Map(answer.nodes.map((n) => [n.layer, n.clustered]));
  const metaOf = new Map(answer.nodes.map((n) => [n.layer, n]));
  const data = answer.nodes.map((n) => ({ id: String(n.layer), parentIds: n.inputs.filter((i) => present.has(i)).map(String) }));
  const nodes: NodeBox[] = [];
  const links: NetworkLayout['links'] = [];
  let width = 0;
  let height = 0;
  if (data.length > 0) {
    const dag = graphStratify()(data);
    // d3-dag lays layers out top to bottom: its x runs across a layer, its y down the layers. Node
    // sizes are given turned by a quarter and the result turned back, so layers run left to right.
    const layout = sugiyama()
      .layering(layeringLongestPath())
      .decross(decrossTwoLayer())
      .coord(coordGreedy())
      .nodeSize((node: { data: { id: string } }) => {
        const layer = Number(node.data.id);
        const [w, h] = size(layer, clusteredOf.get(layer) ?? false);
        return [h, w] as const;
      })
      .gap([NODE_GAP, LAYER_GAP]);
    const result = layout(dag);
    width = result.height;
    height = result.width;
    // The nodes of one layer column share its widest node's width, so the column's edges line up.
    const columnWidth = new Map<number, number>();
    for (const node of dag.nodes()) {
      const layer = Number(node.data.id);
      const w = size(layer, clusteredOf.get(layer) ?? false)[0];
      columnWidth.set(node.y, Math.max(columnWidth.get(node.y) ?? 0, w));
    }
    for (const node of dag.nodes()) {
      const layer = Number(node.data.id);
      const clustered = clusteredOf.get(layer) ?? false;
      const h = size(layer, clustered)[1];
      const w = columnWidth.get(node.y) ?? size(layer, clustered)[0];
      const meta = metaOf.get(layer);
      nodes.push({ layer, clustered, merge: meta?.merge, x: node.y - w / 2, y: node.x - h / 2, width: w, height: h });
    }
    for (const link of dag.links()) {
      links.push({
        from: Number(link.source.data.id),
        to: Number(link.target.data.id),
        points: link.points.map(([x, y]) => [y, x] as [number, number]),
      });
    }
  }
  nodes.sort((a, b) => a.x - b.x || a.y - b.y);
  const boxOf = new Map(nodes.map((n) => [n.layer, n]));
  const clusters = packClusters(answer.clusters, boxOf);
  const bands = bundleEdges(answer.edges, boxOf, new Map(clusters.map((c) => [`${c.cluster.layer}:${c.cluster.cluster}`, c])), links);
  return { width: Math.ceil(width), height: Math.ceil(height), nodes, clusters, bands, links };
}

/**
 * Each clustered node's clusters as a treemap under its title strip: columns of equal width (as
 * many as keep the cells about square, and each at least MIN_CLUSTER_WIDTH), the clusters shared
 * out over them largest first, each column stacking its clusters with height ∝ channels, except
 * that no cluster is shorter than MIN_CLUSTER_HEIGHT (a small cluster's share is raised to it).
 */
function packClusters(all: NetworkCluster[], boxOf: Map<number, NodeBox>): ClusterBox[] {
  const byLayer = new Map<number, NetworkCluster[]>();
  for (const c of all) {
    const list = byLayer.get(c.layer);
    if (list) list.push(c);
    else byLayer.set(c.layer, [c]);
  }
  const out: ClusterBox[] = [];
  for (const [layer, members] of byLayer) {
    const box = boxOf.get(layer);
    if (!box || !box.clustered) continue;
    const pad = 3;
    const innerW = box.width - 2 * pad;
    const innerH = box.height - HEADER_HEIGHT - 2 * pad;
    const n = members.length;
    const most = Math.max(1, Math.min(n, Math.floor((innerW + 2) / (MIN_CLUSTER_WIDTH + 2))));
    const fewest = Math.ceil((n * (MIN_CLUSTER_HEIGHT + 2)) / Math.max(1, innerH));
    const square = Math.round(Math.sqrt((n * innerW) / Math.max(1, innerH)));
    const count = Math.max(1, Math.min(most, Math.max(fewest, square)));
    // Largest first, each into the column holding the fewest channels so far (ties: the leftmost).
    const sorted = [...members].sort((x, y) => y.channels.length - x.channels.length || x.cluster - y.cluster);
    const columns: NetworkCluster[][] = Array.from({ length: count }, () => []);
    const load = new Array<number>(count).fill(0);
    for (const c of sorted) {
      const k = load.indexOf(Math.min(...load));
      columns[k].push(c);
      load[k] += c.channels.length;
    }
    type Datum = { cluster?: NetworkCluster; value?: number; children?: Datum[] };
    const root = hierarchy<Datum>({
      children: columns
        .filter((col) => col.length > 0)
        .map((col) => {
          const values = floorShares(
            col.map((c) => c.channels.length),
            Math.min(1 / col.length, (MIN_CLUSTER_HEIGHT + 2) / Math.max(1, innerH)),
          );
          const sum = values.reduce((x, y) => x + y, 0);
          // Every column the same width: its clusters' values add up to one.
          return { children: col.map((cluster, i) => ({ cluster, value: values[i] / sum })) };
        }),
    }).sum((d) => d.value ?? 0);
    // Columns side by side (dice), clusters stacked in each (slice).
    treemap<Datum>().tile(treemapSliceDice).size([innerW, innerH]).paddingInner(2).round(true)(root);
    for (const leaf of root.leaves()) {
      const cluster = leaf.data.cluster;
      const l = leaf as typeof leaf & { x0: number; y0: number; x1: number; y1: number };
      if (!cluster) continue;
      out.push({
        cluster,
        x: box.x + pad + l.x0,
        y: box.y + HEADER_HEIGHT + pad + l.y0,
        width: Math.max(1, l.x1 - l.x0),
        height: Math.max(1, l.y1 - l.y0),
      });
    }
  }
  return out;
}

/**
 * Values whose shares are at least `share` each: the values below the floor F are raised to it,
 * F being `share` of the total after raising (F = share · (rest + raised · F)).
 */
function floorShares(values: number[], share: number): number[] {
  const total = values.reduce((x, y) => x + y, 0);
  let floor = share * total;
  for (let pass = 0; pass < 3; pass++) {
    const raised = values.filter((v) => v < floor).length;
    const rest = values.reduce((x, v) => x + (v < floor ? 0 : v), 0);
    floor = raised && share * raised < 1 ? (share * rest) / (1 - share * raised) : raised ? total / values.length : 0;
  }
  return values.map((v) => Math.max(v, floor));
}

/**
 * The bundling: the edges between two layers share one trunk, the layer-to-layer link of the DAG
 * layout (through its bend points, so a residual edge follows its own route around the layers it
 * skips). Each band leaves its source cluster at the cluster's height, merges into the trunk within
 * the first FAN_FRACTION of the gap, runs stacked beside the other bands of the bundle (widths
 * added, centred on the trunk, ordered by source then target height so bands do not cross inside
 * it, overlapping once the bundle is wider than MAX_TRUNK_PX) and fans out to its target cluster within the last FAN_FRACTION of the gap. Edges between
 * layers joined only through unclustered layers (flatten) follow the chain of links.
 */
function bundleEdges(
  edges: NetworkEdge[],
  boxOf: Map<number, NodeBox>,
  clusterOf: Map<string, ClusterBox>,
  links: NetworkLayout['links'],
): Band[] {
  const groups = new Map<string, NetworkEdge[]>();
  for (const e of edges) {
    if (e.bits === null || !Number.isFinite(e.bits)) continue;
    const key = `${e.fromLayer}>${e.toLayer}`;
    const group = groups.get(key);
    if (group) group.push(e);
    else groups.set(key, [e]);
  }
  const bands: Band[] = [];
  for (const group of groups.values()) {
    const { fromLayer, toLayer } = group[0];
    const source = boxOf.get(fromLayer);
    const target = boxOf.get(toLayer);
    if (!source || !target) continue;
    const trunk = trunkBetween(fromLayer, toLayer, links, boxOf);
    const centreY = (c: ClusterBox | undefined, box: NodeBox) => (c ? c.y + c.height / 2 : box.y + box.height / 2);
    const placed = group
      .map((edge) => ({
        edge,
        from: clusterOf.get(`${edge.fromLayer}:${edge.fromCluster}`),
        to: clusterOf.get(`${edge.toLayer}:${edge.toCluster}`),
        widthPx: bandWidthPx(edge.bits ?? 0),
      }))
      .filter((p) => p.from && p.to)
      .sort((a, b) => centreY(a.from, source) - centreY(b.from, source) || centreY(a.to, target) - centreY(b.to, target));
    const total = placed.reduce((s, p) => s + p.widthPx, 0);
    const squeeze = Math.min(1, MAX_TRUNK_PX / Math.max(total, 1e-9));
    let offset = -total / 2;
    const sx = source.x + source.width;
    const tx = target.x;
    for (const p of placed) {
      const o = (offset + p.widthPx / 2) * squeeze;
      offset += p.widthPx;
      const firstGap = (trunk.length > 2 ? trunk[1][0] : tx) - sx;
      const lastGap = tx - (trunk.length > 2 ? trunk[trunk.length - 2][0] : sx);
      const inner = trunk.slice(1, -1).map(([x, y]) => [x, y + o] as [number, number]);
      const points: [number, number][] = [
        [sx, centreY(p.from, source)],
        [sx + firstGap * FAN_FRACTION, trunk[0][1] + o],
        ...inner,
        [tx - lastGap * FAN_FRACTION, trunk[trunk.length - 1][1] + o],
        [tx, centreY(p.to, target)],
      ];
      bands.push({ edge: p.edge, widthPx: p.widthPx, points });
    }
  }
  return bands;
}

/**
 * The trunk from one layer node to another: the DAG links' points joined (through unclustered
 * layers when need be), starting at the source node's right side and ending at the target's left.
 */
function trunkBetween(from: number, to: number, links: NetworkLayout['links'], boxOf: Map<number, NodeBox>): [number, number][] {
  const source = boxOf.get(from)!;
  const target = boxOf.get(to)!;
  const path = linkPath(from, to, links);
  const inner: [number, number][] = [];
  path.forEach((link, k) => {
    // Bend points strictly between the two nodes; the points inside a node (its centre) are dropped.
    for (const [x, y] of link.points.slice(1, -1)) inner.push([x, y]);
    if (k < path.length - 1) {
      const mid = boxOf.get(link.to);
      if (mid) inner.push([mid.x + mid.width / 2, mid.y + mid.height / 2]);
    }
  });
  return [[source.x + source.width, source.y + source.height / 2], ...inner, [target.x, target.y + target.height / 2]];
}

/** The chain of links from `from` to `to` (breadth first), or none when they are not joined. */
function linkPath(from: number, to: number, links: NetworkLayout['links']): NetworkLayout['links'] {
  const prev = new Map<number, NetworkLayout['links'][number]>();
  const queue = [from];
  const seen = new Set([from]);
  while (queue.length) {
    const at = queue.shift()!;
    if (at === to) break;
    for (const l of links) {
      if (l.from !== at || seen.has(l.to)) continue;
      seen.add(l.to);
      prev.set(l.to, l);
      queue.push(l.to);
    }
  }
  const out: NetworkLayout['links'] = [];
  for (let at = to; prev.has(at); at = prev.get(at)!.from) out.unshift(prev.get(at)!);
  return out[0]?.from === from ? out : [];
}

/** The cluster under a point, if any. */
export function clusterAt(layout: NetworkLayout, x: number, y: number): ClusterBox | undefined {
  return layout.clusters.find((c) => x >= c.x && x < c.x + c.width && y >= c.y && y < c.y + c.height);
}

/** The node whose title strip is under a point, if any (a plain node: anywhere on it). */
export function nodeHeaderAt(layout: NetworkLayout, x: number, y: number): NodeBox | undefined {
  return layout.nodes.find((n) => x >= n.x && x < n.x + n.width && y >= n.y && y < n.y + (n.clustered ? HEADER_HEIGHT : n.height));
}

/** The classes ordered by how strongly the cluster responds to them, strongest first (undefined classes last). */
export function classOrder(cluster: NetworkCluster): number[] {
  return cluster.classMeans
    .map((v, k) => ({ v, k }))
    .sort((a, b) => (b.v ?? -Infinity) - (a.v ?? -Infinity) || a.k - b.k)
    .map((d) => d.k);
}

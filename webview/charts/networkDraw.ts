// Drawing the network graph on canvas: the graph itself (links, bands, nodes, clusters with their
// class strips and thumbnails) and the overlay of what is hovered or under the keyboard cursor.
import { line, curveBumpX } from 'd3-shape';
import { interpolateBlues } from 'd3-scale-chromatic';
import type { RunLayer } from '../../src/contract/runFormat';
import { classColour } from '../colours';
import { pixelRatio } from './primitives';
import type { ChartTheme } from './common';
import { classOrder, HEADER_HEIGHT } from './networkLayout';
import type { Band, ClusterBox, NetworkLayout, NodeBox } from './networkLayout';
import type { NetworkGroup } from './networkGroups';

/** Space around the graph, px. */
export const MARGIN = 12;
/** Largest input thumbnail and class strip drawn in a cluster, px (both shrink with a small cluster). */
const MAX_THUMB_PX = 48;
const MAX_STRIP_PX = 14;

/** A band's curve as a path, stroked on the canvas and hit-tested under the pointer. */
export function bandPath(b: Band): Path2D {
  const path = new Path2D();
  line<[number, number]>()
    .curve(curveBumpX)
    .context(path as unknown as CanvasRenderingContext2D)(b.points);
  return path;
}

/** Mean channel entropy → fill: light for little, deeper blue for more (at most log2(bins)). */
function entropyFill(bits: number | null, maxBits: number): string {
  if (bits === null) return 'rgba(128,128,128,0.25)';
  return interpolateBlues(0.08 + 0.62 * Math.min(1, Math.max(0, bits / maxBits)));
}

/** What the picture shows of the run, besides its layout. */
export interface NetworkPicture {
  layers: RunLayer[];
  classNames: string[];
  /** The run's histogram bins: mean channel entropy is at most log2(bins), the top of the colour scale. */
  bins: number;
  /** Probe input pictures by index (the thumbnails); missing ones are left out. */
  thumbnails?: Map<number, HTMLCanvasElement>;
  /** The slice's channels per layer (key: layer index): a cluster whose channels are exactly these is drawn selected. */
  selected: Record<string, number[]>;
  focusedLayer: number | null;
}

interface DrawInput {
  layout: NetworkLayout;
  paths: Path2D[];
  width: number;
  height: number;
  zoom: number;
  theme: ChartTheme;
  props: NetworkPicture;
  name: (layer: number) => string;
  /** The groups drawn collapsed, by the layer whose node stands for each (networkGroups.ts). */
  collapsed?: ReadonlyMap<number, NetworkGroup>;
}

/**
 * A node's words as drawn: its title (merge sign and name; ▸ and the prefix for a collapsed group)
 * and its detail (its channels when clustered, else its class, left out for a PyTorch function's
 * layer named as its class, `avg_pool2d`; a collapsed group's number of layers).
 */
export function nodeWords(
  node: { clustered: boolean; merge?: string },
  layer: RunLayer | undefined,
  name: string,
  group?: NetworkGroup,
): { title: string; detail: string } {
  if (group) return { title: `▸ ${name}`, detail: ` (${group.members.length})` };
  const merge = node.merge ? (node.merge === 'add' ? '⊕ ' : node.merge === 'concatenate' ? '∥ ' : '∘ ') : '';
  const detail = !layer ? '' : node.clustered ? ` · ${layer.channels} ch` : layer.className === layer.name ? '' : ` · ${layer.className}`;
  return { title: `${merge}${name}`, detail };
}

export function sizeCanvas(c: HTMLCanvasElement, width: number, height: number, zoom: number): CanvasRenderingContext2D | null {
  const scale = pixelRatio() * zoom;
  c.width = Math.round(width * scale);
  c.height = Math.round(height * scale);
  const ctx = c.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(scale, 0, 0, scale, MARGIN * scale, MARGIN * scale);
  return ctx;
}

/** What the drawing could show, in layout px: the smallest thumbnail and class strip drawn, and how many titles were cut short. */
export interface DrawnSizes {
  minThumb: number | null;
  minStrip: number | null;
  truncatedTitles: number;
}

/** The whole graph: links, bands, layer nodes and their clusters. */
export function drawNetwork(c: HTMLCanvasElement, d: DrawInput): DrawnSizes {
  const sizes: DrawnSizes = { minThumb: null, minStrip: null, truncatedTitles: 0 };
  const ctx = sizeCanvas(c, d.width, d.height, d.zoom);
  if (!ctx) return sizes;
  const { layout, theme, props } = d;
  const fontSize = 11;
  ctx.font = `${fontSize}px ${theme.font}`;
  ctx.textBaseline = 'middle';
  // Layer links under everything: they join the unclustered layers and show the graph's shape.
  ctx.strokeStyle = theme.muted;
  ctx.globalAlpha = 0.55;
  ctx.lineWidth = 1;
  for (const l of layout.links) {
    const from = layout.nodes.find((n) => n.layer === l.from);
    const to = layout.nodes.find((n) => n.layer === l.to);
    if (!from || !to) continue;
    const pts: [number, number][] = [
      [from.x + from.width, from.y + from.height / 2],
      ...l.points.slice(1, -1),
      [to.x, to.y + to.height / 2],
    ];
    ctx.beginPath();
    line<[number, number]>().curve(curveBumpX).context(ctx)(pts);
    ctx.stroke();
  }
  // Bands: the foreground colour, translucent, so where many overlap the bundle darkens.
  ctx.globalAlpha = 0.22;
  ctx.strokeStyle = theme.foreground;
  ctx.lineCap = 'butt';
  layout.bands.forEach((b, i) => {
    ctx.lineWidth = b.widthPx;
    ctx.stroke(d.paths[i]);
  });
  ctx.globalAlpha = 1;

  const maxBits = Math.log2(Math.max(2, props.bins));
  const classCount = props.classNames.length;
  // Each layer's class responses are scaled over its own clusters, so the strips compare within a layer.
  const range = new Map<number, [number, number]>();
  for (const cb of layout.clusters) {
    const r = range.get(cb.cluster.layer) ?? [Infinity, -Infinity];
    for (const v of cb.cluster.classMeans) if (v !== null && Number.isFinite(v)) r.splice(0, 2, Math.min(r[0], v), Math.max(r[1], v));
    range.set(cb.cluster.layer, r);
  }
  for (const n of layout.nodes) {
    ctx.fillStyle = theme.background;
    ctx.fillRect(n.x, n.y, n.width, n.height);
    const focused = props.focusedLayer === n.layer;
    ctx.strokeStyle = focused ? theme.focus : theme.border;
    ctx.lineWidth = focused ? 2 : 1;
    ctx.strokeRect(n.x + 0.5, n.y + 0.5, n.width - 1, n.height - 1);
    const layer = props.layers[n.layer];
    const { title, detail } = nodeWords(n, layer, d.name(n.layer), d.collapsed?.get(n.layer));
    ctx.fillStyle = theme.foreground;
    ctx.font = `600 ${fontSize}px ${theme.font}`;
    const titleY = n.clustered ? n.y + HEADER_HEIGHT / 2 + 1 : n.y + n.height / 2;
    const shown = fitText(ctx, title, n.width - 8);
    ctx.fillText(shown, n.x + 4, titleY);
    const used = ctx.measureText(shown).width;
    ctx.font = `${fontSize}px ${theme.font}`;
    ctx.fillStyle = theme.muted;
    const shownDetail = shown === title ? fitText(ctx, detail, n.width - 8 - used) : '';
    if (shownDetail) ctx.fillText(shownDetail, n.x + 4 + used, titleY);
    if (shown !== title || shownDetail !== detail) sizes.truncatedTitles++;
  }
  for (const cb of layout.clusters) {
    const drawn = drawCluster(ctx, cb, d, maxBits, classCount, range.get(cb.cluster.layer) ?? [0, 1]);
    const least = (a: number | null, b: number | null) => (b === null ? a : a === null ? b : Math.min(a, b));
    sizes.minThumb = least(sizes.minThumb, drawn.thumb);
    sizes.minStrip = least(sizes.minStrip, drawn.strip);
  }
  return sizes;
}

function drawCluster(
  ctx: CanvasRenderingContext2D,
  cb: ClusterBox,
  d: DrawInput,
  maxBits: number,
  classCount: number,
  range: [number, number],
): { thumb: number | null; strip: number | null } {
  const { theme, props } = d;
  let drawnThumb: number | null = null;
  let drawnStrip: number | null = null;
  const { x, y, width: w, height: h, cluster } = cb;
  ctx.fillStyle = entropyFill(cluster.meanEntropyBits, maxBits);
  ctx.fillRect(x, y, w, h);
  const sliced = props.selected[String(cluster.layer)];
  const selected = sliced !== undefined && sameChannels(sliced, cluster.channels);
  const pad = 2;
  // The class strip along the bottom: this cluster's row of the clusters × classes matrix, classes
  // reordered by its response (strongest left), each in its class colour, opacity = the response.
  const stripH = Math.max(3, Math.min(MAX_STRIP_PX, Math.floor(h * 0.16)));
  if (classCount > 0 && w >= 8 && h >= 8) {
    drawnStrip = stripH;
    const cellW = (w - 2 * pad) / classCount;
    const [lo, hi] = range;
    classOrder(cluster).forEach((k, i) => {
      const v = cluster.classMeans[k];
      if (v === null || !Number.isFinite(v)) return;
      ctx.globalAlpha = 0.15 + 0.85 * (hi > lo ? (v - lo) / (hi - lo) : 1);
      ctx.fillStyle = classColour(k, classCount);
      ctx.fillRect(x + pad + i * cellW, y + h - pad - stripH, Math.max(0.5, cellW - (cellW > 3 ? 0.5 : 0)), stripH);
    });
    ctx.globalAlpha = 1;
  }
  // Thumbnails of the inputs it responds to most, left to right, then in rows down a tall cluster, as many as fit.
  const room = h - stripH - 3 * pad;
  const thumbs = props.thumbnails ? cluster.topInputs.map((i) => props.thumbnails!.get(i)).filter((t) => t !== undefined) : [];
  const size = Math.min(MAX_THUMB_PX, room, w - 2 * pad);
  if (thumbs.length && size >= 8) {
    drawnThumb = size;
    const columns = Math.max(1, Math.floor((w - 2 * pad + 2) / (size + 2)));
    const rows = Math.max(1, Math.floor((room + 2) / (size + 2)));
    const fit = Math.min(thumbs.length, columns);
    ctx.imageSmoothingEnabled = false;
    for (let i = 0; i < Math.min(thumbs.length, columns * rows); i++)
      ctx.drawImage(thumbs[i], x + pad + (i % columns) * (size + 2), y + pad + Math.floor(i / columns) * (size + 2), size, size);
    ctx.imageSmoothingEnabled = true;
    // The channel count beside the thumbnails when there is room.
    const textX = x + pad + fit * (size + 2) + 2;
    if (x + w - textX >= 22) {
      ctx.fillStyle = '#1b1b1b';
      ctx.font = `10px ${theme.font}`;
      ctx.fillText(fitText(ctx, `${cluster.channels.length}`, x + w - textX - 2), textX, y + pad + Math.min(size, 14) / 2);
    }
  } else if (w >= 18 && room >= 10) {
    ctx.fillStyle = '#1b1b1b';
    ctx.font = `10px ${theme.font}`;
    ctx.fillText(fitText(ctx, `${cluster.channels.length}`, w - 2 * pad), x + pad + 1, y + pad + Math.min(room, 12) / 2);
  }
  if (selected) {
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 2.5;
    ctx.strokeRect(x + 1.25, y + 1.25, w - 2.5, h - 2.5);
  }
  return { thumb: drawnThumb, strip: drawnStrip };
}

/** What changes on hover and under the keyboard cursor, on a canvas of its own above the graph. */
export function drawOverlay(
  c: HTMLCanvasElement,
  d: {
    layout: NetworkLayout;
    paths: Path2D[];
    width: number;
    height: number;
    zoom: number;
    theme: ChartTheme;
    hover: { cluster?: ClusterBox; band?: Band; node?: NodeBox } | null;
    cursor?: { box: { x: number; y: number; width: number; height: number }; cluster?: ClusterBox };
  },
): void {
  const ctx = sizeCanvas(c, d.width, d.height, d.zoom);
  if (!ctx) return;
  const { layout, theme, hover } = d;
  const cluster = hover?.cluster ?? d.cursor?.cluster;
  // The hovered cluster's bands (in and out), or the hovered band, in the focus colour.
  ctx.strokeStyle = theme.focus;
  ctx.globalAlpha = 0.8;
  layout.bands.forEach((b, i) => {
    const e = b.edge;
    const on = cluster
      ? (e.fromLayer === cluster.cluster.layer && e.fromCluster === cluster.cluster.cluster) ||
        (e.toLayer === cluster.cluster.layer && e.toCluster === cluster.cluster.cluster)
      : hover?.band === b;
    if (!on) return;
    ctx.lineWidth = b.widthPx;
    ctx.stroke(d.paths[i]);
  });
  ctx.globalAlpha = 1;
  const outline = (box: { x: number; y: number; width: number; height: number }, dash: number[]) => {
    ctx.setLineDash(dash);
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 2;
    ctx.strokeRect(box.x - 1, box.y - 1, box.width + 2, box.height + 2);
    ctx.setLineDash([]);
  };
  if (hover?.cluster) outline(hover.cluster, []);
  if (hover?.node) outline({ ...hover.node, height: hover.node.clustered ? HEADER_HEIGHT : hover.node.height }, []);
  if (d.cursor) outline(d.cursor.box, [4, 2]);
}

function fitText(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (max <= 0) return '';
  if (ctx.measureText(text).width <= max) return text;
  let s = text;
  while (s.length > 1 && ctx.measureText(`${s}…`).width > max) s = s.slice(0, -1);
  return s.length > 1 ? `${s}…` : '';
}

function sameChannels(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort((x, y) => x - y);
  return sa.every((v, i) => v === b[i]);
}

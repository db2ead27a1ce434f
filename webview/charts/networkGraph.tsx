// The Network view's picture (issue 17, after CNNVis): one canvas for the whole graph, because a
// ResNet-18 has 20+ layer nodes, hundreds of clusters and thousands of bands (SVG elements that
// many make every hover slow). A second canvas above it carries what changes on hover and under the
// keyboard cursor, so moving the pointer never redraws the graph. Geometry: ./networkLayout.ts.
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { line, curveBumpX } from 'd3-shape';
import { interpolateBlues } from 'd3-scale-chromatic';
import type { InputsAnswer, NetworkCluster, NetworkGraphAnswer } from '../../src/service/queries';
import type { RunLayer } from '../../src/run/format';
import { classColour } from '../colours';
import { shortLayerName } from '../layerLabel';
import { fmtBits, pixelRatio, useTooltip } from '../ui';
import { classLabel, useChartTheme, useWidth } from './common';
import type { ChartTheme } from './common';
import { BAND_PX_PER_BIT, classOrder, clusterAt, HEADER_HEIGHT, layoutNetwork, nodeHeaderAt } from './networkLayout';
import { picturesByInput } from './cellInputs';
import type { Band, ClusterBox, NetworkLayout, NodeBox } from './networkLayout';

/** Space around the graph, px. */
const MARGIN = 12;

export interface NetworkGraphProps {
  answer: NetworkGraphAnswer;
  layers: RunLayer[];
  classNames: string[];
  /** The run's histogram bins: mean channel entropy is at most log2(bins), the top of the colour scale. */
  bins: number;
  /** Probe input pictures by index (the thumbnails); missing ones are left out. */
  thumbnails?: Map<number, HTMLCanvasElement>;
  /** The slice's channels per layer (key: layer index): a cluster whose channels are exactly these is drawn selected. */
  selected: Record<string, number[]>;
  focusedLayer: number | null;
  /** What the canvas is called for screen readers ("Network of run A at epoch 3"). */
  label: string;
  onSelectCluster?: (cluster: NetworkCluster) => void;
  onLayer?: (layer: number) => void;
}

/** Zoom choices: `auto` fits the graph to the panel when that keeps it at 80 % or more, else shows it at 100 % (scrolling). */
type Zoom = 'auto' | 'fit' | '0.5' | '0.75' | '1';
const ZOOMS: { value: Zoom; label: string }[] = [
  { value: 'auto', label: 'Auto' },
  { value: 'fit', label: 'Fit width' },
  { value: '0.5', label: '50 %' },
  { value: '0.75', label: '75 %' },
  { value: '1', label: '100 %' },
];

/** Where the keyboard cursor is: a node, and a cluster in it when it has clusters. */
interface Cursor {
  node: number;
  cluster: number | null;
}

export function NetworkGraph(props: NetworkGraphProps): JSX.Element {
  const { answer, layers, classNames } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const theme = useChartTheme();
  const tooltip = useTooltip();
  const [drawMs, setDrawMs] = useState(0);
  const [hover, setHover] = useState<{ cluster?: ClusterBox; band?: Band; node?: NodeBox } | null>(null);
  const [cursor, setCursor] = useState<Cursor | null>(null);
  const [keyboard, setKeyboard] = useState(false);
  const [announce, setAnnounce] = useState('');
  const [zoomChoice, setZoomChoice] = useState<Zoom>('auto');
  const wrap = useRef<HTMLDivElement>(null);
  const available = useWidth(wrap);

  const { layout, layoutMs } = useMemo(() => {
    const started = performance.now();
    const l = layoutNetwork(
      answer,
      layers.map((x) => ({ index: x.index, name: x.name, channels: x.channels })),
    );
    return { layout: l, layoutMs: performance.now() - started };
  }, [answer, layers]);
  const paths = useMemo(() => layout.bands.map((b) => bandPath(b)), [layout]);
  const width = layout.width + 2 * MARGIN;
  const height = layout.height + 2 * MARGIN;
  const fit = Math.max(0.1, Math.min(1, (available - 2) / width));
  const zoom = zoomChoice === 'fit' ? fit : zoomChoice === 'auto' ? (fit >= 0.8 ? fit : 1) : Number(zoomChoice);
  const name = (layer: number) => {
    const l = layers[layer];
    return l ? shortLayerName(l, layers) : `layer ${layer}`;
  };
  // Clusters per node, top to bottom then left to right: the keyboard's order.
  const clustersOf = useMemo(() => {
    const m = new Map<number, ClusterBox[]>();
    for (const c of layout.clusters) {
      const list = m.get(c.cluster.layer);
      if (list) list.push(c);
      else m.set(c.cluster.layer, [c]);
    }
    for (const list of m.values()) list.sort((a, b) => a.y - b.y || a.x - b.x);
    return m;
  }, [layout]);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const started = performance.now();
    drawNetwork(c, { layout, paths, width, height, zoom, theme, props, name });
    setDrawMs(performance.now() - started);
    // `props` is read through its parts listed here; `name` follows `layers`.
  }, [layout, paths, width, height, zoom, theme, props.thumbnails, props.selected, props.focusedLayer, props.bins, classNames, layers]);

  const cursorBox = cursor ? cursorTarget(layout, clustersOf, cursor) : undefined;
  useEffect(() => {
    const c = overlay.current;
    if (!c) return;
    drawOverlay(c, { layout, paths, width, height, zoom, theme, hover, cursor: keyboard ? cursorBox : undefined });
  }, [layout, paths, width, height, zoom, theme, hover, keyboard, cursorBox]);

  const pointIn = (e: MouseEvent) => {
    const rect = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    return { x: (e.clientX - rect.left) / zoom - MARGIN, y: (e.clientY - rect.top) / zoom - MARGIN };
  };
  const bandAt = (x: number, y: number): Band | undefined => {
    const ctx = overlay.current?.getContext('2d');
    if (!ctx) return undefined;
    const scale = pixelRatio() * zoom;
    ctx.save();
    ctx.setTransform(scale, 0, 0, scale, MARGIN * scale, MARGIN * scale);
    let found: Band | undefined;
    // The topmost (last drawn) band wins; a thin band is hit within 3 px.
    for (let i = layout.bands.length - 1; i >= 0 && !found; i--) {
      const b = layout.bands[i];
      if (x < b.points[0][0] || x > b.points[b.points.length - 1][0]) continue;
      ctx.lineWidth = Math.max(6, b.widthPx);
      if (ctx.isPointInStroke(paths[i], (x + MARGIN) * scale, (y + MARGIN) * scale)) found = b;
    }
    ctx.restore();
    return found;
  };
  const onMove = (e: MouseEvent) => {
    const p = pointIn(e);
    const cluster = clusterAt(layout, p.x, p.y);
    const node = cluster ? undefined : nodeHeaderAt(layout, p.x, p.y);
    const band = cluster || node ? undefined : bandAt(p.x, p.y);
    if (!cluster && !node && !band) {
      if (hover) setHover(null);
      tooltip.hide();
      return;
    }
    if (hover?.cluster !== cluster || hover?.band !== band || hover?.node !== node) setHover({ cluster, band, node });
    tooltip.show(e.clientX, e.clientY, tip({ cluster, band, node }));
  };
  const onLeave = () => {
    setHover(null);
    tooltip.hide();
  };
  const onClick = (e: MouseEvent) => {
    const p = pointIn(e);
    const cluster = clusterAt(layout, p.x, p.y);
    if (cluster) {
      const ni = layout.nodes.findIndex((n) => n.layer === cluster.cluster.layer);
      setCursor({ node: ni, cluster: (clustersOf.get(cluster.cluster.layer) ?? []).indexOf(cluster) });
      props.onSelectCluster?.(cluster.cluster);
      return;
    }
    const node = nodeHeaderAt(layout, p.x, p.y);
    if (node) props.onLayer?.(node.layer);
  };

  const tip = (h: { cluster?: ClusterBox; band?: Band; node?: NodeBox }): JSX.Element | null => {
    if (h.cluster) return <ClusterTip cluster={h.cluster.cluster} layout={layout} name={name} classNames={classNames} />;
    if (h.band) return <BandTip band={h.band} name={name} answer={answer} />;
    if (h.node) return <NodeTip node={h.node} layers={layers} name={name} clusters={clustersOf.get(h.node.layer)?.length ?? 0} />;
    return null;
  };

  // Keyboard: left and right move between layer nodes, up and down between a node's clusters;
  // Enter selects the cluster's channels, G goes to the layer's source line.
  const moveCursor = (next: Cursor) => {
    const target = cursorTarget(layout, clustersOf, next);
    if (!target) return;
    setCursor(next);
    const box = target.box;
    const sc = scroller.current;
    if (sc) {
      const left = (box.x + MARGIN) * zoom;
      const w = box.width * zoom;
      if (left < sc.scrollLeft || left + w > sc.scrollLeft + sc.clientWidth) sc.scrollLeft = Math.max(0, left - sc.clientWidth / 2 + w / 2);
    }
    const rect = canvas.current?.getBoundingClientRect();
    if (rect) {
      tooltip.show(
        rect.left + (MARGIN + box.x + box.width) * zoom - 6,
        rect.top + (MARGIN + box.y + box.height) * zoom - 6,
        tip(target.cluster ? { cluster: target.cluster } : { node: target.node }),
      );
    }
    setAnnounce(
      target.cluster
        ? `${name(target.cluster.cluster.layer)} cluster ${target.cluster.cluster.cluster}: ${target.cluster.cluster.channels.length} channels, mean channel entropy ${fmtBits(target.cluster.cluster.meanEntropyBits)}. Enter selects its channels.`
        : `${name(target.node.layer)}: no clusters. G goes to its source line.`,
    );
  };
  const onKey = (e: KeyboardEvent) => {
    setKeyboard(true);
    const at = cursor ?? { node: 0, cluster: (clustersOf.get(layout.nodes[0]?.layer ?? -1)?.length ?? 0) > 0 ? 0 : null };
    const toNode = (ni: number) => {
      const n = layout.nodes[Math.max(0, Math.min(layout.nodes.length - 1, ni))];
      if (!n) return;
      const list = clustersOf.get(n.layer) ?? [];
      const from = cursorTarget(layout, clustersOf, at);
      const y = from ? from.box.y + from.box.height / 2 : 0;
      let best: number | null = list.length ? 0 : null;
      list.forEach((c, k) => {
        if (best !== null && Math.abs(c.y + c.height / 2 - y) < Math.abs(list[best].y + list[best].height / 2 - y)) best = k;
      });
      moveCursor({ node: layout.nodes.indexOf(n), cluster: best });
    };
    const list = clustersOf.get(layout.nodes[at.node]?.layer ?? -1) ?? [];
    if (e.key === 'ArrowRight') toNode(cursor ? at.node + 1 : at.node);
    else if (e.key === 'ArrowLeft') toNode(cursor ? at.node - 1 : at.node);
    else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (at.cluster === null || !cursor) moveCursor(at);
      else moveCursor({ node: at.node, cluster: Math.max(0, Math.min(list.length - 1, at.cluster + (e.key === 'ArrowDown' ? 1 : -1))) });
    } else if (e.key === 'Home') toNode(0);
    else if (e.key === 'End') toNode(layout.nodes.length - 1);
    else if (e.key === 'Enter' || e.key === ' ') {
      const target = cursorTarget(layout, clustersOf, at);
      if (target?.cluster) props.onSelectCluster?.(target.cluster.cluster);
      else if (target) props.onLayer?.(target.node.layer);
      setCursor(at);
    } else if (e.key === 'g' || e.key === 'G') {
      const target = cursorTarget(layout, clustersOf, at);
      if (target) props.onLayer?.(target.node.layer);
    } else if (e.key === 'Escape') tooltip.hide();
    else return;
    e.preventDefault();
  };

  return (
    <div class="network-graph" ref={wrap}>
      <label class="network-zoom">
        Zoom{' '}
        <select
          value={zoomChoice}
          aria-label="Zoom of the network graph"
          onChange={(e) => setZoomChoice((e.target as HTMLSelectElement).value as Zoom)}
        >
          {ZOOMS.map((z) => (
            <option key={z.value} value={z.value}>
              {z.label}
            </option>
          ))}
        </select>{' '}
        <span class="muted">{Math.round(zoom * 100)} %</span>
      </label>
      <div class="network-scroll" ref={scroller} data-scroll-x>
        <div class="network-stack" style={{ width: `${width * zoom}px`, height: `${height * zoom}px` }}>
          <canvas
            ref={canvas}
            class="chart network-canvas"
            tabIndex={0}
            role="img"
            aria-roledescription="network graph"
            aria-label={`${props.label}: ${layout.nodes.length} layer nodes, ${layout.clusters.length} channel clusters, ${layout.bands.length} edges drawn as bands whose width is the mean channel capacity (${BAND_PX_PER_BIT} px per bit). Left and right arrows move between layers, up and down between clusters; Enter selects a cluster's channels; G goes to the layer's source line.`}
            data-testid="network-canvas"
            data-epoch={answer.epoch}
            data-nodes={layout.nodes.length}
            data-clusters={layout.clusters.length}
            data-bands={layout.bands.length}
            data-links={layout.links.length}
            data-draw-ms={drawMs.toFixed(1)}
            data-layout-ms={layoutMs.toFixed(1)}
            data-margin={MARGIN}
            data-zoom={zoom}
            style={{ width: `${width * zoom}px`, height: `${height * zoom}px` }}
            onMouseMove={onMove}
            onMouseLeave={onLeave}
            onMouseDown={() => setKeyboard(false)}
            onClick={onClick}
            onKeyDown={onKey}
            onBlur={() => {
              setKeyboard(false);
              tooltip.hide();
            }}
          />
          <canvas
            ref={overlay}
            class="network-overlay"
            aria-hidden="true"
            style={{ width: `${width * zoom}px`, height: `${height * zoom}px` }}
          />
        </div>
      </div>
      <p class="sr-only" aria-live="polite">
        {announce}
      </p>
      <NetworkSummary layout={layout} name={name} />
    </div>
  );
}

/**
 * The graph as text for screen readers and tests (the canvas has no elements to ask): each layer
 * node with its clusters, each cluster with its channels and where it is drawn.
 */
function NetworkSummary(props: { layout: NetworkLayout; name: (layer: number) => string }): JSX.Element {
  const { layout } = props;
  const bandsFrom = new Map<number, number>();
  for (const b of layout.bands) bandsFrom.set(b.edge.fromLayer, (bandsFrom.get(b.edge.fromLayer) ?? 0) + 1);
  return (
    <ul class="sr-only" data-testid="network-summary" aria-label="Layer nodes and their channel clusters">
      {layout.nodes.map((n) => {
        const clusters = layout.clusters.filter((c) => c.cluster.layer === n.layer);
        return (
          <li
            key={n.layer}
            data-layer={n.layer}
            data-clustered={String(n.clustered)}
            data-clusters={clusters.length}
            data-bands-out={bandsFrom.get(n.layer) ?? 0}
            data-x={Math.round(n.x)}
            data-y={Math.round(n.y)}
            data-w={Math.round(n.width)}
            data-h={Math.round(n.height)}
          >
            {props.name(n.layer)}
            {n.merge ? ` (${n.merge} of ${layout.links.filter((l) => l.to === n.layer).length} inputs)` : ''}:{' '}
            {n.clustered ? `${clusters.length} clusters` : 'not clustered'}
            {clusters.length > 0 && (
              <ul>
                {clusters.map((c) => (
                  <li
                    key={c.cluster.cluster}
                    data-cluster={c.cluster.cluster}
                    data-channels={c.cluster.channels.join(',')}
                    data-x={Math.round(c.x)}
                    data-y={Math.round(c.y)}
                    data-w={Math.round(c.width)}
                    data-h={Math.round(c.height)}
                  >
                    cluster {c.cluster.cluster}: channels {c.cluster.channels.join(', ')}; mean channel entropy{' '}
                    {fmtBits(c.cluster.meanEntropyBits)}
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function cursorTarget(
  layout: NetworkLayout,
  clustersOf: Map<number, ClusterBox[]>,
  cursor: Cursor,
): { node: NodeBox; cluster?: ClusterBox; box: { x: number; y: number; width: number; height: number } } | undefined {
  const node = layout.nodes[cursor.node];
  if (!node) return undefined;
  const cluster = cursor.cluster !== null ? clustersOf.get(node.layer)?.[cursor.cluster] : undefined;
  return { node, cluster, box: cluster ?? node };
}

function bandPath(b: Band): Path2D {
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

interface DrawInput {
  layout: NetworkLayout;
  paths: Path2D[];
  width: number;
  height: number;
  zoom: number;
  theme: ChartTheme;
  props: NetworkGraphProps;
  name: (layer: number) => string;
}

function sizeCanvas(c: HTMLCanvasElement, width: number, height: number, zoom: number): CanvasRenderingContext2D | null {
  const scale = pixelRatio() * zoom;
  c.width = Math.round(width * scale);
  c.height = Math.round(height * scale);
  const ctx = c.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(scale, 0, 0, scale, MARGIN * scale, MARGIN * scale);
  return ctx;
}

function drawNetwork(c: HTMLCanvasElement, d: DrawInput): void {
  const ctx = sizeCanvas(c, d.width, d.height, d.zoom);
  if (!ctx) return;
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
    const title = `${n.merge ? (n.merge === 'add' ? '⊕ ' : n.merge === 'concatenate' ? '∥ ' : '∘ ') : ''}${d.name(n.layer)}`;
    const detail = layer ? (n.clustered ? ` · ${layer.channels} ch` : ` · ${layer.className}`) : '';
    ctx.fillStyle = theme.foreground;
    ctx.font = `600 ${fontSize}px ${theme.font}`;
    const titleY = n.clustered ? n.y + HEADER_HEIGHT / 2 + 1 : n.y + n.height / 2;
    const shown = fitText(ctx, title, n.width - 8);
    ctx.fillText(shown, n.x + 4, titleY);
    const used = ctx.measureText(shown).width;
    ctx.font = `${fontSize}px ${theme.font}`;
    ctx.fillStyle = theme.muted;
    if (shown === title) ctx.fillText(fitText(ctx, detail, n.width - 8 - used), n.x + 4 + used, titleY);
  }
  for (const cb of layout.clusters) drawCluster(ctx, cb, d, maxBits, classCount, range.get(cb.cluster.layer) ?? [0, 1]);
}

function drawCluster(
  ctx: CanvasRenderingContext2D,
  cb: ClusterBox,
  d: DrawInput,
  maxBits: number,
  classCount: number,
  range: [number, number],
): void {
  const { theme, props } = d;
  const { x, y, width: w, height: h, cluster } = cb;
  ctx.fillStyle = entropyFill(cluster.meanEntropyBits, maxBits);
  ctx.fillRect(x, y, w, h);
  const sliced = props.selected[String(cluster.layer)];
  const selected = sliced !== undefined && sameChannels(sliced, cluster.channels);
  const pad = 2;
  // The class strip along the bottom: this cluster's row of the clusters × classes matrix, classes
  // reordered by its response (strongest left), each in its class colour, opacity = the response.
  const stripH = Math.max(3, Math.min(8, Math.floor(h * 0.22)));
  if (classCount > 0 && w >= 8 && h >= 8) {
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
  // Thumbnails of the inputs it responds to most, left to right as far as they fit.
  const room = h - stripH - 3 * pad;
  const thumbs = props.thumbnails ? cluster.topInputs.map((i) => props.thumbnails!.get(i)).filter((t) => t !== undefined) : [];
  const size = Math.min(26, room);
  if (thumbs.length && size >= 8) {
    const fit = Math.min(thumbs.length, Math.floor((w - 2 * pad + 2) / (size + 2)));
    ctx.imageSmoothingEnabled = false;
    for (let i = 0; i < fit; i++) ctx.drawImage(thumbs[i], x + pad + i * (size + 2), y + pad, size, size);
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
}

function drawOverlay(
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

function listChannels(channels: number[], max = 24): string {
  return channels.length <= max ? channels.join(', ') : `${channels.slice(0, max).join(', ')}, … (${channels.length - max} more)`;
}

function ClusterTip(props: {
  cluster: NetworkCluster;
  layout: NetworkLayout;
  name: (layer: number) => string;
  classNames: string[];
}): JSX.Element {
  const { cluster, layout, classNames } = props;
  const order = classOrder(cluster).filter((k) => cluster.classMeans[k] !== null);
  const bandsIn = layout.bands.filter((b) => b.edge.toLayer === cluster.layer && b.edge.toCluster === cluster.cluster);
  const bandsOut = layout.bands.filter((b) => b.edge.fromLayer === cluster.layer && b.edge.fromCluster === cluster.cluster);
  const strongest = (bands: Band[]) =>
    bands.reduce<Band | undefined>((m, b) => (!m || (b.edge.bits ?? 0) > (m.edge.bits ?? 0) ? b : m), undefined);
  const sIn = strongest(bandsIn);
  const sOut = strongest(bandsOut);
  return (
    <div data-testid="network-tip">
      <strong>
        {props.name(cluster.layer)} · cluster {cluster.cluster}
      </strong>
      <div>
        {cluster.channels.length} channel{cluster.channels.length === 1 ? '' : 's'}: {listChannels(cluster.channels)}
      </div>
      <div>mean channel entropy {fmtBits(cluster.meanEntropyBits)}</div>
      {order.length > 0 && (
        <div>
          responds most to{' '}
          {order
            .slice(0, 3)
            .map((k) => `${classLabel(k, classNames)} (${(cluster.classMeans[k] ?? 0).toPrecision(3)})`)
            .join(', ')}
        </div>
      )}
      {cluster.topInputs.length > 0 && <div>top inputs #{cluster.topInputs.join(', #')}</div>}
      <div>
        {bandsIn.length} edge{bandsIn.length === 1 ? '' : 's'} in
        {sIn ? ` (strongest ${fmtBits(sIn.edge.bits)} from ${props.name(sIn.edge.fromLayer)} #${sIn.edge.fromCluster})` : ''},{' '}
        {bandsOut.length} out
        {sOut ? ` (strongest ${fmtBits(sOut.edge.bits)} to ${props.name(sOut.edge.toLayer)} #${sOut.edge.toCluster})` : ''}
      </div>
      <div class="muted">Click: select these channels in the slicer and the Channel view</div>
    </div>
  );
}

function BandTip(props: { band: Band; name: (layer: number) => string; answer: NetworkGraphAnswer }): JSX.Element {
  const e = props.band.edge;
  const size = (layer: number, k: number) => props.answer.clusters.find((c) => c.layer === layer && c.cluster === k)?.channels.length ?? 0;
  return (
    <div data-testid="network-tip">
      <strong>
        {props.name(e.fromLayer)} #{e.fromCluster} → {props.name(e.toLayer)} #{e.toCluster}
      </strong>
      <div>mean channel capacity {fmtBits(e.bits)}</div>
      <div class="muted">
        over {size(e.fromLayer, e.fromCluster)} × {size(e.toLayer, e.toCluster)} channel pairs at epoch {props.answer.epoch}
      </div>
    </div>
  );
}

function NodeTip(props: { node: NodeBox; layers: RunLayer[]; name: (layer: number) => string; clusters: number }): JSX.Element {
  const layer = props.layers[props.node.layer];
  return (
    <div data-testid="network-tip">
      <strong>{props.name(props.node.layer)}</strong> {layer ? `(${layer.className}, ${layer.channels} channels)` : ''}
      {props.node.merge && <div>{props.node.merge} of its inputs</div>}
      <div>{props.node.clustered ? `${props.clusters} clusters` : 'not clustered (one channel or not selected)'}</div>
      <div class="muted">Click: {layer?.source ? 'go to its source line' : 'select the layer'}</div>
    </div>
  );
}

/** Each input's picture as a small canvas (the pictures of `picturesByInput`, drawn once). */
export function thumbnailCanvases(a: InputsAnswer): Map<number, HTMLCanvasElement> {
  const out = new Map<number, HTMLCanvasElement>();
  for (const [input, img] of picturesByInput(a)) {
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    canvas.getContext('2d')?.putImageData(img, 0, 0);
    out.set(input, canvas);
  }
  return out;
}

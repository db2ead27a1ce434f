// The Network view's picture (after CNNVis): one canvas for the whole graph, because a ResNet-18
// has 20+ layer nodes, hundreds of clusters and thousands of bands (SVG elements that many make
// every hover slow). A second canvas above it carries what changes on hover and under the keyboard
// cursor, so moving the pointer never redraws the graph. Geometry: ./networkLayout.ts; drawing:
// ./networkDraw.ts; pointer and keyboard: ./useNetworkInput.ts.
import type { JSX, RefObject } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { InputsAnswer, NetworkCluster, NetworkGraphAnswer } from '../../src/contract/queries';
import { shortLayerName } from '../../src/contract/layerLabel';
import { useTooltip } from './primitives';
import { picturesByInput } from './cellInputs';
import { useChartTheme, useWidth } from './common';
import { bandPath, drawNetwork, drawOverlay, MARGIN, nodeWords } from './networkDraw';
import type { DrawnSizes, NetworkPicture } from './networkDraw';
import { BAND_PX_PER_BIT, layoutNetwork } from './networkLayout';
import type { ClusterBox, FitTo, NetworkLayout } from './networkLayout';
import { BandTip, ClusterTip, GroupTip, NetworkSummary, NodeTip } from './networkTips';
import { collapseNetwork, COLLAPSE_ABOVE, initialExpanded, namePrefixes, networkGroups } from './networkGroups';
import type { NetworkGroup } from './networkGroups';
import { cursorTarget, useNetworkKeyboard, useNetworkPointer } from './useNetworkInput';
import type { NetworkHover } from './useNetworkInput';

export interface NetworkGraphProps extends NetworkPicture {
  answer: NetworkGraphAnswer;
  /** What the canvas is called for screen readers ("Network of run A at epoch 3"). */
  label: string;
  onSelectCluster?: (cluster: NetworkCluster) => void;
  onLayer?: (layer: number) => void;
  /** The share of the window's height the graph fills (default 0.8, the scroller's most). */
  heightFraction?: number;
  /** A layer's name where the graph is part of a comparison (its row's name), else its short name in the run. */
  nameOf?: (layer: number) => string | undefined;
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

/** The height the graph fills: most of the window (the panel), as the scroller allows (80 % of it), px. */
function useFitHeight(fraction: number): number {
  const [height, setHeight] = useState(() => window.innerHeight);
  useEffect(() => {
    const resize = () => setHeight(window.innerHeight);
    window.addEventListener('resize', resize);
    return () => window.removeEventListener('resize', resize);
  }, []);
  return Math.max(MIN_FIT_HEIGHT, Math.round(height * fraction) - 2 * MARGIN - 8);
}

/** The smallest height the graph is fitted to, px (a short panel scrolls instead). */
const MIN_FIT_HEIGHT = 320;

/**
 * The graph's layout (timed), its band paths, and its clusters per layer in the keyboard's order.
 * The clustered nodes grow to fill the panel's width and the height given; when the graph is wider
 * than the panel and Auto zoom will shrink it (to 80 % or more), the height is fitted at that zoom.
 */
function useNetworkLayout(
  answer: NetworkGraphAnswer,
  layers: NetworkPicture['layers'],
  fit: FitTo,
  name: (layer: number) => string,
  collapsed: ReadonlyMap<number, NetworkGroup>,
) {
  const { layout, layoutMs } = useMemo(() => {
    const started = performance.now();
    const infos = layers.map((x) => ({
      index: x.index,
      name: x.name,
      channels: x.channels,
      title: nodeTitle(answer, x, name, collapsed.get(x.index)),
    }));
    let l = layoutNetwork(answer, infos, fit);
    const shrink = fit.width / Math.max(1, l.width);
    if (shrink < 1 && shrink >= autoMinZoom(collapsed)) l = layoutNetwork(answer, infos, { width: fit.width, height: fit.height / shrink });
    return { layout: l, layoutMs: performance.now() - started };
    // `name` follows `layers`; `collapsed` follows `answer`.
  }, [answer, layers, fit.width, fit.height]);
  const paths = useMemo(() => layout.bands.map((b) => bandPath(b)), [layout]);
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
  return { layout, layoutMs, paths, clustersOf };
}

/** Auto zoom fits the graph to the panel's width when that keeps it at this zoom or more. */
const AUTO_MIN_ZOOM = 0.8;
/** The same for a deep model's overview (some groups collapsed), which is there to fit the panel. */
const OVERVIEW_MIN_ZOOM = 0.7;
const autoMinZoom = (collapsed: ReadonlyMap<number, NetworkGroup>) => (collapsed.size > 0 ? OVERVIEW_MIN_ZOOM : AUTO_MIN_ZOOM);

/** A node's title as drawn (nodeWords): its merge sign, its short name, and its channels (clustered) or class; a collapsed group's prefix and size. */
export function nodeTitle(
  answer: NetworkGraphAnswer,
  layer: NetworkPicture['layers'][number],
  name: (layer: number) => string,
  group?: NetworkGroup,
): string {
  const node = answer.nodes.find((n) => n.layer === layer.index);
  const { title, detail } = nodeWords(node ?? { clustered: false }, layer, name(layer.index), group);
  return title + detail;
}

/** A graph taller than the scroller opens on its first layer, not on the empty space above a branch. */
function useOpenOnFirstLayer(scroller: RefObject<HTMLDivElement>, layout: NetworkLayout, zoom: number): void {
  useEffect(() => {
    const sc = scroller.current;
    const first = layout.nodes[0];
    if (!sc || !first || sc.scrollTop > 0) return;
    const centre = (MARGIN + first.y + first.height / 2) * zoom;
    if (centre > sc.clientHeight * 0.75) sc.scrollTop = centre - sc.clientHeight / 2;
  }, [scroller, layout, zoom]);
}

/**
 * The answer as drawn with its groups collapsed (networkGroups.ts): a deep model opens on its
 * overview, its stages collapsed, each expandable; a shallow one opens whole.
 */
function useGroups(full: NetworkGraphAnswer, layers: NetworkPicture['layers']) {
  const fullName = (layer: number) => layers[layer]?.name ?? `layer ${layer}`;
  const [expanded, setExpanded] = useState<Set<string>>(() => initialExpanded(full, fullName));
  // `fullName` follows `layers`.
  const groups = useMemo(() => networkGroups(full.nodes, fullName), [full.nodes, layers]);
  const { answer, collapsed } = useMemo(() => collapseNetwork(full, fullName, expanded), [full, layers, expanded]);
  const expand = (prefix: string, open: boolean) =>
    setExpanded((old) => {
      const next = new Set(old);
      if (open) next.add(prefix);
      else next.delete(prefix);
      return next;
    });
  /** Expands the group the layer's node stands for; false when it stands for no group. */
  const open = (layer: number): boolean => {
    const group = collapsed.get(layer);
    if (group) expand(group.prefix, true);
    return group !== undefined;
  };
  return { answer, collapsed, groups, expanded, expand, setExpanded, open };
}

export function NetworkGraph(props: NetworkGraphProps): JSX.Element {
  const { layers, classNames } = props;
  const groups = useGroups(props.answer, layers);
  const { answer, collapsed } = groups;
  const canvas = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const theme = useChartTheme();
  const tooltip = useTooltip();
  const [drawMs, setDrawMs] = useState(0);
  const [drawn, setDrawn] = useState<DrawnSizes>({ minThumb: null, minStrip: null, truncatedTitles: 0 });
  const [zoomChoice, setZoomChoice] = useState<Zoom>('auto');
  const wrap = useRef<HTMLDivElement>(null);
  const available = useWidth(wrap);
  const fitHeight = useFitHeight(props.heightFraction ?? 0.8);
  const name = (layer: number) =>
    collapsed.get(layer)?.prefix ?? props.nameOf?.(layer) ?? (layers[layer] ? shortLayerName(layers[layer], layers) : `layer ${layer}`);
  const { layout, layoutMs, paths, clustersOf } = useNetworkLayout(
    answer,
    layers,
    { width: Math.max(200, available - 2 - 2 * MARGIN), height: fitHeight },
    name,
    collapsed,
  );
  const width = layout.width + 2 * MARGIN;
  const height = layout.height + 2 * MARGIN;
  const fit = Math.max(0.1, Math.min(1, (available - 2) / width));
  const zoom = zoomChoice === 'fit' ? fit : zoomChoice === 'auto' ? (fit >= autoMinZoom(collapsed) ? fit : 1) : Number(zoomChoice);
  const tip = (h: NetworkHover): JSX.Element | null => {
    if (h.cluster) return <ClusterTip cluster={h.cluster.cluster} layout={layout} name={name} classNames={classNames} />;
    if (h.band) return <BandTip band={h.band} name={name} answer={answer} />;
    const group = h.node && collapsed.get(h.node.layer);
    if (group) return <GroupTip group={group} layers={layers} />;
    if (h.node) return <NodeTip node={h.node} layers={layers} name={name} clusters={clustersOf.get(h.node.layer)?.length ?? 0} />;
    return null;
  };
  // A click or Enter on a collapsed group expands it; on a layer, goes to its source line.
  const onLayer = (layer: number) => void (groups.open(layer) ? tooltip.hide() : props.onLayer?.(layer));
  const input = { layout, clustersOf, paths, zoom, tooltip, tip, name, onSelectCluster: props.onSelectCluster, onLayer };
  const keys = useNetworkKeyboard({ ...input, scroller, canvas });
  const pointer = useNetworkPointer({ ...input, overlay, setCursor: keys.setCursor });

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const started = performance.now();
    setDrawn(drawNetwork(c, { layout, paths, width, height, zoom, theme, props, name, collapsed }));
    setDrawMs(performance.now() - started);
    // `props` is read through its parts listed here; `name` follows `layers`.
  }, [layout, paths, width, height, zoom, theme, props.thumbnails, props.selected, props.focusedLayer, props.bins, classNames, layers]);

  useOpenOnFirstLayer(scroller, layout, zoom);

  // The tooltip never outlives the graph (an epoch without a graph, another overview).
  useEffect(() => () => tooltip.hide(), [tooltip]);

  const cursorBox = keys.cursor ? cursorTarget(layout, clustersOf, keys.cursor) : undefined;
  const hover = pointer.hover;
  useEffect(() => {
    const c = overlay.current;
    if (!c) return;
    drawOverlay(c, { layout, paths, width, height, zoom, theme, hover, cursor: keys.keyboard ? cursorBox : undefined });
  }, [layout, paths, width, height, zoom, theme, hover, keys.keyboard, cursorBox]);

  return (
    <div class="network-graph" ref={wrap}>
      <ZoomPicker value={zoomChoice} zoom={zoom} onChange={setZoomChoice} />
      <GroupPicker {...groups} nodes={props.answer.nodes.length} />
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
            data-thumb-px={drawn.minThumb === null ? '' : (drawn.minThumb * zoom).toFixed(1)}
            data-strip-px={drawn.minStrip === null ? '' : (drawn.minStrip * zoom).toFixed(1)}
            data-truncated-titles={drawn.truncatedTitles}
            style={{ width: `${width * zoom}px`, height: `${height * zoom}px` }}
            onMouseMove={pointer.onMove}
            onMouseLeave={pointer.onLeave}
            onMouseDown={() => keys.setKeyboard(false)}
            onClick={pointer.onClick}
            onKeyDown={keys.onKey}
            onBlur={() => {
              keys.setKeyboard(false);
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
        {keys.announce}
      </p>
      <NetworkSummary layout={layout} name={name} />
    </div>
  );
}

/**
 * The blocks of a deep model as buttons: each group drawn collapsed (▸, expands it) and each
 * expanded group whose enclosing groups are expanded too (▾, collapses it), with expand and
 * collapse all. The same as a click or Enter on a collapsed node, for a keyboard or a screen reader.
 */
function GroupPicker(props: {
  groups: ReadonlyMap<string, NetworkGroup>;
  expanded: ReadonlySet<string>;
  collapsed: ReadonlyMap<number, NetworkGroup>;
  expand: (prefix: string, open: boolean) => void;
  setExpanded: (expanded: Set<string>) => void;
  /** The graph's layer nodes, expanded: the picker shows above COLLAPSE_ABOVE, where the graph opens collapsed. */
  nodes: number;
}): JSX.Element | null {
  if (props.nodes <= COLLAPSE_ABOVE || props.groups.size === 0) return null;
  const open = [...props.groups.values()].filter(
    (g) => props.expanded.has(g.prefix) && namePrefixes(g.prefix).every((p) => !props.groups.has(p) || props.expanded.has(p)),
  );
  const shut = [...props.collapsed.values()];
  return (
    <div class="network-groups" role="group" aria-label="Blocks of the network: expand or collapse">
      <span class="muted">Blocks</span>
      <button
        type="button"
        class="link-button"
        onClick={() => props.setExpanded(new Set(props.groups.keys()))}
        disabled={shut.length === 0}
      >
        Expand all
      </button>
      <button type="button" class="link-button" onClick={() => props.setExpanded(new Set())} disabled={open.length === 0}>
        Collapse all
      </button>
      {[...shut, ...open]
        .sort((a, b) => a.members[0] - b.members[0] || a.prefix.length - b.prefix.length)
        .map((g) => {
          const isOpen = props.expanded.has(g.prefix);
          return (
            <button
              key={g.prefix}
              type="button"
              class="network-group"
              data-group={g.prefix}
              aria-expanded={isOpen}
              title={`${g.prefix}: ${g.members.length} layers — ${isOpen ? 'collapse' : 'expand'}`}
              onClick={() => props.expand(g.prefix, !isOpen)}
            >
              {isOpen ? '▾' : '▸'} {g.prefix}
            </button>
          );
        })}
    </div>
  );
}

function ZoomPicker(props: { value: Zoom; zoom: number; onChange: (z: Zoom) => void }): JSX.Element {
  return (
    <label class="network-zoom">
      Zoom{' '}
      <select
        value={props.value}
        aria-label="Zoom of the network graph"
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value as Zoom)}
      >
        {ZOOMS.map((z) => (
          <option key={z.value} value={z.value}>
            {z.label}
          </option>
        ))}
      </select>{' '}
      <span class="muted">{Math.round(props.zoom * 100)} %</span>
    </label>
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

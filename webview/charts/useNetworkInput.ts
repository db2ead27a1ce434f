// The network graph under the pointer and the keyboard. The pointer hovers clusters, layer titles
// and bands (a band is hit on the overlay canvas, within 3 px of a thin one) and clicks clusters
// and titles. The keyboard moves a cursor: left and right between layer nodes, up and down between
// a node's clusters; Enter selects the cluster's channels, G goes to the layer's source line.
import type { ComponentChildren, RefObject } from 'preact';
import { useState } from 'preact/hooks';
import type { NetworkCluster } from '../../src/contract/queries';
import { pixelRatio } from './primitives';
import type { TooltipApi } from './primitives';
import { MARGIN } from './networkDraw';
import { clusterAt, nodeHeaderAt } from './networkLayout';
import type { Band, ClusterBox, NetworkLayout, NodeBox } from './networkLayout';
import { formatBits } from '../../src/contract/format';

/** What is under the pointer: a cluster, a layer node's title, or a band. */
export interface NetworkHover {
  cluster?: ClusterBox;
  band?: Band;
  node?: NodeBox;
}

/** Where the keyboard cursor is: a node, and a cluster in it when it has clusters. */
export interface Cursor {
  node: number;
  cluster: number | null;
}

export interface CursorTarget {
  node: NodeBox;
  cluster?: ClusterBox;
  box: { x: number; y: number; width: number; height: number };
}

export function cursorTarget(layout: NetworkLayout, clustersOf: Map<number, ClusterBox[]>, cursor: Cursor): CursorTarget | undefined {
  const node = layout.nodes[cursor.node];
  if (!node) return undefined;
  const cluster = cursor.cluster !== null ? clustersOf.get(node.layer)?.[cursor.cluster] : undefined;
  return { node, cluster, box: cluster ?? node };
}

interface InputOptions {
  layout: NetworkLayout;
  /** Clusters per layer, top to bottom then left to right: the keyboard's order. */
  clustersOf: Map<number, ClusterBox[]>;
  paths: Path2D[];
  zoom: number;
  tooltip: TooltipApi;
  tip: (h: NetworkHover) => ComponentChildren;
  name: (layer: number) => string;
  onSelectCluster?: (cluster: NetworkCluster) => void;
  onLayer?: (layer: number) => void;
}

export interface NetworkPointer {
  hover: NetworkHover | null;
  onMove: (e: MouseEvent) => void;
  onLeave: () => void;
  onClick: (e: MouseEvent) => void;
}

export function useNetworkPointer(
  o: InputOptions & { overlay: RefObject<HTMLCanvasElement>; setCursor: (c: Cursor) => void },
): NetworkPointer {
  const { layout, zoom, tooltip } = o;
  const [hover, setHover] = useState<NetworkHover | null>(null);
  const pointIn = (e: MouseEvent) => {
    const rect = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    return { x: (e.clientX - rect.left) / zoom - MARGIN, y: (e.clientY - rect.top) / zoom - MARGIN };
  };
  const bandAt = (x: number, y: number): Band | undefined => {
    const ctx = o.overlay.current?.getContext('2d');
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
      if (ctx.isPointInStroke(o.paths[i], (x + MARGIN) * scale, (y + MARGIN) * scale)) found = b;
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
    tooltip.show(e.clientX, e.clientY, o.tip({ cluster, band, node }));
  };
  const onLeave = () => {
    setHover(null);
    tooltip.hide();
  };
  const onClick = (e: MouseEvent) => {
    // A click acts (the slicer and the other views change under the pointer): its tooltip goes.
    setHover(null);
    tooltip.hide();
    const p = pointIn(e);
    const cluster = clusterAt(layout, p.x, p.y);
    if (cluster) {
      const ni = layout.nodes.findIndex((n) => n.layer === cluster.cluster.layer);
      o.setCursor({ node: ni, cluster: (o.clustersOf.get(cluster.cluster.layer) ?? []).indexOf(cluster) });
      o.onSelectCluster?.(cluster.cluster);
      return;
    }
    const node = nodeHeaderAt(layout, p.x, p.y);
    if (node) o.onLayer?.(node.layer);
  };
  return { hover, onMove, onLeave, onClick };
}

export interface NetworkKeyboard {
  cursor: Cursor | null;
  setCursor: (c: Cursor) => void;
  /** Whether the keyboard drives the graph now (the cursor is drawn only then). */
  keyboard: boolean;
  setKeyboard: (on: boolean) => void;
  /** What the cursor is on, in words, for a live region. */
  announce: string;
  onKey: (e: KeyboardEvent) => void;
}

export function useNetworkKeyboard(
  o: InputOptions & { scroller: RefObject<HTMLDivElement>; canvas: RefObject<HTMLCanvasElement> },
): NetworkKeyboard {
  const { layout, clustersOf, zoom, tooltip, name } = o;
  const [cursor, setCursor] = useState<Cursor | null>(null);
  const [keyboard, setKeyboard] = useState(false);
  const [announce, setAnnounce] = useState('');
  const moveCursor = (next: Cursor) => {
    const target = cursorTarget(layout, clustersOf, next);
    if (!target) return;
    setCursor(next);
    const box = target.box;
    const sc = o.scroller.current;
    if (sc) {
      const left = (box.x + MARGIN) * zoom;
      const w = box.width * zoom;
      if (left < sc.scrollLeft || left + w > sc.scrollLeft + sc.clientWidth) sc.scrollLeft = Math.max(0, left - sc.clientWidth / 2 + w / 2);
    }
    const rect = o.canvas.current?.getBoundingClientRect();
    if (rect) {
      tooltip.show(
        rect.left + (MARGIN + box.x + box.width) * zoom - 6,
        rect.top + (MARGIN + box.y + box.height) * zoom - 6,
        o.tip(target.cluster ? { cluster: target.cluster } : { node: target.node }),
      );
    }
    setAnnounce(
      target.cluster
        ? `${name(target.cluster.cluster.layer)} cluster ${target.cluster.cluster.cluster}: ${target.cluster.cluster.channels.length} channels, mean channel entropy ${formatBits(target.cluster.cluster.meanEntropyBits)}. Enter selects its channels.`
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
      if (target?.cluster) o.onSelectCluster?.(target.cluster.cluster);
      else if (target) o.onLayer?.(target.node.layer);
      setCursor(at);
    } else if (e.key === 'g' || e.key === 'G') {
      const target = cursorTarget(layout, clustersOf, at);
      if (target) o.onLayer?.(target.node.layer);
    } else if (e.key === 'Escape') tooltip.hide();
    else return;
    e.preventDefault();
  };
  return { cursor, setCursor, keyboard, setKeyboard, announce, onKey };
}

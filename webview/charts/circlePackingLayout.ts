// The circle packing's layout: one first-level circle per class (and one for all), one channel
// circle per channel inside each, area proportional to its entropy; packed once per answer,
// channels and classes, and kept across re-mounts.
import { hierarchy, pack } from 'd3-hierarchy';
import type { HierarchyCircularNode } from 'd3-hierarchy';
import type { ZoomView } from 'd3-interpolate';
import type { Bits, ChannelEntropiesAnswer } from '../../src/contract/queries';

/** A first-level circle: a class index, or every input together. */
export type GroupKey = number | 'all';

export interface PackDatum {
  group?: GroupKey;
  channel?: number;
  bits?: number;
  /** Channels of this group whose entropy is undefined (no circle; listed in the tooltip). */
  undefinedChannels?: number[];
  /** Stands in for a group with no defined channel, so the group still has a circle. */
  placeholder?: boolean;
  children?: PackDatum[];
}

export type Node = HierarchyCircularNode<PackDatum>;

/** Side of the square the circles are packed in (packing units, not pixels). */
export const UNIT = 1000;

export function packValues(answer: ChannelEntropiesAnswer, g: GroupKey): Bits[] {
  return g === 'all' ? answer.all : (answer.perClass[g] ?? []);
}

/** Layouts packed per answer, by channels and classes: a view that mounts again finds its layout here. */
const packs = new WeakMap<ChannelEntropiesAnswer, Map<string, Node>>();

/** The cache key of a packing: its channels and classes. */
export const packKey = (channels: number[], classes: number[] | undefined): string =>
  `${channels.join(',')}|${classes?.join(',') ?? 'all'}`;

/** The layout packed before for this combination, if any (packs nothing). */
export function packedBefore(answer: ChannelEntropiesAnswer, channels: number[], classes: number[] | undefined): Node | undefined {
  return packs.get(answer)?.get(packKey(channels, classes));
}

/** The packing of `answer`'s `channels` for `classes` (all when absent), packed once per combination. */
export function cachedPack(answer: ChannelEntropiesAnswer, channels: number[], classes: number[] | undefined): Node {
  let byKey = packs.get(answer);
  if (!byKey) packs.set(answer, (byKey = new Map<string, Node>()));
  const key = packKey(channels, classes);
  let root = byKey.get(key);
  if (!root) {
    // A few layouts per answer at most (slices change the channels or classes); the oldest goes first.
    if (byKey.size >= 4) byKey.delete(byKey.keys().next().value!);
    byKey.set(key, (root = packLayout(answer, channels, classes)));
  }
  return root;
}

function packLayout(answer: ChannelEntropiesAnswer, channels: number[], classes: number[] | undefined): Node {
  const shownClasses = answer.perClass.map((_, k) => k).filter((k) => !classes || classes.includes(k));
  const groups: GroupKey[] = [...shownClasses, 'all'];
  const data: PackDatum = {
    children: groups.map((g) => {
      const values = packValues(answer, g);
      const children: PackDatum[] = [];
      const undefinedChannels: number[] = [];
      for (const c of channels) {
        const v = values[c] ?? null;
        if (v === null) undefinedChannels.push(c);
        else children.push({ group: g, channel: c, bits: v });
      }
      return { group: g, undefinedChannels, children };
    }),
  };
  // A group without any defined channel still gets a (dashed) circle of a modest size.
  const totals = data.children!.map((d) => d.children!.reduce((s, c) => s + (c.bits ?? 0), 0)).filter((t) => t > 0);
  const stand = totals.length ? (0.15 * totals.reduce((a, b) => a + b, 0)) / totals.length : 1;
  for (const d of data.children!)
    if (d.children!.length === 0 || d.children!.every((c) => !c.bits)) d.children!.push({ group: d.group, placeholder: true, bits: stand });
  const h = hierarchy(data)
    .sum((d) => (d.children ? 0 : (d.bits ?? 0)))
    .sort((a, b) => (b.value ?? 0) - (a.value ?? 0));
  // Packed once per answer in a fixed 1000-unit square that the viewBox scales, so resizing the
  // panel does not pack 5,000 circles again.
  return pack<PackDatum>()
    .size([UNIT, UNIT])
    .padding((n) => (n.depth === 0 ? 10 : 2))(h);
}

/** A group's key as text: the value of its `data-class` attribute and of the zoom. */
export const groupKeyOf = (g: GroupKey): string => String(g);

/** Rounds packing units to three decimals, so paths and transforms stay short. */
export function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** The picture's size on screen and in packing units, and the view that shows every class circle. */
export interface PackingFrame {
  /** Screen pixels. */
  width: number;
  height: number;
  /** The viewBox in packing units: UNIT across, the height in proportion. */
  vw: number;
  vh: number;
  /** Packing units per screen pixel, for text and strokes that must keep their screen size. */
  px: number;
  /** The shorter side of the viewBox, which a view's diameter spans. */
  short: number;
  /** The whole picture, zoomed out. */
  home: ZoomView;
}

/**
 * The frame of the class circles `groups` drawn `size` pixels wide. The picture is cropped to the
 * class circles (the packing's enclosing circle leaves empty corners); a view [x, y, d] puts (x, y)
 * in the middle with d across the shorter side.
 */
export function packingFrame(groups: Node[], size: number): PackingFrame {
  const x0 = Math.min(...groups.map((g) => g.x - g.r));
  const x1 = Math.max(...groups.map((g) => g.x + g.r));
  const y0 = Math.min(...groups.map((g) => g.y - g.r));
  const y1 = Math.max(...groups.map((g) => g.y + g.r));
  const box = { x: (x0 + x1) / 2, y: (y0 + y1) / 2, w: Math.max(1, x1 - x0), h: Math.max(1, y1 - y0) };
  const width = size;
  const height = Math.round(Math.max(240, Math.min(size, (size * box.h) / box.w)));
  const vw = UNIT;
  const vh = round((UNIT * height) / width);
  const short = Math.min(vw, vh);
  const home: ZoomView = [box.x, box.y, short / Math.min(vw / (box.w * 1.03), vh / (box.h * 1.03))];
  return { width, height, vw, vh, px: UNIT / width, short, home };
}

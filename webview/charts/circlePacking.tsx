// Circle packing of intra-sample entropy at one epoch (paper 5.4.1, Fig. 13(B)): one first-level
// circle per class plus one for all classes, one second-level circle per channel inside each, the
// area of a channel's circle proportional to its entropy. Zooming tweens one group transform
// (cheap even with 512 × 11 circles) rather than moving every circle. Mouse and keyboard handlers
// sit on the <svg> and find the circle from its data attributes, so 5,000 circles need no
// listeners of their own. The layout is packed once per answer, channels and classes (kept across
// re-mounts, so coming back to the view does not pack again), and with thousands of channel
// circles a class's circles that are not keyboard stops are one <path> of arcs rather than an
// element each: the picture and its SVG export are the same, the page holds a few elements
// instead of thousands, and hovering finds the channel under the pointer from the layout.
import { Component } from 'preact';
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { interpolateZoom } from 'd3-interpolate';
import type { ZoomView } from 'd3-interpolate';
import { interpolateRainbow } from 'd3-scale-chromatic';
import { select } from 'd3-selection';
import 'd3-transition';
import type { ChannelEntropiesAnswer } from '../../src/service/queries';
import { ALL_COLOUR, classColour } from '../colours';
import { useTooltip } from './primitives';
import { reducedMotion, useWidth } from './common';
import { cachedPack, packedBefore, packKey, UNIT } from './circlePackingLayout';
import type { GroupKey, Node } from './circlePackingLayout';
import { formatBits } from '../format';

/**
 * Channel circles in the whole picture above which a class's circles that are not keyboard stops
 * are drawn as one path (each circle an element costs about a second to lay out at 512 × 11).
 */
export const PATH_MIN_CIRCLES = 1000;

export interface CirclePackingProps {
  answer: ChannelEntropiesAnswer;
  /** Channels included (the slice's channels of this layer, or all). */
  channels: number[];
  /** The classes that get a first-level circle (the slice's classes); all when absent. */
  classes?: number[];
  classNames: string[];
  layerName: string;
  focused: number | null;
  /** The zoomed group ("all" or a class index as text), or null for the whole picture. */
  zoom: string | null;
  colourBy: 'class' | 'channel';
  channelCount: number;
  onZoom(zoom: string | null): void;
  onFocus(channel: number): void;
}

/** `subset`: the first-level circles are a slice's classes, so "all" is those together, not every class. */
export function groupLabel(g: GroupKey, classNames: string[], subset = false): string {
  if (g === 'all') return subset ? 'the slice together' : 'all classes';
  const name = classNames[g];
  return name === undefined || name === String(g) ? `class ${g}` : `class ${g} (${name})`;
}

function groupColour(g: GroupKey, classCount: number): string {
  return g === 'all' ? ALL_COLOUR : classColour(g, classCount);
}

const keyOf = (g: GroupKey) => String(g);

/** A layout and the answer, channels and classes it was packed from. */
interface LaidOut {
  answer: ChannelEntropiesAnswer;
  channels: number[];
  classes: number[] | undefined;
  root: Node;
}

/**
 * The circle packing. A layout packed before (this answer, channels and classes) is drawn at once;
 * a new one is packed after the next frame, so the rest of the view (the small multiples above,
 * on screen) is drawn first rather than after 512 × 11 circles are packed (about 100 ms). Meanwhile
 * the previous epoch's layout of the same layer stays (scrubbing does not flash), or a line says the
 * circles are being laid out.
 */
export function CirclePacking(props: CirclePackingProps): JSX.Element {
  const { answer, channels, classes } = props;
  const known = packedBefore(answer, channels, classes);
  const [laid, setLaid] = useState<LaidOut | undefined>(undefined);
  useEffect(() => {
    if (known) return;
    let timer = 0;
    const frame = requestAnimationFrame(() => {
      timer = window.setTimeout(() => setLaid({ answer, channels, classes, root: cachedPack(answer, channels, classes) }), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [known, answer, channels, classes]);
  const shown: LaidOut | undefined = known
    ? { answer, channels, classes, root: known }
    : laid && laid.answer.layer === answer.layer && packKey(laid.channels, laid.classes) === packKey(channels, classes)
      ? laid
      : undefined;
  if (!shown) {
    return (
      <div class="packing-wrap">
        <p class="status muted" role="status" data-testid="packing-pending">
          Laying out {channels.length * (1 + (classes?.length ?? answer.perClass.length))} circles…
        </p>
      </div>
    );
  }
  return <PackedCircles {...props} answer={shown.answer} root={shown.root} />;
}

function PackedCircles(props: CirclePackingProps & { root: Node }): JSX.Element {
  const { answer, classNames, focused, zoom, root } = props;
  const wrap = useRef<HTMLDivElement>(null);
  const zoomLayer = useRef<SVGGElement>(null);
  const hoverRing = useRef<SVGCircleElement>(null);
  const available = useWidth(wrap, 560);
  const size = Math.max(280, Math.min(620, available));
  const tooltip = useTooltip();
  const classCount = answer.perClass.length;
  const shownClassCount = props.classes ? props.classes.filter((k) => k < classCount).length : classCount;

  const groups = root.children ?? [];
  const zoomed = groups.find((n) => keyOf(n.data.group!) === zoom);

  // The picture is cropped to the class circles (the packing's enclosing circle leaves empty
  // corners); a view [x, y, d] puts (x, y) in the middle with d across the shorter side.
  const box = useMemo(() => {
    const x0 = Math.min(...groups.map((g) => g.x - g.r));
    const x1 = Math.max(...groups.map((g) => g.x + g.r));
    const y0 = Math.min(...groups.map((g) => g.y - g.r));
    const y1 = Math.max(...groups.map((g) => g.y + g.r));
    return { x: (x0 + x1) / 2, y: (y0 + y1) / 2, w: Math.max(1, x1 - x0), h: Math.max(1, y1 - y0) };
  }, [groups]);
  const width = size;
  const height = Math.round(Math.max(240, Math.min(size, (size * box.h) / box.w)));
  // The viewBox in packing units: UNIT across, the height in proportion.
  const vw = UNIT;
  const vh = round((UNIT * height) / width);
  /** Packing units per screen pixel, for text and strokes that must keep their screen size. */
  const px = UNIT / width;
  const short = Math.min(vw, vh);
  const home: ZoomView = [box.x, box.y, short / Math.min(vw / (box.w * 1.03), vh / (box.h * 1.03))];
  const target: ZoomView = zoomed ? [zoomed.x, zoomed.y, zoomed.r * 2.08] : home;
  const k = short / target[2];
  const view = useRef<ZoomView>(home);
  useEffect(() => {
    const g = zoomLayer.current;
    if (!g) return;
    const transformOf = (v: ZoomView) => {
      const s = short / v[2];
      return `translate(${round(vw / 2 - v[0] * s)},${round(vh / 2 - v[1] * s)}) scale(${round(s)})`;
    };
    const from = view.current;
    const same = from[0] === target[0] && from[1] === target[1] && from[2] === target[2];
    const sel = select(g);
    sel.interrupt();
    if (same || !g.getAttribute('transform') || reducedMotion()) {
      view.current = target;
      sel.attr('transform', transformOf(target));
      return;
    }
    const i = interpolateZoom(from, target);
    sel
      .transition()
      .duration(Math.min(900, Math.max(350, i.duration * 0.6)))
      .attrTween('transform', () => (t: number) => {
        view.current = i(t);
        return transformOf(view.current);
      });
  }, [target[0], target[1], target[2], vw, vh]);

  const totalChannels = groups.reduce((s, g) => s + (g.children ?? []).filter((c) => !c.data.placeholder).length, 0);
  // Colour by channel gives every circle its own colour, so each stays an element of its own.
  const asPaths = totalChannels > PATH_MIN_CIRCLES && props.colourBy === 'class';
  const circles = groups.map((g) => {
    const gk = keyOf(g.data.group!);
    return (
      <PackGroup
        key={gk}
        node={g}
        gk={gk}
        colour={groupColour(g.data.group!, classCount)}
        label={groupLabel(g.data.group!, classNames, props.classes !== undefined)}
        zoomedIn={gk === zoom}
        focused={focused}
        colourBy={props.colourBy}
        channelCount={props.channelCount}
        asPath={asPaths && gk !== zoom}
      />
    );
  });

  // Labels are sized for the zoom being shown, so they read at the same size after zooming in.
  // Each is drawn twice, a background-coloured halo under the text, so it reads over circles
  // (one element with paint-order would lose its halo in the SVG export).
  const labels = useMemo(() => {
    const out: JSX.Element[] = [];
    const text = (key: string, cls: string, x: number, y: number, size: number, halo: number, content: string) => {
      const common = { x, y, 'text-anchor': 'middle', 'dominant-baseline': 'middle' } as const;
      out.push(
        <text key={`h${key}`} class={`cp-label cp-halo ${cls}`} {...common} style={{ fontSize: `${size}px`, strokeWidth: `${halo}px` }}>
          {content}
        </text>,
        <text key={key} class={`cp-label ${cls}`} {...common} style={{ fontSize: `${size}px` }}>
          {content}
        </text>,
      );
    };
    const fs = (12 * px) / k;
    for (const g of groups) {
      const gk = keyOf(g.data.group!);
      if (zoom !== null && gk !== zoom) continue;
      const undef = g.data.undefinedChannels?.length ?? 0;
      const y = zoom === null ? g.y : g.y - g.r + (14 * px) / k;
      text(`l${gk}`, 'cp-class-label', g.x, y, fs, (3 * px) / k, groupLabel(g.data.group!, classNames, props.classes !== undefined));
      if (undef > 0 || (g.children ?? []).every((c) => c.data.placeholder)) {
        text(`u${gk}`, 'cp-undefined', g.x, y + fs * 1.2, fs * 0.85, (3 * px) / k, undef > 0 ? `${undef} undefined` : 'undefined');
      }
      if (zoom === null) continue;
      for (const c of g.children ?? []) {
        const onScreen = (c.r * k) / px;
        if (c.data.placeholder || onScreen < 11) continue;
        text(
          `c${gk}-${c.data.channel}`,
          'cp-channel-label',
          c.x,
          c.y,
          (Math.min(10, onScreen * 0.7) * px) / k,
          (2 * px) / k,
          `#${c.data.channel}`,
        );
      }
    }
    return out;
  }, [groups, zoom, k, px, classNames]);

  /** The group and channel of a circle; in a group drawn as a path, the channel under `at` (client coordinates). */
  const nodeOf = (el: Element | null, at?: { x: number; y: number }): { group: Node; channel?: Node } | undefined => {
    const hit = el?.closest('[data-class]');
    if (!hit) return undefined;
    const group = groups.find((g) => keyOf(g.data.group!) === hit.getAttribute('data-class'));
    if (!group) return undefined;
    const ch = hit.getAttribute('data-channel');
    if (ch !== null) return { group, channel: group.children?.find((c) => String(c.data.channel) === ch) };
    const ctm = at && asPaths && keyOf(group.data.group!) !== zoom ? zoomLayer.current?.getScreenCTM() : undefined;
    if (!ctm) return { group };
    const p = new DOMPoint(at!.x, at!.y).matrixTransform(ctm.inverse());
    const channel = group.children?.find((c) => !c.data.placeholder && (p.x - c.x) ** 2 + (p.y - c.y) ** 2 <= c.r * c.r);
    return channel ? { group, channel } : { group };
  };
  /** Outlines the channel under the pointer in a group drawn as a path (a circle element would have its own :hover). */
  const outline = (n: { group: Node; channel?: Node } | undefined) => {
    const ring = hoverRing.current;
    if (!ring) return;
    const c = n?.channel && !n.channel.data.placeholder && asPaths && keyOf(n.group.data.group!) !== zoom ? n.channel : undefined;
    if (!c) {
      ring.setAttribute('visibility', 'hidden');
      return;
    }
    ring.setAttribute('cx', String(round(c.x)));
    ring.setAttribute('cy', String(round(c.y)));
    ring.setAttribute('r', String(round(c.r)));
    ring.setAttribute('visibility', 'visible');
  };
  const tipOf = (n: { group: Node; channel?: Node }): ComponentChildren => {
    const label = groupLabel(n.group.data.group!, classNames, props.classes !== undefined);
    if (n.channel) {
      return (
        <div>
          <strong>
            {label} · channel {n.channel.data.channel}: {formatBits(n.channel.data.bits ?? null)}
          </strong>
          <br />
          <span class="muted">
            {props.layerName}, {keyOf(n.group.data.group!) === zoom ? 'click to select this channel' : 'click to zoom into this class'}
          </span>
        </div>
      );
    }
    const undef = n.group.data.undefinedChannels ?? [];
    const g = n.group.data.group!;
    return (
      <div>
        <strong>{label}</strong>
        <br />
        {groupSummary(n.group)}
        {g !== 'all' && answer.classCounts[g] !== undefined && (
          <>
            <br />
            {answer.classCounts[g]} inputs
          </>
        )}
        <br />
        {undef.length > 0 ? (
          <span class="warning">
            undefined:{' '}
            {undef
              .slice(0, 24)
              .map((c) => `#${c}`)
              .join(', ')}
            {undef.length > 24 ? ` … (${undef.length})` : ''}
          </span>
        ) : (
          <span class="muted">no undefined channel</span>
        )}
        <br />
        <span class="muted">{keyOf(g) === zoom ? 'click to zoom out' : 'click to zoom in'}</span>
      </div>
    );
  };
  const activate = (el: Element | null) => {
    const n = nodeOf(el);
    if (!n) {
      props.onZoom(null);
      return;
    }
    const gk = keyOf(n.group.data.group!);
    // Channel circles fill most of a class circle, so a first click anywhere in a class that is
    // not zoomed zooms it; only inside the zoomed class does a click select a channel.
    if (gk !== zoom) props.onZoom(gk);
    else if (n.channel) props.onFocus(n.channel.data.channel!);
    else props.onZoom(null);
  };

  return (
    <div ref={wrap} class="packing-wrap">
      <svg
        class="chart packing"
        width={width}
        height={height}
        viewBox={`0 0 ${vw} ${vh}`}
        role="group"
        aria-roledescription="circle packing"
        aria-label={`Circle packing of ${props.layerName} at epoch ${answer.epoch}: ${groups.length} circles (${shownClassCount} classes and all classes), ${totalChannels} channel circles inside them, area proportional to intra-sample entropy. Enter on a class zooms in; Escape zooms out.`}
        data-zoom={zoom ?? 'none'}
        onMouseMove={(e) => {
          const n = nodeOf(e.target as Element, { x: e.clientX, y: e.clientY });
          outline(n);
          if (n) tooltip.show(e.clientX, e.clientY, tipOf(n));
          else tooltip.hide();
        }}
        onMouseLeave={() => {
          outline(undefined);
          tooltip.hide();
        }}
        onClick={(e) => activate(e.target as Element)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            activate(e.target as Element);
            e.preventDefault();
          } else if (e.key === 'Escape' && zoom !== null) {
            props.onZoom(null);
            e.preventDefault();
          }
        }}
        onFocusCapture={(e) => {
          const n = nodeOf(e.target as Element);
          if (!n) return;
          const r = (e.target as Element).getBoundingClientRect();
          tooltip.show(r.right - Math.min(r.width / 2, 40), r.bottom - Math.min(r.height / 2, 40), tipOf(n));
        }}
        onBlurCapture={() => tooltip.hide()}
      >
        <rect class="cp-background" width={vw} height={vh} />
        <g ref={zoomLayer} class="cp-zoom">
          {circles}
          {asPaths && <circle ref={hoverRing} class="cp-hover-ring" visibility="hidden" />}
          <g class="cp-labels">{labels}</g>
        </g>
      </svg>
    </div>
  );
}

interface PackGroupProps {
  node: Node;
  gk: string;
  colour: string;
  label: string;
  zoomedIn: boolean;
  focused: number | null;
  colourBy: 'class' | 'channel';
  channelCount: number;
  /** Draw the channel circles as one path of arcs (they are no keyboard stops and share the group's colour). */
  asPath: boolean;
}

/**
 * One class circle and its channel circles. A component of its own so that zooming re-renders
 * only the groups whose state changed. Channel circles inherit the group's fill (one style for
 * hundreds of circles); only the zoomed group's channels are keyboard stops.
 */
class PackGroup extends Component<PackGroupProps> {
  override shouldComponentUpdate(next: PackGroupProps): boolean {
    const p = this.props;
    return (
      next.node !== p.node ||
      next.zoomedIn !== p.zoomedIn ||
      next.focused !== p.focused ||
      next.colourBy !== p.colourBy ||
      next.colour !== p.colour ||
      next.label !== p.label ||
      next.channelCount !== p.channelCount ||
      next.asPath !== p.asPath
    );
  }

  override render(): JSX.Element {
    const { node: g, gk, colour, label, zoomedIn, focused, colourBy, channelCount, asPath } = this.props;
    // In channel order, not the packing's size order: then a new epoch moves circles but never
    // reorders DOM nodes.
    const kids = [...(g.children ?? [])].sort((x, y) => (x.data.channel ?? -1) - (y.data.channel ?? -1));
    const empty = kids.every((c) => c.data.placeholder);
    return (
      <g class="cp-group" style={{ fill: colour, stroke: colour }}>
        <circle
          class={`cp-class${empty ? ' cp-empty' : ''}${zoomedIn ? ' zoomed' : ''}`}
          data-class={gk}
          cx={g.x}
          cy={g.y}
          r={g.r}
          tabindex={0}
          role="button"
          aria-label={`${label}: ${groupSummary(g)}. ${zoomedIn ? 'Press Enter to zoom out' : 'Press Enter to zoom in'}`}
        />
        {asPath && <ChannelPath kids={kids} gk={gk} focused={focused} />}
        {!asPath &&
          kids.map((c) => {
            if (c.data.placeholder) return null;
            const ch = c.data.channel!;
            return (
              <circle
                key={ch}
                class={ch === focused ? 'cp-channel focused' : 'cp-channel'}
                data-class={gk}
                data-channel={ch}
                cx={c.x}
                cy={c.y}
                r={c.r}
                fill={colourBy === 'channel' ? interpolateRainbow((ch % channelCount) / Math.max(1, channelCount)) : undefined}
                tabindex={zoomedIn ? 0 : undefined}
                role={zoomedIn ? 'button' : undefined}
                aria-label={
                  zoomedIn ? `${label}, channel ${ch}: ${formatBits(c.data.bits ?? null)}. Press Enter to select this channel` : undefined
                }
              />
            );
          })}
      </g>
    );
  }
}

/**
 * A group's channel circles as one path of arcs (two half-circle arcs each), with the focused
 * channel drawn over it as a circle of its own so it keeps its outline.
 */
function ChannelPath(props: { kids: Node[]; gk: string; focused: number | null }): JSX.Element {
  const shown = props.kids.filter((c) => !c.data.placeholder);
  const d = shown
    .map((c) => {
      const [x, y, r] = [round(c.x), round(c.y), round(c.r)];
      return `M${round(x + r)},${y}A${r},${r},0,1,1,${round(x - r)},${y}A${r},${r},0,1,1,${round(x + r)},${y}Z`;
    })
    .join('');
  const focused = shown.find((c) => c.data.channel === props.focused);
  return (
    <>
      <path class="cp-channels" data-class={props.gk} data-circles={shown.length} d={d} />
      {focused && (
        <circle
          class="cp-channel focused cp-overlay"
          data-class={props.gk}
          data-channel={focused.data.channel}
          cx={focused.x}
          cy={focused.y}
          r={focused.r}
        />
      )}
    </>
  );
}

function groupSummary(g: Node): string {
  const kids = (g.children ?? []).filter((c) => !c.data.placeholder);
  if (kids.length === 0) return 'no channel with a defined entropy';
  const total = kids.reduce((s, c) => s + (c.data.bits ?? 0), 0);
  const zero = kids.filter((c) => c.data.bits === 0).length;
  return `${kids.length} channel${kids.length === 1 ? '' : 's'}, total ${total.toFixed(3)} bits, mean ${(total / kids.length).toFixed(3)} bits${zero ? `, ${zero} at 0 bits` : ''}`;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

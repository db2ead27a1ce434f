// The circle packing's marks: the class circles with their channel circles (or one path of arcs),
// the labels and the tooltips. They draw the layout they are given and ask nothing.
import { Component } from 'preact';
import type { ComponentChildren, JSX } from 'preact';
import { interpolateRainbow } from 'd3-scale-chromatic';
import type { ChannelEntropiesAnswer } from '../../src/contract/queries';
import { ALL_COLOUR, classColour } from '../colours';
import { formatBits } from '../../src/contract/format';
import { groupKeyOf, round } from './circlePackingLayout';
import type { GroupKey, Node } from './circlePackingLayout';

/** `subset`: the first-level circles are a slice's classes, so "all" is those together, not every class. */
export function groupLabel(g: GroupKey, classNames: string[], subset = false): string {
  if (g === 'all') return subset ? 'the slice together' : 'all classes';
  const name = classNames[g];
  return name === undefined || name === String(g) ? `class ${g}` : `class ${g} (${name})`;
}

export function groupColour(g: GroupKey, classCount: number): string {
  return g === 'all' ? ALL_COLOUR : classColour(g, classCount);
}

/** A circle under the pointer or the keyboard: its class circle, and the channel circle if any. */
export interface PackHit {
  group: Node;
  channel?: Node;
}

export interface PackGroupProps {
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
export class PackGroup extends Component<PackGroupProps> {
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

/**
 * The labels, sized for the zoom being shown (`k`, with `px` packing units per pixel), so they read
 * at the same size after zooming in. Each is drawn twice, a background-coloured halo under the
 * text, so it reads over circles (one element with paint-order would lose its halo in the SVG
 * export).
 */
export function packingLabels(
  groups: Node[],
  zoom: string | null,
  k: number,
  px: number,
  classNames: string[],
  subset: boolean,
): JSX.Element[] {
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
    const gk = groupKeyOf(g.data.group!);
    if (zoom !== null && gk !== zoom) continue;
    const undef = g.data.undefinedChannels?.length ?? 0;
    const y = zoom === null ? g.y : g.y - g.r + (14 * px) / k;
    text(`l${gk}`, 'cp-class-label', g.x, y, fs, (3 * px) / k, groupLabel(g.data.group!, classNames, subset));
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
}

/** What a tooltip says about a circle: `zoom` is the zoomed group, `layerName` and `classCounts` the answer's. */
export function packingTip(
  n: PackHit,
  o: { classNames: string[]; subset: boolean; layerName: string; zoom: string | null; classCounts: ChannelEntropiesAnswer['classCounts'] },
): ComponentChildren {
  const label = groupLabel(n.group.data.group!, o.classNames, o.subset);
  if (n.channel) {
    return (
      <div>
        <strong>
          {label} · channel {n.channel.data.channel}: {formatBits(n.channel.data.bits ?? null)}
        </strong>
        <br />
        <span class="muted">
          {o.layerName}, {groupKeyOf(n.group.data.group!) === o.zoom ? 'click to select this channel' : 'click to zoom into this class'}
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
      {g !== 'all' && o.classCounts[g] !== undefined && (
        <>
          <br />
          {o.classCounts[g]} inputs
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
      <span class="muted">{groupKeyOf(g) === o.zoom ? 'click to zoom out' : 'click to zoom in'}</span>
    </div>
  );
}

export function groupSummary(g: Node): string {
  const kids = (g.children ?? []).filter((c) => !c.data.placeholder);
  if (kids.length === 0) return 'no channel with a defined entropy';
  const total = kids.reduce((s, c) => s + (c.data.bits ?? 0), 0);
  const zero = kids.filter((c) => c.data.bits === 0).length;
  return `${kids.length} channel${kids.length === 1 ? '' : 's'}, total ${total.toFixed(3)} bits, mean ${(total / kids.length).toFixed(3)} bits${zero ? `, ${zero} at 0 bits` : ''}`;
}

// Circle packing of intra-sample entropy at one epoch (paper 5.4.1, Fig. 13(B)): one first-level
// circle per class plus one for all classes, one second-level circle per channel inside each, the
// area of a channel's circle proportional to its entropy. The layout is packed once per answer,
// channels and classes (kept across re-mounts, so coming back to the view does not pack again;
// circlePackingLayout.ts), the marks draw it (circlePackingMarks.tsx), and two hooks zoom it
// (usePackingZoom.ts) and follow the pointer and the keyboard (usePackingCursor.ts). With thousands
// of channel circles a class's circles that are not keyboard stops are one <path> of arcs rather
// than an element each: the picture and its SVG export are the same, the page holds a few elements
// instead of thousands, and hovering finds the channel under the pointer from the layout.
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ZoomView } from 'd3-interpolate';
import type { ChannelEntropiesAnswer } from '../../src/contract/queries';
import { useTooltip } from './primitives';
import { useWidth } from './common';
import { cachedPack, groupKeyOf, packedBefore, packingFrame, packKey } from './circlePackingLayout';
import type { Node } from './circlePackingLayout';
import { groupColour, groupLabel, packingLabels, packingTip, PackGroup } from './circlePackingMarks';
import { usePackingCursor } from './usePackingCursor';
import { usePackingZoom } from './usePackingZoom';

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
  const available = useWidth(wrap, 560);
  const size = Math.max(280, Math.min(620, available));
  const tooltip = useTooltip();
  const classCount = answer.perClass.length;
  const shownClassCount = props.classes ? props.classes.filter((k) => k < classCount).length : classCount;
  const subset = props.classes !== undefined;

  const groups = root.children ?? [];
  const zoomed = groups.find((n) => groupKeyOf(n.data.group!) === zoom);
  const frame = useMemo(() => packingFrame(groups, size), [groups, size]);
  const { width, height, vw, vh, px, short } = frame;
  const target: ZoomView = zoomed ? [zoomed.x, zoomed.y, zoomed.r * 2.08] : frame.home;
  const k = short / target[2];
  usePackingZoom(zoomLayer, target, frame);

  const totalChannels = groups.reduce((s, g) => s + (g.children ?? []).filter((c) => !c.data.placeholder).length, 0);
  // Colour by channel gives every circle its own colour, so each stays an element of its own.
  const asPaths = totalChannels > PATH_MIN_CIRCLES && props.colourBy === 'class';
  const circles = groups.map((g) => {
    const gk = groupKeyOf(g.data.group!);
    return (
      <PackGroup
        key={gk}
        node={g}
        gk={gk}
        colour={groupColour(g.data.group!, classCount)}
        label={groupLabel(g.data.group!, classNames, subset)}
        zoomedIn={gk === zoom}
        focused={focused}
        colourBy={props.colourBy}
        channelCount={props.channelCount}
        asPath={asPaths && gk !== zoom}
      />
    );
  });
  const labels = useMemo(() => packingLabels(groups, zoom, k, px, classNames, subset), [groups, zoom, k, px, classNames, subset]);
  const { hoverRing, handlers } = usePackingCursor({
    groups,
    zoom,
    asPaths,
    zoomLayer,
    tooltip,
    tip: (n) => packingTip(n, { classNames, subset, layerName: props.layerName, zoom, classCounts: answer.classCounts }),
    onZoom: (z) => props.onZoom(z),
    onFocus: (c) => props.onFocus(c),
  });

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
        {...handlers}
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

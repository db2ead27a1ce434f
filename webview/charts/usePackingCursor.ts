// The circle under the pointer or the keyboard in the circle packing. The handlers sit on the <svg>
// and find the circle from its data attributes, so thousands of circles need no listeners of their
// own; in a group drawn as one path the channel under the pointer is found from the layout and
// outlined by a hover ring. A click or Enter zooms into a class, or selects a channel inside the
// zoomed class; Escape zooms out.
import type { ComponentChildren, RefObject } from 'preact';
import { useRef } from 'preact/hooks';
import { groupKeyOf, round } from './circlePackingLayout';
import type { Node } from './circlePackingLayout';
import type { PackHit } from './circlePackingMarks';
import type { TooltipApi } from './primitives';

export interface PackingCursor {
  /** The ring that outlines the channel under the pointer in a group drawn as a path. */
  hoverRing: RefObject<SVGCircleElement>;
  /** The <svg>'s handlers. */
  handlers: {
    onMouseMove: (e: MouseEvent) => void;
    onMouseLeave: () => void;
    onClick: (e: MouseEvent) => void;
    onKeyDown: (e: KeyboardEvent) => void;
    onFocusCapture: (e: FocusEvent) => void;
    onBlurCapture: () => void;
  };
}

export function usePackingCursor(options: {
  groups: Node[];
  /** The zoomed group's key, or null for the whole picture. */
  zoom: string | null;
  /** Whether groups other than the zoomed one draw their channels as one path. */
  asPaths: boolean;
  /** The group whose transform zooms, to map the pointer into packing units. */
  zoomLayer: RefObject<SVGGElement>;
  tooltip: TooltipApi;
  tip: (n: PackHit) => ComponentChildren;
  onZoom(zoom: string | null): void;
  onFocus(channel: number): void;
}): PackingCursor {
  const { groups, zoom, asPaths, tooltip, tip } = options;
  const hoverRing = useRef<SVGCircleElement>(null);
  /** The group and channel of a circle; in a group drawn as a path, the channel under `at` (client coordinates). */
  const nodeOf = (el: Element | null, at?: { x: number; y: number }): PackHit | undefined => {
    const hit = el?.closest('[data-class]');
    if (!hit) return undefined;
    const group = groups.find((g) => groupKeyOf(g.data.group!) === hit.getAttribute('data-class'));
    if (!group) return undefined;
    const ch = hit.getAttribute('data-channel');
    if (ch !== null) return { group, channel: group.children?.find((c) => String(c.data.channel) === ch) };
    const ctm = at && asPaths && groupKeyOf(group.data.group!) !== zoom ? options.zoomLayer.current?.getScreenCTM() : undefined;
    if (!ctm) return { group };
    const p = new DOMPoint(at!.x, at!.y).matrixTransform(ctm.inverse());
    const channel = group.children?.find((c) => !c.data.placeholder && (p.x - c.x) ** 2 + (p.y - c.y) ** 2 <= c.r * c.r);
    return channel ? { group, channel } : { group };
  };
  /** Outlines the channel under the pointer in a group drawn as a path (a circle element would have its own :hover). */
  const outline = (n: PackHit | undefined) => {
    const ring = hoverRing.current;
    if (!ring) return;
    const c = n?.channel && !n.channel.data.placeholder && asPaths && groupKeyOf(n.group.data.group!) !== zoom ? n.channel : undefined;
    if (!c) {
      ring.setAttribute('visibility', 'hidden');
      return;
    }
    ring.setAttribute('cx', String(round(c.x)));
    ring.setAttribute('cy', String(round(c.y)));
    ring.setAttribute('r', String(round(c.r)));
    ring.setAttribute('visibility', 'visible');
  };
  const activate = (el: Element | null) => {
    const n = nodeOf(el);
    if (!n) {
      options.onZoom(null);
      return;
    }
    const gk = groupKeyOf(n.group.data.group!);
    // Channel circles fill most of a class circle, so a first click anywhere in a class that is
    // not zoomed zooms it; only inside the zoomed class does a click select a channel.
    if (gk !== zoom) options.onZoom(gk);
    else if (n.channel) options.onFocus(n.channel.data.channel!);
    else options.onZoom(null);
  };
  const handlers: PackingCursor['handlers'] = {
    onMouseMove: (e) => {
      const n = nodeOf(e.target as Element, { x: e.clientX, y: e.clientY });
      outline(n);
      if (n) tooltip.show(e.clientX, e.clientY, tip(n));
      else tooltip.hide();
    },
    onMouseLeave: () => {
      outline(undefined);
      tooltip.hide();
    },
    onClick: (e) => activate(e.target as Element),
    onKeyDown: (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        activate(e.target as Element);
        e.preventDefault();
      } else if (e.key === 'Escape' && zoom !== null) {
        options.onZoom(null);
        e.preventDefault();
      }
    },
    onFocusCapture: (e) => {
      const n = nodeOf(e.target as Element);
      if (!n) return;
      const r = (e.target as Element).getBoundingClientRect();
      tooltip.show(r.right - Math.min(r.width / 2, 40), r.bottom - Math.min(r.height / 2, 40), tip(n));
    },
    onBlurCapture: () => tooltip.hide(),
  };
  return { hoverRing, handlers };
}

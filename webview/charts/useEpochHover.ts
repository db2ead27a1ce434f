// The epoch under the pointer or the keyboard in an epoch line chart: the nearest epoch to the
// pointer shows its tooltip, the arrow keys walk the epochs, Enter (or a click) selects one.
import type { ComponentChildren, RefObject } from 'preact';
import { useState } from 'preact/hooks';
import { leastIndex } from 'd3-array';
import type { ScaleLinear } from 'd3-scale';
import type { TooltipApi } from './primitives';

export interface EpochHover {
  /** The epoch index hovered, if any. */
  hover: number | null;
  /** The epoch index nearest to a pointer's x, if the chart has epochs. */
  nearest: (clientX: number) => number | null;
  onMove: (e: MouseEvent) => void;
  onLeave: () => void;
  onKey: (e: KeyboardEvent) => void;
  /** Shows a tooltip of its own (an undefined marker's) with no epoch hovered. */
  showOwn: (e: MouseEvent, content: ComponentChildren) => void;
}

export function useEpochHover(options: {
  svg: RefObject<SVGSVGElement>;
  epochs: number[];
  x: ScaleLinear<number, number>;
  selectedEpoch: number;
  tooltip: TooltipApi;
  /** The tooltip of epoch index `i`. */
  content: (i: number) => ComponentChildren;
  onEpoch?: (epoch: number) => void;
}): EpochHover {
  const { epochs, x, tooltip } = options;
  const [hover, setHover] = useState<number | null>(null);
  const nearest = (clientX: number): number | null => {
    const svg = options.svg.current;
    if (!svg || epochs.length === 0) return null;
    const px = clientX - svg.getBoundingClientRect().left;
    return leastIndex(epochs, (e) => Math.abs(x(e) - px)) ?? null;
  };
  const showAt = (i: number, clientX: number, clientY: number) => {
    setHover(i);
    tooltip.show(clientX, clientY, options.content(i));
  };
  const onMove = (e: MouseEvent) => {
    const i = nearest(e.clientX);
    if (i === null) return;
    showAt(i, e.clientX, e.clientY);
  };
  const onLeave = () => {
    setHover(null);
    tooltip.hide();
  };
  const onKey = (e: KeyboardEvent) => {
    if (epochs.length === 0) return;
    const here = hover ?? Math.max(0, epochs.indexOf(options.selectedEpoch));
    let next: number | null = null;
    if (e.key === 'ArrowRight') next = Math.min(epochs.length - 1, here + 1);
    else if (e.key === 'ArrowLeft') next = Math.max(0, here - (hover === null ? 0 : 1));
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = epochs.length - 1;
    else if ((e.key === 'Enter' || e.key === ' ') && hover !== null) {
      options.onEpoch?.(epochs[hover]);
      e.preventDefault();
      return;
    } else if (e.key === 'Escape') {
      onLeave();
      return;
    }
    if (next === null) return;
    e.preventDefault();
    const r = options.svg.current?.getBoundingClientRect();
    showAt(next, (r?.left ?? 0) + x(epochs[next]), (r?.top ?? 0) + 20);
  };
  const showOwn = (e: MouseEvent, content: ComponentChildren) => {
    setHover(null);
    tooltip.show(e.clientX, e.clientY, content);
  };
  return { hover, nearest, onMove, onLeave, onKey, showOwn };
}

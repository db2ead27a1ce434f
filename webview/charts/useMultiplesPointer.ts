// The mouse over the small multiples: the channel and epoch under the pointer are worked out from
// its position (there is one canvas, not a node per multiple), shown in the tooltip, and a click
// picks the channel.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { TooltipApi } from './primitives';
import { epochScale, multipleAt, plotBox } from './multiplesCanvas';
import type { MultiplesLayout } from './multiplesCanvas';

/** The multiple (its index in the drawing order) and the epoch index under the pointer. */
export interface MultiplesHover {
  index: number;
  epochIndex: number;
}

export interface MultiplesPointer {
  hover: MultiplesHover | null;
  onMove: (e: MouseEvent) => void;
  onLeave: () => void;
  onClick: (e: MouseEvent) => void;
}

export function useMultiplesPointer(options: {
  layout: MultiplesLayout;
  /** How many multiples are drawn. */
  count: number;
  epochs: number[];
  tooltip: TooltipApi;
  /** The tooltip of multiple `index` at epoch index `epochIndex`. */
  content: (index: number, epochIndex: number) => ComponentChildren;
  /** A click on multiple `index`. */
  onPick: (index: number) => void;
}): MultiplesPointer {
  const { layout, count, epochs, tooltip } = options;
  const [hover, setHover] = useState<MultiplesHover | null>(null);

  const pointIn = (e: MouseEvent) => {
    const rect = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  };
  const nearestEpoch = (i: number, x: number) => {
    const box = plotBox(layout, i);
    const xs = epochScale(epochs, box);
    let best = 0;
    epochs.forEach((e, k) => {
      if (Math.abs(xs(e) - x) < Math.abs(xs(epochs[best]) - x)) best = k;
    });
    return best;
  };

  const onMove = (e: MouseEvent) => {
    const p = pointIn(e);
    const i = multipleAt(layout, count, p.x, p.y);
    if (i === undefined) {
      setHover(null);
      tooltip.hide();
      return;
    }
    const ei = nearestEpoch(i, p.x);
    if (!hover || hover.index !== i || hover.epochIndex !== ei) setHover({ index: i, epochIndex: ei });
    tooltip.show(e.clientX, e.clientY, options.content(i, ei));
  };
  const onLeave = () => {
    setHover(null);
    tooltip.hide();
  };
  const onClick = (e: MouseEvent) => {
    const p = pointIn(e);
    const i = multipleAt(layout, count, p.x, p.y);
    if (i !== undefined) options.onPick(i);
  };
  return { hover, onMove, onLeave, onClick };
}

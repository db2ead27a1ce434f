// The keyboard on the small multiples: a cursor walks the grid of channels and the tooltip follows
// it, so the values are read the same way as with the mouse; a live region announces each channel.
import type { ComponentChildren, RefObject } from 'preact';
import { useState } from 'preact/hooks';
import type { TooltipApi } from './primitives';
import { plotBox } from './multiplesCanvas';
import type { MultiplesLayout } from './multiplesCanvas';

export interface MultiplesKeyboard {
  /** The multiple (its index in the drawing order) the cursor is on, while the canvas has focus. */
  cursor: number | null;
  /** Whether the keyboard is in use: the cursor is drawn only then (a mouse click focuses the canvas too). */
  keyboard: boolean;
  /** What the live region says about the multiple under the cursor. */
  announce: string;
  setCursor: (index: number) => void;
  onKeyDown: (e: KeyboardEvent) => void;
  onMouseDown: () => void;
  onFocus: () => void;
  onBlur: () => void;
}

export function useMultiplesKeyboard(options: {
  canvas: RefObject<HTMLCanvasElement>;
  layout: MultiplesLayout;
  /** Channels in the order drawn. */
  order: number[];
  focused: number | null;
  epochs: number[];
  /** The selected epoch's index, whose values the tooltip shows (the last epoch when it is -1). */
  epochIndex: number;
  tooltip: TooltipApi;
  /** The tooltip of multiple `index` at epoch index `epochIndex`. */
  content: (index: number, epochIndex: number) => ComponentChildren;
  /** The live region's sentence for multiple `index` at epoch index `epochIndex`. */
  describe: (index: number, epochIndex: number) => string;
  /** Enter or Space on a channel selects it. */
  onSelect: (channel: number) => void;
}): MultiplesKeyboard {
  const { layout, order, focused, tooltip } = options;
  const [cursor, setCursor] = useState<number | null>(null);
  const [keyboard, setKeyboard] = useState(false);
  const [announce, setAnnounce] = useState('');

  const moveCursor = (i: number) => {
    const c = options.canvas.current;
    if (!c || order.length === 0) return;
    const next = Math.max(0, Math.min(order.length - 1, i));
    setCursor(next);
    const ei = options.epochIndex >= 0 ? options.epochIndex : options.epochs.length - 1;
    const box = plotBox(layout, next);
    const rect = c.getBoundingClientRect();
    const top = rect.top + box.cellY;
    if (top < 0 || top + layout.cellHeight > window.innerHeight)
      window.scrollBy({ top: top < 0 ? top - 8 : top + layout.cellHeight - window.innerHeight + 8 });
    const after = c.getBoundingClientRect();
    tooltip.show(after.left + box.cellX + layout.cellWidth - 8, after.top + box.cellY + layout.cellHeight - 8, options.content(next, ei));
    setAnnounce(options.describe(next, ei));
  };
  const onKeyDown = (e: KeyboardEvent) => {
    setKeyboard(true);
    const at = cursor ?? Math.max(0, focused !== null ? order.indexOf(focused) : 0);
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: layout.columns, ArrowUp: -layout.columns };
    if (e.key in moves) moveCursor(cursor === null ? at : at + moves[e.key]);
    else if (e.key === 'Home') moveCursor(0);
    else if (e.key === 'End') moveCursor(order.length - 1);
    else if (e.key === 'Enter' || e.key === ' ') {
      if (order[at] !== undefined) options.onSelect(order[at]);
      setCursor(at);
    } else if (e.key === 'Escape') tooltip.hide();
    else return;
    e.preventDefault();
  };
  const onMouseDown = () => setKeyboard(false);
  const onFocus = () => setCursor((c) => c ?? Math.max(0, focused !== null ? order.indexOf(focused) : 0));
  const onBlur = () => {
    setCursor(null);
    tooltip.hide();
  };
  return { cursor, keyboard, announce, setCursor, onKeyDown, onMouseDown, onFocus, onBlur };
}

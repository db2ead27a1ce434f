// Draws the small multiples on their canvas, and the hover and keyboard cursor on the overlay
// above it, whenever what they show changes.
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DrawParams } from './multiplesCanvas';
import { drawMultiples, drawOverlay } from './multiplesCanvas';
import type { MultiplesHover } from './useMultiplesPointer';

/** Milliseconds the last draw of the multiples took; undefined until they are first drawn. */
export function useMultiplesCanvas(
  canvas: RefObject<HTMLCanvasElement>,
  overlay: RefObject<HTMLCanvasElement>,
  p: DrawParams & {
    /** Whether the width is measured: nothing is drawn before, so the first picture is drawn once. */
    measured: boolean;
    hover: MultiplesHover | null;
    cursor: number | null;
    /** Whether the keyboard is in use: the cursor is drawn only then (a click focuses the canvas too). */
    keyboard: boolean;
  },
): number | undefined {
  const { layout, answer, order, series, y, dead, epochIndex, focused, theme, measured, hover, cursor, keyboard } = p;
  /** Whether the overlay holds a hover or cursor mark (else it is blank and need not be cleared). */
  const overlayInked = useRef(false);
  const [drawMs, setDrawMs] = useState<number | undefined>(undefined);

  useEffect(() => {
    const c = canvas.current;
    if (!c || !measured) return;
    const started = performance.now();
    drawMultiples(c, { layout, answer, order, series, y, dead, epochIndex, focused, theme });
    setDrawMs(performance.now() - started);
  }, [layout, answer, order, series, y, dead, epochIndex, focused, theme, measured]);

  useEffect(() => {
    const c = overlay.current;
    if (!c || !measured) return;
    const shownCursor = keyboard ? cursor : null;
    // An overlay with nothing on it is left alone: sizing and clearing a canvas as large as the
    // multiples makes the browser copy its pixels to the screen again (tens of milliseconds at 512).
    if (hover === null && shownCursor === null && !overlayInked.current) return;
    drawOverlay(c, { layout, answer, order, series, y, theme, hover, cursor: shownCursor });
    overlayInked.current = hover !== null || shownCursor !== null;
  }, [layout, answer, order, series, y, theme, hover, cursor, keyboard, measured]);

  return drawMs;
}

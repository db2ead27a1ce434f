// Pointer dragging on the hypercube slicer: across the layers axis to select a range of layers,
// down a channel band to select a range of channels. A drag that ends where it began is a click.
// Hand-written rather than d3-brush: every selection snaps to whole layers and channels.
import type { RefObject } from 'preact';
import { useState } from 'preact/hooks';

export type SlicerDrag = { axis: 'layers'; from: number; to: number } | { axis: 'channels'; layer: number; from: number; to: number };

/** A pointer's position in the svg's own coordinates (its viewBox), whatever its rendered size. */
export function svgPoint(svg: SVGSVGElement | null, e: PointerEvent | MouseEvent): { x: number; y: number } {
  const m = svg?.getScreenCTM();
  if (!m || !svg) return { x: 0, y: 0 };
  const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
  return { x: p.x, y: p.y };
}

export interface SlicerDragHandlers {
  /** The drag under way, if any. */
  drag: SlicerDrag | null;
  /** Starts a drag, capturing the pointer so the svg sees it to the end. */
  start: (e: PointerEvent, d: SlicerDrag) => void;
  onPointerMove: (e: PointerEvent) => void;
  onPointerUp: () => void;
}

export function useSlicerDrag(options: {
  svg: RefObject<SVGSVGElement>;
  /** The layer under an x coordinate of the layers axis. */
  layerAt(x: number): number;
  /** The channel of `layer`'s band under a y coordinate. */
  channelAt(layer: number, y: number): number;
  /** A finished drag over layers `from`..`to` (the same layer: a click on it). */
  onLayers(from: number, to: number): void;
  /** A finished drag over channels `from`..`to` of `layer` (the same channel: a click on it). */
  onChannels(layer: number, from: number, to: number): void;
}): SlicerDragHandlers {
  const [drag, setDrag] = useState<SlicerDrag | null>(null);
  const start = (e: PointerEvent, d: SlicerDrag) => {
    options.svg.current?.setPointerCapture?.(e.pointerId);
    setDrag(d);
  };
  const onPointerMove = (e: PointerEvent) => {
    if (!drag) return;
    const p = svgPoint(options.svg.current, e);
    if (drag.axis === 'layers') setDrag({ ...drag, to: options.layerAt(p.x) });
    else setDrag({ ...drag, to: options.channelAt(drag.layer, p.y) });
  };
  const onPointerUp = () => {
    if (!drag) return;
    if (drag.axis === 'layers') options.onLayers(drag.from, drag.to);
    else options.onChannels(drag.layer, drag.from, drag.to);
    setDrag(null);
  };
  return { drag, start, onPointerMove, onPointerUp };
}

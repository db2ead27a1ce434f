// The circle packing's zoom: one group transform tweened from the view shown to `target` (cheap
// even with 512 × 11 circles) rather than moving every circle; set at once on the first draw, when
// nothing changed, or when the user asks for reduced motion.
import type { RefObject } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { interpolateZoom } from 'd3-interpolate';
import type { ZoomView } from 'd3-interpolate';
import { select } from 'd3-selection';
import 'd3-transition';
import { reducedMotion } from './common';
import { round } from './circlePackingLayout';
import type { PackingFrame } from './circlePackingLayout';

export function usePackingZoom(zoomLayer: RefObject<SVGGElement>, target: ZoomView, frame: PackingFrame): void {
  const { vw, vh, short } = frame;
  const view = useRef<ZoomView>(frame.home);
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
}

// Pure widgets and formats the charts draw with: the toggle button, the app's one tooltip, a colour
// legend, number formats and playback timing. Nothing here reads the app's state, plan, data or the
// VS Code API, so a chart can import it and stay a pure drawing of its props.
import { createContext } from 'preact';
import type { ButtonHTMLAttributes, ComponentChildren, JSX } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';

/**
 * An on/off or one-of-several button that shows its state (`aria-pressed`, styled by `.toggle`):
 * the views' options, sort orders and overview choices.
 */
export function Toggle(props: { pressed: boolean } & Omit<ButtonHTMLAttributes, 'type' | 'class'>): JSX.Element {
  const { pressed, children, ...rest } = props;
  return (
    <button type="button" class="toggle" aria-pressed={pressed} {...rest}>
      {children}
    </button>
  );
}

// ---------------------------------------------------------------------------------------------
// Tooltip: one floating element for the whole app, so only one is ever visible.

export interface TooltipApi {
  show(x: number, y: number, content: ComponentChildren): void;
  hide(): void;
}

const TooltipContext = createContext<TooltipApi>({ show() {}, hide() {} });

export function useTooltip(): TooltipApi {
  return useContext(TooltipContext);
}

export function TooltipProvider(props: { children: ComponentChildren }): JSX.Element {
  const [tip, setTip] = useState<{ x: number; y: number; content: ComponentChildren } | null>(null);
  const api = useRef<TooltipApi>({
    show: (x, y, content) => setTip({ x, y, content }),
    hide: () => setTip(null),
  });
  const left = tip ? Math.min(tip.x + 14, window.innerWidth - 260) : 0;
  const top = tip ? Math.min(tip.y + 14, window.innerHeight - 80) : 0;
  return (
    <TooltipContext.Provider value={api.current}>
      {props.children}
      <div
        id="tooltip"
        role="tooltip"
        class="tooltip"
        hidden={!tip}
        style={{ left: `${Math.max(0, left)}px`, top: `${Math.max(0, top)}px` }}
      >
        {tip?.content}
      </div>
    </TooltipContext.Provider>
  );
}

/** Playback speeds the slider offers, as multiples of one frame per {@link FRAME_MS}. */
export const PLAYBACK_SPEEDS = [0.5, 1, 2] as const;
export type PlaybackSpeed = (typeof PLAYBACK_SPEEDS)[number];
/** How long a drawn frame stays on screen at 1×. */
export const FRAME_MS = 900;

/**
 * What the view has drawn, so playback can wait for it: the epoch its chart shows now, or that the
 * current epoch could not be drawn (playback then stops instead of skipping it).
 */
export interface PlaybackFrame {
  drawnEpoch: number | undefined;
  failed: boolean;
}

/** Legend of a continuous colour scale, drawn as a gradient with min and max labels. */
export function ColourLegend(props: {
  colour: (v: number) => string;
  min: number;
  max: number;
  label: string;
  note?: string;
  /** How the ends are printed (default: two decimals; counts pass an integer format). */
  format?: (v: number) => string;
}): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const fmt = props.format ?? ((v: number) => v.toFixed(2));
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    for (let x = 0; x < c.width; x++) {
      ctx.fillStyle = props.colour(props.min + ((props.max - props.min) * x) / (c.width - 1));
      ctx.fillRect(x, 0, 1, c.height);
    }
  }, [props.colour, props.min, props.max]);
  return (
    <div class="legend" aria-label={`${props.label}: colour scale from ${props.min} to ${props.max}`}>
      <span>{props.label}</span>
      <span class="legend-value">{fmt(props.min)}</span>
      <canvas ref={ref} width={160} height={12} class="legend-bar" />
      <span class="legend-value">{fmt(props.max)}</span>
      {props.note && <span class="muted">{props.note}</span>}
    </div>
  );
}

/** Canvas pixel ratio for sharp drawing on high-DPI screens. */
export function pixelRatio(): number {
  return Math.min(2, window.devicePixelRatio || 1);
}

// Helpers shared by the canvas and SVG charts of every view. A canvas cannot use var(--…), so theme colours are
// read from the document and read again when the theme changes (the shell dispatches
// `cnn-slicer-theme` on <body>; VS Code changes the body classes, which the MutationObserver
// catches).
import type { RefObject } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { themeColour } from '../colours';

export interface ChartTheme {
  foreground: string;
  muted: string;
  border: string;
  focus: string;
  warning: string;
  background: string;
  font: string;
}

export function readChartTheme(): ChartTheme {
  return {
    foreground: themeColour('--vscode-foreground', '#3b3b3b'),
    muted: themeColour('--vscode-descriptionForeground', '#6f6f6f'),
    border: themeColour('--vscode-panel-border', '#e5e5e5'),
    focus: themeColour('--vscode-focusBorder', '#005fb8'),
    warning: themeColour('--vscode-editorWarning-foreground', '#bf8803'),
    background: themeColour('--vscode-editor-background', '#ffffff'),
    font: themeColour('--vscode-font-family', 'system-ui, sans-serif'),
  };
}

/** The current theme colours; a new object whenever the theme changes, so canvases redraw. */
export function useChartTheme(): ChartTheme {
  const [theme, setTheme] = useState(readChartTheme);
  useEffect(() => {
    const refresh = () => setTheme(readChartTheme());
    document.body.addEventListener('cnn-slicer-theme', refresh);
    const observer = new MutationObserver(refresh);
    observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    return () => {
      document.body.removeEventListener('cnn-slicer-theme', refresh);
      observer.disconnect();
    };
  }, []);
  return theme;
}

/** The content width of an element, following resizes (panels are resized all the time in VS Code). */
export function useWidth(ref: RefObject<HTMLElement>, fallback = 800, target: (el: HTMLElement) => Element = (el) => el): number {
  return useMeasuredWidth(ref, target) ?? fallback;
}

/**
 * The content width of an element, or undefined until it has been measured: a chart that is costly
 * to draw waits for the width rather than drawing once at a guessed width and again at the real one.
 * The first measure is taken before the browser paints (a layout effect), so the first frame
 * already has the right size.
 */
export function useMeasuredWidth(ref: RefObject<HTMLElement>, target: (el: HTMLElement) => Element = (el) => el): number | undefined {
  const [width, setWidth] = useState<number | undefined>(undefined);
  useLayoutEffect(() => {
    const el = ref.current ? target(ref.current) : null;
    if (!el) return;
    const measure = () => setWidth(Math.max(0, Math.floor(el.clientWidth)));
    measure();
    // Measured on the next frame: resizing the chart inside the observer's callback could change
    // the width again (a scroll bar appears) and trip the observer's loop limit.
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(measure);
    });
    observer.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    };
  }, [ref]);
  return width;
}

/** Width of the view panel a chart sits in (a card sizes to its content, so its own width would not grow). */
export function usePanelWidth(ref: RefObject<HTMLElement>): number {
  return useWidth(ref, Math.max(320, window.innerWidth - 40), (el) => el.closest('.view') ?? el.parentElement ?? el);
}

/** What a card takes from its view's width: its padding and border, and a little slack. */
export const CARD_INSET = 24;

/**
 * The width of a chart drawn in a card of a view `panelWidth` wide (usePanelWidth): the card's room,
 * at most `max` (the width it reads best at) and at least `min` (narrower, the card body scrolls it).
 */
export function fitWidth(panelWidth: number, max: number, min = 240): number {
  return Math.max(min, Math.min(max, Math.floor(panelWidth - CARD_INSET)));
}

/** Users who ask for less motion get the end state at once. */
export function reducedMotion(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/** A class as charts name it: "class 3" when the dataset's names are just the indices (MNIST), else its name. */
export function classLabel(k: number, classNames: string[]): string {
  const name = classNames[k];
  return name === undefined || name === String(k) ? `class ${k}` : name;
}

// Colour scales shared by every chart, so a class has one colour everywhere (issue: "a shared class
// colour scheme across all charts") and the encodings follow the paper: darker = more in the
// confusion matrix, brighter = smaller capacity in the heatmap.
import { interpolateGreys, interpolateMagma, interpolateRainbow, schemeTableau10 } from 'd3-scale-chromatic';
import { scaleSequential } from 'd3-scale';
import { rgb } from 'd3-color';
import { interpolateLab, piecewise } from 'd3-interpolate';

/** One colour per class: Tableau 10 for up to 10 classes (MNIST, CIFAR-10), an even rainbow beyond. */
export function classColour(cls: number, classCount: number): string {
  if (classCount <= schemeTableau10.length) return schemeTableau10[cls % schemeTableau10.length];
  return interpolateRainbow(cls / classCount);
}

/** The colour of "all classes together" in charts that show it beside the classes. */
export const ALL_COLOUR = 'var(--vscode-foreground)';

/** Relative luminance (0 = black, 1 = white) of a CSS colour; white for one d3-color cannot parse. */
export function luminance(colour: string): number {
  const c = rgb(colour);
  if (!c || Number.isNaN(c.r)) return 1;
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

/**
 * Confusion-matrix cells: more inputs = further from the theme's background towards the emphasis
 * colour (paper 5.2: the diagonal stands out). On a light background the counts darken to navy; on
 * a dark or high-contrast one they brighten to pale blue, so a cell of one error never outshines the
 * diagonal. A count of 1 is already a visible step off the background; 0 is the background itself.
 */
export function countScale(maxCount: number, background = '#ffffff'): (v: number) => string {
  const bg = Number.isNaN(rgb(background).r) ? '#ffffff' : background;
  const stops = luminance(bg) < 0.4 ? [bg, '#1f5f9e', '#b9dcff'] : [bg, '#6baed6', '#08306b'];
  const ramp: (t: number) => string = piecewise(interpolateLab, stops);
  const top = Math.max(1, maxCount);
  return (v) => ramp(v <= 0 ? 0 : 0.12 + 0.88 * Math.min(1, v / top));
}

/**
 * Capacity heatmap cells: brighter = smaller capacity, as in the paper's Fig. 8. Magma runs from
 * near black to pale yellow; the domain is reversed so 0 bits is the brightest.
 */
export function capacityScale(maxBits: number): (v: number) => string {
  return scaleSequential((t) => interpolateMagma(0.08 + 0.92 * t)).domain([Math.max(maxBits, 1e-9), 0]);
}

/** Feature maps and images: grey levels from black (the minimum) to white (the maximum). */
export function greyLevel(t: number): number {
  return Math.round(255 * Math.min(1, Math.max(0, t)));
}

/** A grey CSS colour for a value already scaled to 0–1. */
export function grey(t: number): string {
  return interpolateGreys(1 - t);
}

/** Reads a theme variable (VS Code sets them on the document); canvases cannot use var(). */
export function themeColour(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

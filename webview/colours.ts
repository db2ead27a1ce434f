// Colour scales shared by every chart, so a class has one colour everywhere (issue: "a shared class
// colour scheme across all charts") and the encodings follow the paper: darker = more in the
// confusion matrix, brighter = smaller capacity in the heatmap.
import { interpolateBlues, interpolateGreys, interpolateMagma, interpolateRainbow, schemeTableau10 } from 'd3-scale-chromatic';
import { scaleSequential } from 'd3-scale';

/** One colour per class: Tableau 10 for up to 10 classes (MNIST, CIFAR-10), an even rainbow beyond. */
export function classColour(cls: number, classCount: number): string {
  if (classCount <= schemeTableau10.length) return schemeTableau10[cls % schemeTableau10.length];
  return interpolateRainbow(cls / classCount);
}

/** The colour of "all classes together" in charts that show it beside the classes. */
export const ALL_COLOUR = 'var(--vscode-foreground)';

/** Confusion-matrix cells: darker = more inputs (paper 5.2). */
export function countScale(maxCount: number): (v: number) => string {
  return scaleSequential(interpolateBlues).domain([0, Math.max(1, maxCount)]);
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

import { readFileSync } from 'node:fs';

/** The window of the layer that failed, where the caller could read it (kernelSize or poolSize). */
export interface LayerWindow {
  size: number[];
  /** The argument that sets it, as the model file writes it. */
  argument: string;
}

const NEGATIVE = /Negative dimension size caused by adding layer (\S+) with input shape \[([^\]]*)\]/;

/** The window size a layer call's source text gives (`kernelSize: 5`, `poolSize: [2, 2]`), if it gives one. */
export function windowFromSource(callText: string): LayerWindow | undefined {
  const m = /\b(kernelSize|poolSize)\s*:\s*(\[[^\]]*\]|\d+)/.exec(callText);
  if (!m) return undefined;
  const size = (m[2].match(/\d+/g) ?? []).map(Number);
  return size.length ? { size, argument: m[1] } : undefined;
}

/**
 * Rewrites tfjs's "Negative dimension size caused by adding layer L with input shape [,12,12,8]"
 * into a sentence naming the layer whose input became too small, its spatial size, and (when the
 * layer's window is known) by how much the input falls short of it, with what to change. Other
 * messages are returned unchanged.
 */
export function explainShapeError(message: string, window?: LayerWindow): string {
  const m = NEGATIVE.exec(message);
  if (!m) return message;
  const layer = m[1];
  const dims = m[2]
    .split(',')
    .slice(1)
    .map((d) => (d.trim() === '' ? NaN : Number(d)));
  const spatial = dims.slice(0, -1).filter((d) => Number.isFinite(d));
  const size = spatial.length ? spatial.join('×') : m[2];
  let shortBy = '';
  if (window && spatial.length) {
    const sizes = spatial.map((_, i) => window.size[Math.min(i, window.size.length - 1)]);
    const gaps = spatial.map((d, i) => sizes[i] - d);
    const worst = Math.max(...gaps);
    if (worst > 0) shortBy = `, ${worst} smaller than its ${window.argument} ${sizes.join('×')}`;
  }
  return (
    `layer ${layer}'s input became too small: it is ${size}${shortBy}. ` +
    `Keep more of the input before it (padding: 'same', a smaller kernel or stride, one pooling layer less) ` +
    `or give this layer a smaller window (tfjs: ${m[0]})`
  );
}

/** The kernel or pool window written on a file's 1-based source line, if that line gives one. */
export function windowAtLine(file: string, line: number): LayerWindow | undefined {
  try {
    return windowFromSource(readFileSync(file, 'utf8').split('\n')[line - 1] ?? '');
  } catch {
    return undefined;
  }
}

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

/** What {@link emptyOutputMessage} says of a layer whose output has no values (a zero or negative dimension). */
export interface EmptyOutput {
  layer: string;
  className: string;
  /** The layer's input shape, without the batch dimension (null: open). */
  inputShape: (number | null)[];
  outputShape: (number | null)[];
  /** The layer's options, as tfjs holds them (getConfig()). */
  config: Record<string, unknown>;
}

/** A window option of a layer's config as `5×5` (a number is repeated over `rank` dimensions). */
function windowText(value: unknown, rank: number): string | undefined {
  if (typeof value === 'number') return Array.from({ length: Math.max(1, rank) }, () => value).join('×');
  if (Array.isArray(value) && value.length && value.every((v) => typeof v === 'number')) return value.join('×');
  return undefined;
}

/**
 * One line for a layer whose output has a zero or negative dimension (a 5×5 kernel on a 4×4
 * input): the layer, its input shape, its kernel or pool window (and the stride and dilation
 * that enlarge it), the output it would have, and what to change.
 */
export function emptyOutputMessage(e: EmptyOutput): string {
  const shape = (s: (number | null)[]) => `[${s.map((d) => d ?? 'any').join(', ')}]`;
  const rank = Math.max(1, e.inputShape.length - 1);
  const windowArg = ['kernelSize', 'poolSize'].find((k) => windowText(e.config[k], rank) !== undefined);
  const parts: string[] = [];
  if (windowArg) {
    const kind = windowArg === 'kernelSize' ? 'kernel' : 'pool window';
    parts.push(`its ${kind} is ${windowText(e.config[windowArg], rank)} (${windowArg})`);
    for (const option of ['strides', 'dilationRate']) {
      const v = e.config[option];
      const text = windowText(v, rank);
      if (text && !(Array.isArray(v) ? v : [v]).every((x) => x === 1)) parts.push(`${option} ${text}`);
    }
    if (typeof e.config.padding === 'string') parts.push(`padding '${e.config.padding}'`);
  }
  return (
    `layer ${e.layer} (${e.className}) has an empty output: its input shape is ${shape(e.inputShape)}` +
    (parts.length ? `, ${parts.join(', ')}` : '') +
    `, so its output shape is ${shape(e.outputShape)}. ` +
    (windowArg
      ? `Keep more of the input before it (padding: 'same', a smaller kernel or stride, one pooling layer less) or give this layer a smaller window`
      : 'Change its options or the layers before it so that every dimension stays at least 1')
  );
}

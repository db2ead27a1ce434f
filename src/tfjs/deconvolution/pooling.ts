/**
 * Unpooling for a deconvolution, in plain JS (index.ts says why not with tfjs kernels): max-pooling
 * values go back to their window's switch, average-pooling values are spread over their window.
 */
import type { Pair } from './steps';

/** The sizes of one pooling layer: input `[n, H, W, C]`, output `[n, oh, ow, width]` of the signal. */
export interface PoolGeometry {
  n: number;
  inH: number;
  inW: number;
  /** Channels of the forward input (where the switches are read). */
  inC: number;
  outH: number;
  outW: number;
  /** Channels of the backward signal: 1 or `inC`. */
  width: number;
  poolH: number;
  poolW: number;
  strideH: number;
  strideW: number;
  /** Rows/columns of 'same' padding before the first input row/column (tfjs's rule: the smaller half). */
  padTop: number;
  padLeft: number;
}

export function poolGeometry(
  step: { pool: Pair; strides: Pair; padding: 'same' | 'valid' },
  inShape: number[],
  outShape: number[],
): PoolGeometry {
  const [n, inH, inW, inC] = inShape;
  const [, outH, outW, width] = outShape;
  const [poolH, poolW] = step.pool;
  const [strideH, strideW] = step.strides;
  const pad = (out: number, stride: number, size: number, inSize: number) =>
    step.padding === 'same' ? Math.floor(Math.max(0, (out - 1) * stride + size - inSize) / 2) : 0;
  return {
    n,
    inH,
    inW,
    inC,
    outH,
    outW,
    width,
    poolH,
    poolW,
    strideH,
    strideW,
    padTop: pad(outH, strideH, poolH, inH),
    padLeft: pad(outW, strideW, poolW, inW),
  };
}

/**
 * Max-unpooling: every signal value is added at its window's switch, the first row-major position
 * holding the window's maximum in the forward input `input` (`[n, H, W, inC]`). The signal has
 * `g.width` channels; when it is a single channel, `only` is the input channel its switches come from.
 */
export function unpool(signal: Float32Array, input: Float32Array, g: PoolGeometry, only: number | undefined): Float32Array {
  const out = new Float32Array(g.n * g.inH * g.inW * g.width);
  forEachWindow(g, (b, o, y0, y1, x0, x1) => {
    for (let k = 0; k < g.width; k++) {
      const source = only ?? k;
      let best = -Infinity;
      let at = (b * g.inH + y0) * g.inW + x0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = (b * g.inH + y) * g.inW + x;
          const v = input[p * g.inC + source];
          if (v > best) {
            best = v;
            at = p;
          }
        }
      }
      out[at * g.width + k] += signal[o * g.width + k];
    }
  });
  return out;
}

/** Average-unpooling: every signal value is spread evenly over the input positions of its window. */
export function spreadAverage(signal: Float32Array, g: PoolGeometry): Float32Array {
  const out = new Float32Array(g.n * g.inH * g.inW * g.width);
  forEachWindow(g, (b, o, y0, y1, x0, x1) => {
    const count = (y1 - y0) * (x1 - x0);
    for (let k = 0; k < g.width; k++) {
      const share = signal[o * g.width + k] / count;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) out[((b * g.inH + y) * g.inW + x) * g.width + k] += share;
      }
    }
  });
  return out;
}

/**
 * Every non-empty pooling window: input `b`, output position `o` (flat over `[n, outH, outW]`) and
 * its input rows `[y0, y1)` and columns `[x0, x1)` clipped to the input (padding excluded).
 */
function forEachWindow(g: PoolGeometry, visit: (b: number, o: number, y0: number, y1: number, x0: number, x1: number) => void): void {
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      const y0 = Math.max(0, oy * g.strideH - g.padTop);
      const y1 = Math.min(g.inH, oy * g.strideH - g.padTop + g.poolH);
      for (let ox = 0; ox < g.outW; ox++) {
        const x0 = Math.max(0, ox * g.strideW - g.padLeft);
        const x1 = Math.min(g.inW, ox * g.strideW - g.padLeft + g.poolW);
        if (y1 > y0 && x1 > x0) visit(b, (b * g.outH + oy) * g.outW + ox, y0, y1, x0, x1);
      }
    }
  }
}

/**
 * Helpers for the tests that check the WASM training kernels against the CPU backend's kernels,
 * which are tfjs's own reference implementations.
 */
import assert from 'node:assert/strict';
import type * as tfjs from '@tensorflow/tfjs';

/** Uniform values in [−1, 1). */
export function randomValues(n: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

/**
 * Largest |a − b| over the largest |b|; `b` is the reference. A normwise relative error, so that
 * near-zero entries do not blow it up.
 */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/**
 * Runs `compute` on the WASM and then the CPU backend and returns both results as plain arrays
 * (the tensors `compute` returns are disposed, and so are those it leaves, through `tidy`).
 */
export async function onBothBackends(
  tf: typeof tfjs,
  compute: () => tfjs.Tensor | tfjs.Tensor[],
): Promise<{ wasm: Float32Array[]; cpu: Float32Array[] }> {
  const run = async (backendName: string): Promise<Float32Array[]> => {
    await tf.setBackend(backendName);
    const result = tf.tidy(compute);
    const tensors = Array.isArray(result) ? result : [result];
    const values = tensors.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(tensors);
    return values;
  };
  const wasm = await run('wasm');
  const cpu = await run('cpu');
  await tf.setBackend('wasm');
  return { wasm, cpu };
}

/**
 * The Gram products behind the pairwise distances on ONNX Runtime's multithreaded MatMul kernels
 * (MLAS DGEMM) rather than the compute pool's WebAssembly ones: several times faster on the same
 * cores (docs/native-engine.md, "Gram products"). The samples `[n, d]` are taken one block of
 * coordinates at a time (a float32 copy of the block is fed, the model widens it to float64,
 * {@link GRAM_BLOCK_BYTES} at most), each block's products added to those before it inside the
 * model (`Gemm`'s `c`), so the float64 copy stays small whatever `d`. The products are float64 in
 * the runtime's own summation order: the distances agree with the WebAssembly kernel's to about
 * 1e-15 relative, not bit for bit (docs/estimators.md, "Pairwise distances").
 *
 * `run` holds the thread it is called on while the runtime computes on every core (its own thread
 * pool), so the caller is the compute pool on the engine's thread: its workers have nothing to do
 * during the products, and a worker thread would only add a copy of the samples.
 */
import type * as Ort from 'onnxruntime-node';
import { distancesFromGram, type SampleArray } from '../analysis/distances';
import { GRAM_ACCUMULATOR, GRAM_INPUT, GRAM_OUTPUT, gramModel, type GramInputType } from '../onnx/gramModel';
import { createSession, firstLine, type OrtModule } from './ortRuntime';

/** Most bytes of one block of coordinates widened to float64 (`n × columns × 8`). */
export const GRAM_BLOCK_BYTES = 32 * 1024 ** 2;

/** The error of a native product the runtime refused (out of memory, a broken installation): one line. */
export class NativeGramError extends Error {
  override readonly name = 'NativeGramError';
}

export interface NativeGramOptions {
  /** Bytes of one widened block (default {@link GRAM_BLOCK_BYTES}; tests make blocks small to cross their boundaries). */
  blockBytes?: number;
  /** Called before each block: throws to cancel (the compute pool's CancelledError). */
  throwIfCancelled?: () => void;
}

/** One session per element type and runtime, made at first use and kept for the process's life. */
const sessions = new WeakMap<OrtModule, Map<GramInputType, Promise<Ort.InferenceSession>>>();

function sessionFor(ort: OrtModule, type: GramInputType): Promise<Ort.InferenceSession> {
  let byType = sessions.get(ort);
  if (!byType) sessions.set(ort, (byType = new Map()));
  let session = byType.get(type);
  if (!session) {
    session = createSession(ort, gramModel(type), 'cpu').then((opened) => opened.session);
    // A failed creation is not kept: the next call tries again.
    session.catch(() => byType.delete(type));
    byType.set(type, session);
  }
  return session;
}

/** Coordinates per block for `n` samples: as many as {@link GRAM_BLOCK_BYTES} widened hold, at least one. */
export function gramBlockColumns(n: number, d: number, blockBytes = GRAM_BLOCK_BYTES): number {
  return Math.max(1, Math.min(d, Math.floor(blockBytes / (8 * Math.max(1, n)))));
}

/**
 * The float64 Gram matrix `G = X·Xᵀ` (`n × n`, row-major) of `n` samples of `d` values, row-major
 * `samples` (float32 as activations are, or float64; cleaned of non-finite values), summed block by
 * block of coordinates in the runtime's order.
 * @throws NativeGramError when the runtime fails; what `throwIfCancelled` throws.
 */
export async function nativeGram(
  ort: OrtModule,
  samples: SampleArray,
  n: number,
  d: number,
  options: NativeGramOptions = {},
): Promise<Float64Array> {
  if (samples.length < n * d) throw new RangeError(`${n} samples of ${d} values need ${n * d} values, got ${samples.length}`);
  if (n === 0 || d === 0) return new Float64Array(n * n);
  const float32 = samples instanceof Float32Array;
  const type: GramInputType = float32 ? 'float32' : 'float64';
  const session = await sessionFor(ort, type);
  const columns = gramBlockColumns(n, d, options.blockBytes);
  let gram: Float64Array = new Float64Array(n * n);
  const block = float32 ? new Float32Array(n * columns) : new Float64Array(n * columns);
  for (let k0 = 0; k0 < d; k0 += columns) {
    options.throwIfCancelled?.();
    const width = Math.min(columns, d - k0);
    // The block's columns of every sample, row-major [n, width]: a row at a time, a memory copy each.
    const x = block.subarray(0, n * width);
    if (width === d) x.set(samples.subarray(0, n * d));
    else for (let i = 0; i < n; i++) x.set(samples.subarray(i * d + k0, i * d + k0 + width), i * width);
    const feeds = {
      [GRAM_INPUT]: new ort.Tensor(type, x, [n, width]),
      [GRAM_ACCUMULATOR]: new ort.Tensor('float64', gram, [n, n]),
    };
    let out: Ort.InferenceSession.ReturnType;
    try {
      out = await session.run(feeds, [GRAM_OUTPUT]);
    } catch (e) {
      throw new NativeGramError(
        `ONNX Runtime failed on the Gram products of ${n} samples: ${firstLine(String((e as Error)?.message ?? e))}`,
      );
    }
    const data = out[GRAM_OUTPUT]?.data;
    if (!(data instanceof Float64Array) || data.length !== n * n)
      throw new NativeGramError(`ONNX Runtime gave no ${n} × ${n} float64 Gram matrix`);
    gram = data;
  }
  return gram;
}

/**
 * All pairwise distances of `n` samples as a full symmetric `n × n` matrix (zero diagonal), from
 * {@link nativeGram}'s products (src/analysis/distances.ts `distancesFromGram`: identical samples at
 * exactly 0), written into `out` (e.g. a view of the compute pool's shared matrix) or a new array.
 */
export async function nativeDistanceMatrix(
  ort: OrtModule,
  samples: SampleArray,
  n: number,
  d: number,
  options: NativeGramOptions & { out?: Float64Array } = {},
): Promise<Float64Array> {
  const gram = await nativeGram(ort, samples, n, d, options);
  return distancesFromGram(gram, samples, n, d, options.out ?? gram);
}

/**
 * The requests to the native pass worker (passWorker.ts) from the thread that measures an epoch
 * (nativePass.ts), as valibot schemas: the types are inferred from them, the worker checks each
 * request and the caller each answer.
 *
 * - `nativePass/open` gives the worker the checkpoint's bytes, the run's layers and the probe
 *   inputs (shared), and what the pass computes; the worker opens its own session of the checkpoint.
 * - `nativePass/next` asks for the next layer of the pass: its values (moved to the caller, not
 *   copied: the worker gives the buffer up) and, where the native kernel computes them, the full
 *   `n × n` float64 distance matrix of its inputs (shared), `done` after the last layer.
 * - `nativePass/give` (a notification) moves a layer's values back once the caller is done with
 *   them, for the pass to write a later layer into (layerBuffers.ts): memory already mapped rather
 *   than fresh pages.
 */
import * as v from 'valibot';
import { RunLayerSchema } from '../runSchema';
import { defineNotification, defineRequest, ParamsIn, ResultOut } from '../messages';
import { EXECUTION_PROVIDERS } from '../recordSettings';

const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Shared = v.instance(SharedArrayBuffer, 'must be a SharedArrayBuffer');
const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export const nativePassOpen = defineRequest('nativePass/open', {
  params: v.pipe(
    v.object({
      /** The checkpoint's ONNX bytes (a copy for the worker). */
      bytes: v.instance(Uint8Array, 'must be a Uint8Array'),
      layers: v.pipe(v.array(RunLayerSchema), v.minLength(1)),
      provider: v.picklist(EXECUTION_PROVIDERS),
      /** The checkpoint's session layout (ortRuntime.ts `SessionLayout`), the caller's: every session of a checkpoint has one. */
      layout: v.picklist(['plain', 'blocked']),
      /** Float32 inputs `[count, ...inputShape]`. */
      inputs: Shared,
      count: Count,
      /** Last layer of the pass. */
      last: Count,
      /** Whether each layer's distance matrix is computed where the native kernel takes it (nativeGram.ts `usesNativeGram`). */
      distances: v.boolean(),
      /** The pass's budget of activations held at once (nativeForward.ts `budgetBytes`; tests cut passes small). */
      budgetBytes: v.optional(Count),
      /** Bytes of the largest layer per chunk of inputs (nativeForward.ts `chunkBytes`). */
      chunkBytes: v.optional(v.pipe(Count, v.minValue(1))),
      /** Whether the caller gives each layer's values back (`nativePass/give`) for later layers. */
      recycle: v.optional(v.boolean()),
    }),
    v.check((p) => p.last < p.layers.length, 'last must be one of the layers'),
    v.check((p) => p.inputs.byteLength >= p.count * product(p.layers[0].outputShape) * 4, 'the inputs buffer is shorter than count inputs'),
  ),
  result: v.object({ providerReason: v.optional(v.string()) }),
});

export const nativePassNext = defineRequest('nativePass/next', {
  params: v.object({}),
  result: v.union([
    v.object({ done: v.literal(true) }),
    v.pipe(
      v.object({
        done: v.literal(false),
        index: Count,
        shape: v.array(Count),
        data: v.instance(Float32Array, 'must be a Float32Array'),
        /** The `n × n` float64 distances of the layer's inputs (docs/estimators.md), where computed; null else. */
        distances: v.nullable(Shared),
      }),
      v.check((r) => r.data.length === product(r.shape), 'the values do not fill the shape'),
      v.check((r) => r.distances === null || r.distances.byteLength === (r.shape[0] ?? 0) ** 2 * 8, 'the distances are not n × n float64'),
    ),
  ]),
});

export const nativePassGive = defineNotification(
  'nativePass/give',
  v.object({
    /** A layer's values that `nativePass/next` moved to the caller, moved back; the caller keeps no view of them. */
    data: v.instance(Float32Array, 'must be a Float32Array'),
  }),
);

export type NativePassOpenRequest = ParamsIn<typeof nativePassOpen>;
export type NativePassLayer = Extract<ResultOut<typeof nativePassNext>, { done: false }>;

/**
 * The requests to the forward-pass worker (forwardWorker.ts) from the analysis service — a forward
 * pass over half of a probe set, half of an ablation's graph tail, half of a Taylor pass's chunks —
 * as valibot schemas: the types are inferred from them, the worker checks each request and the
 * caller each answer. Inputs, weights and activations travel in SharedArrayBuffers, checked for
 * type and length only.
 */
import * as v from 'valibot';
import { BACKENDS } from '../recordSettings';
import { defineRequest, ParamsIn, ResultOut } from '../messages';
import { gateAxis } from '../runFormat';
import { RunLayerSchema } from '../runSchema';
import type { RunLayer } from '../runFormat';

const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Shape = v.array(Count);
const Shared = v.instance(SharedArrayBuffer, 'must be a SharedArrayBuffer');
const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** What both requests name of the model the worker runs: its backend, checkpoint and layer table. */
const ModelFields = {
  /** Backend preference; the worker must use the service's backend so both halves agree. */
  backend: v.picklist(BACKENDS),
  /** Checkpoint folder (already validated by the engine). */
  checkpoint: v.pipe(v.string(), v.minLength(1)),
  layers: v.pipe(v.array(RunLayerSchema), v.minLength(1)),
};

export const forwardPass = defineRequest('forward', {
  params: v.pipe(
    v.object({
      ...ModelFields,
      /** Float32 inputs `[count, ...inputShape]`. */
      inputs: Shared,
      count: Count,
      last: Count,
      from: v.optional(
        v.pipe(
          v.object({ index: Count, shape: Shape, data: Shared }),
          v.check((f) => f.data.byteLength >= product(f.shape) * 4, 'the activations buffer is shorter than its shape'),
        ),
      ),
      /** Only these layers are copied out (forward.ts `keep`); every layer when absent. */
      keep: v.optional(v.array(Count)),
      /** Per layer: the shared buffer of the whole probe's activations and the byte offset of this half. */
      destinations: v.array(
        v.pipe(
          v.object({ index: Count, buffer: Shared, offset: Count, length: Count }),
          v.check((d) => d.offset % 4 === 0 && d.offset + d.length * 4 <= d.buffer.byteLength, 'a destination lies outside its buffer'),
        ),
      ),
    }),
    v.check((p) => p.last < p.layers.length, '"last" must name a layer of the table'),
    v.check(
      (p) => p.inputs.byteLength >= p.count * product(p.layers[0].outputShape) * 4,
      'the inputs buffer is shorter than count inputs of the input shape',
    ),
  ),
  /** The activations are in the request's destinations; the answer gives their shapes. */
  result: v.object({ outputs: v.array(v.object({ index: Count, shape: Shape })) }),
});

/**
 * The tail of a graph model after run layer `layer` (graphTail.ts) on the worker's share of the
 * inputs, for each block of `layer`'s values (one per ablation): the blocks, the side layers' values
 * and the outputs travel in shared buffers, `count` rows each.
 */
export const forwardTail = defineRequest('forward/tail', {
  params: v.pipe(
    v.object({
      ...ModelFields,
      layer: Count,
      output: Count,
      count: Count,
      blocks: v.array(Shared),
      sides: v.array(v.object({ index: Count, data: Shared })),
      /** Per block: where its output rows go (a byte offset into a shared buffer). */
      outs: v.array(v.object({ buffer: Shared, offset: Count })),
    }),
    v.check((p) => p.layer < p.output && p.output < p.layers.length, '"layer" must come before "output", both in the table'),
    v.check((p) => p.blocks.length === p.outs.length, 'there must be one output buffer per block'),
    v.check(
      (p) => p.blocks.every((b) => b.byteLength >= p.count * product(p.layers[p.layer].outputShape) * 4),
      'a block is shorter than count rows of the layer',
    ),
    v.check(
      (p) => p.sides.every((x) => x.index < p.layers.length && x.data.byteLength >= p.count * product(p.layers[x.index].outputShape) * 4),
      'a side layer is outside the table or shorter than count rows',
    ),
    v.check(
      (p) =>
        p.outs.every((o) => o.offset % 4 === 0 && o.offset + p.count * product(p.layers[p.output].outputShape) * 4 <= o.buffer.byteLength),
      'an output lies outside its buffer',
    ),
  ),
  result: v.object({}),
});

/**
 * Chunks of a Taylor pass (taylor.ts `taylorSums`) on the worker's share of the inputs: `inputs`
 * and `labels` hold the rows the chunks name (`[start, end)` into them); each chunk's sums per
 * target layer go to `out`, chunk after chunk, each chunk's targets in order (float32).
 */
export const forwardTaylor = defineRequest('forward/taylor', {
  params: v.pipe(
    v.object({
      ...ModelFields,
      inputs: Shared,
      labels: v.array(Count),
      output: v.object({ layer: Count, kind: v.picklist(['softmax', 'logits', 'binary']) }),
      targets: v.pipe(v.array(Count), v.minLength(1)),
      chunks: v.pipe(
        v.array(
          v.pipe(
            v.object({ start: Count, end: Count }),
            v.check((c) => c.start < c.end, 'a chunk must hold an input'),
          ),
        ),
        v.minLength(1),
      ),
      out: Shared,
    }),
    v.check((p) => p.output.layer < p.layers.length, 'the output must be a layer of the table'),
    v.check(
      (p) => p.targets.every((t, k) => t >= 1 && t <= p.output.layer && (k === 0 || t > p.targets[k - 1])),
      'the targets must ascend within 1..output',
    ),
    v.check((p) => p.chunks.every((c) => c.end <= p.labels.length), 'a chunk lies beyond the labels'),
    v.check(
      (p) => p.inputs.byteLength >= p.labels.length * product(p.layers[0].outputShape) * 4,
      'the inputs buffer is shorter than one input of the input shape per label',
    ),
    v.check(
      (p) => p.out.byteLength >= p.chunks.length * taylorWidth(p.layers, p.targets) * 4,
      'the output buffer is shorter than the sums of every chunk',
    ),
  ),
  result: v.object({}),
});

/** The values of one chunk's sums in `forwardTaylor`'s output: every target's channels (runFormat.ts `gateAxis`). */
export function taylorWidth(layers: readonly Pick<RunLayer, 'outputShape' | 'dataFormat'>[], targets: readonly number[]): number {
  return targets.reduce((w, t) => w + gateAxis(layers[t]).channels, 0);
}

export type ForwardRequest = ParamsIn<typeof forwardPass>;
export type ForwardTailRequest = ParamsIn<typeof forwardTail>;
export type ForwardTaylorRequest = ParamsIn<typeof forwardTaylor>;
export type ForwardOutputs = ResultOut<typeof forwardPass>['outputs'];

/**
 * The messages between the recorder and its half-batch training worker (src/recorder/halfBatchWorker.ts,
 * started by twoCoreTraining.ts): the worker keeps a copy of the model and, per batch, returns the
 * gradient of its half of the batch. Valibot schemas, the types inferred from them: the worker parses
 * every `init` and `step` it receives, the trainer every reply (`parseHalfBatchMessage`,
 * `parseHalfBatchReply`), and a message that fails is refused in one line naming the first problem.
 *
 * The messages are posted as they are (not through the typed channel of src/rpc), so that the
 * worker's gradients are moved, not copied: the training inputs travel once, in shared memory, and a
 * buffer is checked for its type and its length, never element by element.
 */
import * as v from 'valibot';
import { describeIssues } from '../messages';

const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Shared = v.instance(SharedArrayBuffer, 'must be a SharedArrayBuffer');
const Float32s = v.array(v.custom<Float32Array>((x) => x instanceof Float32Array, 'must be a Float32Array'));

/** How labels become the targets training fits: one-hot class vectors, a binary unit's 0/1, or the label itself. */
export const TRAINING_TARGETS = ['one-hot', 'binary', 'label'] as const;
export type TrainingTargets = (typeof TRAINING_TARGETS)[number];

/** The losses tfjs-layers knows by name, which the worker rebuilds by compiling its model with them. */
export const NAMED_LOSSES = ['categoricalCrossentropy', 'binaryCrossentropy', 'meanSquaredError', 'sparseCategoricalCrossentropy'] as const;
/** A loss the worker can rebuild: one of {@link NAMED_LOSSES}, or `softmaxCrossEntropy` (tf.losses.softmaxCrossEntropy). */
export const HALF_BATCH_LOSSES = [...NAMED_LOSSES, 'softmaxCrossEntropy'] as const;
export type HalfBatchLoss = (typeof HALF_BATCH_LOSSES)[number];

/** Sets the worker up: the model's topology, its loss, and the training inputs in shared memory. */
export const HalfBatchInitSchema = v.pipe(
  v.object({
    kind: v.literal('init'),
    backend: v.picklist(['wasm', 'cpu']),
    /** `model.toJSON()` of the model that trains. */
    topology: v.pipe(v.string(), v.minLength(1, 'the model topology is empty')),
    loss: v.picklist(HALF_BATCH_LOSSES),
    targets: v.picklist(TRAINING_TARGETS),
    classes: Count,
    /** Float32 training inputs `[count, ...shape]`, row-major. */
    inputs: Shared,
    /** Int32 labels, one per input. */
    labels: Shared,
    /** One input's shape, without the batch axis. */
    shape: v.pipe(v.array(v.pipe(Count, v.minValue(1))), v.minLength(1)),
    /** Most inputs per gradient part (`Infinity`: the half at once): a larger half is computed in parts (halfBatchGradients.ts `batchGradients`). */
    partInputs: v.pipe(
      v.number(),
      v.check((n) => n === Infinity || (Number.isSafeInteger(n) && n >= 1), 'must be a positive integer or Infinity'),
    ),
  }),
  v.check((m) => m.labels.byteLength % 4 === 0, 'the labels buffer does not hold whole int32 labels'),
  v.check(
    (m) => m.inputs.byteLength >= (m.labels.byteLength / 4) * m.shape.reduce((a, b) => a * b, 1) * 4,
    'the inputs buffer is shorter than one float32 input of the shape per label',
  ),
);
export type HalfBatchInit = v.InferOutput<typeof HalfBatchInitSchema>;

/** One step: the weights before it (every weight, in `model.weights` order) and the worker's half of the batch. */
export const HalfBatchStepSchema = v.pipe(
  v.object({
    kind: v.literal('step'),
    weights: Float32s,
    /** The inputs of the worker's half: indices into the training inputs. */
    indices: v.instance(Int32Array, 'must be an Int32Array'),
    /** The inputs of the whole batch: the half's mean loss is scaled by its share of them. */
    batchSize: v.pipe(Count, v.minValue(1)),
  }),
  v.check((m) => m.indices.length >= 1 && m.indices.length <= m.batchSize, 'the half must hold 1 to batchSize inputs'),
);
export type HalfBatchStep = v.InferOutput<typeof HalfBatchStepSchema>;

/** What the worker receives: an `init`, then `step` after `step`. */
export const HalfBatchMessageSchema = v.variant('kind', [HalfBatchInitSchema, HalfBatchStepSchema]);
export type HalfBatchMessage = v.InferOutput<typeof HalfBatchMessageSchema>;

/** The worker's answer to a step: the scaled gradients (`model.trainableWeights` order), its scaled loss and its correct predictions. */
export const HalfBatchResultSchema = v.object({ grads: Float32s, loss: v.number(), correct: Count });
export type HalfBatchResult = v.InferOutput<typeof HalfBatchResultSchema>;

/** The worker's answer to each message: `ok` with a step's result (none for `init`), or the error in one line. */
export const HalfBatchReplySchema = v.variant('ok', [
  v.object({ ok: v.literal(true), result: v.optional(HalfBatchResultSchema) }),
  v.object({ ok: v.literal(false), error: v.string() }),
]);
export type HalfBatchReply = v.InferOutput<typeof HalfBatchReplySchema>;

/** The message the worker received, parsed; throws an Error naming the first problem of a malformed one. */
export function parseHalfBatchMessage(raw: unknown): HalfBatchMessage {
  return parseOrThrow(HalfBatchMessageSchema, raw, 'a malformed half-batch message');
}

/** The reply the trainer received, parsed; throws an Error naming the first problem of a malformed one. */
export function parseHalfBatchReply(raw: unknown): HalfBatchReply {
  return parseOrThrow(HalfBatchReplySchema, raw, 'a malformed reply from the second training thread');
}

function parseOrThrow<S extends v.GenericSchema>(schema: S, raw: unknown, what: string): v.InferOutput<S> {
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) throw new Error(`${what}: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

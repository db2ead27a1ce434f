/**
 * A run layer (docs/run-format.md, the manifest's `layers`) as a valibot schema, for the requests
 * that carry a run's layer table to a worker thread (the forward-pass worker, the native pass
 * worker): the worker checks what it reads. The run's reader validated the table when it read the
 * manifest; this schema describes the same type, and fails to compile when the two drift apart.
 */
import * as v from 'valibot';
import { removableAxisOf } from '../analysis/layout';
import type { RunLayer } from './runFormat';

const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

export const RunLayerSchema = v.object({
  index: Count,
  name: v.string(),
  className: v.string(),
  outputShape: v.array(Count),
  channels: Count,
  parameters: Count,
  source: v.optional(v.object({ file: v.string(), line: v.number(), column: v.number() })),
  dataFormat: v.optional(v.literal('channelsFirst')),
  args: v.optional(v.record(v.string(), v.union([v.string(), v.number(), v.array(v.number())]))),
});

/**
 * A run layer's channels as its gate sees them (a Taylor pass's sums, an ablation's channels): how
 * many, and whether they are the model's axis 1 (channels first). Pure, of the layer's shape alone,
 * so the forward worker's protocol sizes a Taylor request's output with it and src/tfjs computes by it.
 */
export function gateAxis(layer: Pick<RunLayer, 'outputShape' | 'dataFormat'>): { channels: number; first: boolean } {
  return removableAxisOf(layer.outputShape, layer.dataFormat);
}

// The layer schema must describe the run format's layers exactly: each type must be assignable to
// the other, or this fails to compile.
type Checked = v.InferOutput<typeof RunLayerSchema>;
const runLayerFitsSchema = (l: RunLayer): Checked => l;
const schemaFitsRunLayer = (l: Checked): RunLayer => l;
void runLayerFitsSchema;
void schemaFitsRunLayer;

/**
 * A run layer (docs/run-format.md, the manifest's `layers`) as a valibot schema, for the requests
 * that carry a run's layer table to a worker thread (the forward-pass worker, the native pass
 * worker): the worker checks what it reads. The run's reader validated the table when it read the
 * manifest; the schema is the run format's own (runSchema.ts), whose type is `RunLayer`.
 */
import { removableAxisOf } from '../analysis/layout';
import type { RunLayer } from './runFormat';

export { RunLayerSchema } from './runSchema';

/**
 * A run layer's channels as its gate sees them (a Taylor pass's sums, an ablation's channels): how
 * many, and whether they are the model's axis 1 (channels first). Pure, of the layer's shape alone,
 * so the forward worker's protocol sizes a Taylor request's output with it and src/tfjs computes by it.
 */
export function gateAxis(layer: Pick<RunLayer, 'outputShape' | 'dataFormat'>): { channels: number; first: boolean } {
  return removableAxisOf(layer.outputShape, layer.dataFormat);
}

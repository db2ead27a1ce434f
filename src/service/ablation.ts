/**
 * Channel ablation (docs/estimators.md "Ablation"): the model's predictions with some channels of
 * one layer replaced by zero or by their mean, computed by running only the layers after it from
 * its activations. Being written.
 */
import type { InputSubset } from '../analysis';
import { AblationAnswer, AblationMode, QueryError } from './queries';
import type { QueryContext } from './queryContext';

export interface AblationRequest {
  epoch: number;
  layer: number;
  channels: readonly number[];
  mode?: AblationMode;
  x?: InputSubset;
}

/** The `ablation` answer of `r`: baseline and ablated prediction measures on the inputs of `r.x`. */
export async function measureAblation(ctx: QueryContext, r: AblationRequest): Promise<AblationAnswer> {
  void ctx;
  void r;
  throw new QueryError('unsupported', 'ablation is not answered yet');
}

/** `ablation`: the predictions with some channels of a layer replaced by zero or their mean (src/service/ablation.ts). */
import { measureAblation } from '../ablation';
import type { Handler } from './handler';

export const ablation: Handler<'ablation'> = (q, ctx) => measureAblation(ctx, q);

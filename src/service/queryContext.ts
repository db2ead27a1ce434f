/**
 * What a query handler works with, kept for the query's length: the opened run and its checks
 * (runChecks.ts), the activations of a layer at an epoch and the models they come from
 * (activationSource.ts), and the measures kept across queries (measureCache.ts). One query's
 * context is built by the engine (engine.ts) and released when the query ends.
 */
import { MeasureCache } from './measureCache';

export type { EngineParts, QueryControl } from './queryParts';

export class QueryContext extends MeasureCache {}

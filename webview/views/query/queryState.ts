// The Query view's persisted state: the draft slice being edited (applied to the other views by
// the Query button) and which architecture overview is shown.
import * as v from 'valibot';
import type { Draft } from '../../slice';
import { useSchemaViewState } from '../../state';

/** Where the draft is kept: the Network view drops it when a cluster click applies a slice itself. */
export const QUERY_DRAFT_KEY = 'query.draft';

const indices = v.array(v.number());

const InputSubsetSchema = v.variant('kind', [
  v.object({ kind: v.literal('all') }),
  v.object({ kind: v.literal('classes'), classes: indices }),
  v.object({ kind: v.literal('indices'), indices }),
  v.object({ kind: v.literal('perClass'), count: v.number(), seed: v.optional(v.number()), classes: v.optional(indices) }),
]);

export const DraftSchema = v.object({
  layers: indices,
  channels: v.record(v.string(), indices),
  subset: InputSubsetSchema,
  epoch: v.number(),
});

export const OverviewSchema = v.picklist(['network', 'table']);
export type Overview = v.InferOutput<typeof OverviewSchema>;

/**
 * The draft slice, `applied` until the user edits it. A draft from an older run layout (a layer or
 * an epoch the run no longer has) is dropped rather than trusted.
 */
export function useDraft(applied: Draft, layerCount: number, epochs: readonly number[]): [Draft, (d: Draft) => void] {
  const [stored, setDraft] = useSchemaViewState(QUERY_DRAFT_KEY, DraftSchema, applied);
  const fits = stored.layers.every((l) => l < layerCount) && epochs.includes(stored.epoch);
  return [fits ? stored : applied, setDraft];
}

export function useOverview(): [Overview, (o: Overview) => void] {
  return useSchemaViewState('query.overview', OverviewSchema, 'network');
}

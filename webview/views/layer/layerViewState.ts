// The Layer view's persisted settings, each with the valibot schema its stored value is checked
// against when read back (the webview state may come from an older version of this script).
import * as v from 'valibot';
import type { HeatmapSort, ScaleMode, SortKey } from '../../charts/capacityMatrix';
import { useSchemaViewState } from '../../state';

const Index = v.pipe(v.number(), v.integer(), v.minValue(0));
const SortKeySchema = v.picklist(['original', 'max', 'mean'] satisfies SortKey[]);

/** The picked layer pair, with the slice's layers when it was picked: a newly applied slice takes over again. */
const PairSchema = v.nullable(v.object({ base: v.string(), i: Index, j: Index }));
export type PairState = v.InferOutput<typeof PairSchema>;

const SortSchema = v.object({ rows: SortKeySchema, columns: SortKeySchema }) satisfies v.GenericSchema<unknown, HeatmapSort>;

/** The clicked heatmap cell, of one layer pair. */
const SelectedSchema = v.nullable(v.object({ layerI: Index, layerJ: Index, r: Index, c: Index }));
export type SelectedState = v.InferOutput<typeof SelectedSchema>;

/** Layer pairs the user added to the layer capacity chart. */
const PairsSchema = v.pipe(v.array(v.strictTuple([Index, Index])), v.maxLength(32));

const ScaleSchema = v.picklist(['shared', 'pairs', 'matrix'] satisfies ScaleMode[]);

/** The sort's reference epoch: a recorded epoch, or null for "the last recorded epoch". */
const SortEpochSchema = v.nullable(Index);

/** Marked channels of one layer pair (Fig. 8B): rows of layer J and columns of layer I, by channel index. */
const Channels = v.pipe(v.array(Index), v.maxLength(4096));
const MarksSchema = v.nullable(v.object({ layerI: Index, layerJ: Index, rows: Channels, columns: Channels }));
export type MarksState = v.InferOutput<typeof MarksSchema>;

/** Which strips are open, and the epochs / base layer the user picked for them (null = the default). */
const StripsSchema = v.object({
  epochOpen: v.boolean(),
  depthOpen: v.boolean(),
  epochs: v.nullable(v.pipe(v.array(Index), v.maxLength(64))),
  depthBase: v.nullable(Index),
});
export type StripsState = v.InferOutput<typeof StripsSchema>;

/** The layers of one definition shown side by side (a lens's `layers` focus, state.tsx applyFocus); null: none. */
const InstancesSchema = v.nullable(v.pipe(v.array(Index), v.maxLength(256)));

export interface LayerViewState {
  pair: [PairState, (p: PairState) => void];
  sort: [HeatmapSort, (s: HeatmapSort) => void];
  selected: [SelectedState, (s: SelectedState) => void];
  custom: [[number, number][], (pairs: [number, number][]) => void];
  scale: [ScaleMode, (m: ScaleMode) => void];
  sortEpoch: [number | null, (e: number | null) => void];
  marks: [MarksState, (m: MarksState) => void];
  strips: [StripsState, (s: StripsState) => void];
  instances: [number[] | null, (layers: number[] | null) => void];
}

/** Every persisted setting of the Layer view, each a [value, setter] pair. */
export function useLayerViewState(): LayerViewState {
  return {
    pair: useSchemaViewState('layer.pair', PairSchema, null),
    sort: useSchemaViewState('layer.sort', SortSchema, { rows: 'original', columns: 'original' }),
    selected: useSchemaViewState('layer.selected', SelectedSchema, null),
    custom: useSchemaViewState('layer.compare', PairsSchema, []),
    scale: useSchemaViewState('layer.scale', ScaleSchema, 'shared'),
    sortEpoch: useSchemaViewState('layer.sortEpoch', SortEpochSchema, null),
    marks: useSchemaViewState('layer.marks', MarksSchema, null),
    instances: useSchemaViewState('layer.instances', InstancesSchema, null),
    strips: useSchemaViewState('layer.strips', StripsSchema, { epochOpen: false, depthOpen: false, epochs: null, depthBase: null }),
  };
}

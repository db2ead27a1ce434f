// The Channel view's persisted settings, each with the valibot schema its stored value is checked
// against when read back (the webview state may come from an older version of this script).
import * as v from 'valibot';
import { useSchemaViewState } from '../../state';

/** Most layers shown below the Channel view's layer for comparison (Fig. 14): more would be a very long card. */
export const MAX_BESIDE_LAYERS = 6;

/** How the side-by-side feature maps are greyed: one range for every map shown, or each input's row its own. */
export type MapScale = 'shared' | 'row';

const setting = <S extends v.GenericSchema>(key: string, schema: S, initial: v.InferOutput<S>) => ({ key, schema, initial });

const SETTINGS = {
  sortMultiples: setting('channel.sortMultiples', v.boolean(), false),
  showAllLine: setting('channel.showAllLine', v.boolean(), true),
  /** The layers whose multiples are shown below the view's layer. */
  besideLayers: setting(
    'channel.besideLayers',
    v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1))), v.maxLength(MAX_BESIDE_LAYERS)),
    [] as number[],
  ),
  sharedYScale: setting('channel.sharedYScale', v.boolean(), true),
  /** The circle packing's zoomed group: "all", a class index, or null for the whole packing. */
  packingZoom: setting('channel.packingZoom', v.nullable(v.pipe(v.string(), v.regex(/^(all|\d+)$/))), null as string | null),
  packingColour: setting('channel.packingColour', v.picklist(['class', 'channel']), 'class'),
  deconvolutionContrast: setting('channel.deconvolutionContrast', v.boolean(), false),
  sideBySideScale: setting('channel.sideBySideScale', v.picklist(['shared', 'row'] satisfies MapScale[]), 'shared'),
};

type Settings = typeof SETTINGS;
type Value<K extends keyof Settings> = v.InferOutput<Settings[K]['schema']>;

/** One persisted setting of the Channel view, as a [value, setter] pair. */
export function useChannelSetting<K extends keyof Settings>(name: K): [Value<K>, (value: Value<K>) => void] {
  const s = SETTINGS[name] as { key: string; schema: v.GenericSchema<unknown, Value<K>>; initial: Value<K> };
  return useSchemaViewState(s.key, s.schema, s.initial);
}

/** The channels typed for the side-by-side cards of one layer (the text of the field, "" for the default). */
export function useSideBySideText(layer: number): [string, (text: string) => void] {
  return useSchemaViewState(`channel.sideBySide.${layer}`, v.string(), '');
}

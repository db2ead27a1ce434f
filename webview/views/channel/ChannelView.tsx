// The Channel view (paper 5.4, Figs. 13–15): the information inside the channels of one layer.
// Small multiples of each channel's intra-sample entropy over epochs, a circle packing of the
// entropies at the selected epoch by class, and the deconvolution of the selected channel. The
// layer is the linked focus (a layer picked in any view), else the first layer of the slice.
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import type { RunManifest } from '../../../src/contract/runFormat';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { allChannels } from '../../../src/contract/plan';
import { UiState, useApp } from '../../state';
import { LayerName } from '../../ui';
import { DeconvolutionCard } from './DeconvolutionCard';
import { MultiplesCard } from './MultiplesCard';
import { PackingCard } from './PackingCard';
import { SideBySideCards } from './SideBySideCards';
import { formatShape } from '../../../src/contract/format';
import { ReportSubsetNote } from '../query/ReportSubsetNote';

/** The layer shown: the focused layer, else the first layer of the slice, else the first layer. */
export function channelViewLayer(ui: UiState, manifest: RunManifest): number | undefined {
  const ok = (l: number | null | undefined): l is number => typeof l === 'number' && l > 0 && l < manifest.layers.length;
  if (ok(ui.focus.layer)) return ui.focus.layer;
  const fromSlice = ui.slice.layers.find(ok);
  if (fromSlice !== undefined) return fromSlice;
  return manifest.layers.find((l) => l.index > 0)?.index;
}

export function ChannelView(): JSX.Element {
  const { manifest, ui } = useApp();
  const layer = channelViewLayer(ui, manifest);
  if (layer === undefined) return <p class="status">This model has no layer to show.</p>;
  if (manifest.epochs.length === 0)
    return <p class="status">No epoch recorded yet: the Channel view fills in when the first epoch is recorded.</p>;
  return <ChannelLayer layer={layer} />;
}

function ChannelLayer(props: { layer: number }): JSX.Element {
  const { manifest, ui, update, focus } = useApp();
  const { layer } = props;
  const info = manifest.layers[layer];
  const sliced = (ui.slice.channels[String(layer)] ?? []).filter((c) => c < info.channels);
  const slicedKey = sliced.join(',');
  // One array per slice, not per render: the circle packing packs again whenever it changes.
  const channels = useMemo(
    () =>
      slicedKey
        ? slicedKey
            .split(',')
            .map(Number)
            .sort((a, b) => a - b)
        : allChannels(manifest, layer),
    [slicedKey, manifest, layer],
  );
  const focused = ui.focus.layer === layer && ui.focus.channel !== null && ui.focus.channel < info.channels ? ui.focus.channel : null;
  const fromFocus = ui.focus.layer === layer;
  const showAllChannels = () =>
    update((old) => {
      const rest = { ...old.slice.channels };
      delete rest[String(layer)];
      return { slice: { ...old.slice, channels: rest } };
    });
  return (
    <>
      <div class="channel-toolbar">
        <label>
          Layer{' '}
          <select
            value={layer}
            aria-label="Layer shown in the Channel view"
            onChange={(e) => focus(Number((e.target as HTMLSelectElement).value))}
          >
            {manifest.layers
              .filter((l) => l.index > 0)
              .map((l) => (
                <option key={l.index} value={l.index} title={l.name}>
                  {l.index} · {shortLayerName(l, manifest.layers)} ({l.channels} channel{l.channels === 1 ? '' : 's'})
                </option>
              ))}
          </select>
        </label>
        <LayerName layer={layer} />
        <span class="muted">
          {info.className}, output {formatShape(info.outputShape, info.dataFormat)} ·{' '}
          {fromFocus ? 'the selected layer' : 'the first layer of the slice (pick one to change it)'}
        </span>
        <span class="channel-selected">
          {focused !== null ? (
            <>
              Selected channel: <strong>#{focused}</strong>
            </>
          ) : (
            <span class="muted">No channel selected: click a multiple or a circle.</span>
          )}
        </span>
        {sliced.length > 0 && (
          <span class="channel-filter" role="status">
            Showing {sliced.length} of {info.channels} channels (chosen in the Query view).{' '}
            <button type="button" class="toggle" onClick={showAllChannels}>
              Show all channels
            </button>
          </span>
        )}
      </div>
      <ReportSubsetNote still="the small multiples and the deconvolution show every probe input or the sample inputs" />
      <MultiplesCard layer={layer} channels={channels} focused={focused} />
      <PackingCard layer={layer} channels={channels} focused={focused} />
      <DeconvolutionCard layer={layer} channels={channels} focused={focused} />
      <SideBySideCards key={layer} layer={layer} sliced={sliced} />
    </>
  );
}

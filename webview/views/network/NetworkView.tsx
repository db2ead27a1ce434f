// The Network view (after CNNVis): the model as a left-to-right DAG of layer nodes, each
// clustered layer's channels packed as cluster rectangles (area ∝ channels, with the inputs they
// respond to most and their class responses), linked by bundled bands whose width is the mean
// channel capacity between the clusters. It is the Query view's architecture overview; the
// comparison view shows one per run. A click on a cluster selects exactly its channels in the
// slicer and the Channel view; a click on a layer's title goes to its source line.
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import type { NetworkCluster } from '../../../src/service/queries';
import type { RunManifest } from '../../../src/run/format';
import { networkQueries } from '../../plan';
import { shown, useApp, useQuery } from '../../state';
import { EpochSlider, QueryStatus } from '../../ui';
import { NetworkGraph, thumbnailCanvases } from '../../charts/networkGraph';
import { BAND_PX_PER_BIT } from '../../charts/networkLayout';
import { QUERY_DRAFT_KEY } from '../query/queryState';

/** The Network view inside the run's panel: the shared epoch, the shared selection. */
export function NetworkView(): JSX.Element {
  const { manifest, ui, update, data, focus } = useApp();
  const result = useQuery(manifest.epochs.length ? networkQueries.networkGraph(ui.epoch) : null, 'query');
  const answer = shown(result);
  const thumbQuery = useMemo(() => (answer ? networkQueries.thumbnails(answer) : null), [answer]);
  const thumbResult = useQuery(thumbQuery, 'query');
  const thumbAnswer = shown(thumbResult);
  const thumbnails = useMemo(() => (thumbAnswer ? thumbnailCanvases(thumbAnswer) : undefined), [thumbAnswer]);
  const select = (cluster: NetworkCluster) =>
    update((old) => {
      const layers = old.slice.layers.includes(cluster.layer)
        ? old.slice.layers
        : [...old.slice.layers, cluster.layer].sort((a, b) => a - b);
      const slice = { ...old.slice, layers, channels: { ...old.slice.channels, [String(cluster.layer)]: [...cluster.channels] } };
      // The Query view's draft is dropped, so the slicer shows the new slice as applied.
      const views = { ...old.views };
      delete views[QUERY_DRAFT_KEY];
      return { slice, focus: { layer: cluster.layer, channel: null }, views };
    });
  const reveal = (layer: number) => {
    focus(layer, null);
    if (manifest.layers[layer]?.source) data.revealLayer(layer);
  };
  if (manifest.epochs.length === 0)
    return <p class="muted">No epoch recorded yet: the network graph appears when the first epoch is recorded.</p>;
  return (
    <div class="network-view" data-testid="network-view">
      <div class="network-toolbar">
        <EpochSlider play label="Epoch of the network graph" frame={{ drawnEpoch: answer?.epoch, failed: result.status === 'error' }} />
        <NetworkLegend manifest={manifest} />
      </div>
      <QueryStatus result={result} what="the network graph" />
      {answer && (
        <NetworkGraph
          answer={answer}
          layers={manifest.layers}
          classNames={manifest.dataset.classNames}
          bins={manifest.settings.bins}
          thumbnails={thumbnails}
          selected={ui.slice.channels}
          focusedLayer={ui.focus.layer}
          label={`Network of ${manifest.model.name} at epoch ${answer.epoch}`}
          onSelectCluster={select}
          onLayer={reveal}
        />
      )}
      {answer && thumbResult.status === 'error' && (
        <p class="muted pictures-note">
          {thumbResult.error.code === 'not-in-report'
            ? 'This report holds no pictures of these inputs; open the run in VS Code to see them.'
            : `The input pictures could not be read: ${thumbResult.error.message}`}
        </p>
      )}
    </div>
  );
}

/** What the encodings mean, in one line. */
export function NetworkLegend(props: { manifest: RunManifest }): JSX.Element {
  const maxBits = Math.log2(Math.max(2, props.manifest.settings.bins));
  return (
    <p class="network-legend muted">
      <span class="network-legend-fill" aria-hidden="true" /> cluster fill: mean channel entropy, 0–{maxBits.toFixed(0)} bits · area ∝
      channels · strip: response per class, strongest first · band width: mean channel capacity, {BAND_PX_PER_BIT} px per bit
    </p>
  );
}

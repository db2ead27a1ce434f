// The Network view (after CNNVis): the model as a left-to-right DAG of layer nodes, each
// clustered layer's channels packed as cluster rectangles (area ∝ channels, with the inputs they
// respond to most and their class responses), linked by bundled bands whose width is the mean
// channel capacity between the clusters. It is the Query view's architecture overview; the
// comparison view shows one per run. A click on a cluster selects exactly its channels in the
// slicer and the Channel view; a click on a layer's title goes to its source line.
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { NetworkCluster } from '../../../src/contract/queries';
import type { RunManifest } from '../../../src/contract/runFormat';
import { networkQueries } from '../../../src/contract/plan';
import type { DataSource } from '../../data';
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
  const held = useHeldEpochs(data, manifest.epochs);
  const missing = held ? manifest.epochs.filter((e) => !held.includes(e)) : [];
  const heldText = held && held.length ? `epoch${held.length === 1 ? '' : 's'} ${listEpochs(held)}` : 'no epoch';
  const reason = missing.length
    ? `This report holds the network graph at ${heldText} only (cnn-slicer report --epochs sets how many epochs a report computes); open the run in VS Code to see every epoch.`
    : undefined;
  const missingHere = held !== undefined && !held.includes(ui.epoch);
  if (manifest.epochs.length === 0)
    return <p class="muted">No epoch recorded yet: the network graph appears when the first epoch is recorded.</p>;
  return (
    <div class="network-view" data-testid="network-view">
      <div class="network-toolbar">
        <EpochSlider
          play
          label="Epoch of the network graph"
          frame={{ drawnEpoch: answer?.epoch, failed: result.status === 'error' }}
          playDisabled={reason && `▶ cannot play through the epochs: ${reason}`}
        />
        <NetworkLegend manifest={manifest} />
      </div>
      {reason && (
        <p class="muted not-in-report network-epochs-note" role="status" data-testid="network-epochs-note">
          {missingHere ? `No network graph at epoch ${ui.epoch} in this report. ` : ''}
          {reason}
        </p>
      )}
      {!(missingHere && reason) && <QueryStatus result={result} what="the network graph" />}
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

/**
 * The epochs whose graph a report holds (each looked up once), or undefined in VS Code, where
 * every epoch's graph is computed on demand.
 */
function useHeldEpochs(data: DataSource, epochs: number[]): number[] | undefined {
  const [held, setHeld] = useState<number[] | undefined>(undefined);
  useEffect(() => {
    if (data.mode !== 'report') return;
    let live = true;
    void Promise.allSettled(epochs.map((e) => data.query(networkQueries.networkGraph(e), { view: 'query', priority: 'background' }))).then(
      (results) => live && setHeld(epochs.filter((_, i) => results[i].status === 'fulfilled')),
    );
    return () => {
      live = false;
    };
  }, [data, epochs]);
  return held;
}

/** "0–3" for consecutive epochs, else "0, 2, 5". */
function listEpochs(epochs: number[]): string {
  const consecutive = epochs.every((e, i) => i === 0 || e === epochs[i - 1] + 1);
  return consecutive && epochs.length > 2 ? `${epochs[0]}–${epochs[epochs.length - 1]}` : epochs.join(', ');
}

/** What the encodings mean, in one line. */
export function NetworkLegend(props: { manifest: RunManifest }): JSX.Element {
  const maxBits = Math.log2(Math.max(2, props.manifest.settings.bins));
  return (
    <p class="network-legend muted">
      <span class="network-legend-fill" aria-hidden="true" /> cluster fill: mean channel entropy, 0–{maxBits.toFixed(0)} bits · size ∝
      channels (at least readable) · strip: response per class, strongest first · band width: mean channel capacity, {BAND_PX_PER_BIT} px
      per bit
    </p>
  );
}

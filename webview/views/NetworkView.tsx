// The Network view (issue 17, after CNNVis): the model as a left-to-right DAG of layer nodes, each
// clustered layer's channels packed as cluster rectangles (area ∝ channels, with the inputs they
// respond to most and their class responses), linked by bundled bands whose width is the mean
// channel capacity between the clusters. It is the Query view's architecture overview; the
// comparison view shows one per run. A click on a cluster selects exactly its channels in the
// slicer and the Channel view; a click on a layer's title goes to its source line.
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { InputsAnswer, NetworkCluster, NetworkGraphAnswer } from '../../src/service/queries';
import type { RunManifest } from '../../src/run/format';
import type { DataSource } from '../data';
import { ViewError } from '../data';
import { networkQueries } from '../plan';
import { shown, useApp, useQuery } from '../state';
import { EpochSlider, QueryStatus } from '../ui';
import { NetworkGraph, thumbnailCanvases } from '../charts/networkGraph';
import { BAND_PX_PER_BIT } from '../charts/networkLayout';

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
      // The Query view's draft is dropped, so the slicer shows the new slice as applied (QueryView.tsx: 'query.draft').
      const views = { ...old.views };
      delete views['query.draft'];
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

/**
 * One run's network in the comparison view: its own data source, at its last epoch (the
 * comparison view has no shared epoch). The selection is the run panel's, so clusters only show.
 */
export function RunNetwork(props: {
  manifest: RunManifest;
  data: DataSource;
  /** The run as the comparison names it ("A: model (id)"). */
  label: string;
}): JSX.Element {
  const { manifest, data } = props;
  const epoch = manifest.epochs[manifest.epochs.length - 1];
  const [state, setState] = useState<{ answer?: NetworkGraphAnswer; inputs?: InputsAnswer; error?: ViewError }>({});
  useEffect(() => {
    if (epoch === undefined) return;
    const controller = new AbortController();
    const options = { view: 'query' as const, signal: controller.signal };
    setState({});
    data.query(networkQueries.networkGraph(epoch), options).then(
      (answer) => {
        if (controller.signal.aborted) return;
        setState({ answer });
        const q = networkQueries.thumbnails(answer);
        if (q)
          data.query(q, options).then(
            (inputs) => !controller.signal.aborted && setState({ answer, inputs }),
            () => undefined,
          );
      },
      (e: unknown) => {
        if (!controller.signal.aborted) setState({ error: e instanceof ViewError ? e : new ViewError('internal', String(e)) });
      },
    );
    return () => controller.abort();
  }, [data, epoch]);
  const thumbnails = useMemo(() => (state.inputs ? thumbnailCanvases(state.inputs) : undefined), [state.inputs]);
  if (epoch === undefined) return <p class="muted">Run {props.label} has no recorded epoch yet.</p>;
  return (
    <div class="run-network" data-testid="run-network" data-run={props.label}>
      <h4>
        Run {props.label} <span class="muted">at epoch {epoch}</span>
      </h4>
      {state.error ? (
        <p class={state.error.code === 'not-in-report' ? 'muted' : 'warning'} role="note">
          {state.error.code === 'not-in-report'
            ? 'This comparison report holds no network graph; open the runs in VS Code to compare their networks.'
            : `The network graph could not be computed: ${state.error.message}`}
        </p>
      ) : !state.answer ? (
        <p class="muted" aria-busy="true">
          computing the network graph…
        </p>
      ) : (
        <NetworkGraph
          answer={state.answer}
          layers={manifest.layers}
          classNames={manifest.dataset.classNames}
          bins={manifest.settings.bins}
          thumbnails={thumbnails}
          selected={{}}
          focusedLayer={null}
          label={`Network of run ${props.label} at epoch ${epoch}`}
        />
      )}
    </div>
  );
}

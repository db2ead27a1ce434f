import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { InputsAnswer, NetworkGraphAnswer } from '../../../src/contract/queries';
import type { RunManifest } from '../../../src/contract/runFormat';
import type { DataSource } from '../../data';
import { ViewError } from '../../data';
import { networkQueries } from '../../../src/contract/plan';
import { NetworkGraph, thumbnailCanvases } from '../../charts/networkGraph';

/**
 * One run's network in the comparison view: its own data source, at its last epoch (the
 * comparison view has no shared epoch). The selection is the run panel's, so clusters only show.
 */
export function RunNetwork(props: {
  manifest: RunManifest;
  data: DataSource;
  /** The run as the comparison names it ("A: model (id)"). */
  label: string;
  /** A layer's name in the comparison (its row's, webview/compare.ts), else its short name in the run. */
  nameOf?: (layer: number) => string | undefined;
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
          nameOf={props.nameOf}
          heightFraction={0.6}
        />
      )}
    </div>
  );
}

import type { JSX } from 'preact';
import type { LayerMatch } from '../../compare';
import { Card } from '../../ui';
import { Toggle } from '../../charts/primitives';
import { RunNetwork } from '../network/RunNetwork';
import type { CompareRun } from './compareData';
import { useNetworksOpen } from './compareState';

/**
 * The runs' network graphs side by side, each at its last epoch. Asked only when opened:
 * each graph is a forward pass and a capacity per layer pair of its run. Layers are named as the
 * comparison's rows name them (`matches`), so one label never names two layers.
 */
export function NetworksCard(props: { runs: CompareRun[]; labels: string[]; matches: LayerMatch[] }): JSX.Element {
  const [open, setOpen] = useNetworksOpen();
  return (
    <Card
      title="Networks side by side"
      label="The runs' network graphs side by side: channel clusters per layer and the capacity between them, at each run's last epoch"
      class="wide"
      tools={
        <Toggle pressed={open} data-testid="compare-networks-toggle" onClick={() => setOpen(!open)}>
          {open ? 'Hide' : 'Show'}
        </Toggle>
      }
    >
      {open ? (
        <div class="compare-networks">
          {props.runs.map((r, i) => (
            <RunNetwork
              key={i}
              manifest={r.manifest}
              data={r.data}
              label={props.labels[i]}
              nameOf={(layer) => props.matches.find((m) => m.indices[i] === layer)?.names[i]}
            />
          ))}
        </div>
      ) : (
        <p class="muted">
          Each run's layers as clusters of channels linked by the capacity between them (the Network view); Show computes them.
        </p>
      )}
    </Card>
  );
}

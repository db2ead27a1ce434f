// The network graph's words: the tooltips of a cluster, a band and a layer node, and the whole
// graph as a list for screen readers and tests (the canvas has no elements to ask).
import type { JSX } from 'preact';
import type { NetworkCluster, NetworkGraphAnswer } from '../../src/contract/queries';
import type { RunLayer } from '../../src/contract/runFormat';
import { classLabel } from './common';
import { classOrder } from './networkLayout';
import type { NetworkGroup } from './networkGroups';
import type { Band, NetworkLayout, NodeBox } from './networkLayout';
import { formatBits } from '../../src/contract/format';

function listChannels(channels: number[], max = 24): string {
  return channels.length <= max ? channels.join(', ') : `${channels.slice(0, max).join(', ')}, … (${channels.length - max} more)`;
}

export function ClusterTip(props: {
  cluster: NetworkCluster;
  layout: NetworkLayout;
  name: (layer: number) => string;
  classNames: string[];
}): JSX.Element {
  const { cluster, layout, classNames } = props;
  const order = classOrder(cluster).filter((k) => cluster.classMeans[k] !== null);
  const bandsIn = layout.bands.filter((b) => b.edge.toLayer === cluster.layer && b.edge.toCluster === cluster.cluster);
  const bandsOut = layout.bands.filter((b) => b.edge.fromLayer === cluster.layer && b.edge.fromCluster === cluster.cluster);
  const strongest = (bands: Band[]) =>
    bands.reduce<Band | undefined>((m, b) => (!m || (b.edge.bits ?? 0) > (m.edge.bits ?? 0) ? b : m), undefined);
  const sIn = strongest(bandsIn);
  const sOut = strongest(bandsOut);
  return (
    <div data-testid="network-tip">
      <strong>
        {props.name(cluster.layer)} · cluster {cluster.cluster}
      </strong>
      <div>
        {cluster.channels.length} channel{cluster.channels.length === 1 ? '' : 's'}: {listChannels(cluster.channels)}
      </div>
      <div>mean channel entropy {formatBits(cluster.meanEntropyBits)}</div>
      {order.length > 0 && (
        <div>
          responds most to{' '}
          {order
            .slice(0, 3)
            .map((k) => `${classLabel(k, classNames)} (${(cluster.classMeans[k] ?? 0).toPrecision(3)})`)
            .join(', ')}
        </div>
      )}
      {cluster.topInputs.length > 0 && <div>top inputs #{cluster.topInputs.join(', #')}</div>}
      <div>
        {bandsIn.length} edge{bandsIn.length === 1 ? '' : 's'} in
        {sIn ? ` (strongest ${formatBits(sIn.edge.bits)} from ${props.name(sIn.edge.fromLayer)} #${sIn.edge.fromCluster})` : ''},{' '}
        {bandsOut.length} out
        {sOut ? ` (strongest ${formatBits(sOut.edge.bits)} to ${props.name(sOut.edge.toLayer)} #${sOut.edge.toCluster})` : ''}
      </div>
      <div class="muted">Click: select these channels in the slicer and the Channel view</div>
    </div>
  );
}

export function BandTip(props: { band: Band; name: (layer: number) => string; answer: NetworkGraphAnswer }): JSX.Element {
  const e = props.band.edge;
  const size = (layer: number, k: number) => props.answer.clusters.find((c) => c.layer === layer && c.cluster === k)?.channels.length ?? 0;
  return (
    <div data-testid="network-tip">
      <strong>
        {props.name(e.fromLayer)} #{e.fromCluster} → {props.name(e.toLayer)} #{e.toCluster}
      </strong>
      <div>
        {e.sampledPairs === undefined ? 'mean' : 'sampled mean'} channel capacity {formatBits(e.bits)}
      </div>
      <div class="muted">
        over {e.sampledPairs === undefined ? '' : `${e.sampledPairs} of `}
        {size(e.fromLayer, e.fromCluster)} × {size(e.toLayer, e.toCluster)} channel pairs at epoch {props.answer.epoch}
        {e.sampledPairs === undefined ? '' : ' (seeded samples of the members: docs/estimators.md)'}
      </div>
    </div>
  );
}

export function NodeTip(props: { node: NodeBox; layers: RunLayer[]; name: (layer: number) => string; clusters: number }): JSX.Element {
  const layer = props.layers[props.node.layer];
  return (
    <div data-testid="network-tip">
      <strong>{props.name(props.node.layer)}</strong> {layer ? `(${layer.className}, ${layer.channels} channels)` : ''}
      {props.node.merge && <div>{props.node.merge} of its inputs</div>}
      <div>{props.node.clustered ? `${props.clusters} clusters` : 'not clustered (one channel or not selected)'}</div>
      <div class="muted">Click: {layer?.source ? 'go to its source line' : 'select the layer'}</div>
    </div>
  );
}

/** A collapsed group's tooltip: its prefix, how many layers it holds, its first and last, and how to open it (no measure of its own). */
export function GroupTip(props: { group: NetworkGroup; layers: RunLayer[] }): JSX.Element {
  const { group } = props;
  const first = props.layers[group.members[0]]?.name;
  const last = props.layers[group.representative]?.name;
  return (
    <div data-testid="network-tip">
      <strong>{group.prefix}</strong>: {group.members.length} layers, collapsed
      <div>
        {first} … {last}
      </div>
      <div class="muted">Click or Enter: expand it</div>
    </div>
  );
}

/**
 * The graph as text for screen readers and tests (the canvas has no elements to ask): each layer
 * node with its clusters, each cluster with its channels and where it is drawn.
 */
export function NetworkSummary(props: { layout: NetworkLayout; name: (layer: number) => string }): JSX.Element {
  const { layout } = props;
  const bandsFrom = new Map<number, number>();
  for (const b of layout.bands) bandsFrom.set(b.edge.fromLayer, (bandsFrom.get(b.edge.fromLayer) ?? 0) + 1);
  return (
    <ul class="sr-only" data-testid="network-summary" aria-label="Layer nodes and their channel clusters">
      {layout.nodes.map((n) => {
        const clusters = layout.clusters.filter((c) => c.cluster.layer === n.layer);
        return (
          <li
            key={n.layer}
            data-layer={n.layer}
            data-clustered={String(n.clustered)}
            data-clusters={clusters.length}
            data-bands-out={bandsFrom.get(n.layer) ?? 0}
            data-x={Math.round(n.x)}
            data-y={Math.round(n.y)}
            data-w={Math.round(n.width)}
            data-h={Math.round(n.height)}
          >
            {props.name(n.layer)}
            {n.merge ? ` (${n.merge} of ${layout.links.filter((l) => l.to === n.layer).length} inputs)` : ''}:{' '}
            {n.clustered ? `${clusters.length} clusters` : 'not clustered'}
            {clusters.length > 0 && (
              <ul>
                {clusters.map((c) => (
                  <li
                    key={c.cluster.cluster}
                    data-cluster={c.cluster.cluster}
                    data-channels={c.cluster.channels.join(',')}
                    data-x={Math.round(c.x)}
                    data-y={Math.round(c.y)}
                    data-w={Math.round(c.width)}
                    data-h={Math.round(c.height)}
                  >
                    cluster {c.cluster.cluster}: channels {c.cluster.channels.join(', ')}; mean channel entropy{' '}
                    {formatBits(c.cluster.meanEntropyBits)}
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ul>
  );
}

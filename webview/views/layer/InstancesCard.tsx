// The layers of one definition side by side (a ResNet block's `conv1` line is `layer1.0.conv1` …
// `layer4.1.conv1`), opened from its CodeLens: a small-multiples row, one cell per layer, each with
// its mean channel entropy and that entropy's share of its ceiling (log2 of the values per channel,
// at most log2 of the bins: docs/estimators.md), so a deep layer's small maps are not read as lost
// information. A cell's button shows the layer's pair in the heatmap above.
import type { JSX } from 'preact';
import type { InputSubset } from '../../../src/analysis/subsets';
import { unitsPerChannelOf } from '../../../src/analysis/layout';
import { formatBitsOfCeiling, formatShape, intraSampleCeiling } from '../../../src/contract/format';
import { queries } from '../../../src/contract/plan';
import { shown, useApp, useQuery } from '../../state';
import { Card, QueryStatus } from '../../ui';

/** Mean of the defined channel entropies, or undefined when none is. */
function meanOf(values: readonly (number | null)[]): number | undefined {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : undefined;
}

export function InstancesCard(props: {
  layers: readonly number[];
  epoch: number;
  subset: InputSubset;
  nameOf: (l: number) => string;
  onOpenPair: (i: number, j: number) => void;
  onClose: () => void;
}): JSX.Element {
  const { manifest } = useApp();
  const layers = props.layers.filter((l) => l > 0 && manifest.layers[l]);
  const first = layers[0];
  const last = layers[layers.length - 1];
  const title =
    first === undefined
      ? 'Layers of one definition'
      : `${layers.length} layer${layers.length === 1 ? '' : 's'} of one definition: ${manifest.layers[first].name}${
          last !== first ? ` … ${manifest.layers[last].name}` : ''
        }`;
  return (
    <Card
      class="wide instances-card"
      title={title}
      label="Layers of one definition"
      tools={
        <button
          type="button"
          class="icon-button"
          title="Close this row"
          aria-label="Close the layers of one definition"
          onClick={props.onClose}
        >
          ×
        </button>
      }
    >
      <p class="muted">
        Mean channel entropy at epoch {props.epoch}, and its share of the ceiling: a channel of n values has at most log2 n bits (and at
        most log2 {manifest.settings.bins}, the bins), so a smaller map's lower entropy is not lost information.
      </p>
      <div class="instances-row" role="list" data-testid="instances-row">
        {layers.map((l) => (
          <InstanceCell key={l} layer={l} {...props} />
        ))}
      </div>
    </Card>
  );
}

function InstanceCell(props: {
  layer: number;
  epoch: number;
  subset: InputSubset;
  nameOf: (l: number) => string;
  onOpenPair: (i: number, j: number) => void;
}): JSX.Element {
  const { manifest } = useApp();
  const layer = manifest.layers[props.layer];
  const result = useQuery(queries.channelEntropies(props.layer, props.epoch, props.subset), 'layer');
  const answer = shown(result);
  const ceiling = intraSampleCeiling(unitsPerChannelOf(layer.outputShape, layer.dataFormat), manifest.settings.bins);
  const mean = answer && answer.layer === props.layer && answer.epoch === props.epoch ? meanOf(answer.all) : undefined;
  const share = mean !== undefined && ceiling > 0 ? Math.min(1, Math.max(0, mean / ceiling)) : undefined;
  return (
    <div class="instance-cell" role="listitem" data-testid="instance-cell" data-layer={props.layer} title={layer.name}>
      <div class="instance-name">{props.nameOf(props.layer)}</div>
      <div class="muted">
        {layer.className} · {formatShape(layer.outputShape, layer.dataFormat)}
      </div>
      <div class="instance-value" data-testid="instance-value">
        {!(ceiling > 0) ? formatBitsOfCeiling(0, ceiling) : mean !== undefined ? formatBitsOfCeiling(mean, ceiling, { digits: 2 }) : ''}
      </div>
      {share !== undefined && (
        <div class="instance-bar" aria-hidden="true">
          <div style={{ width: `${(share * 100).toFixed(1)}%` }} />
        </div>
      )}
      {mean === undefined && ceiling > 0 && <QueryStatus result={result} what="the channel entropies" compact />}
      {props.layer >= 2 && (
        <button type="button" class="link-button" onClick={() => props.onOpenPair(props.layer - 1, props.layer)}>
          show its pair
        </button>
      )}
    </div>
  );
}

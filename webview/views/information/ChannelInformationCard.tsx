// The Information view's label information per channel: each channel of the layer over the epochs,
// with its uninformative channels.
import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';
import type { ChannelLabelInformationAnswer } from '../../../src/contract/queries';
import { ChannelInformationHeatmap, heatmapMaxBits, labelInformationScale } from '../../charts/channelInformation';
import { usePanelWidth } from '../../charts/common';
import { ColourLegend } from '../../charts/primitives';
import { informationQueries } from '../../../src/contract/plan';
import { shown, useApp, useQuery } from '../../state';
import { Card, LayerName, QueryStatus } from '../../ui';
import { UninformativeList } from './UninformativeList';
import { formatBits } from '../../../src/contract/format';

export function ChannelInformationCard(props: { layer: number; layerName: string }): JSX.Element {
  const { ui, focus } = useApp();
  const result = useQuery(informationQueries.channels(props.layer, ui.slice.subset), 'information');
  const wrap = useRef<HTMLDivElement>(null);
  const panelWidth = usePanelWidth(wrap);
  const a = shown(result);
  // A previous layer's answer is not shown under this layer's title.
  const current: ChannelLabelInformationAnswer | undefined = a && a.layer === props.layer ? a : undefined;
  const focusedChannel = ui.focus.layer === props.layer ? ui.focus.channel : null;
  const exportSpec = current && {
    name: `label-information-${props.layerName}`,
    table: () => ({
      columns: ['channel', ...current.epochs.map((e) => `epoch ${e} (bits)`), 'uninformative'],
      rows: (current.bits[0] ?? []).map((_, c) => [
        c,
        ...current.epochs.map((_e, i) => current.bits[i]?.[c] ?? null),
        current.uninformative.includes(c),
      ]),
    }),
    json: () => ({ ...current, note: 'bits[epoch index][channel] = I_pair(T_c; Y) in bits; null = undefined' }),
  };
  const maxBits = current ? heatmapMaxBits(current) : 0;
  return (
    <Card
      title={
        <>
          Label information per channel · <LayerName layer={props.layer} />
        </>
      }
      label={`I_pair(T_c;Y) of each channel of ${props.layerName} over the epochs`}
      class="channel-information-card"
      export={exportSpec}
    >
      <QueryStatus result={result} what={`the label information of the channels of ${props.layerName}`} />
      <div ref={wrap} class="ci-plot">
        {current && current.epochs.length > 0 && (
          <>
            <ColourLegend
              colour={labelInformationScale(maxBits)}
              min={0}
              max={maxBits}
              label="I_pair(T_c;Y), bits"
              note={`(the largest value here; the ceiling H(S) = ${formatBits(current.ceilingBits)})`}
            />
            <ChannelInformationHeatmap
              answer={current}
              layerName={props.layerName}
              width={Math.min(640, panelWidth - 30)}
              focusedChannel={focusedChannel}
              selectedEpoch={ui.epoch}
              onChannel={(c) => focus(props.layer, c)}
            />
          </>
        )}
      </div>
      {current && current.epochs.length > 0 && (
        <>
          <UninformativeList answer={current} layer={props.layer} layerName={props.layerName} />
          <p class="muted chart-note">
            Rows: the channels of {props.layerName}; columns: the recorded epochs. Darker = more bits about the label (pairwise estimator,{' '}
            {current.inputCount} inputs). Click a row to pick its channel in every view.
          </p>
        </>
      )}
    </Card>
  );
}

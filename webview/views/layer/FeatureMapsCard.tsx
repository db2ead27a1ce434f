// The Layer view's feature maps card (paper Fig. 9): the maps of a clicked heatmap cell's column
// channel and row channel, for one sample input per class.
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { decodeFloat32 } from '../../../src/contract/queries';
import type { CapacityMatrixAnswer } from '../../../src/contract/queries';
import type { CellRef } from '../../charts/capacityMatrix';
import { channelMaps, FeatureMapPairs } from '../../charts/featureMaps';
import type { ChannelMaps } from '../../charts/featureMaps';
import { queries, SAMPLE_INPUTS } from '../../../src/contract/plan';
import { shown, useApp, useQuery } from '../../state';
import { Card, LayerName, QueryStatus } from '../../ui';
import type { ExportSpec } from '../../ui';
import { formatBits } from '../../../src/contract/format';

export function FeatureMapsCard(props: {
  layerI: number;
  layerJ: number;
  selected: CellRef | null;
  answer: CapacityMatrixAnswer | undefined;
  nameOf: (l: number) => string;
}): JSX.Element {
  const { manifest, ui, classNames } = useApp();
  const { selected, layerI, layerJ } = props;
  const mapsIResult = useQuery(selected ? queries.featureMaps(manifest, layerI, ui.epoch) : null, 'layer');
  const mapsJResult = useQuery(selected ? queries.featureMaps(manifest, layerJ, ui.epoch) : null, 'layer');
  const inputsResult = useQuery(selected ? queries.inputs(SAMPLE_INPUTS) : null, 'layer');
  const mapsI = shown(mapsIResult);
  const mapsJ = shown(mapsJResult);
  const inputs = shown(inputsResult);
  const decodedI = useMemo(() => (mapsI ? decodeFloat32(mapsI.maps) : undefined), [mapsI]);
  const decodedJ = useMemo(() => (mapsJ ? decodeFloat32(mapsJ.maps) : undefined), [mapsJ]);
  const decodedInputs = useMemo(() => (inputs ? decodeFloat32(inputs.images) : undefined), [inputs]);
  const columnMaps = useMemo(
    () => (selected && mapsI && decodedI && mapsI.layer === layerI ? channelMaps(mapsI, decodedI, selected.c) : undefined),
    [mapsI, decodedI, selected?.c, layerI],
  );
  const rowMaps = useMemo(
    () => (selected && mapsJ && decodedJ && mapsJ.layer === layerJ ? channelMaps(mapsJ, decodedJ, selected.r) : undefined),
    [mapsJ, decodedJ, selected?.r, layerJ],
  );
  const nameI = props.nameOf(layerI);
  const nameJ = props.nameOf(layerJ);
  const bits = selected && props.answer ? props.answer.values[selected.r * props.answer.columns + selected.c] : undefined;
  const exportSpec = featureMapsExport(
    selected ? `feature-maps-${nameI}-${selected.c}-${nameJ}-${selected.r}-epoch-${ui.epoch}` : 'feature-maps',
    [columnMaps, rowMaps],
    { epoch: ui.epoch, classNames, nameOf: props.nameOf },
  );
  return (
    <Card
      class="feature-maps-card"
      style={{ flex: '1 1 340px' }}
      title={
        selected ? (
          <>
            Feature maps: <LayerName layer={layerI} channel={selected.c} /> (column) and <LayerName layer={layerJ} channel={selected.r} />{' '}
            (row) — capacity <span class="capacity-value">{bits === undefined ? '…' : formatBits(bits)}</span>
          </>
        ) : (
          'Feature maps of a heatmap cell'
        )
      }
      label="Feature maps of the selected cell's two channels"
      export={exportSpec}
    >
      {!selected ? (
        <p class="muted">
          Click a cell of the heatmap (or move to it with the arrow keys and press Enter) to compare the feature maps of its column channel
          and its row channel for one sample input per class.
        </p>
      ) : (
        <>
          <QueryStatus result={mapsIResult} what={`the feature maps of ${nameI}`} />
          {layerJ !== layerI && <QueryStatus result={mapsJResult} what={`the feature maps of ${nameJ}`} />}
          <QueryStatus result={inputsResult} what="the sample inputs" />
          {mapsI && !columnMaps && mapsIResult.status === 'ready' && (
            <p class="muted" role="note">
              Channel {selected.c} is not among the feature maps of {nameI} held here: a report over its size budget keeps the first
              channels of wide layers. Open the run in VS Code, or write the report with a larger --max-mb, to see every channel.
            </p>
          )}
          {mapsJ && !rowMaps && mapsJResult.status === 'ready' && (
            <p class="muted" role="note">
              Channel {selected.r} is not among the feature maps of {nameJ} held here: a report over its size budget keeps the first
              channels of wide layers. Open the run in VS Code, or write the report with a larger --max-mb, to see every channel.
            </p>
          )}
          {columnMaps && rowMaps && (
            <>
              <p class="muted fm-note">
                Epoch {mapsI!.epoch}; one sample input per class. Grey per channel: black = the channel's minimum, white = its maximum over
                these inputs ({nameI} #{selected.c}: {columnMaps.range[0].toFixed(3)}–{columnMaps.range[1].toFixed(3)}; {nameJ} #
                {selected.r}: {rowMaps.range[0].toFixed(3)}–{rowMaps.range[1].toFixed(3)}).
              </p>
              <FeatureMapPairs
                columnMaps={columnMaps}
                rowMaps={rowMaps}
                columnName={nameI}
                rowName={nameJ}
                classNames={classNames}
                inputs={inputs}
                inputsDecoded={decodedInputs}
              />
            </>
          )}
        </>
      )}
    </Card>
  );
}

/** The maps' CSV (one row per map, with its range) and JSON (every value). */
function featureMapsExport(
  name: string,
  both: (ChannelMaps | undefined)[],
  view: { epoch: number; classNames: string[]; nameOf: (l: number) => string },
): ExportSpec {
  const [columnMaps, rowMaps] = both;
  const { classNames, nameOf, epoch } = view;
  return {
    name,
    table: () => {
      const rows: (string | number)[][] = [];
      for (const m of [columnMaps, rowMaps]) {
        if (!m) continue;
        m.maps.forEach((data, i) => {
          let lo = Infinity;
          let hi = -Infinity;
          for (const v of data) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
          rows.push([m.inputs[i], classNames[m.labels[i]] ?? m.labels[i], nameOf(m.layer), m.channel, m.h, m.w, lo, hi]);
        });
      }
      return { columns: ['input', 'class', 'layer', 'channel', 'height', 'width', 'min', 'max'], rows };
    },
    json: () =>
      [columnMaps, rowMaps]
        .filter((m) => m)
        .map((m) => ({
          layer: m!.layer,
          layerName: nameOf(m!.layer),
          channel: m!.channel,
          epoch,
          shape: [m!.h, m!.w],
          channelRange: m!.range,
          maps: m!.maps.map((data, i) => ({ input: m!.inputs[i], label: m!.labels[i], values: Array.from(data) })),
        })),
  };
}

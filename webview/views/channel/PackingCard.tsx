// The Channel view's circle packing (paper Fig. 13): the channels' entropies at the shared epoch,
// one circle per channel inside one circle per class.
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { ChannelEntropiesAnswer } from '../../../src/contract/queries';
import type { InputSubset } from '../../../src/analysis/subsets';
import { CirclePacking } from '../../charts/circlePacking';
import { groupLabel } from '../../charts/circlePackingMarks';
import { packValues } from '../../charts/circlePackingLayout';
import type { GroupKey } from '../../charts/circlePackingLayout';
import { Toggle } from '../../charts/primitives';
import type { Cell } from '../../export';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { queries } from '../../../src/contract/plan';
import { describeSubset } from '../../slice';
import { shown, useApp, useQuery } from '../../state';
import { Card, EpochSlider, LayerName, QueryStatus } from '../../ui';
import { sameLayer, subsetClasses } from './channelCommon';
import type { CardProps } from './channelCommon';
import { useChannelSetting } from './channelViewState';
import { useNeighbourPackings } from './neighbourPackings';

export function PackingCard(props: CardProps): JSX.Element {
  const { manifest, classNames, ui, focus } = useApp();
  const result = useQuery(queries.channelEntropies(props.layer, ui.epoch, ui.slice.subset), 'channel');
  const answer = sameLayer(shown(result), props.layer);
  const [zoom, setZoom] = useChannelSetting('packingZoom');
  // Another layer has other circles: a zoom kept from the previous layer would show a class the
  // person did not pick. The zoom kept across a reload (same layer) stays.
  const shownLayer = useRef(props.layer);
  useEffect(() => {
    if (shownLayer.current === props.layer) return;
    shownLayer.current = props.layer;
    setZoom(null);
  }, [props.layer]);
  const subsetKey = JSON.stringify(ui.slice.subset);
  const classes = useMemo(() => subsetClasses(ui.slice.subset), [subsetKey]);
  const [colourBy, setColourBy] = useChannelSetting('packingColour');
  const info = manifest.layers[props.layer];
  const channels = useMemo(() => (answer ? props.channels.filter((c) => c < answer.all.length) : []), [answer, props.channels]);
  useNeighbourPackings(props.layer, ui.epoch, ui.slice.subset, props.channels, classes, result.status === 'ready');
  const zoomName = zoom === null ? null : groupLabel(zoom === 'all' ? 'all' : Number(zoom), classNames, classes !== undefined);
  return (
    <Card
      class="channel-packing"
      title={
        <>
          Entropy by class and channel, <LayerName layer={props.layer} /> at epoch {ui.epoch}
        </>
      }
      label="Circle packing of channel entropy by class"
      tools={
        <>
          <EpochSlider play />
          <Toggle
            pressed={colourBy === 'channel'}
            title="Colour the channel circles by channel index (as in the paper) instead of by class"
            onClick={() => setColourBy(colourBy === 'class' ? 'channel' : 'class')}
          >
            Colour by channel
          </Toggle>
          <button type="button" class="toggle" disabled={zoom === null} onClick={() => setZoom(null)}>
            Zoom out
          </button>
        </>
      }
      export={
        answer && {
          name: `circle-packing-${shortLayerName(info, manifest.layers)}-epoch-${answer.epoch}`,
          table: () => packingTable(answer, channels, classNames, shortLayerName(info, manifest.layers)),
          json: () => packingJson(answer, channels, classNames, shortLayerName(info, manifest.layers)),
        }
      }
    >
      <QueryStatus result={result} what={`the channel entropies of ${shortLayerName(info, manifest.layers)} at epoch ${ui.epoch}`} />
      {answer && (
        <>
          <p class="muted channel-caption">
            {packingCaption(answer, classes, ui.slice.subset, classNames)}; inside each, one circle per channel, area ∝ its intra-sample
            entropy
            {colourBy === 'channel' ? `, colour = channel index (rainbow from #0 to #${info.channels - 1})` : ''}. Click a class to zoom
            {zoomName ? ` (showing ${zoomName})` : ''}, a channel to select it.
          </p>
          <CirclePacking
            answer={answer}
            channels={channels}
            classes={classes}
            classNames={classNames}
            layerName={shortLayerName(info, manifest.layers)}
            focused={props.focused}
            zoom={zoom}
            colourBy={colourBy}
            channelCount={info.channels}
            onZoom={setZoom}
            onFocus={(c) => focus(props.layer, c)}
          />
        </>
      )}
    </Card>
  );
}

/** "10 classes and all classes (500 inputs)", or for a subset "classes 0, 1 and the slice together (75 inputs of the slice: classes 0, 1)". */
export function packingCaption(
  a: ChannelEntropiesAnswer,
  classes: number[] | undefined,
  subset: InputSubset,
  classNames: string[],
): string {
  const shown = classes ? classes.filter((k) => k < a.perClass.length) : a.perClass.map((_, k) => k);
  const names = shown.map((k) => classNames[k] ?? String(k));
  const groups =
    classes === undefined
      ? `${shown.length} classes and all classes`
      : `${shown.length === 1 ? 'class' : 'classes'} ${names.join(', ')} and the slice together`;
  const inputs =
    subset.kind === 'all' ? `${a.inputCount} inputs` : `${a.inputCount} inputs of the slice: ${describeSubset(subset, classNames)}`;
  return `${groups} (${inputs})`;
}

function packingTable(
  a: ChannelEntropiesAnswer,
  channels: number[],
  classNames: string[],
  layerName: string,
): { columns: string[]; rows: Cell[][] } {
  const groups: GroupKey[] = ['all', ...a.perClass.map((_, k) => k)];
  const rows: Cell[][] = [];
  for (const g of groups) {
    const values = packValues(a, g);
    for (const c of channels) rows.push([layerName, a.epoch, g === 'all' ? 'all' : (classNames[g] ?? String(g)), c, values[c] ?? null]);
  }
  return { columns: ['layer', 'epoch', 'class', 'channel', 'bits'], rows };
}

function packingJson(a: ChannelEntropiesAnswer, channels: number[], classNames: string[], layerName: string): unknown {
  const groups: GroupKey[] = ['all', ...a.perClass.map((_, k) => k)];
  return {
    layer: a.layer,
    layerName,
    epoch: a.epoch,
    inputCount: a.inputCount,
    unit: 'bits',
    groups: groups.map((g) => {
      const values = packValues(a, g);
      const defined = channels.map((c) => values[c] ?? null).filter((v): v is number => v !== null);
      return {
        class: g === 'all' ? 'all' : (classNames[g] ?? String(g)),
        inputs: g === 'all' ? a.inputCount : a.classCounts[g],
        totalBits: defined.reduce((s, v) => s + v, 0),
        channels: channels.map((c) => ({ channel: c, bits: values[c] ?? null })),
      };
    }),
  };
}

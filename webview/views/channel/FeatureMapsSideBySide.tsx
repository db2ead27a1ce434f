// The feature maps of several channels side by side, on one grey scale or one per input.
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { decodeFloat32 } from '../../../src/contract/queries';
import type { FeatureMapsAnswer } from '../../../src/contract/queries';
import { classLabel } from '../../charts/common';
import { channelMaps } from '../../charts/featureMaps';
import { PictureColumn, rangeOf, RowLabels, SideBySideGrid } from '../../charts/sideBySide';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { queries } from '../../../src/contract/plan';
import { ranges } from '../../slice';
import { shown, useApp, useQuery } from '../../state';
import { Card, LayerName, QueryStatus } from '../../ui';
import { AllInputsNote, ChannelHeading } from './channelCommon';
import type { SideBySideProps } from './channelCommon';
import { useChannelSetting } from './channelViewState';
import type { MapScale } from './channelViewState';

export function FeatureMapsSideBySide(props: SideBySideProps): JSX.Element {
  const { manifest, classNames, ui } = useApp();
  const info = manifest.layers[props.layer];
  const result = useQuery(queries.featureMaps(manifest, props.layer, ui.epoch), 'channel');
  const answer = shown(result);
  const current = answer && answer.layer === props.layer ? answer : undefined;
  const [scale, setScale] = useChannelSetting('sideBySideScale');
  const decoded = useMemo(() => (current ? decodeFloat32(current.maps) : undefined), [current]);
  const columns = useMemo(
    () => (current && decoded ? props.channels.map((c) => ({ channel: c, maps: channelMaps(current, decoded, c) })) : []),
    [current, decoded, props.channels],
  );
  const rowIndex = (a: FeatureMapsAnswer, input: number) => a.inputs.indexOf(input);
  // The grey scale: over every map shown, or over each row's maps (one input across the channels).
  const rowRanges = useMemo(() => {
    if (!current) return [];
    const all = rangeOf(columns.flatMap((col) => col.maps?.maps ?? []));
    return props.rows.map((r) => {
      if (scale === 'shared') return all;
      const i = rowIndex(current, r.input);
      return rangeOf(columns.flatMap((col) => (col.maps && i >= 0 ? [col.maps.maps[i]] : [])));
    });
  }, [current, columns, props.rows, scale]);
  const name = shortLayerName(info, manifest.layers);
  const fmtRange = (r: [number, number] | undefined) => (r ? `${r[0].toPrecision(3)} … ${r[1].toPrecision(3)}` : '');
  return (
    <Card
      class="wide channel-sbs-maps"
      title={
        <>
          Feature maps of channels side by side, <LayerName layer={props.layer} /> at epoch {ui.epoch}
        </>
      }
      label="Feature maps of several channels side by side"
      tools={
        <>
          {props.field}
          <label>
            grey scale{' '}
            <select
              value={scale}
              aria-label="Grey scale of the feature maps"
              onChange={(e) => setScale((e.target as HTMLSelectElement).value as MapScale)}
            >
              <option value="shared">shared by all maps</option>
              <option value="row">per input (row)</option>
            </select>
          </label>
        </>
      }
    >
      {props.caption}
      <AllInputsNote what="These maps show one sample input of every class of the probe set." />
      {props.children}
      <QueryStatus result={result} what={`the feature maps of ${name} at epoch ${ui.epoch}`} />
      {current && props.rows.length > 0 && (
        <>
          <p class="muted channel-caption" data-testid="sbs-scale-note">
            {scale === 'shared'
              ? `Grey scale shared by every map shown: black = ${fmtRange(rowRanges[0]).replace(' … ', ', white = ')}.`
              : 'Grey scale per input: each row runs from its own minimum (black) to its maximum (white) over the channels shown, written under the class.'}
          </p>
          <SideBySideGrid
            columns={props.channels.length + 1}
            label={`Feature maps of ${name}, channels ${ranges(props.channels)}`}
            testId="sbs-maps"
          >
            {(size) => (
              <>
                <RowLabels
                  rows={props.rows}
                  size={size}
                  classNames={classNames}
                  notes={scale === 'row' ? rowRanges.map(fmtRange) : undefined}
                />
                <PictureColumn
                  title="input"
                  rows={props.rows}
                  size={size}
                  pictures={props.sources}
                  labelOf={(r) => `Input #${r.input} (${classLabel(r.label, classNames)})`}
                />
                {columns.map((col) => (
                  <PictureColumn
                    key={col.channel}
                    title={<ChannelHeading layer={props.layer} channel={col.channel} />}
                    channel={col.channel}
                    layer={props.layer}
                    rows={props.rows}
                    size={size}
                    testId="sbs-map"
                    pictures={props.rows.map((r, k) => {
                      const m = col.maps;
                      const i = m ? m.inputs.indexOf(r.input) : -1;
                      return m && i >= 0 ? { data: m.maps[i], h: m.h, w: m.w, c: 1, range: rowRanges[k] ?? m.range } : undefined;
                    })}
                    labelOf={(r) => `${name} #${col.channel} on input #${r.input} (${classLabel(r.label, classNames)})`}
                  />
                ))}
              </>
            )}
          </SideBySideGrid>
        </>
      )}
    </Card>
  );
}

// The deconvolutions of several channels side by side, each column its own query.
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { decodeFloat32 } from '../../../src/contract/queries';
import { classLabel } from '../../charts/common';
import { PictureColumn, RowLabels, SideBySideGrid } from '../../charts/sideBySide';
import type { GridRow } from '../../charts/sideBySide';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { queries } from '../../../src/contract/plan';
import { ranges } from '../../slice';
import { QueryResult, shown, useApp, useQuery } from '../../state';
import { Card, LayerName, QueryStatus } from '../../ui';
import { AllInputsNote, ChannelHeading } from './channelCommon';
import type { SideBySideProps } from './channelCommon';

/** A column's state in a few words: a narrow column has no room for a whole sentence. */
function ColumnStatus<T>(props: { result: QueryResult<T>; what: string }): JSX.Element | null {
  if (props.result.status === 'loading')
    return (
      <span class="muted" role="status" style={{ fontSize: '11px' }}>
        computing…
      </span>
    );
  return <QueryStatus result={props.result} what={props.what} compact />;
}

export function DeconvolutionsSideBySide(props: SideBySideProps): JSX.Element {
  const { manifest, classNames, ui } = useApp();
  const info = manifest.layers[props.layer];
  return (
    <Card
      class="wide channel-sbs-deconvolution"
      title={
        <>
          Deconvolutions of channels side by side, <LayerName layer={props.layer} /> at epoch {ui.epoch}
        </>
      }
      label="Deconvolutions of several channels side by side"
    >
      {props.caption}
      <p class="muted channel-caption">
        Each column is one channel's feature map projected back to input space; each projection is greyed to its channel's range over the
        sample inputs, so brightness compares down a column, shapes across columns.
      </p>
      <AllInputsNote what="The deconvolutions show one sample input of every class of the probe set." />
      {props.children}
      {props.rows.length > 0 && (
        <SideBySideGrid
          columns={props.channels.length + 1}
          label={`Deconvolutions of ${shortLayerName(info, manifest.layers)}, channels ${ranges(props.channels)}`}
          testId="sbs-deconvolutions"
        >
          {(size) => (
            <>
              <RowLabels rows={props.rows} size={size} classNames={classNames} />
              <PictureColumn
                title="input"
                rows={props.rows}
                size={size}
                pictures={props.sources}
                labelOf={(r) => `Input #${r.input} (${classLabel(r.label, classNames)})`}
              />
              {props.channels.map((c) => (
                <DeconvolutionColumn key={c} layer={props.layer} channel={c} rows={props.rows} size={size} />
              ))}
            </>
          )}
        </SideBySideGrid>
      )}
    </Card>
  );
}

/** One channel's deconvolutions down a column: its own query, its own status in place. */
function DeconvolutionColumn(props: { layer: number; channel: number; rows: GridRow[]; size: number }): JSX.Element {
  const { manifest, classNames, ui } = useApp();
  const name = shortLayerName(manifest.layers[props.layer], manifest.layers);
  const result = useQuery(queries.deconvolution(props.layer, props.channel, ui.epoch), 'channel');
  const answer = shown(result);
  const current = answer && answer.layer === props.layer && answer.channel === props.channel ? answer : undefined;
  const pictures = useMemo(() => {
    if (!current) return undefined;
    const [n = 0, h = 1, w = 1, c = 1] = current.projections.shape;
    const data = decodeFloat32(current.projections);
    const size = h * w * c;
    return props.rows.map((r) => {
      const i = current.inputs.indexOf(r.input);
      return i >= 0 && i < n
        ? { data: data.subarray(i * size, (i + 1) * size), h, w, c, range: [current.min, current.max] as [number, number] }
        : undefined;
    });
  }, [current, props.rows]);
  return (
    <PictureColumn
      title={<ChannelHeading layer={props.layer} channel={props.channel} />}
      channel={props.channel}
      layer={props.layer}
      rows={props.rows}
      size={props.size}
      testId="sbs-projection"
      pictures={pictures}
      status={<ColumnStatus result={result} what={`the deconvolution of ${name} #${props.channel} at epoch ${ui.epoch}`} />}
      labelOf={(r) => `Deconvolution of ${name} #${props.channel} for input #${r.input} (${classLabel(r.label, classNames)})`}
    />
  );
}

// The applied slice's result: the inter-sample entropy of its inputs at each selected layer.
import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { queries } from '../../../src/contract/plan';
import { useApp, useQuery } from '../../state';
import { LayerName, QueryStatus } from '../../ui';
import { CeilingMark, InterSampleValue } from './CeilingMark';
import { ReportSubsetNote } from './ReportSubsetNote';

export function SliceResult(): JSX.Element {
  const { ui } = useApp();
  const layers = ui.slice.layers;
  const rows = useMemo(() => layers.slice(0, 8), [layers]);
  if (!rows.length) return <p class="muted">Select layers in the slicer and press Query.</p>;
  return (
    <>
      <ReportSubsetNote />
      <table class="data" aria-label="Inter-sample entropy of the slice per layer">
        <thead>
          <tr>
            <th>Layer</th>
            <th>Inputs</th>
            <th>Inter-sample H</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((l) => (
            <SliceRow key={l} layer={l} />
          ))}
        </tbody>
      </table>
    </>
  );
}

function SliceRow(props: { layer: number }): JSX.Element {
  const { ui } = useApp();
  const r = useQuery(queries.interSample(props.layer, ui.epoch, ui.slice.subset), 'query');
  // No stale number while a new slice computes: a table cell has no other way to show it is old.
  return (
    <tr>
      <td>
        <LayerName layer={props.layer} />
      </td>
      <td>{r.status === 'ready' ? r.answer.inputCount : ''}</td>
      <td aria-busy={r.status === 'loading'}>
        {r.status === 'ready' ? (
          <>
            <InterSampleValue bits={r.answer.bits} reason={r.answer.reason} />
            <CeilingMark bits={r.answer.bits} inputs={r.answer.inputCount} />
          </>
        ) : r.status === 'loading' ? (
          <span class="muted">computing…</span>
        ) : (
          <QueryStatus result={r} what="the inter-sample entropy" compact />
        )}
      </td>
    </tr>
  );
}

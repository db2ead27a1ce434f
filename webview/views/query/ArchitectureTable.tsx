// The Query view's layer table: every layer with its type, shape, channels, parameters, mean channel
// (intra-sample) entropy with its share of the ceiling, inter-sample entropy at the shared epoch, and
// a checkbox that puts it in the draft slice.
import type { JSX } from 'preact';
import { queries } from '../../../src/contract/plan';
import type { Draft } from '../../slice';
import { shown, useApp, useQuery } from '../../state';
import { LayerName } from '../../ui';
import { CeilingMark, InterSampleValue } from './CeilingMark';
import { formatBitsOfCeiling, formatShape, intraSampleCeiling } from '../../../src/contract/format';
import { unitsPerChannelOf } from '../../../src/analysis/layout';

export function ArchitectureTable(props: { draft: Draft; setDraft: (d: Draft) => void }): JSX.Element {
  const { manifest, ui, update } = useApp();
  const { draft, setDraft } = props;
  const toggle = (layer: number) => {
    const layers = draft.layers.includes(layer) ? draft.layers.filter((l) => l !== layer) : [...draft.layers, layer].sort((a, b) => a - b);
    setDraft({ ...draft, layers });
  };
  const totalParams = manifest.layers.reduce((s, l) => s + l.parameters, 0);
  return (
    <table class="data architecture" aria-label="Layers of the model">
      <thead>
        <tr>
          <th>Layer</th>
          <th>Type</th>
          <th>Output shape</th>
          <th>Channels</th>
          <th>Parameters</th>
          <th title="Mean of the channels' intra-sample entropies, and its share of the ceiling: a channel of n values has at most log2 n bits (and at most log2 of the bins), so a smaller map's lower entropy is not lost information">
            Channel H (epoch {ui.epoch})
          </th>
          <th>Inter-sample H (epoch {ui.epoch})</th>
          <th>In slice</th>
        </tr>
      </thead>
      <tbody>
        {manifest.layers.map((l) => (
          <tr
            key={l.index}
            class={ui.focus.layer === l.index ? 'focused-row' : ''}
            data-layer={l.index}
            onClick={(e) => (e.target as HTMLElement).tagName === 'TD' && update({ focus: { layer: l.index, channel: null } })}
          >
            <td>
              <span class="muted">{l.index} </span>
              <LayerName layer={l.index} />
            </td>
            <td>{l.className}</td>
            <td>{formatShape(l.outputShape, l.dataFormat)}</td>
            <td>{l.channels}</td>
            <td>{l.parameters.toLocaleString('en-US')}</td>
            <td data-testid="channel-entropy-cell">{l.index > 0 && <ChannelEntropyCell layer={l.index} />}</td>
            <td>
              <InterSampleCell layer={l.index} />
            </td>
            <td>
              {l.index > 0 && (
                <input
                  type="checkbox"
                  checked={draft.layers.includes(l.index)}
                  aria-label={`Include ${l.name} in the slice`}
                  data-testid="layer-checkbox"
                  onChange={() => toggle(l.index)}
                />
              )}
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <td colSpan={4} class="muted">
            {manifest.layers.length} layers · input {formatShape(manifest.dataset.inputShape)} · {manifest.dataset.classNames.length}{' '}
            classes
          </td>
          <td>{totalParams.toLocaleString('en-US')}</td>
          <td colSpan={3} />
        </tr>
      </tfoot>
    </table>
  );
}

/** A layer's mean channel entropy at the shared epoch with its share of the ceiling ("2.92 bits · 73% of 4.0"). */
function ChannelEntropyCell(props: { layer: number }): JSX.Element {
  const { ui, manifest } = useApp();
  const layer = manifest.layers[props.layer];
  const ceiling = intraSampleCeiling(unitsPerChannelOf(layer.outputShape, layer.dataFormat), manifest.settings.bins);
  const r = useQuery(ceiling > 0 ? queries.channelEntropies(props.layer, ui.epoch, { kind: 'all' }) : null, 'query');
  if (!(ceiling > 0)) return <span class="muted">{formatBitsOfCeiling(0, ceiling)}</span>;
  const a = shown(r);
  if (r.status === 'error')
    return (
      <span class="warning" title={r.error.message}>
        —
      </span>
    );
  if (!a || a.layer !== props.layer || a.epoch !== ui.epoch) return <>…</>;
  const finite = a.all.filter((v): v is number => v !== null && Number.isFinite(v));
  return <>{finite.length ? formatBitsOfCeiling(finite.reduce((x, y) => x + y, 0) / finite.length, ceiling) : 'undefined'}</>;
}

function InterSampleCell(props: { layer: number }): JSX.Element {
  const { ui } = useApp();
  const r = useQuery(queries.interSample(props.layer, ui.epoch, { kind: 'all' }), 'query');
  const a = shown(r);
  if (r.status === 'error')
    return (
      <span class="warning" title={r.error.message}>
        —
      </span>
    );
  return (
    <span title={a ? `${a.inputCount} inputs, k = ${a.K}` : undefined}>
      {a ? <InterSampleValue bits={a.bits} reason={a.reason} /> : '…'}
      {a && <CeilingMark bits={a.bits} inputs={a.inputCount} />}
    </span>
  );
}

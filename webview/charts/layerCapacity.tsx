// Layer-level capacity between any two layers (paper 5.3: each whole layer output taken as one
// channel): the pair the heatmap shows, every pair of consecutive layers, and pairs the user adds,
// as one bar chart so the information kept from layer to layer can be read down the network. Each
// pair is its own slice query; a pair a report did not precompute says so in its row.
import type { JSX } from 'preact';
import { shortLayerName } from '../layerLabel';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { scaleLinear } from 'd3-scale';
import type { LayerCapacityAnswer } from '../../src/service/queries';
import type { InputSubset } from '../../src/analysis/subsets';
import { queries } from '../plan';
import { QueryResult, useApp, useQuery } from '../state';
import { Card, fmtBits, QueryStatus, useTooltip } from '../ui';

export interface PairSpec {
  i: number;
  j: number;
  kind: 'current' | 'consecutive' | 'custom';
}

const pairKey = (p: { i: number; j: number }) => `${p.i}-${p.j}`;

/** Runs one pair's query and hands the result to the chart, which draws all pairs together. */
function PairQuery(props: {
  pair: PairSpec;
  epoch: number;
  subset: InputSubset;
  onResult: (key: string, r: QueryResult<LayerCapacityAnswer>) => void;
}): null {
  const result = useQuery(queries.layerCapacity(props.pair.i, props.pair.j, props.epoch, props.subset), 'layer');
  const { onResult } = props;
  const key = pairKey(props.pair);
  useEffect(() => onResult(key, result), [key, result, onResult]);
  return null;
}

export function LayerCapacityCard(props: {
  pairs: PairSpec[];
  epoch: number;
  subset: InputSubset;
  onShow(i: number, j: number): void;
  onAdd(i: number, j: number): void;
  onRemove(i: number, j: number): void;
}): JSX.Element {
  const { manifest } = useApp();
  const tooltip = useTooltip();
  const [results, setResults] = useState<Record<string, QueryResult<LayerCapacityAnswer>>>({});
  const onResult = useCallback(
    (key: string, r: QueryResult<LayerCapacityAnswer>) => setResults((old) => (old[key] === r ? old : { ...old, [key]: r })),
    [],
  );
  // Short labels (pool1): tfjs's generated names overflow a half-width panel.
  const name = (l: number) => (manifest.layers[l] ? shortLayerName(manifest.layers[l], manifest.layers) : `layer ${l}`);
  const layers = manifest.layers.filter((l) => l.index > 0);
  const [addI, setAddI] = useState(layers[0]?.index ?? 1);
  const [addJ, setAddJ] = useState(layers[layers.length - 1]?.index ?? 1);

  const rows = props.pairs.map((p) => {
    const r = results[pairKey(p)];
    // A result of another epoch or subset may still sit in the map for a moment; the previous
    // answer is shown while the new one loads, like every other chart.
    const answer = r?.status === 'ready' ? r.answer : r?.status === 'loading' ? r.previous : undefined;
    return { pair: p, result: r, answer };
  });
  const maxBits = Math.max(1e-9, ...rows.map((r) => r.answer?.bits ?? 0));
  const barWidth = 200;
  const x = useMemo(() => scaleLinear().domain([0, maxBits]).range([0, barWidth]), [maxBits]);
  const labelWidth = 190;
  const rowH = 24;
  const width = labelWidth + barWidth + 150;
  const height = rows.length * rowH + 4;
  const notInReport = rows.find((r) => r.result?.status === 'error' && r.result.error.code === 'not-in-report');
  const current = rows.find((r) => r.pair.kind === 'current');

  const statusText = (r: (typeof rows)[number]): string => {
    if (r.result?.status === 'error')
      return r.result.error.code === 'not-in-report' ? 'not in this report' : `error: ${r.result.error.code}`;
    if (!r.answer) return 'computing…';
    return fmtBits(r.answer.bits) + (r.result?.status === 'loading' ? ' …' : '');
  };

  const table = () => ({
    columns: ['layer I', 'layer I name', 'layer J', 'layer J name', 'epoch', 'bits', 'status'],
    rows: rows.map((r) => [
      r.pair.i,
      name(r.pair.i),
      r.pair.j,
      name(r.pair.j),
      props.epoch,
      r.answer?.bits ?? null,
      r.result?.status === 'error' ? r.result.error.message : r.answer ? (r.answer.bits === null ? 'undefined' : 'ok') : 'computing',
    ]),
  });

  return (
    <Card
      class="layer-capacity-card"
      title="Layer-level capacity"
      label="Layer-level capacity between pairs of layers"
      export={{ name: `layer-capacity-epoch-${props.epoch}`, table }}
    >
      {props.pairs.map((p) => (
        <PairQuery key={pairKey(p)} pair={p} epoch={props.epoch} subset={props.subset} onResult={onResult} />
      ))}
      <p class="muted lc-note">
        Capacity between two whole layer outputs at epoch {props.epoch}. Activate a row to show its channel heatmap.
      </p>
      <svg
        class="chart"
        width={width}
        height={height}
        role="list"
        aria-label={`Layer-level capacity at epoch ${props.epoch} for ${rows.length} layer pairs`}
      >
        {rows.map((r, k) => {
          const { i, j } = r.pair;
          const y = k * rowH + 2;
          const bits = r.answer?.bits;
          const label = `${name(i)} → ${name(j)}${r.pair.kind === 'current' ? ' (shown)' : ''}`;
          const summary = `${name(i)} → ${name(j)}: ${statusText(r)}`;
          return (
            <g key={pairKey(r.pair)} role="listitem" data-pair={pairKey(r.pair)} data-bits={bits ?? ''}>
              <g
                class="lc-row"
                role="button"
                tabIndex={0}
                aria-label={`${summary}. Show this pair's channel heatmap.`}
                onClick={() => props.onShow(i, j)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    props.onShow(i, j);
                  }
                }}
                onMouseMove={(e) =>
                  tooltip.show(
                    e.clientX,
                    e.clientY,
                    <div>
                      <div style={{ fontWeight: 600 }}>{summary}</div>
                      {r.answer && (
                        <div class="muted">
                          epoch {r.answer.epoch} · {r.answer.inputCount} inputs · {r.answer.bins} bins
                        </div>
                      )}
                      {r.result?.status === 'error' && <div class="muted">{r.result.error.message}</div>}
                    </div>,
                  )
                }
                onMouseLeave={() => tooltip.hide()}
              >
                <rect x={0} y={y} width={width - 24} height={rowH - 2} class={r.pair.kind === 'current' ? 'lc-bg current' : 'lc-bg'} />
                <text x={6} y={y + rowH / 2 + 3} font-weight={r.pair.kind === 'current' ? 700 : 400}>
                  {label}
                </text>
                {bits !== undefined && bits !== null && (
                  <rect class="lc-bar" x={labelWidth} y={y + 5} width={Math.max(1, x(bits))} height={rowH - 12} />
                )}
                {bits === null && <rect class="undefined-marker" x={labelWidth} y={y + 5} width={4} height={rowH - 12} />}
                <text
                  x={labelWidth + (bits !== undefined && bits !== null ? x(bits) : 6) + 6}
                  y={y + rowH / 2 + 3}
                  class={r.result?.status === 'error' ? 'lc-status' : ''}
                >
                  {statusText(r)}
                </text>
              </g>
              {r.pair.kind === 'custom' && (
                <g
                  class="lc-remove"
                  role="button"
                  tabIndex={0}
                  aria-label={`Remove ${name(i)} → ${name(j)} from the comparison`}
                  onClick={() => props.onRemove(i, j)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' || e.key === ' ') {
                      e.preventDefault();
                      props.onRemove(i, j);
                    }
                  }}
                >
                  <rect x={width - 20} y={y} width={18} height={rowH - 2} class="lc-bg" />
                  <text x={width - 15} y={y + rowH / 2 + 4}>
                    ✕
                  </text>
                </g>
              )}
            </g>
          );
        })}
      </svg>
      {current?.result && current.result.status !== 'ready' && current.result.status !== 'idle' && (
        <QueryStatus result={current.result} what={`the layer-level capacity ${name(current.pair.i)} → ${name(current.pair.j)}`} />
      )}
      {rows
        .filter((r) => r.pair.kind !== 'current' && r.result?.status === 'error' && r.result.error.code !== 'not-in-report')
        .map((r) => (
          <QueryStatus key={pairKey(r.pair)} result={r.result} what={`${name(r.pair.i)} → ${name(r.pair.j)}`} />
        ))}
      {notInReport && notInReport !== current && notInReport.result?.status === 'error' && (
        <p class="muted lc-note">“Not in this report”: {notInReport.result.error.message}</p>
      )}
      <div class="lc-add" role="group" aria-label="Add a layer pair to compare">
        <label>
          Compare{' '}
          <select
            aria-label="First layer of the pair to compare"
            value={addI}
            onChange={(e) => setAddI(Number((e.target as HTMLSelectElement).value))}
          >
            {layers.map((l) => (
              <option key={l.index} value={l.index} title={l.name}>
                {shortLayerName(l, manifest.layers)}
              </option>
            ))}
          </select>
        </label>
        <span aria-hidden="true">→</span>
        <select
          aria-label="Second layer of the pair to compare"
          value={addJ}
          onChange={(e) => setAddJ(Number((e.target as HTMLSelectElement).value))}
        >
          {layers.map((l) => (
            <option key={l.index} value={l.index} title={l.name}>
              {shortLayerName(l, manifest.layers)}
            </option>
          ))}
        </select>
        <button
          type="button"
          class="toggle"
          onClick={() => props.onAdd(addI, addJ)}
          disabled={props.pairs.some((p) => p.i === addI && p.j === addJ)}
        >
          Add pair
        </button>
      </div>
    </Card>
  );
}

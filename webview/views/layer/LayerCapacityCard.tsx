// Layer-level capacity between any two layers (paper 5.3: each whole layer output taken as one
// channel): the pair the heatmap shows, every pair of consecutive layers, and pairs the user adds,
// as one bar chart so the information kept from layer to layer can be read down the network. Each
// pair is its own slice query. A report lists the pairs it holds (consecutive multi-channel layers
// and its --pairs) and names the consecutive pairs it leaves out in one line.
import type { JSX } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { LayerCapacityAnswer } from '../../../src/contract/queries';
import type { InputSubset } from '../../../src/analysis/subsets';
import { LayerCapacityBars, pairKey } from '../../charts/layerCapacity';
import type { PairSpec } from '../../charts/layerCapacity';
import { shortLayerName } from '../../../src/contract/layerLabel';
import type { DataSource } from '../../data';
import { queries } from '../../../src/contract/plan';
import { QueryResult, useApp, useQuery } from '../../state';
import { Card, QueryStatus } from '../../ui';
import { formatBits } from '../../../src/contract/format';
import { capacityEstimateNote } from '../../../src/contract/plan';

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
  onShow: (i: number, j: number) => void;
  onAdd: (i: number, j: number) => void;
  onRemove: (i: number, j: number) => void;
}): JSX.Element {
  const { manifest, data } = useApp();
  const pairsKey = JSON.stringify(props.pairs);
  const { pairs, leftOut } = useMemo(() => reportPairs(props.pairs, data), [pairsKey, data]);
  const [results, setResults] = useState<Record<string, QueryResult<LayerCapacityAnswer>>>({});
  const onResult = useCallback(
    (key: string, r: QueryResult<LayerCapacityAnswer>) => setResults((old) => (old[key] === r ? old : { ...old, [key]: r })),
    [],
  );
  // Short labels (pool1): tfjs's generated names overflow a half-width panel.
  const name = (l: number) => (manifest.layers[l] ? shortLayerName(manifest.layers[l], manifest.layers) : `layer ${l}`);

  const rows = pairs.map((p) => {
    const r = results[pairKey(p)];
    // A result of another epoch or subset may still sit in the map for a moment; the previous
    // answer is shown while the new one loads, like every other chart.
    const answer = r?.status === 'ready' ? r.answer : r?.status === 'loading' ? r.previous : undefined;
    return { pair: p, result: r, answer };
  });
  // A subset the report does not hold is said once, by the view (ReportSubsetNote).
  const notInReport = rows.find(
    (r) => r.result?.status === 'error' && r.result.error.code === 'not-in-report' && !r.result.error.missingSubset,
  );
  const current = rows.find((r) => r.pair.kind === 'current');

  const statusText = (r: (typeof rows)[number]): string => {
    if (r.result?.status === 'error')
      return r.result.error.code === 'not-in-report' ? 'not in this report' : `error: ${r.result.error.code}`;
    if (!r.answer) return 'computing…';
    return formatBits(r.answer.bits) + (estimateOf(r) ? ' (estimate)' : '') + (r.result?.status === 'loading' ? ' …' : '');
  };
  // A report's stand-in (from a sample of the probe inputs) is named so on its row, and said once below.
  const estimateOf = (r: (typeof rows)[number]) =>
    r.answer ? capacityEstimateNote(r.answer.inputCount, manifest, props.subset) : undefined;
  const estimate = rows.map(estimateOf).find((note) => note !== undefined);

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
      {pairs.map((p) => (
        <PairQuery key={pairKey(p)} pair={p} epoch={props.epoch} subset={props.subset} onResult={onResult} />
      ))}
      <p class="muted lc-note">
        Capacity between two whole layer outputs at epoch {props.epoch}. Activate a row to show its channel heatmap.
      </p>
      <LayerCapacityBars
        rows={rows.map((r) => ({
          pair: r.pair,
          answer: r.answer,
          status: statusText(r),
          error: r.result?.status === 'error' ? r.result.error.message : undefined,
        }))}
        epoch={props.epoch}
        name={name}
        onShow={props.onShow}
        onRemove={props.onRemove}
      />
      {current?.result && current.result.status !== 'ready' && current.result.status !== 'idle' && (
        <QueryStatus result={current.result} what={`the layer-level capacity ${name(current.pair.i)} → ${name(current.pair.j)}`} />
      )}
      {rows
        .filter((r) => r.pair.kind !== 'current' && r.result?.status === 'error' && r.result.error.code !== 'not-in-report')
        .map((r) => (
          <QueryStatus key={pairKey(r.pair)} result={r.result} what={`${name(r.pair.i)} → ${name(r.pair.j)}`} />
        ))}
      {estimate && (
        <p class="importance-unverified lc-note" data-testid="layer-capacity-estimate" role="note">
          Rows marked (estimate): {estimate}
        </p>
      )}
      {notInReport && notInReport !== current && notInReport.result?.status === 'error' && (
        <p class="muted lc-note">“Not in this report”: {notInReport.result.error.message}</p>
      )}
      {leftOut.length > 0 && (
        <p class="muted lc-note" data-testid="lc-left-out">
          Not in this report: {leftOut.map((p) => `${name(p.i)} → ${name(p.j)}`).join(', ')} (a report holds the pairs of layers with
          several channels and its --pairs; open the run in VS Code for any pair).
        </p>
      )}
      <AddPair pairs={pairs} onAdd={props.onAdd} />
    </Card>
  );
}

/**
 * The pairs the card lists: in VS Code all of `pairs`; in a report the pairs it holds (the shown
 * pair, its consecutive pairs, then any other pair it holds, such as its --pairs, and those the user
 * added), and the consecutive pairs it does not hold, to be named in one line.
 */
export function reportPairs(pairs: PairSpec[], data: DataSource): { pairs: PairSpec[]; leftOut: PairSpec[] } {
  if (data.mode !== 'report' || !data.heldQueries) return { pairs, leftOut: [] };
  const held = data.heldQueries('layerCapacity').map((q) => ({ i: q.layerI, j: q.layerJ }));
  const heldKeys = new Set(held.map(pairKey));
  const shown = pairs.filter((p) => p.kind !== 'custom' && (p.kind !== 'consecutive' || heldKeys.has(pairKey(p))));
  const leftOut = pairs.filter((p) => p.kind === 'consecutive' && !heldKeys.has(pairKey(p)));
  const known = new Set(pairs.map(pairKey));
  for (const p of held.sort((a, b) => a.i - b.i || a.j - b.j)) {
    if (known.has(pairKey(p))) continue;
    known.add(pairKey(p));
    shown.push({ ...p, kind: 'consecutive' });
  }
  shown.push(...pairs.filter((p) => p.kind === 'custom'));
  return { pairs: shown, leftOut };
}

/** Two layer pickers and a button that adds their pair to the chart. */
function AddPair(props: { pairs: PairSpec[]; onAdd: (i: number, j: number) => void }): JSX.Element {
  const { manifest } = useApp();
  const layers = manifest.layers.filter((l) => l.index > 0);
  const [addI, setAddI] = useState(layers[0]?.index ?? 1);
  const [addJ, setAddJ] = useState(layers[layers.length - 1]?.index ?? 1);
  return (
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
  );
}

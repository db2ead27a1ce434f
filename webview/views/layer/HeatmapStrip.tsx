// A strip of capacity heatmaps whose cells are slice queries (through src/contract/plan.ts, so a report
// precomputes them); the drawing is charts/heatmapStrip.tsx, which needs every answer for its one
// colour domain.
import type { JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { CapacityMatrixAnswer, QueryOf } from '../../../src/contract/queries';
import { HeatmapStrip as StripChart } from '../../charts/heatmapStrip';
import type { Orders, StripCell, StripCellStatus } from '../../charts/heatmapStrip';
import { QueryResult, useApp, useQuery } from '../../state';
import { capacityEstimateNote } from '../../../src/contract/plan';

export interface StripCellSpec {
  /** Unique within the strip, e.g. "epoch-4" or "pair-1-3". */
  key: string;
  query: QueryOf<'capacityMatrix'>;
  /** What the cell is: "epoch 4", or the pair's names. */
  label: string;
}

/** Runs one cell's query and hands the result to the strip. */
function CellQuery(props: { spec: StripCellSpec; onResult: (key: string, r: QueryResult<CapacityMatrixAnswer>) => void }): null {
  const result = useQuery(props.spec.query, 'layer');
  const { onResult } = props;
  const key = props.spec.key;
  useEffect(() => onResult(key, result), [key, result, onResult]);
  return null;
}

function statusOf(r: QueryResult<CapacityMatrixAnswer> | undefined): StripCellStatus {
  if (r?.status === 'error')
    return r.error.code === 'not-in-report'
      ? { kind: 'not-in-report', message: r.error.message }
      : { kind: 'error', message: r.error.message };
  if (r?.status === 'loading') return { kind: 'loading', fraction: r.progress?.fraction };
  return r?.status === 'ready' ? { kind: 'ready' } : { kind: 'loading' };
}

export function HeatmapStrip(props: {
  cells: StripCellSpec[];
  orderOf?: (a: CapacityMatrixAnswer) => Orders;
  activeKey?: string;
  onOpen: (key: string) => void;
  testId: string;
  /** How a strip cell names itself to a screen reader, e.g. "epoch 4 of conv1 × conv2". */
  describe: (spec: StripCellSpec) => string;
  /** What the strip's colour scale is shared by, said beside its legend. */
  scaleNote: string;
}): JSX.Element {
  const [results, setResults] = useState<Record<string, QueryResult<CapacityMatrixAnswer>>>({});
  const onResult = useCallback(
    (key: string, r: QueryResult<CapacityMatrixAnswer>) => setResults((old) => (old[key] === r ? old : { ...old, [key]: r })),
    [],
  );
  const { manifest } = useApp();
  // The answers of this strip's current cells only (a result of a previous cell set may linger).
  let estimate: string | undefined;
  const cells: StripCell[] = props.cells.map((c) => {
    const r = results[c.key];
    const a = r?.status === 'ready' ? r.answer : undefined;
    const same = a && a.layerI === c.query.layerI && a.layerJ === c.query.layerJ && a.epoch === c.query.epoch;
    // A report's stand-in (an estimate from fewer inputs) is named so on its cell, and said once below.
    const note = same ? capacityEstimateNote(a.inputCount, manifest, c.query.x ?? { kind: 'all' }) : undefined;
    estimate ??= note;
    const label = note ? `${c.label} (estimate)` : c.label;
    const description = note ? `${props.describe(c)}, an estimate` : props.describe(c);
    return { key: c.key, label, description, answer: same ? a : undefined, status: statusOf(r) };
  });
  return (
    <>
      {props.cells.map((c) => (
        <CellQuery key={c.key} spec={c} onResult={onResult} />
      ))}
      <StripChart
        cells={cells}
        orderOf={props.orderOf}
        activeKey={props.activeKey}
        onOpen={props.onOpen}
        testId={props.testId}
        scaleNote={props.scaleNote}
      />
      {estimate && (
        <p class="importance-unverified heatmap-estimate" data-testid={`${props.testId}-estimate`} role="note">
          Cells marked (estimate): {estimate}
        </p>
      )}
    </>
  );
}

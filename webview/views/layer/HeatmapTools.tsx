// The heatmap card's controls: the sort buttons with the sort's reference epoch, and the colour scale.
import type { JSX } from 'preact';
import type { HeatmapSort, ScaleMode, SortKey } from '../../charts/capacityMatrix';
import { Toggle } from '../../charts/primitives';

const SORT_BUTTONS: { label: string; axis: 'rows' | 'columns'; key: SortKey }[] = [
  { label: 'rows by max', axis: 'rows', key: 'max' },
  { label: 'rows by mean', axis: 'rows', key: 'mean' },
  { label: 'columns by max', axis: 'columns', key: 'max' },
  { label: 'columns by mean', axis: 'columns', key: 'mean' },
];

export function SortTools(props: {
  sort: HeatmapSort;
  setSort: (s: HeatmapSort) => void;
  epochs: number[];
  sortEpoch: number;
  sortEpochPicked: boolean;
  setSortEpoch: (e: number | null) => void;
}): JSX.Element {
  const { sort, epochs } = props;
  return (
    <div class="sort-tools" role="group" aria-label="Sort the heatmap">
      <span class="muted">Sort:</span>
      {SORT_BUTTONS.map((b) => (
        <Toggle
          key={b.label}
          pressed={sort[b.axis] === b.key}
          title={`${b.axis === 'rows' ? 'Rows' : 'Columns'} sorted by their ${b.key} capacity, descending (click again for channel order)`}
          onClick={() => props.setSort({ ...sort, [b.axis]: sort[b.axis] === b.key ? 'original' : b.key })}
        >
          {b.label}
        </Toggle>
      ))}
      <Toggle
        pressed={sort.rows === 'original' && sort.columns === 'original'}
        onClick={() => props.setSort({ rows: 'original', columns: 'original' })}
      >
        original order
      </Toggle>
      <label title="Rows and columns keep the order of this epoch's values while you scrub or play through the epochs">
        by epoch{' '}
        <select
          aria-label="Sort reference epoch"
          value={props.sortEpochPicked ? String(props.sortEpoch) : 'last'}
          onChange={(e) => {
            const v = (e.target as HTMLSelectElement).value;
            props.setSortEpoch(v === 'last' ? null : Number(v));
          }}
        >
          <option value="last">last ({epochs[epochs.length - 1]})</option>
          {epochs.map((e) => (
            <option key={e} value={String(e)}>
              {e}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

export function ScaleTools(props: { mode: ScaleMode; setMode(m: ScaleMode): void }): JSX.Element {
  return (
    <div class="sort-tools" role="group" aria-label="Colour scale of the heatmap">
      <label title="Shared across epochs: one colour per value over every epoch of this pair known so far, so brightness compares across epochs. Shared across pairs: one colour per value over every epoch of every pair the view compares (the consecutive pairs and the depth strip's), so brightness compares with depth too. This matrix: the colours span this matrix's own range.">
        scale{' '}
        <select
          aria-label="Colour scale"
          value={props.mode}
          onChange={(e) => props.setMode((e.target as HTMLSelectElement).value as ScaleMode)}
        >
          <option value="shared">shared across epochs</option>
          <option value="pairs">shared across pairs</option>
          <option value="matrix">this matrix</option>
        </select>
      </label>
    </div>
  );
}

// Marked channel groups of the capacity heatmap (paper Fig. 8B): the mean capacity of the marked
// block against the other shown cells, and the readout that says it.
import type { JSX } from 'preact';
import type { CapacityMatrixAnswer } from '../../../src/contract/queries';
import { MARK_COLOUR } from '../../charts/capacityHeatmapCanvas';
import { formatBits } from '../../../src/contract/format';

/** Mean capacity of the marked block (marked rows × marked columns; an axis with no mark counts whole) against the other shown cells. */
export interface MarkComparison {
  markedMeanBits: number | null;
  markedCells: number;
  restMeanBits: number | null;
  restCells: number;
}

export function compareMarked(
  a: CapacityMatrixAnswer,
  rowOrder: readonly number[],
  columnOrder: readonly number[],
  markedRows: readonly number[],
  markedColumns: readonly number[],
): MarkComparison {
  const rows = new Set(markedRows);
  const columns = new Set(markedColumns);
  let markedSum = 0;
  let markedCells = 0;
  let restSum = 0;
  let restCells = 0;
  for (const r of rowOrder)
    for (const c of columnOrder) {
      const v = a.values[r * a.columns + c];
      // Undefined cells have no value to average; they count in neither mean.
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      if ((rows.size === 0 || rows.has(r)) && (columns.size === 0 || columns.has(c))) {
        markedSum += v;
        markedCells++;
      } else {
        restSum += v;
        restCells++;
      }
    }
  return {
    markedMeanBits: markedCells ? markedSum / markedCells : null,
    markedCells,
    restMeanBits: restCells ? restSum / restCells : null,
    restCells,
  };
}

/** Channel indices as a short list: the first eight, then how many there are. */
export const channelList = (channels: readonly number[]): string =>
  channels.length <= 8 ? channels.join(', ') : `${channels.slice(0, 8).join(', ')}, … (${channels.length})`;

/** The marked group against the rest (Fig. 8B): mean capacity of each in bits, and a button to clear the marks. */
export function MarksReadout(props: {
  marks: { rows: number[]; columns: number[] };
  comparison: MarkComparison | undefined;
  nameI: string;
  nameJ: string;
  epoch: number;
  clear: () => void;
}): JSX.Element {
  const { marks, comparison: cmp } = props;
  if (!cmp)
    return (
      <p class="muted" data-testid="marks-readout" data-marked="false">
        Mark a group of channels to compare it with the rest: click a channel's label above or beside the cells, or drag along the labels to
        mark several.
      </p>
    );
  const group = [
    marks.columns.length ? `${props.nameI} columns ${channelList(marks.columns)}` : `all ${props.nameI} columns`,
    marks.rows.length ? `${props.nameJ} rows ${channelList(marks.rows)}` : `all ${props.nameJ} rows`,
  ].join(' × ');
  const diff = cmp.markedMeanBits !== null && cmp.restMeanBits !== null ? cmp.markedMeanBits - cmp.restMeanBits : null;
  return (
    <div
      class="legend"
      data-testid="marks-readout"
      data-marked="true"
      data-marked-mean={cmp.markedMeanBits ?? ''}
      data-marked-cells={cmp.markedCells}
      data-rest-mean={cmp.restMeanBits ?? ''}
      data-rest-cells={cmp.restCells}
    >
      <span aria-hidden="true" style={{ display: 'inline-block', width: '14px', height: '10px', border: `2px solid ${MARK_COLOUR}` }} />
      <span>
        Marked ({group}), epoch {props.epoch}: mean <strong>{formatBits(cmp.markedMeanBits)}</strong> over {cmp.markedCells} cells; the
        rest: mean <strong>{formatBits(cmp.restMeanBits)}</strong> over {cmp.restCells} cells
        {diff !== null ? ` (marked ${diff >= 0 ? '+' : '−'}${formatBits(Math.abs(diff))})` : ''}. Undefined cells count in neither.
      </span>
      <button type="button" onClick={props.clear}>
        Clear marks
      </button>
    </div>
  );
}

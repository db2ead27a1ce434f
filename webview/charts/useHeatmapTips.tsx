// What the capacity heatmap says about the cell or channel label under the pointer or the keyboard
// cursor: the tooltip's content and the sentence the live region announces.
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import { useTooltip } from './primitives';
import type { MarkAxis } from './capacityHeatmapCanvas';
import { formatBits } from '../../src/contract/format';

/** A cell in words: its two channels and their capacity, then where it sits as displayed. */
export interface CellDescription {
  text: string;
  extra: string;
}

/** The cell at display position (`x`, `y`): column `x` of `columnOrder`, row `y` of `rowOrder`. */
export function describeCell(
  a: CapacityMatrixAnswer,
  rowOrder: number[],
  columnOrder: number[],
  rowName: string,
  columnName: string,
  x: number,
  y: number,
): CellDescription {
  const r = rowOrder[y];
  const c = columnOrder[x];
  const v = a.values[r * a.columns + c];
  return {
    text: `${rowName} #${r} × ${columnName} #${c}: ${formatBits(v ?? null)}`,
    extra: `row ${y + 1} of ${rowOrder.length}, column ${x + 1} of ${columnOrder.length} as displayed · epoch ${a.epoch}`,
  };
}

export interface HeatmapTips {
  describe(x: number, y: number): CellDescription;
  /** Shows the tooltip of the cell at display position (`x`, `y`) at a screen point. */
  showCell(x: number, y: number, clientX: number, clientY: number): void;
  /** Shows the tooltip of a channel label, which says how to mark it. */
  showHeader(axis: MarkAxis, pos: number, clientX: number, clientY: number): void;
  hide(): void;
}

export function useHeatmapTips(p: {
  answer: CapacityMatrixAnswer;
  rowOrder: number[];
  columnOrder: number[];
  rowName: string;
  columnName: string;
}): HeatmapTips {
  const tooltip = useTooltip();
  const describe = (x: number, y: number) => describeCell(p.answer, p.rowOrder, p.columnOrder, p.rowName, p.columnName, x, y);
  return {
    describe,
    showCell: (x, y, clientX, clientY) => {
      const d = describe(x, y);
      tooltip.show(
        clientX,
        clientY,
        <div>
          <div style={{ fontWeight: 600 }}>{d.text}</div>
          <div class="muted">{d.extra}</div>
        </div>,
      );
    },
    showHeader: (axis, pos, clientX, clientY) => {
      const ch = (axis === 'columns' ? p.columnOrder : p.rowOrder)[pos];
      const name = axis === 'columns' ? p.columnName : p.rowName;
      tooltip.show(
        clientX,
        clientY,
        <div>
          <div style={{ fontWeight: 600 }}>
            {name} #{ch}
          </div>
          <div class="muted">Click to mark or unmark this channel; drag along the labels to mark several.</div>
        </div>,
      );
    },
    hide: () => tooltip.hide(),
  };
}

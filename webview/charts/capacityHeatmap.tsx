// The channel-capacity heatmap of the Layer view (paper 5.3.2, Fig. 8): rows = channels of layer J,
// columns = channels of layer I, brighter = smaller capacity. Drawn on one canvas because a pair
// of 512-channel layers is 262,144 cells: the cells go into an ImageData of one pixel per cell,
// scaled up once with nearest-neighbour sampling, so a redraw costs the same at any size. Hover,
// click and the keyboard cursor compute the cell from the position, so they stay exact when a
// cell is a single pixel.
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import { useChartTheme } from './common';
import { undefinedPattern } from './capacityMatrix';
import type { CellRef, MatrixStats } from './capacityMatrix';
import type { MarkAxis } from './capacityHeatmapCanvas';
import { useHeatmapDrawing, useHeatmapGeometry } from './useHeatmapDrawing';
import { useHeatmapKeyboard } from './useHeatmapKeyboard';
import { useHeatmapPointer } from './useHeatmapPointer';
import { useHeatmapTips } from './useHeatmapTips';

/** A small canvas swatch of the undefined-cell pattern, for the legend. */
export function UndefinedSwatch(): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const theme = useChartTheme();
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.fillStyle = undefinedPattern(ctx, theme.background);
    ctx.fillRect(0, 0, c.width, c.height);
  }, [theme]);
  return <canvas ref={ref} width={18} height={12} class="legend-bar" aria-hidden="true" />;
}

export interface CapacityHeatmapProps {
  answer: CapacityMatrixAnswer;
  rowOrder: number[];
  columnOrder: number[];
  /** Layer names: rows = layer J, columns = layer I. */
  rowName: string;
  columnName: string;
  rowTitle: string;
  columnTitle: string;
  stats: MatrixStats;
  /** Top of the colour domain (0 bits is the bottom): this matrix's max, or one shared with other epochs and heatmaps. */
  maxBits: number;
  selected: CellRef | null;
  /** Channels of the linked selection to outline (a row of layer J, a column of layer I). */
  highlightRow: number | null;
  highlightColumn: number | null;
  onSelect: (cell: CellRef) => void;
  /** Largest side of the cell area in CSS pixels. */
  maxPlot: number;
  label: string;
  /** Called once the canvas shows this answer (cells and overlays painted): playback waits for it. */
  onDrawn?: (epoch: number) => void;
  /** Marked channels (Fig. 8B): rows of layer J and columns of layer I, by channel index, so sorting keeps them on their channels. */
  markedRows?: readonly number[];
  markedColumns?: readonly number[];
  /**
   * A click on a channel label toggles that channel's mark (`toggle`); a drag along the label band
   * marks every channel it passed over, in display order.
   */
  onMark?: (axis: MarkAxis, channels: number[], toggle: boolean) => void;
}

export function CapacityHeatmap(props: CapacityHeatmapProps): JSX.Element {
  const { answer: a, rowOrder, columnOrder, maxBits } = props;
  const ref = useRef<HTMLCanvasElement>(null);
  const geometry = useHeatmapGeometry(props);
  const { layout, markedRowPositions, markedColumnPositions } = geometry;
  const tips = useHeatmapTips(props);
  const keys = useHeatmapKeyboard({ ...props, ...geometry, canvas: ref, tips });
  const pointer = useHeatmapPointer({ ...props, canvas: ref, layout, setCursor: keys.setCursor, tips });
  const drawMs = useHeatmapDrawing(ref, { ...props, geometry, cursor: keys.cursor, hasFocus: keys.hasFocus, drag: pointer.drag });

  return (
    <div class="heatmap">
      <canvas
        ref={ref}
        class="chart heatmap-canvas"
        tabIndex={0}
        role="img"
        aria-roledescription="heatmap"
        aria-label={`${props.label} Arrow keys move a cell cursor, Enter shows the feature maps of the cell's two channels.`}
        data-rows={rowOrder.length}
        data-columns={columnOrder.length}
        data-epoch={a.epoch}
        data-scale-max={maxBits}
        data-row-order={rowOrder.join(',')}
        data-column-order={columnOrder.join(',')}
        data-selected={props.selected ? `${props.selected.r},${props.selected.c}` : ''}
        data-highlight-row={props.highlightRow ?? ''}
        data-highlight-column={props.highlightColumn ?? ''}
        data-cell-size={layout.cell}
        data-plot-left={layout.left}
        data-plot-top={layout.top}
        data-draw-ms={drawMs !== null ? drawMs.toFixed(2) : ''}
        data-marked-rows={(props.markedRows ?? []).join(',')}
        data-marked-columns={(props.markedColumns ?? []).join(',')}
        data-marked-row-positions={[...markedRowPositions].sort((x, y) => x - y).join(',')}
        data-marked-column-positions={[...markedColumnPositions].sort((x, y) => x - y).join(',')}
        onMouseDown={pointer.onMouseDown}
        onMouseUp={pointer.onMouseUp}
        onMouseMove={pointer.onMouseMove}
        onMouseLeave={pointer.onMouseLeave}
        onClick={pointer.onClick}
        onFocus={keys.onFocus}
        onBlur={keys.onBlur}
        onKeyDown={keys.onKeyDown}
      />
      <div class="sr-only" aria-live="polite">
        {keys.announce}
      </div>
    </div>
  );
}

// The confusion matrix at the shared epoch (paper 5.2, Fig. 4(A)): rows = true class, columns =
// predicted class, more inputs = further from the background (darker in a light theme, brighter in a dark one). The diagonal (correct predictions) is outlined so the
// eye separates right from wrong before reading colours. Clicking a cell lists its probe inputs.
//
// The matrix is an ARIA grid with a roving tab stop: one Tab reaches it, the arrow keys walk the
// cells, Enter or Space opens one — a hundred classes would otherwise be ten thousand tab stops.
import type { JSX } from 'preact';
import { useRef } from 'preact/hooks';
import { max, sum } from 'd3-array';
import { format } from 'd3-format';
import { interpolateRgb } from 'd3-interpolate';
import type { ConfusionAnswer } from '../../src/contract/queries';
import { classColour, countScale, luminance } from '../colours';
import { useTooltip } from './primitives';
import { useChartTheme } from './common';
import { matrixLayout, useGridCursor } from './matrixGrid';
import type { CellRef, MatrixLayout } from './matrixGrid';

const pct = format('.1f');

export function MatrixGrid(props: {
  answer: ConfusionAnswer;
  highlight: number | null;
  selected: CellRef | null;
  onSelect: (c: CellRef) => void;
  /** The room the matrix has, px: its cells shrink to fit it (down to MIN_CELL; then its box scrolls). */
  maxWidth?: number;
}): JSX.Element {
  const { answer } = props;
  const tooltip = useTooltip();
  const svgRef = useRef<SVGSVGElement>(null);
  const n = answer.classNames.length;
  const names = answer.classNames;
  const biggest = max(answer.matrix, (r) => max(r)) ?? 0;
  // The count scale runs from the theme's background to its emphasis colour (colours.ts), so more
  // inputs stand out in every theme. An empty cell is a tint of the theme's foreground over its
  // background (as plain rgb, so an exported SVG keeps it), with a hairline: 0 reads as "nothing here".
  const theme = useChartTheme();
  const colour = countScale(biggest, theme.background);
  const zeroFill = interpolateRgb(theme.background, theme.foreground)(0.13);
  const zeroStroke = interpolateRgb(theme.background, theme.foreground)(0.3);
  const rowTotals = answer.matrix.map((r) => sum(r));

  const g = matrixLayout(names, props.maxWidth);
  const { cs, left, top, width, height, labelSize } = g;
  const at = (c: CellRef) => ({ x: left + c.p * cs, y: top + c.t * cs });

  const describe = (t: number, p: number) => {
    const c = answer.matrix[t][p];
    const share = rowTotals[t] ? `${pct((100 * c) / rowTotals[t])} % of class ${names[t]}` : `class ${names[t]} has no probe input`;
    return `true ${names[t]} → predicted ${names[p]}: ${c} input${c === 1 ? '' : 's'} (${share})`;
  };
  const tip = (t: number, p: number) => (
    <div>
      <div>{describe(t, p)}</div>
      <div class="muted">{t === p ? 'right prediction' : 'wrong prediction'} · click to list the inputs</div>
    </div>
  );
  const { active, setActive, onKey } = useGridCursor(svgRef, n, props.onSelect, () => tooltip.hide());
  const hl = props.highlight;
  return (
    <svg
      ref={svgRef}
      class="chart confusion-matrix"
      width={width}
      height={height}
      role="grid"
      aria-label={`Confusion matrix at epoch ${answer.epoch}: ${n} true classes (rows) by ${n} predicted classes (columns); arrow keys move between cells, Enter lists a cell's inputs`}
      aria-rowcount={n + 1}
      aria-colcount={n + 1}
      onKeyDown={onKey}
      onMouseLeave={() => tooltip.hide()}
    >
      <text class="axis-title" x={left + (n * cs) / 2} y={12} text-anchor="middle">
        predicted class →
      </text>
      <text class="axis-title" transform={`translate(12,${top + (n * cs) / 2}) rotate(-90)`} text-anchor="middle">
        ← true class
      </text>
      <ColumnHeaders names={names} layout={g} highlight={hl} />
      {answer.matrix.map((row, t) => (
        <g key={t} role="row" aria-rowindex={t + 2}>
          <g role="rowheader" aria-label={`true ${names[t]}`} class={`cm-label${hl === t ? ' highlighted' : ''}`}>
            <text
              x={left - 16}
              y={top + t * cs + cs / 2}
              text-anchor="end"
              dominant-baseline="central"
              style={{ fontSize: `${labelSize}px` }}
            >
              {names[t]}
            </text>
            <rect x={left - 12} y={top + t * cs + cs / 2 - 4} width={8} height={8} rx={1.5} fill={classColour(t, n)} />
          </g>
          {row.map((count, p) => {
            const { x, y } = at({ t, p });
            const isActive = active.t === t && active.p === p;
            const isSelected = props.selected?.t === t && props.selected?.p === p;
            return (
              <rect
                key={p}
                role="gridcell"
                aria-colindex={p + 2}
                aria-label={describe(t, p)}
                aria-selected={isSelected}
                tabIndex={isActive ? 0 : -1}
                class={`cm-cell${t === p ? ' diagonal' : ''}${isSelected ? ' selected' : ''}${count === 0 ? ' zero' : ''}`}
                data-true={t}
                data-pred={p}
                data-count={count}
                x={x + 0.5}
                y={y + 0.5}
                width={cs - 1}
                height={cs - 1}
                fill={count === 0 ? zeroFill : colour(count)}
                stroke={count === 0 && t !== p ? zeroStroke : undefined}
                stroke-width={count === 0 && t !== p ? 0.5 : undefined}
                onMouseMove={(e) => tooltip.show(e.clientX, e.clientY, tip(t, p))}
                onFocus={(e) => {
                  setActive({ t, p });
                  const r = e.currentTarget.getBoundingClientRect();
                  tooltip.show(r.right, r.bottom, tip(t, p));
                }}
                onBlur={() => tooltip.hide()}
                onClick={() => {
                  setActive({ t, p });
                  props.onSelect({ t, p });
                }}
              />
            );
          })}
        </g>
      ))}
      <CountsAndHighlight matrix={answer.matrix} layout={g} colour={colour} highlight={hl} />
    </svg>
  );
}

/** The predicted classes along the top, rotated when their names are long. */
function ColumnHeaders(props: { names: string[]; layout: MatrixLayout; highlight: number | null }): JSX.Element {
  const { names, highlight: hl } = props;
  const { cs, left, top, rotate, labelSize } = props.layout;
  const n = names.length;
  return (
    <g role="row" aria-rowindex={1}>
      {names.map((name, p) => {
        const x = left + p * cs + cs / 2;
        return (
          <g
            key={p}
            role="columnheader"
            aria-colindex={p + 2}
            aria-label={`predicted ${name}`}
            class={`cm-label${hl === p ? ' highlighted' : ''}`}
          >
            <rect x={x - 4} y={top - 12} width={8} height={8} rx={1.5} fill={classColour(p, n)} />
            <text
              x={rotate ? 0 : x}
              y={rotate ? 0 : top - 16}
              transform={rotate ? `translate(${x + labelSize / 3},${top - 16}) rotate(-90)` : undefined}
              text-anchor={rotate ? 'start' : 'middle'}
              style={{ fontSize: `${labelSize}px` }}
            >
              {name}
            </text>
          </g>
        );
      })}
    </g>
  );
}

/** Each non-empty cell's count (when cells are big enough to read), and the highlighted class's row and column. */
function CountsAndHighlight(props: {
  matrix: number[][];
  layout: MatrixLayout;
  colour: (v: number) => string;
  highlight: number | null;
}): JSX.Element {
  const { colour, highlight: hl } = props;
  const { cs, left, top } = props.layout;
  const n = props.matrix.length;
  return (
    <>
      {cs >= 18 && (
        <g class="cm-counts" aria-hidden="true">
          {props.matrix.map((row, t) =>
            row.map((count, p) =>
              count > 0 ? (
                <text
                  key={`${t}-${p}`}
                  x={left + p * cs + cs / 2}
                  y={top + t * cs + cs / 2}
                  text-anchor="middle"
                  dominant-baseline="central"
                  style={{ fill: luminance(colour(count)) > 0.3 ? '#1b1b1b' : '#ffffff', fontSize: `${Math.min(11, cs / 2.6)}px` }}
                >
                  {count}
                </text>
              ) : null,
            ),
          )}
        </g>
      )}
      {hl !== null && hl < n && (
        <g class="cm-highlight" aria-hidden="true">
          <rect x={left} y={top + hl * cs} width={n * cs} height={cs} fill="none" stroke={classColour(hl, n)} stroke-width={2} />
          <rect x={left + hl * cs} y={top} width={cs} height={n * cs} fill="none" stroke={classColour(hl, n)} stroke-width={2} />
        </g>
      )}
    </>
  );
}

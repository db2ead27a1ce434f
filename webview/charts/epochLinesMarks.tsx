// The marks of the epoch line charts: one panel (grid, axes, epoch rules, a line per series and
// the undefined markers) and the tooltip table of one epoch. Each draws what it is given.
import type { ComponentChildren, JSX } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { axisLeft } from 'd3-axis';
import type { Axis } from 'd3-axis';
import type { ScaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { line } from 'd3-shape';
import {
  CROSS,
  epochAxis,
  M,
  MARKER_CLEARANCE,
  MARKER_COLUMNS,
  MARKER_STEP,
  MAX_MARKER_ROWS,
  MAX_TOOLTIP_ROWS,
  undefinedValue,
} from './epochLinesLayout';
import type { LinePanel, LineSeries, PanelLayout } from './epochLinesLayout';

/** Keeps a d3 axis drawn into a <g>; d3-axis owns the ticks, Preact owns everything else. */
function AxisG(props: { axis: Axis<number>; transform: string }): JSX.Element {
  const ref = useRef<SVGGElement>(null);
  useLayoutEffect(() => {
    if (ref.current) select(ref.current).call(props.axis);
  });
  return <g ref={ref} class="axis" transform={props.transform} />;
}

/** Every series' value at epoch index `i`, panel by panel, as the tooltip shows them. */
export function EpochTooltip(props: {
  i: number;
  epochs: number[];
  panels: LinePanel[];
  titled: boolean;
  highlight: string | null;
  undefinedText?: string;
  undefinedNote?: string;
}): JSX.Element {
  const { i } = props;
  // The tooltip lives outside the view's panel, so it is styled here rather than in the stylesheet.
  const cell = { padding: '0 4px', whiteSpace: 'nowrap' };
  return (
    <div>
      <strong>Epoch {props.epochs[i]}</strong>
      {props.panels.map((p) => {
        const rows = p.series.slice(0, MAX_TOOLTIP_ROWS);
        return (
          <div key={p.id}>
            {props.titled && <div class="muted">{p.title}</div>}
            <table style={{ borderCollapse: 'collapse' }}>
              <tbody>
                {rows.map((s) => {
                  const v = s.values[i];
                  const undef = v === null || v === undefined;
                  const missing = s.notRecorded?.[i];
                  return (
                    <tr key={s.key} style={props.highlight === s.key ? { fontWeight: 700 } : undefined}>
                      <td style={cell}>
                        <span class="swatch" style={{ background: s.colour }} />
                        {s.label}
                      </td>
                      <td style={{ ...cell, textAlign: 'right' }} class={undef && !missing ? 'warning' : missing ? 'muted' : undefined}>
                        {missing ?? (undef ? (props.undefinedText ?? 'undefined') : p.format(v))}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {p.series.length > rows.length && <div class="muted">… and {p.series.length - rows.length} more</div>}
            {props.undefinedNote && p.series.some((s) => undefinedValue(s, i)) && (
              <div class="muted">undefined = {props.undefinedNote}</div>
            )}
          </div>
        );
      })}
    </div>
  );
}

export interface PanelMarkProps {
  panel: LinePanel;
  /** The panel's index in the stack. */
  index: number;
  layout: PanelLayout;
  epochs: number[];
  x: ScaleLinear<number, number>;
  width: number;
  blockHeight: number;
  titled: boolean;
  selectedEpoch: number;
  /** The epoch index under the pointer or the keyboard. */
  hover: number | null;
  highlight: string | null;
  onHighlight?: (key: string) => void;
  undefinedNote?: string;
  /** Shows the tooltip of one undefined marker (the marker names its own class). */
  onMarker: (e: MouseEvent, content: ComponentChildren) => void;
}

/** One panel of the stack: its grid and axes, the selected and hovered epochs, its series and undefined markers. */
export function PanelMark(props: PanelMarkProps): JSX.Element {
  const { panel: p, layout, epochs, x, width } = props;
  const { top, base, y } = layout;
  return (
    <g class="panel" data-panel={p.id}>
      {props.titled && (
        <text x={M.left} y={props.index * props.blockHeight + 12} class="panel-title">
          {p.title}
        </text>
      )}
      <g class="grid">
        {y.ticks(5).map((t) => (
          <line key={t} x1={M.left} x2={width - M.right} y1={y(t)} y2={y(t)} />
        ))}
      </g>
      <AxisG axis={epochAxis(x, epochs)} transform={`translate(0,${base})`} />
      <AxisG
        axis={axisLeft<number>(y)
          .ticks(5)
          .tickFormat((v) => (p.tick ? p.tick(v) : y.tickFormat(5)(v)))}
        transform={`translate(${M.left},0)`}
      />
      <text class="axis-title" x={(M.left + width - M.right) / 2} y={base + 30} text-anchor="middle">
        epoch
      </text>
      <text class="axis-title" transform={`translate(12,${(top + M.top + base) / 2}) rotate(-90)`} text-anchor="middle">
        {p.yLabel}
      </text>
      {epochs.includes(props.selectedEpoch) && (
        <line
          class="epoch-rule"
          x1={x(props.selectedEpoch)}
          x2={x(props.selectedEpoch)}
          y1={top + M.top - 4}
          y2={base}
          data-epoch={props.selectedEpoch}
        />
      )}
      {props.hover !== null && (
        <line class="hover-rule" x1={x(epochs[props.hover])} x2={x(epochs[props.hover])} y1={top + M.top - 4} y2={base} />
      )}
      {p.series.map((s) => (
        <SeriesMark key={s.key} series={s} {...props} />
      ))}
      {p.markUndefined && <UndefinedMarks {...props} />}
    </g>
  );
}

const faded = (s: LineSeries, highlight: string | null) => highlight !== null && highlight !== s.key;

/** One series: its line (broken at undefined values), its dots, and a wide invisible line to click. */
function SeriesMark(props: PanelMarkProps & { series: LineSeries }): JSX.Element {
  const { series: s, epochs, x, highlight } = props;
  const y = props.layout.y;
  const path = line<number | null>()
    .defined((v) => v !== null && v !== undefined)
    .x((_, i) => x(epochs[i]))
    .y((v) => y(v as number));
  const d = path(s.values) ?? '';
  const manyEpochs = epochs.length > 30;
  const isolated = (i: number) => (i === 0 || s.values[i - 1] === null) && (i === s.values.length - 1 || s.values[i + 1] === null);
  return (
    <g
      class={`series${faded(s, highlight) ? ' faded' : ''}${highlight === s.key ? ' highlighted' : ''}`}
      data-series={s.key}
      data-class={s.cls}
    >
      <path
        class="line"
        d={d}
        fill="none"
        style={{ stroke: s.colour }}
        stroke-width={highlight === s.key ? 3 : 1.8}
        stroke-dasharray={s.dashed ? '5 3' : undefined}
      />
      {s.values.map((v, i) =>
        v !== null && v !== undefined && (!manyEpochs || isolated(i)) ? (
          <circle key={i} class="dot" cx={x(epochs[i])} cy={y(v)} r={2.6} style={{ fill: s.colour }} />
        ) : null,
      )}
      {props.onHighlight && (
        <path
          class="line-hit"
          d={d}
          fill="none"
          stroke="transparent"
          stroke-width={9}
          onClick={(e) => {
            e.stopPropagation();
            props.onHighlight?.(s.key);
          }}
        />
      )}
    </g>
  );
}

/** A × on the x axis strip at each undefined value; several at one epoch fill a small grid, upwards from the axis. */
function UndefinedMarks(props: PanelMarkProps): JSX.Element {
  const { panel: p, epochs, x, width, layout } = props;
  const undefinedStack = new Map<number, number>();
  return (
    <>
      {p.series.map((s) =>
        s.values.map((v, i) => {
          if (!undefinedValue(s, i)) return null;
          const k = undefinedStack.get(i) ?? 0;
          undefinedStack.set(i, k + 1);
          const columns = Math.min(MARKER_COLUMNS, layout.undefinedAt[i]);
          // The grid is centred on its epoch but kept inside the plot: the first epoch's
          // markers would otherwise sit on the y axis, the last one's past the plot's end.
          const half = ((columns - 1) / 2) * MARKER_STEP;
          const centre = Math.min(Math.max(x(epochs[i]), M.left + MARKER_CLEARANCE + half), width - M.right - MARKER_CLEARANCE - half);
          const cx = centre + ((k % MARKER_COLUMNS) - (columns - 1) / 2) * MARKER_STEP;
          const name = s.cls !== undefined ? `class ${s.label}` : s.label;
          const says = `${name}: undefined at epoch ${epochs[i]}${props.undefinedNote ? ` (${props.undefinedNote})` : ''}`;
          const cy = layout.base - 3 - MARKER_STEP / 2 - Math.min(Math.floor(k / MARKER_COLUMNS), MAX_MARKER_ROWS - 1) * MARKER_STEP;
          return (
            <g
              key={`${s.key}-u${i}`}
              class={`undefined-marker${faded(s, props.highlight) ? ' faded' : ''}`}
              data-class={s.cls}
              data-epoch={epochs[i]}
              data-label={says}
              transform={`translate(${cx},${cy})`}
              onMouseMove={(e) => {
                // The marker names its own class rather than the epoch's whole table.
                e.stopPropagation();
                props.onMarker(
                  e,
                  <div data-testid="marker-tip">
                    <span class="swatch" style={{ background: s.colour }} />
                    <strong>{name}</strong>: undefined at epoch {epochs[i]}
                    {props.undefinedNote && <div class="muted">{props.undefinedNote}</div>}
                  </div>,
                );
              }}
            >
              <title>{says}</title>
              {/* A transparent square a little larger than the ×, so the pointer finds it easily (12 px: markers are 13 px apart). */}
              <rect x={-6} y={-6} width={12} height={12} fill="transparent" stroke="none" />
              <path d={CROSS} stroke-width="4" stroke-linecap="round" />
              <path d={CROSS} style={{ stroke: s.colour }} stroke-width="1.6" stroke-linecap="round" />
            </g>
          );
        }),
      )}
    </>
  );
}

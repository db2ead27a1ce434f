// Line charts over the recorded epochs, shared by the label-entropy charts (paper Fig. 4(B)/(C),
// Fig. 6) and the loss/accuracy chart (Fig. 4(E)). One SVG may stack several panels that share the
// epoch axis, so a card exports them as one picture.
//
// `null` values are undefined (an entropy with no input to measure), never 0: the line breaks there
// (`line().defined`), and panels that ask for it draw a marker on the x axis at each undefined point,
// so a gap cannot be mistaken for missing data or a drawing glitch.
import type { ComponentChildren, JSX } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { axisBottom, axisLeft } from 'd3-axis';
import type { Axis } from 'd3-axis';
import { extent, leastIndex, max } from 'd3-array';
import { format } from 'd3-format';
import { scaleLinear } from 'd3-scale';
import type { ScaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { line } from 'd3-shape';
import { useTooltip } from '../ui';

export interface LineSeries {
  /** Unique within the chart; what `highlight` names. */
  key: string;
  label: string;
  colour: string;
  /** One value per epoch index; `null` = undefined. */
  values: (number | null)[];
  dashed?: boolean;
  /** The class this line belongs to (written as `data-class`). */
  cls?: number;
}

export interface LinePanel {
  id: string;
  /** Shown above the panel when the chart stacks several. */
  title?: string;
  yLabel: string;
  series: LineSeries[];
  /** Defaults to [0, largest value], made nice. */
  yDomain?: [number, number];
  /** Exact value with its unit, for the tooltip. */
  format(v: number): string;
  /** Axis tick labels (default: d3's). */
  tick?(v: number): string;
  /** Draw a marker on the x axis at every undefined value, not only a gap. */
  markUndefined?: boolean;
}

export interface EpochLinesProps {
  epochs: number[];
  panels: LinePanel[];
  /** The shared epoch (`ui.epoch`), drawn as a vertical rule. */
  selectedEpoch: number;
  /** Key of the emphasised series; the others are faded. */
  highlight: string | null;
  onHighlight?(key: string): void;
  /** Clicking the plot (or Enter on a keyboard-chosen epoch) moves the shared epoch. */
  onEpoch?: (epoch: number) => void;
  /** Accessible summary of the whole chart. */
  label: string;
  width?: number;
  panelHeight?: number;
  /** Text for an undefined value in the tooltip, e.g. "undefined". */
  undefinedText?: string;
  /** Why a value is undefined, said once under the tooltip's table when the epoch has one. */
  undefinedNote?: string;
}

const M = { left: 52, right: 14, top: 8, bottom: 34, title: 16 };
const MAX_TOOLTIP_ROWS = 24;
const MARKER_STEP = 13;
const MARKER_COLUMNS = 3;
const MAX_MARKER_ROWS = 4;
/** Space in px between the y axis (or the plot's right end) and the centre of the nearest undefined marker. */
const MARKER_CLEARANCE = 9;
const fmtEpoch = format('d');

/** Keeps a d3 axis drawn into a <g>; d3-axis owns the ticks, Preact owns everything else. */
function AxisG(props: { axis: Axis<number>; transform: string }): JSX.Element {
  const ref = useRef<SVGGElement>(null);
  useLayoutEffect(() => {
    if (ref.current) select(ref.current).call(props.axis);
  });
  return <g ref={ref} class="axis" transform={props.transform} />;
}

function epochAxis(x: ScaleLinear<number, number>, epochs: number[]): Axis<number> {
  // Epochs are integers: never label 0.5.
  const ticks = epochs.length <= 12 ? epochs : x.ticks(8).filter((t) => Number.isInteger(t));
  return axisBottom<number>(x)
    .tickValues(ticks)
    .tickFormat((d) => fmtEpoch(d));
}

export function epochScale(epochs: number[], width: number): ScaleLinear<number, number> {
  const [lo, hi] = extent(epochs);
  const a = lo ?? 0;
  const b = hi ?? 0;
  // A single recorded epoch still gets an axis with the point in the middle.
  return scaleLinear()
    .domain(a === b ? [a - 1, b + 1] : [a, b])
    .range([M.left, width - M.right]);
}

/** Path of the undefined-value marker, centred on (0, 0): a small ×. */
const CROSS = 'M-3.5,-3.5L3.5,3.5M-3.5,3.5L3.5,-3.5';

/** The undefined-value glyph, for legends and notes next to the chart. */
export function UndefinedGlyph(props: { colour?: string }): JSX.Element {
  return (
    <svg width="12" height="12" viewBox="-6 -6 12 12" aria-hidden="true" class="undefined-glyph">
      <g class="undefined-marker">
        <path d={CROSS} stroke-width="4" stroke-linecap="round" />
        <path d={CROSS} style={{ stroke: props.colour ?? 'var(--vscode-foreground)' }} stroke-width="1.6" stroke-linecap="round" />
      </g>
    </svg>
  );
}

export function EpochLines(props: EpochLinesProps): JSX.Element {
  const { epochs, panels } = props;
  const width = props.width ?? 470;
  const panelHeight = props.panelHeight ?? 200;
  const tooltip = useTooltip();
  const svgRef = useRef<SVGSVGElement>(null);
  const [hover, setHover] = useState<number | null>(null);
  const x = epochScale(epochs, width);
  const titled = panels.length > 1;
  const blockHeight = panelHeight + (titled ? M.title : 0);
  const height = blockHeight * panels.length;
  const manyEpochs = epochs.length > 30;

  const nearest = (clientX: number): number | null => {
    const svg = svgRef.current;
    if (!svg || epochs.length === 0) return null;
    const px = clientX - svg.getBoundingClientRect().left;
    return leastIndex(epochs, (e) => Math.abs(x(e) - px)) ?? null;
  };

  // The tooltip lives outside the view's panel, so it is styled here rather than in the stylesheet.
  const cell = { padding: '0 4px', whiteSpace: 'nowrap' };
  const tipContent = (i: number): ComponentChildren => (
    <div>
      <strong>Epoch {epochs[i]}</strong>
      {panels.map((p) => {
        const rows = p.series.slice(0, MAX_TOOLTIP_ROWS);
        return (
          <div key={p.id}>
            {titled && <div class="muted">{p.title}</div>}
            <table style={{ borderCollapse: 'collapse' }}>
              <tbody>
                {rows.map((s) => {
                  const v = s.values[i];
                  const undef = v === null || v === undefined;
                  return (
                    <tr key={s.key} style={props.highlight === s.key ? { fontWeight: 700 } : undefined}>
                      <td style={cell}>
                        <span class="swatch" style={{ background: s.colour }} />
                        {s.label}
                      </td>
                      <td style={{ ...cell, textAlign: 'right' }} class={undef ? 'warning' : undefined}>
                        {undef ? (props.undefinedText ?? 'undefined') : p.format(v)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {p.series.length > rows.length && <div class="muted">… and {p.series.length - rows.length} more</div>}
            {props.undefinedNote && p.series.some((s) => s.values[i] === null || s.values[i] === undefined) && (
              <div class="muted">undefined = {props.undefinedNote}</div>
            )}
          </div>
        );
      })}
    </div>
  );

  const showAt = (i: number, clientX: number, clientY: number) => {
    setHover(i);
    tooltip.show(clientX, clientY, tipContent(i));
  };

  const onMove = (e: MouseEvent) => {
    const i = nearest(e.clientX);
    if (i === null) return;
    showAt(i, e.clientX, e.clientY);
  };
  const onLeave = () => {
    setHover(null);
    tooltip.hide();
  };
  const onKey = (e: KeyboardEvent) => {
    if (epochs.length === 0) return;
    const here = hover ?? Math.max(0, epochs.indexOf(props.selectedEpoch));
    let next: number | null = null;
    if (e.key === 'ArrowRight') next = Math.min(epochs.length - 1, here + 1);
    else if (e.key === 'ArrowLeft') next = Math.max(0, here - (hover === null ? 0 : 1));
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = epochs.length - 1;
    else if ((e.key === 'Enter' || e.key === ' ') && hover !== null) {
      props.onEpoch?.(epochs[hover]);
      e.preventDefault();
      return;
    } else if (e.key === 'Escape') {
      onLeave();
      return;
    }
    if (next === null) return;
    e.preventDefault();
    const r = svgRef.current?.getBoundingClientRect();
    showAt(next, (r?.left ?? 0) + x(epochs[next]), (r?.top ?? 0) + 20);
  };

  return (
    <svg
      ref={svgRef}
      class="chart epoch-lines"
      width={width}
      height={height}
      role="img"
      aria-label={`${props.label}. Arrow keys move through the epochs, Enter selects one.`}
      tabIndex={0}
      onMouseMove={onMove}
      onMouseLeave={onLeave}
      onBlur={onLeave}
      onKeyDown={onKey}
      onClick={(e) => {
        const i = nearest(e.clientX);
        if (i !== null) props.onEpoch?.(epochs[i]);
      }}
    >
      {panels.map((p, pi) => {
        const top = pi * blockHeight + (titled ? M.title : 0);
        const values = p.series.flatMap((s) => s.values.filter((v): v is number => v !== null && v !== undefined));
        const yMax = max(values) ?? 1;
        const base = top + panelHeight - M.bottom;
        // Undefined markers get their own strip between the x axis and the y = 0 line, so a marker
        // can never be read as a value of 0 bits.
        const undefinedAt = epochs.map((_, i) =>
          p.markUndefined ? p.series.filter((s) => s.values[i] === null || s.values[i] === undefined).length : 0,
        );
        const stackRows = Math.min(MAX_MARKER_ROWS, Math.ceil((max(undefinedAt) ?? 0) / MARKER_COLUMNS));
        const strip = stackRows > 0 ? 6 + stackRows * MARKER_STEP : 0;
        const y = scaleLinear()
          .domain(p.yDomain ?? [0, yMax > 0 ? yMax : 1])
          .range([base - strip, top + M.top])
          .nice();
        const path = line<number | null>()
          .defined((v) => v !== null && v !== undefined)
          .x((_, i) => x(epochs[i]))
          .y((v) => y(v as number));
        const undefinedStack = new Map<number, number>();
        const faded = (s: LineSeries) => props.highlight !== null && props.highlight !== s.key;
        return (
          <g key={p.id} class="panel" data-panel={p.id}>
            {titled && (
              <text x={M.left} y={pi * blockHeight + 12} class="panel-title">
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
            {hover !== null && <line class="hover-rule" x1={x(epochs[hover])} x2={x(epochs[hover])} y1={top + M.top - 4} y2={base} />}
            {p.series.map((s) => {
              const d = path(s.values) ?? '';
              const isolated = (i: number) =>
                (i === 0 || s.values[i - 1] === null) && (i === s.values.length - 1 || s.values[i + 1] === null);
              return (
                <g
                  key={s.key}
                  class={`series${faded(s) ? ' faded' : ''}${props.highlight === s.key ? ' highlighted' : ''}`}
                  data-series={s.key}
                  data-class={s.cls}
                >
                  <path
                    class="line"
                    d={d}
                    fill="none"
                    style={{ stroke: s.colour }}
                    stroke-width={props.highlight === s.key ? 3 : 1.8}
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
            })}
            {p.markUndefined &&
              p.series.map((s) =>
                s.values.map((v, i) => {
                  if (v !== null && v !== undefined) return null;
                  // Several classes undefined at one epoch fill a small grid, upwards from the axis.
                  const k = undefinedStack.get(i) ?? 0;
                  undefinedStack.set(i, k + 1);
                  const columns = Math.min(MARKER_COLUMNS, undefinedAt[i]);
                  // The grid is centred on its epoch but kept inside the plot: the first epoch's
                  // markers would otherwise sit on the y axis, the last one's past the plot's end.
                  const half = ((columns - 1) / 2) * MARKER_STEP;
                  const centre = Math.min(
                    Math.max(x(epochs[i]), M.left + MARKER_CLEARANCE + half),
                    width - M.right - MARKER_CLEARANCE - half,
                  );
                  const cx = centre + ((k % MARKER_COLUMNS) - (columns - 1) / 2) * MARKER_STEP;
                  const name = s.cls !== undefined ? `class ${s.label}` : s.label;
                  const says = `${name}: undefined at epoch ${epochs[i]}${props.undefinedNote ? ` (${props.undefinedNote})` : ''}`;
                  const cy = base - 3 - MARKER_STEP / 2 - Math.min(Math.floor(k / MARKER_COLUMNS), MAX_MARKER_ROWS - 1) * MARKER_STEP;
                  return (
                    <g
                      key={`${s.key}-u${i}`}
                      class={`undefined-marker${faded(s) ? ' faded' : ''}`}
                      data-class={s.cls}
                      data-epoch={epochs[i]}
                      data-label={says}
                      transform={`translate(${cx},${cy})`}
                      onMouseMove={(e) => {
                        // The marker names its own class rather than the epoch's whole table.
                        e.stopPropagation();
                        setHover(null);
                        tooltip.show(
                          e.clientX,
                          e.clientY,
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
          </g>
        );
      })}
    </svg>
  );
}

// Channel importance as a scatter plot: one dot per channel of a layer, an information measure of the
// channel on x and what ablating the channel alone costs (Δ loss) on y, with the Spearman rank
// correlation of the two in the title. Pure: it draws what it is given and reports a click.
import type { JSX } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { axisBottom, axisLeft } from 'd3-axis';
import { extent } from 'd3-array';
import { scaleLinear } from 'd3-scale';
import type { ScaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { useTooltip } from './primitives';

/** One channel as the plot draws it; a null x or y (an undefined measure or loss) is not drawn but counted. */
export interface ImportancePoint {
  channel: number;
  x: number | null;
  /** Δ loss when the channel is ablated alone. */
  y: number | null;
  /** The tooltip's lines: channel, x, Δ loss, Δ accuracy, classes losing most. */
  lines: string[];
}

const M = { left: 58, right: 14, top: 30, bottom: 42 };
const HEIGHT = 280;

function Axis(props: { scale: ScaleLinear<number, number>; at: number; side: 'bottom' | 'left' }): JSX.Element {
  const ref = useRef<SVGGElement>(null);
  useLayoutEffect(() => {
    if (!ref.current) return;
    const axis = props.side === 'bottom' ? axisBottom<number>(props.scale).ticks(6) : axisLeft<number>(props.scale).ticks(5);
    select(ref.current).call(axis);
  });
  return <g ref={ref} class="axis" transform={props.side === 'bottom' ? `translate(0,${props.at})` : `translate(${props.at},0)`} />;
}

/** A domain with room around it: a single value (or none) still gets a span. */
function padded(values: number[]): [number, number] {
  const [lo, hi] = extent(values) as [number | undefined, number | undefined];
  if (lo === undefined || hi === undefined) return [0, 1];
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - span * 0.06, hi + span * 0.06];
}

export function ImportanceScatter(props: {
  points: ImportancePoint[];
  xLabel: string;
  /** The title line: the measure's Spearman ρ and p-value in words. */
  title: string;
  width: number;
  selected: number | null;
  onPick: (channel: number) => void;
  label: string;
}): JSX.Element {
  const tooltip = useTooltip();
  const width = Math.max(320, Math.min(760, props.width));
  // The title wraps to the chart's width (an SVG text does not): about 6.6 px a character.
  const titleLines = wrapWords(props.title, Math.floor((width - M.left - M.right) / 6.6));
  const top = M.top + (titleLines.length - 1) * 14;
  const height = HEIGHT + (titleLines.length - 1) * 14;
  const drawn = props.points.filter((p): p is ImportancePoint & { x: number; y: number } => p.x !== null && p.y !== null);
  const x = scaleLinear()
    .domain(padded(drawn.map((p) => p.x)))
    .range([M.left, width - M.right])
    .nice();
  const y = scaleLinear()
    .domain(padded([0, ...drawn.map((p) => p.y)]))
    .range([height - M.bottom, top])
    .nice();
  const zero = y(0);
  return (
    <svg
      class="chart importance-scatter"
      width={width}
      height={height}
      role="group"
      aria-label={props.label}
      data-dots={drawn.length}
      onMouseLeave={() => tooltip.hide()}
    >
      <text class="is-title" x={M.left} y={14}>
        {titleLines.map((line, k) => (
          <tspan key={k} x={M.left} dy={k ? 14 : 0}>
            {k < titleLines.length - 1 ? line + ' ' : line}
          </tspan>
        ))}
      </text>
      <g class="grid">
        {y.ticks(5).map((t) => (
          <line key={t} x1={M.left} x2={width - M.right} y1={y(t)} y2={y(t)} />
        ))}
      </g>
      <line class="is-zero" x1={M.left} x2={width - M.right} y1={zero} y2={zero} />
      <Axis scale={x} at={height - M.bottom} side="bottom" />
      <Axis scale={y} at={M.left} side="left" />
      <text class="axis-title" x={(M.left + width - M.right) / 2} y={height - 6} text-anchor="middle">
        {props.xLabel}
      </text>
      <text class="axis-title" transform={`translate(13,${(top + height - M.bottom) / 2}) rotate(-90)`} text-anchor="middle">
        Δ loss when ablated
      </text>
      {drawn.map((p) => (
        <circle
          key={p.channel}
          class={`is-dot${p.channel === props.selected ? ' selected' : ''}`}
          data-channel={p.channel}
          cx={x(p.x)}
          cy={y(p.y)}
          r={p.channel === props.selected ? 6 : 4.5}
          tabIndex={0}
          role="button"
          aria-label={`${p.lines.join('; ')}. Opens the channel in the Channel view.`}
          onMouseMove={(e) =>
            tooltip.show(
              e.clientX,
              e.clientY,
              <>
                {p.lines.map((line, i) => (i === 0 ? <strong key={i}>{line}</strong> : <div key={i}>{line}</div>))}
                <div class="muted">click: open in the Channel view</div>
              </>,
            )
          }
          onFocus={(e) => {
            const r = e.currentTarget.getBoundingClientRect();
            tooltip.show(r.right, r.bottom, p.lines.join(' · '));
          }}
          onBlur={() => tooltip.hide()}
          onClick={() => {
            tooltip.hide();
            props.onPick(p.channel);
          }}
          onKeyDown={(e) => {
            if (e.key !== 'Enter' && e.key !== ' ') return;
            e.preventDefault();
            tooltip.hide();
            props.onPick(p.channel);
          }}
        >
          <title>{p.lines.join(' · ')}</title>
        </circle>
      ))}
    </svg>
  );
}

/** `text` in lines of at most `chars` characters, broken between words. */
function wrapWords(text: string, chars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > chars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

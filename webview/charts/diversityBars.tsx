// Input diversity (paper 5.2, Fig. 5(B)): the inter-sample entropy of the raw inputs (layer 0) for
// random subsets of n inputs per class: each class alone, and "all" = the union of those draws
// (n × classes inputs, the paper's "dataset of n per class"). Grouped bars: one group per class
// (and "all"), one bar per subset size. A group with fewer inputs than a size has no value
// there: an explicit "n/a" marker, not a zero-height bar that would read as "no diversity".
import type { JSX } from 'preact';
import type { RefObject } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { TooltipApi } from './primitives';
import { axisLeft } from 'd3-axis';
import { max } from 'd3-array';
import { scaleBand, scaleLinear } from 'd3-scale';
import { interpolateViridis } from 'd3-scale-chromatic';
import type { ScaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import type { InputDiversityAnswer } from '../../src/contract/queries';
import { ALL_COLOUR, classColour } from '../colours';
import { useTooltip } from './primitives';
import { formatBits } from '../../src/contract/format';

type Row = InputDiversityAnswer['rows'][number];

const M = { left: 52, right: 10, top: 10, bottom: 46 };
const HEIGHT = 250;

/**
 * The most an inter-sample entropy of `n` inputs can be: log2 of its n(n−1) ordered pairs, reached
 * when every pair is told apart. A value there measures how many inputs there were, not how
 * diverse they are.
 */
export function interSampleCeiling(n: number): number {
  return n > 1 ? Math.log2(n * (n - 1)) : 0;
}

/** Within 3 % of the ceiling: the estimate is saturated and says little about diversity. */
export function nearCeiling(bits: number | null, n: number): boolean {
  return bits !== null && n > 1 && bits >= 0.97 * interSampleCeiling(n);
}

/** Sizes get an ordered ramp, not class colours: bar colour must never be read as a class. */
export function sizeColour(s: number, count: number): string {
  return interpolateViridis(count <= 1 ? 0.45 : 0.28 + (0.57 * s) / (count - 1));
}

/** Says which subset sizes are at their ceiling, where the bars cannot compare diversity. */
export function CeilingNote(props: { answer: InputDiversityAnswer }): JSX.Element | null {
  const { answer } = props;
  // By the inputs drawn: the "all classes" bars draw more inputs than a class's bar of the same size.
  const saturated = [...new Set(answer.rows.flatMap((r) => r.counts.filter((n, s) => nearCeiling(r.bits[s], n))))].sort((a, b) => a - b);
  if (saturated.length === 0) return null;
  return (
    <p class="chart-note ceiling-note" data-testid="ceiling-note" role="note">
      <span class="ceiling-glyph" aria-hidden="true">
        ▔
      </span>{' '}
      = at its ceiling: the subsets of {saturated.join(', ')} inputs reach log2(n(n−1)) bits (
      {saturated.map((n) => `${formatBits(interSampleCeiling(n))} for ${n}`).join(', ')}), the most n inputs can give: every pair is told
      apart, so these bars count inputs rather than measure diversity. Compare the larger subsets
      {answer.source === 'probe' ? ', or the whole dataset' : ''}.
    </p>
  );
}

/** The classes that have inputs: those the "all" bar draws n from (an empty class adds none). */
export function filledClasses(answer: InputDiversityAnswer): number {
  return answer.rows.filter((r) => r.class !== 'all' && r.available > 0).length;
}

export function groupName(r: Row, classNames: string[]): string {
  return r.class === 'all' ? 'all classes' : `class ${classNames[r.class] ?? r.class}`;
}

function AxisLeftG(props: { y: ScaleLinear<number, number> }): JSX.Element {
  const ref = useRef<SVGGElement>(null);
  useLayoutEffect(() => {
    if (ref.current) select(ref.current).call(axisLeft<number>(props.y).ticks(5));
  });
  return <g ref={ref} class="axis" transform={`translate(${M.left},0)`} />;
}

export function DiversityBars(props: { answer: InputDiversityAnswer; highlight: number | null }): JSX.Element {
  const { answer } = props;
  const tooltip = useTooltip();
  const svgRef = useRef<SVGSVGElement>(null);
  const groups = answer.rows;
  const sizes = answer.sizes;
  const n = answer.classNames.length;
  const groupWidth = Math.max(30, sizes.length * 14 + 14);
  const width = M.left + M.right + Math.max(360, groups.length * groupWidth);
  const x0 = scaleBand<number>()
    .domain(groups.map((_, i) => i))
    .range([M.left, width - M.right])
    .paddingInner(0.2)
    .paddingOuter(0.1);
  const x1 = scaleBand<number>()
    .domain(sizes.map((_, i) => i))
    .range([0, x0.bandwidth()])
    .padding(0.08);
  const top = max(groups, (r) => max(r.bits, (b) => b ?? 0)) ?? 0;
  const y = scaleLinear()
    .domain([0, top > 0 ? top : 1])
    .range([HEIGHT - M.bottom, M.top])
    .nice();
  const base = HEIGHT - M.bottom;
  const longest = max(answer.classNames, (s) => s.length) ?? 1;
  const slanted = longest > 4;

  const describe = (r: Row, s: number) => describeBar(answer, r, s);
  const { active, setActive, onKey } = useSlotCursor(svgRef, groups.length * sizes.length);

  return (
    <svg
      ref={svgRef}
      class="chart diversity-bars"
      width={width}
      height={HEIGHT + (slanted ? Math.min(90, longest * 5) : 0)}
      role="group"
      aria-label={`Inter-sample entropy in bits for subsets of ${sizes.join(', ')} inputs per class: ${groups.length} groups (all classes, then each class). Arrow keys move between bars.`}
      onKeyDown={onKey}
      onMouseLeave={() => tooltip.hide()}
    >
      <g class="grid">
        {y.ticks(5).map((t) => (
          <line key={t} x1={M.left} x2={width - M.right} y1={y(t)} y2={y(t)} />
        ))}
      </g>
      <AxisLeftG y={y} />
      <text class="axis-title" transform={`translate(12,${(M.top + base) / 2}) rotate(-90)`} text-anchor="middle">
        inter-sample entropy (bits)
      </text>
      <line class="baseline" x1={M.left} x2={width - M.right} y1={base} y2={base} />
      {groups.map((r, g) => {
        const gx = x0(g) ?? 0;
        const cls = r.class;
        const faded = props.highlight !== null && cls !== 'all' && cls !== props.highlight;
        const label = cls === 'all' ? 'all' : (answer.classNames[cls] ?? String(cls));
        const cx = gx + x0.bandwidth() / 2;
        return (
          <g
            key={g}
            class={`bar-group${faded ? ' faded' : ''}${cls !== 'all' && cls === props.highlight ? ' highlighted' : ''}`}
            data-group={cls}
          >
            {sizes.map((size, s) => (
              <BarSlot
                key={size}
                row={r}
                s={s}
                size={size}
                sizes={sizes.length}
                slot={g * sizes.length + s}
                active={active}
                x={gx + (x1(s) ?? 0)}
                w={x1.bandwidth()}
                y={y}
                base={base}
                says={describe(r, s)}
                tooltip={tooltip}
                onFocusSlot={setActive}
              />
            ))}
            <g class="group-label" transform={`translate(${cx},${base + 12})`}>
              <rect x={-4} y={-4} width={8} height={8} rx={1.5} style={{ fill: cls === 'all' ? ALL_COLOUR : classColour(cls, n) }} />
              {slanted ? (
                <text transform="translate(3,8) rotate(-35)" text-anchor="end" dominant-baseline="hanging">
                  {label} · n={r.available}
                </text>
              ) : (
                <>
                  <text y={16} text-anchor="middle">
                    {label}
                  </text>
                  <text class="available" y={29} text-anchor="middle">
                    n={r.available}
                  </text>
                </>
              )}
            </g>
          </g>
        );
      })}
    </svg>
  );
}

/** A bar in words: its group and size, and its value, or why it has none, or that it is at its ceiling. */
export function describeBar(answer: InputDiversityAnswer, r: Row, s: number): string {
  const sizes = answer.sizes;
  const filled = filledClasses(answer);
  const b = r.bits[s];
  const who = groupName(r, answer.classNames);
  const size = r.class === 'all' ? `${sizes[s]} per class (${sizes[s] * filled} inputs of all classes)` : `${sizes[s]} per class`;
  if (b === null && r.class === 'all') {
    const short = answer.rows.filter((c) => c.class !== 'all' && c.available > 0 && c.available < sizes[s]);
    const names = short.map((c) => groupName(c, answer.classNames).replace(/^class /, '')).join(', ');
    if (short.length === 0) return `${who}, ${size}: n/a — no class has any input`;
    return `${who}, ${size}: n/a — needs ${sizes[s]} inputs of every class, class${short.length === 1 ? '' : 'es'} ${names} ha${short.length === 1 ? 's' : 've'} fewer`;
  }
  if (b === null)
    return `${who}, ${size}: n/a — needs ${sizes[s]} inputs, only ${r.available} input${r.available === 1 ? '' : 's'} available`;
  const ceiling = nearCeiling(b, r.counts[s])
    ? `; at its ceiling log2(n(n−1)) = ${formatBits(interSampleCeiling(r.counts[s]))}: too few inputs to measure diversity`
    : '';
  return `${who}, ${size}: ${formatBits(b)} (${r.counts[s]} inputs drawn of ${r.available} available)${ceiling}`;
}

/** The roving tab stop over the bars: arrow keys, Home and End move it, and focus follows. */
function useSlotCursor(
  svg: RefObject<SVGSVGElement>,
  count: number,
): { active: number; setActive: (i: number) => void; onKey: (e: KeyboardEvent) => void } {
  const [active, setActive] = useState(0);
  const focusSlot = (i: number) => {
    setActive(i);
    (svg.current?.querySelector(`[data-slot="${i}"]`) as SVGElement | null)?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const next =
      e.key === 'ArrowRight' ? active + 1 : e.key === 'ArrowLeft' ? active - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? count - 1 : null;
    if (next === null) return;
    e.preventDefault();
    focusSlot(Math.max(0, Math.min(count - 1, next)));
  };

  return { active, setActive, onKey };
}

/** One bar (or its "n/a" marker) with its ceiling mark and a hit area the height of the plot. */
function BarSlot(props: {
  row: Row;
  /** The size's index. */
  s: number;
  size: number;
  /** How many sizes there are (the colour ramp's length). */
  sizes: number;
  slot: number;
  active: number;
  x: number;
  w: number;
  y: ScaleLinear<number, number>;
  base: number;
  says: string;
  tooltip: TooltipApi;
  onFocusSlot: (slot: number) => void;
}): JSX.Element {
  const { row: r, s, x: bx, w: bw, y, base, says, tooltip } = props;
  const b = r.bits[s];
  return (
    <g
      class={b === null ? 'bar na' : 'bar'}
      data-size={props.size}
      data-ceiling={nearCeiling(b, r.counts[s]) ? 'true' : undefined}
      data-bits={b ?? 'null'}
      data-slot={props.slot}
      tabIndex={props.slot === props.active ? 0 : -1}
      role="img"
      aria-label={says}
      onMouseMove={(e: MouseEvent) => tooltip.show(e.clientX, e.clientY, says)}
      onFocus={(e: FocusEvent) => {
        props.onFocusSlot(props.slot);
        const rect = (e.currentTarget as SVGElement).getBoundingClientRect();
        tooltip.show(rect.right, rect.top, says);
      }}
      onBlur={() => tooltip.hide()}
    >
      {b === null ? (
        <>
          <rect class="na-marker" x={bx} y={base - 26} width={bw} height={26} />
          <text class="na-text" transform={`translate(${bx + bw / 2 + 3},${base - 4}) rotate(-90)`}>
            n/a
          </text>
        </>
      ) : (
        <rect x={bx} y={y(b)} width={bw} height={Math.max(0, base - y(b))} fill={sizeColour(s, props.sizes)} />
      )}
      {nearCeiling(b, r.counts[s]) && (
        <line
          class="ceiling-mark"
          x1={bx - 1}
          x2={bx + bw + 1}
          y1={y(interSampleCeiling(r.counts[s])) - 2}
          y2={y(interSampleCeiling(r.counts[s])) - 2}
        />
      )}
      {/* The whole column answers the hover, so short bars are easy to reach. */}
      <rect class="hit" x={bx} y={M.top} width={bw} height={base - M.top} fill="transparent" />
    </g>
  );
}

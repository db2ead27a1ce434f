// Small multiples of a per-class measure over the epochs (paper Fig. 6: the label entropies of all
// ten classes at once): one small chart per class, one line per run in the run's colour, every
// chart on the same y scale so the classes compare. An undefined value is a gap, never a 0; an epoch
// a run did not record is no value at all: its line passes over it (or ends before it).
import type { JSX } from 'preact';
import { max } from 'd3-array';
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { classLabel } from './common';
import { formatBits } from '../../src/contract/format';

/** One run's values of the measure: `values[c][i]` for class c at `epochs[i]`, null where undefined. */
export interface ClassMultiplesRun {
  run: number;
  label: string;
  colour: string;
  values: (number | null)[][];
  /** Per epoch, whether the run recorded it: a run with fewer epochs has no value there, not an undefined one. */
  recorded?: boolean[];
}

const W = 112;
const H = 86;
const M = { left: 30, right: 6, top: 6, bottom: 16 };

/** One class's chart: each run's line and points, the shared y scale's ends and the epochs' ends. */
function ClassPanel(props: { c: number; name: string; epochs: number[]; runs: ClassMultiplesRun[]; top: number }): JSX.Element {
  const { epochs, top } = props;
  const first = epochs[0] ?? 0;
  const last = epochs[epochs.length - 1] ?? 0;
  const x = scaleLinear()
    .domain(first === last ? [first - 1, last + 1] : [first, last])
    .range([M.left, W - M.right]);
  const y = scaleLinear()
    .domain([0, top])
    .range([H - M.bottom, M.top]);
  // Drawn over the run's own epochs only: an epoch it never recorded neither breaks nor extends its line.
  const path = line<{ v: number | null; i: number }>()
    .defined((p) => p.v !== null)
    .x((p) => x(epochs[p.i]))
    .y((p) => y(p.v ?? 0));
  const own = (r: ClassMultiplesRun, values: (number | null)[]) =>
    values.map((v, i) => ({ v, i })).filter((p) => r.recorded?.[p.i] !== false);
  const undefinedRuns = props.runs.filter((r) => r.values[props.c]?.every((v) => v === null) ?? true);
  return (
    <figure class="class-multiple" data-class={props.c}>
      <figcaption title={props.name}>{props.name}</figcaption>
      <svg width={W} height={H} role="img" aria-label={`${props.name}: one line per run over epochs ${first} to ${last}`}>
        <line class="axis-line" x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} />
        <line class="axis-line" x1={M.left} x2={M.left} y1={M.top} y2={H - M.bottom} />
        <text class="tick" x={M.left - 3} y={y(top)} dy="0.32em" text-anchor="end">
          {formatBits(top, { digits: 2, unit: false })}
        </text>
        <text class="tick" x={M.left - 3} y={y(0)} dy="0.32em" text-anchor="end">
          0
        </text>
        <text class="tick" x={x(first)} y={H - 3} text-anchor="start">
          {first}
        </text>
        <text class="tick" x={x(last)} y={H - 3} text-anchor="end">
          {last}
        </text>
        {props.runs.map((r) => {
          const values = r.values[props.c] ?? epochs.map(() => null);
          return (
            <g key={r.run} class="series" data-run={r.run}>
              <path class="line" d={path(own(r, values)) ?? ''} style={{ stroke: r.colour, fill: 'none' }} />
              {values.map((v, i) =>
                v === null ? null : (
                  <circle
                    key={i}
                    class="point"
                    data-epoch={epochs[i]}
                    data-bits={v}
                    cx={x(epochs[i])}
                    cy={y(v)}
                    r={2}
                    style={{ fill: r.colour }}
                  >
                    <title>{`${r.label}, ${props.name}, epoch ${epochs[i]}: ${formatBits(v)}`}</title>
                  </circle>
                ),
              )}
            </g>
          );
        })}
      </svg>
      {undefinedRuns.length > 0 && undefinedRuns.length < props.runs.length && (
        <div class="muted undefined-runs">{undefinedRuns.map((r) => r.label.split(':')[0]).join(', ')}: undefined</div>
      )}
    </figure>
  );
}

/** Every class's chart of one measure, on one y scale (0 to the largest value of any run and class). */
export function ClassMultiples(props: {
  id: string;
  title: string;
  epochs: number[];
  classNames: string[];
  runs: ClassMultiplesRun[];
}): JSX.Element {
  const top = max(props.runs.flatMap((r) => r.values.flatMap((row) => row.filter((v): v is number => v !== null)))) ?? 0;
  const domainTop = top > 0 ? top : 1;
  return (
    <div class="class-multiples" data-measure={props.id}>
      <h4>{props.title}</h4>
      <div class="class-multiples-grid">
        {props.classNames.map((_, c) => (
          <ClassPanel key={c} c={c} name={classLabel(c, props.classNames)} epochs={props.epochs} runs={props.runs} top={domainTop} />
        ))}
      </div>
    </div>
  );
}

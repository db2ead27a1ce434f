// Charts of the run comparison (docs/views.md, "Comparing runs"): the per-layer entropies of
// several runs side by side, and the input diversity of each run's probe set (paper Fig. 5(B)),
// one colour per run as in every chart of the comparison.
import type { JSX } from 'preact';
import { max } from 'd3-array';
import { scaleBand, scaleLinear } from 'd3-scale';
import type { ScaleLinear } from 'd3-scale';
import type { InputDiversityAnswer } from '../../src/contract/queries';
import { matchName, runColour, runLetter } from '../compare';
import type { LayerMatch } from '../compare';
import { classLabel } from './common';
import { CompareCeilingNote, itemAtCeiling } from './compareCeiling';
import type { CeilingItem } from './compareCeiling';
import { interSampleCeiling, nearCeiling } from './diversityBars';
import { formatBits } from '../../src/contract/format';

/** One run's per-layer values: inter-sample entropy and mean channel entropy (bits) by layer index. */
export interface RunLayerValues {
  epoch: number | undefined;
  interSample: (number | undefined)[];
  /** The number of inputs each inter-sample entropy is of (its ceiling is log2(N(N−1))). */
  inputs: (number | undefined)[];
  meanChannel: (number | undefined)[];
}

const BAR = 60;

/**
 * A value as a bar in a table cell: the bar's length is the value against the column's scale, from
 * the cell's left edge (the bars of a column share that baseline, whatever text follows them). With
 * `inputs`, the ceiling log2(N(N−1)) is a tick on the bar, and a value at it is drawn faint and says so.
 */
function BarCell(props: { value: number | undefined; max: number; run: number; what: string; inputs?: number; kind: string }): JSX.Element {
  const { value, max: top } = props;
  const width = value === undefined || top <= 0 ? 0 : Math.max(1, (BAR * value) / top);
  const ceiling = props.inputs !== undefined && props.inputs > 1 ? interSampleCeiling(props.inputs) : undefined;
  const saturated = props.inputs !== undefined && nearCeiling(value ?? null, props.inputs);
  const tick = ceiling !== undefined && top > 0 ? Math.min(BAR, (BAR * ceiling) / top) : undefined;
  const ceilingWords =
    ceiling === undefined
      ? ''
      : saturated
        ? `; at its ceiling log2(N(N−1)) = ${formatBits(ceiling)} for N = ${props.inputs} inputs: every pair is told apart, so this counts inputs rather than measuring diversity`
        : `; ceiling log2(N(N−1)) = ${formatBits(ceiling)} for N = ${props.inputs} inputs`;
  return (
    <td
      class={`compare-value ${props.kind}`}
      data-run={props.run}
      data-ceiling={saturated ? 'true' : undefined}
      title={`run ${runLetter(props.run)}: ${props.what} ${formatBits(value)}${ceilingWords}`}
    >
      <svg width={BAR + 2} height="10" aria-hidden="true" style={{ verticalAlign: 'middle', marginRight: '4px' }}>
        <rect x="0" y="1" width={width} height="8" style={{ fill: runColour(props.run), fillOpacity: saturated ? 0.4 : 1 }} />
        {tick !== undefined && <line class="ceiling-tick" x1={tick} x2={tick} y1="0" y2="10" />}
      </svg>
      <span class="compare-number">{value === undefined ? <span class="muted">undefined</span> : formatBits(value)}</span>
      {saturated && (
        <span class="ceiling-badge" data-testid="ceiling-mark">
          {' '}
          at ceiling
        </span>
      )}
    </td>
  );
}

/** The layers matched across the runs (webview/layerAlignment.ts), one row each: every run's two entropies as bars, or why the layer is not compared. */
export function LayerComparisonTable(props: {
  matches: LayerMatch[];
  values: RunLayerValues[];
  /** The layer position selected (the editor's cursor, or a click on its row). */
  selected?: number;
  onSelect?: (position: number) => void;
}): JSX.Element {
  const values = props.values;
  const runs = values.length;
  // The inter-sample column runs to the highest ceiling, so a value at its ceiling reaches its tick, not the cell's end.
  const ceilings = values.flatMap((v) => v.inputs.filter((n): n is number => n !== undefined && n > 1).map(interSampleCeiling));
  const interMax = max([...values.flatMap((v) => v.interSample.filter((x): x is number => x !== undefined)), ...ceilings]) ?? 0;
  const channelMax = max(values.flatMap((v) => v.meanChannel.filter((x): x is number => x !== undefined))) ?? 0;
  return (
    <table class="data compare-layers-table">
      <thead>
        <tr>
          <th rowSpan={2}>layer</th>
          <th colSpan={runs}>inter-sample entropy (bits)</th>
          <th colSpan={runs}>mean channel entropy (bits)</th>
        </tr>
        <tr>
          {[0, 1].flatMap((k) =>
            values.map((_, r) => (
              <th key={`${k}-${r}`} class="compare-run">
                <span class="swatch" style={{ background: runColour(r) }} />
                {runLetter(r)}
              </th>
            )),
          )}
        </tr>
      </thead>
      <tbody>
        {props.matches.map((m) => (
          <tr
            key={m.index}
            data-layer={m.index}
            class={`${m.compared ? 'compared' : 'not-compared'}${props.selected === m.index ? ' focused-row' : ''}`}
            aria-selected={props.selected === m.index}
            onClick={() => props.onSelect?.(m.index)}
          >
            <td
              class="layer-name"
              title={m.layers
                .map((l, r) => `run ${runLetter(r)}: ${l ? `${l.name} (${l.className}, ${l.outputShape.join('×')})` : 'no such layer'}`)
                .join('\n')}
            >
              {matchName(m)} <span class="muted">{[...new Set(m.layers.map((l) => (l ? l.className : '—')))].join(' / ')}</span>
              {m.shapeNote && (
                <span class="warning shape-note" title="Paired by type and order, though their output shapes differ">
                  {' '}
                  ≠ {m.shapeNote}
                </span>
              )}
            </td>
            {m.compared ? (
              <>
                {values.map((v, r) => (
                  <BarCell
                    key={`i${r}`}
                    kind="inter-sample"
                    value={v.interSample[m.indices[r] ?? -1]}
                    inputs={v.inputs[m.indices[r] ?? -1]}
                    max={interMax}
                    run={r}
                    what="inter-sample entropy"
                  />
                ))}
                {values.map((v, r) =>
                  m.indices[r] === 0 ? (
                    <td key={`c${r}`} class="muted">
                      —
                    </td>
                  ) : (
                    <BarCell
                      key={`c${r}`}
                      kind="mean-channel"
                      value={v.meanChannel[m.indices[r] ?? -1]}
                      max={channelMax}
                      run={r}
                      what="mean channel entropy"
                    />
                  ),
                )}
              </>
            ) : (
              <td colSpan={2 * runs} class="warning">
                {m.difference}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const M = { left: 52, right: 10, top: 10, bottom: 40 };
const HEIGHT = 230;

/** One run's bar of a group, faint at its ceiling, or "n/a" where the run cannot fill the group at this size. */
function DiversityBar(props: {
  run: number;
  group: string;
  item: CeilingItem;
  x: number;
  width: number;
  y: ScaleLinear<number, number>;
}): JSX.Element {
  const { run: r, x: bx, y } = props;
  const v = props.item.bits[r] ?? null;
  const n = props.item.inputs[r];
  if (v === null)
    return (
      <text
        class="na-text"
        x={bx + props.width / 2}
        y={HEIGHT - M.bottom - 4}
        text-anchor="middle"
        style={{ fill: 'var(--vscode-descriptionForeground)', fontSize: '9px' }}
      >
        n/a
      </text>
    );
  const saturated = itemAtCeiling(props.item, r);
  const ceiling =
    saturated && n !== undefined
      ? `, at its ceiling log2(n(n−1)) = ${formatBits(interSampleCeiling(n))}: every pair is told apart, so it counts inputs rather than measuring diversity`
      : '';
  return (
    <rect
      class="bar"
      data-run={r}
      x={bx}
      width={props.width}
      y={y(v)}
      height={HEIGHT - M.bottom - y(v)}
      data-ceiling={saturated ? 'true' : undefined}
      style={{ fill: runColour(r), fillOpacity: saturated ? 0.4 : 1 }}
    >
      <title>{`run ${runLetter(r)}, ${props.group}: ${formatBits(v)} of ${n} inputs${ceiling}`}</title>
    </rect>
  );
}

/**
 * Input diversity of each run's probe set at one subset size shared by all runs: groups "all" and
 * each class, one bar per run. A group a run cannot fill at that size is marked "n/a", not drawn as 0.
 */
export function DiversityComparisonBars(props: {
  answers: (InputDiversityAnswer | undefined)[];
  /** The subset size shown, an index into the answers' sizes. */
  sizeIndex: number;
  /** Class names shared by the comparison (the run with the most classes). */
  classNames: string[];
  width: number;
}): JSX.Element {
  const { width } = props;
  const sizes = props.answers.find((a) => a !== undefined)?.sizes ?? [];
  const s = props.sizeIndex;
  const groupCount = Math.max(0, ...props.answers.map((a) => a?.rows.length ?? 0));
  const groups = Array.from({ length: groupCount }, (_, g) => g);
  const groupName = (g: number) => diversityGroupName(g, props.classNames);
  const value = (r: number, g: number) => props.answers[r]?.rows[g]?.bits[s] ?? null;
  const count = (r: number, g: number) => props.answers[r]?.rows[g]?.counts[s];
  // Each group's ceilings log2(n(n−1)), one per distinct number of inputs drawn (runs with more classes draw more for "all").
  const groupCeilings = (g: number) =>
    [...new Set(props.answers.map((_, r) => count(r, g)).filter((n): n is number => n !== undefined && n > 1))].map(interSampleCeiling);
  const items: CeilingItem[] = groups.map((g) => ({
    name: groupName(g),
    bits: props.answers.map((_, r) => value(r, g)),
    inputs: props.answers.map((_, r) => count(r, g)),
  }));
  const top =
    max([
      ...props.answers.flatMap((a, r) => groups.map((g) => (a ? value(r, g) : null)).filter((v): v is number => v !== null)),
      ...groups.flatMap(groupCeilings),
    ]) ?? 1;
  const x = scaleBand<number>()
    .domain(groups)
    .range([M.left, width - M.right])
    .padding(0.2);
  const inner = scaleBand<number>()
    .domain(props.answers.map((_, r) => r))
    .range([0, x.bandwidth()])
    .padding(0.08);
  const y = scaleLinear()
    .domain([0, top])
    .nice()
    .range([HEIGHT - M.bottom, M.top]);
  return (
    <>
      <svg
        class="chart diversity-compare"
        width={width}
        height={HEIGHT}
        role="img"
        aria-label={`Inter-sample entropy of ${sizes[s]} raw probe inputs per class, one bar per run`}
      >
        <g class="grid">
          {y.ticks(5).map((t) => (
            <g key={t}>
              <line x1={M.left} x2={width - M.right} y1={y(t)} y2={y(t)} style={{ stroke: 'var(--vscode-panel-border)' }} />
              <text
                x={M.left - 6}
                y={y(t)}
                dy="0.32em"
                text-anchor="end"
                style={{ fill: 'var(--vscode-descriptionForeground)', fontSize: '10px' }}
              >
                {t}
              </text>
            </g>
          ))}
        </g>
        <text
          class="axis-title"
          transform={`translate(12,${(M.top + HEIGHT - M.bottom) / 2}) rotate(-90)`}
          text-anchor="middle"
          style={{ fill: 'currentColor', fontSize: '11px' }}
        >
          bits
        </text>
        {groups.map((g) => (
          <g key={g} class="bar-group" data-group={g}>
            {props.answers.map((_, r) => (
              <DiversityBar
                key={r}
                run={r}
                group={groupName(g)}
                item={items[g]}
                x={(x(g) ?? 0) + (inner(r) ?? 0)}
                width={inner.bandwidth()}
                y={y}
              />
            ))}
            {groupCeilings(g).map((c) => (
              <line key={c} class="ceiling-line" x1={(x(g) ?? 0) - 2} x2={(x(g) ?? 0) + x.bandwidth() + 2} y1={y(c)} y2={y(c)}>
                <title>{`ceiling log2(n(n−1)) = ${formatBits(c)}`}</title>
              </line>
            ))}
            <text
              x={(x(g) ?? 0) + x.bandwidth() / 2}
              y={HEIGHT - M.bottom + 14}
              text-anchor="middle"
              style={{ fill: 'currentColor', fontSize: '10px' }}
            >
              {groupName(g)}
            </text>
          </g>
        ))}
        <line x1={M.left} x2={width - M.right} y1={HEIGHT - M.bottom} y2={HEIGHT - M.bottom} style={{ stroke: 'currentColor' }} />
      </svg>
      <p class="muted chart-note">
        Inter-sample entropy of {sizes[s]} raw probe inputs per class: each class draws {sizes[s]} of its inputs, &quot;all&quot; is those
        draws together; the same size for every run so the bars compare (the estimate grows with the subset size). A more diverse dataset
        has higher bars (paper Fig. 5(B)).
      </p>
      <CompareCeilingNote items={items} runs={props.answers.length} what="the runs at a larger subset size or" glyph="╌" noun="group" />
    </>
  );
}

/** A group of the diversity comparison: 0 is "all", then each class. */
export function diversityGroupName(g: number, classNames: string[]): string {
  return g === 0 ? 'all' : classLabel(g - 1, classNames);
}

// The information plane (Shwartz-Ziv & Tishby; docs/estimators.md "The information plane"): every
// layer a trajectory of points (I(X;T), I(T;Y)), one point per recorded epoch from epoch 0 to the
// last. In a run's Information view the points are coloured by epoch on one sequential scale and the
// layers told apart by their marker shape and their short label; in the run comparison each run has
// its colour and the points grow with the epoch. The axis ceilings (log2 N and H(Y) for the binned
// estimator, the capacity ceiling and H(S) for the pairwise one) are drawn as labelled lines, and a
// saturated point (binned: every input its own symbol, so it sits on its ceilings) gets a dashed ring
// and is named in words under the chart, never by colour alone.
import type { JSX } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { axisBottom, axisLeft } from 'd3-axis';
import type { Axis } from 'd3-axis';
import { scaleLinear, scaleSequential } from 'd3-scale';
import { interpolateViridis } from 'd3-scale-chromatic';
import { select } from 'd3-selection';
import { line, symbol, symbolsFill } from 'd3-shape';
import type { Bits, InformationPlaneAnswer, InformationPlanePoint } from '../../src/service/queries';
import { INFORMATION_ESTIMATORS } from '../plan';
import type { InformationEstimator } from '../plan';
import { fmtBits, useTooltip } from '../ui';

/** One layer's path through the plane (of one run, in a comparison). */
export interface PlaneTrajectory {
  /** Unique in the chart, e.g. "3" or "run-1-3". */
  key: string;
  layer: number;
  /** The short layer label drawn beside the last point ("conv1", or "B conv1" in a comparison). */
  label: string;
  points: InformationPlanePoint[];
  /** Index of the marker shape (d3's filled symbols, in turn). */
  symbol: number;
  /** A run's colour (comparison); without it the points are coloured by epoch and the line is neutral. */
  colour?: string;
  /** The comparison's run index, written as `data-run`. */
  run?: number;
}

/** The names of an estimator's axes and ceilings, as the chart and its notes say them. */
export const ESTIMATOR_TEXT: Record<InformationEstimator, { name: string; ixtCeiling: string; ityCeiling: string; about: string }> = {
  pairwise: {
    name: 'pairwise',
    ixtCeiling: 'capacity ceiling',
    ityCeiling: 'H(S)',
    about:
      'Pairwise estimator: I(X;T) is the layer-level capacity between the input and the layer; I(T;Y) is I_pair(T;Y) from the distances between pairs of inputs and whether they share a label, at most H(S) (about 0.47 bits for ten balanced classes).',
  },
  binned: {
    name: 'binned',
    ixtCeiling: 'log2 N',
    ityCeiling: 'H(Y)',
    about:
      'Binned estimator (Shwartz-Ziv & Tishby): each input’s tuple of binned units is one symbol; I(X;T) = H(T) ≤ log2 N and I(T;Y) ≤ H(Y). A saturated point has every input as its own symbol and sits on both ceilings: it says nothing about learning.',
  },
};

/** The estimator switch of the information plane (a segmented pair of toggles), with an optional caption before it. */
export function EstimatorPicker(props: {
  value: InformationEstimator;
  onChange: (e: InformationEstimator) => void;
  caption?: string;
}): JSX.Element {
  return (
    <span class="segmented" role="group" aria-label="Estimator of the information plane">
      {props.caption && <span class="muted">{props.caption}</span>}
      {INFORMATION_ESTIMATORS.map((e) => (
        <button
          key={e}
          type="button"
          class="toggle"
          data-estimator={e}
          aria-pressed={props.value === e}
          title={ESTIMATOR_TEXT[e].about}
          onClick={() => props.onChange(e)}
        >
          {e}
        </button>
      ))}
    </span>
  );
}

/** The epoch colours of a run's plane: a d3 sequential scale (viridis) from the first recorded epoch to the last. */
export function epochColourScale(epochs: readonly number[]): (epoch: number) => string {
  const lo = epochs.length ? Math.min(...epochs) : 0;
  const hi = epochs.length ? Math.max(...epochs) : 1;
  const scale = scaleSequential(interpolateViridis).domain([lo, hi === lo ? lo + 1 : hi]);
  return (e) => scale(e);
}

/** The marker path of a shape index (circle, cross, diamond, square, star, triangle, wye, then again). */
export function markerPath(shape: number, size = 70): string {
  return symbol(symbolsFill[shape % symbolsFill.length], size)() ?? '';
}

/** "conv1 at epochs 0, 1, 2; pool1 at epoch 2": the saturated points of a plane, in words. */
export function saturatedText(trajectories: readonly PlaneTrajectory[]): string {
  return trajectories
    .map((t) => ({ label: t.label, epochs: t.points.filter((p) => p.saturated).map((p) => p.epoch) }))
    .filter((t) => t.epochs.length > 0)
    .map((t) => `${t.label} at epoch${t.epochs.length === 1 ? '' : 's'} ${t.epochs.join(', ')}`)
    .join('; ');
}

/** The trajectories of one run's answer, labelled with `label(layer)`. */
export function planeTrajectories(a: InformationPlaneAnswer, label: (layer: number) => string): PlaneTrajectory[] {
  return a.layers.map((l, k) => ({ key: String(l.layer), layer: l.layer, label: label(l.layer), points: l.points, symbol: k }));
}

const isNumber = (v: Bits | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const defined = (p: InformationPlanePoint) => isNumber(p.ixt) && isNumber(p.ity);

function AxisG(props: { axis: Axis<number>; transform: string }): JSX.Element {
  const ref = useRef<SVGGElement>(null);
  useLayoutEffect(() => {
    if (ref.current) select(ref.current).call(props.axis);
  });
  return <g ref={ref} class="axis" transform={props.transform} />;
}

const M = { left: 52, right: 22, top: 30, bottom: 40 };

export interface InformationPlaneProps {
  trajectories: PlaneTrajectory[];
  estimator: InformationEstimator;
  /** The ceilings of each run (one entry in a run's view); equal ones are drawn once. */
  ceilings: { ixt: Bits; ity: Bits }[];
  /** Every recorded epoch (the colour scale's domain). */
  epochs: number[];
  /** The shared epoch: its points are drawn larger. */
  selectedEpoch?: number;
  /** The key of the emphasised trajectory; the others fade. */
  highlight: string | null;
  onPick?(t: PlaneTrajectory, p: InformationPlanePoint): void;
  width: number;
  height?: number;
  label: string;
}

export function InformationPlaneChart(props: InformationPlaneProps): JSX.Element {
  const tooltip = useTooltip();
  const width = Math.max(280, props.width);
  const height = props.height ?? Math.round(Math.min(420, Math.max(280, width * 0.62)));
  const colour = epochColourScale(props.epochs);
  const ceilings = dedupeCeilings(props.ceilings);
  const text = ESTIMATOR_TEXT[props.estimator];
  let maxX = 0;
  let maxY = 0;
  for (const t of props.trajectories)
    for (const p of t.points) {
      if (isNumber(p.ixt)) maxX = Math.max(maxX, p.ixt);
      if (isNumber(p.ity)) maxY = Math.max(maxY, p.ity);
    }
  for (const c of ceilings) {
    if (isNumber(c.ixt)) maxX = Math.max(maxX, c.ixt);
    if (isNumber(c.ity)) maxY = Math.max(maxY, c.ity);
  }
  const x = scaleLinear()
    .domain([0, Math.max(maxX * 1.06, 1e-3)])
    .range([M.left, width - M.right])
    .nice();
  const y = scaleLinear()
    .domain([0, Math.max(maxY * 1.12, 1e-3)])
    .range([height - M.bottom, M.top])
    .nice();
  const path = line<InformationPlanePoint>()
    .defined(defined)
    .x((p) => x(p.ixt as number))
    .y((p) => y(p.ity as number));
  const epochIndex = new Map(props.epochs.map((e, i) => [e, i]));
  const comparison = props.trajectories.some((t) => t.colour !== undefined);
  const radius = (e: number) => (comparison ? 40 + 60 * ((epochIndex.get(e) ?? 0) / Math.max(1, props.epochs.length - 1)) : 70);
  const show = (ev: MouseEvent, t: PlaneTrajectory, p: InformationPlanePoint) =>
    tooltip.show(
      ev.clientX,
      ev.clientY,
      <div>
        <div style={{ fontWeight: 600 }}>
          {t.label} · epoch {p.epoch}
          {p.saturated ? ' · saturated' : ''}
        </div>
        <div>I(X;T) = {fmtBits(p.ixt)}</div>
        <div>I(T;Y) = {fmtBits(p.ity)}</div>
        <div class="muted">
          {text.name} estimator
          {p.saturated ? ': every input is its own symbol, so the point sits at its ceilings (log2 N, H(Y))' : ''}
        </div>
      </div>,
    );
  // Labels beside each trajectory's last point, stacked downwards where points coincide (every
  // saturated trajectory ends on the same corner), so each layer stays named.
  const labelAt = new Map<string, { x: number; y: number }>();
  const placed: { x: number; y: number }[] = [];
  for (const t of props.trajectories) {
    const ends = t.points.filter(defined);
    const end = ends[ends.length - 1];
    if (!end) continue;
    const lx = x(end.ixt as number) + 7;
    let ly = y(end.ity as number) - 7;
    while (placed.some((p) => Math.abs(p.x - lx) < 48 && Math.abs(p.y - ly) < 11)) ly += 12;
    placed.push({ x: lx, y: ly });
    labelAt.set(t.key, { x: lx, y: ly });
  }
  const first = props.epochs[0];
  const last = props.epochs[props.epochs.length - 1];
  return (
    <svg
      class="chart information-plane"
      width={width}
      height={height}
      role="img"
      aria-label={props.label}
      data-estimator={props.estimator}
      data-trajectories={props.trajectories.length}
    >
      <AxisG axis={axisBottom<number>(x).ticks(Math.max(3, Math.floor(width / 90)))} transform={`translate(0,${height - M.bottom})`} />
      <AxisG axis={axisLeft<number>(y).ticks(6)} transform={`translate(${M.left},0)`} />
      <text class="axis-title" x={(M.left + width - M.right) / 2} y={height - 6} text-anchor="middle">
        I(X;T) (bits)
      </text>
      <text class="axis-title" transform={`translate(13,${(M.top + height - M.bottom) / 2}) rotate(-90)`} text-anchor="middle">
        I(T;Y) (bits)
      </text>
      {ceilings.map((c, k) => (
        <g key={k} class="ip-ceilings">
          {isNumber(c.ixt) && (
            <g class="ip-ceiling" data-axis="ixt" data-bits={c.ixt}>
              <line x1={x(c.ixt)} x2={x(c.ixt)} y1={M.top - 4} y2={height - M.bottom} />
              <text x={x(c.ixt) - 4} y={M.top - 8 + k * 12} text-anchor="end" class="ip-ceiling-label">
                {text.ixtCeiling} = {c.ixt.toFixed(2)}
              </text>
            </g>
          )}
          {isNumber(c.ity) && (
            <g class="ip-ceiling" data-axis="ity" data-bits={c.ity}>
              <line x1={M.left} x2={width - M.right} y1={y(c.ity)} y2={y(c.ity)} />
              <text x={M.left + 4} y={y(c.ity) - 4 - k * 12} class="ip-ceiling-label">
                {text.ityCeiling} = {c.ity.toFixed(2)}
              </text>
            </g>
          )}
        </g>
      ))}
      {props.trajectories.map((t) => {
        const faded = props.highlight !== null && props.highlight !== t.key;
        const shown = t.points.filter(defined);
        const end = shown[shown.length - 1];
        return (
          <g
            key={t.key}
            class={`ip-trajectory${props.highlight === t.key ? ' highlighted' : ''}${faded ? ' faded' : ''}`}
            data-layer={t.layer}
            data-run={t.run ?? ''}
            data-points={shown.length}
            role="button"
            tabIndex={0}
            aria-label={`${t.label}: ${shown.length} points, epochs ${shown.map((p) => p.epoch).join(', ')}${
              t.points.some((p) => p.saturated)
                ? `; saturated at epochs ${t.points
                    .filter((p) => p.saturated)
                    .map((p) => p.epoch)
                    .join(', ')}`
                : ''
            }. Press Enter to pick this layer.`}
            onKeyDown={(e) => {
              if ((e.key === 'Enter' || e.key === ' ') && shown.length) {
                e.preventDefault();
                props.onPick?.(t, shown[shown.length - 1]);
              }
            }}
          >
            <path class="ip-line" d={path(t.points) ?? ''} style={t.colour ? { stroke: t.colour } : undefined} />
            {shown.map((p) => {
              const cx = x(p.ixt as number);
              const cy = y(p.ity as number);
              const selected = p.epoch === props.selectedEpoch;
              return (
                <g
                  key={p.epoch}
                  class={`ip-point${selected ? ' selected' : ''}`}
                  data-epoch={p.epoch}
                  data-saturated={p.saturated ? 'true' : 'false'}
                  transform={`translate(${cx},${cy})`}
                  onMouseMove={(ev) => show(ev, t, p)}
                  onMouseLeave={() => tooltip.hide()}
                  onClick={() => props.onPick?.(t, p)}
                >
                  {p.saturated && <circle class="ip-saturated" r={selected ? 11 : 9} />}
                  <path d={markerPath(t.symbol, selected ? radius(p.epoch) * 2 : radius(p.epoch))} fill={t.colour ?? colour(p.epoch)} />
                </g>
              );
            })}
            {end && labelAt.has(t.key) && (
              <text class="ip-label" x={labelAt.get(t.key)!.x} y={labelAt.get(t.key)!.y}>
                {t.label}
              </text>
            )}
          </g>
        );
      })}
      {!comparison && first !== undefined && last !== undefined && (
        <EpochLegend x={M.left} y={4} first={first} last={last} colour={colour} />
      )}
    </svg>
  );
}

/** The epoch colour scale as a gradient strip inside the chart, so an exported picture carries it. */
function EpochLegend(props: { x: number; y: number; first: number; last: number; colour: (e: number) => string }): JSX.Element {
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  const id = 'ip-epoch-gradient';
  return (
    <g class="ip-epoch-legend" transform={`translate(${props.x},${props.y})`} aria-hidden="true">
      <defs>
        <linearGradient id={id} x1="0" x2="1" y1="0" y2="0">
          {stops.map((s) => (
            <stop key={s} offset={s} stop-color={props.colour(props.first + s * (props.last - props.first))} />
          ))}
        </linearGradient>
      </defs>
      <text x={0} y={10} text-anchor="start">
        epoch {props.first}
      </text>
      <rect x={52} y={2} width={60} height={9} fill={`url(#${id})`} />
      <text x={116} y={10} text-anchor="start">
        {props.last}
      </text>
    </g>
  );
}

function dedupeCeilings(cs: { ixt: Bits; ity: Bits }[]): { ixt: Bits; ity: Bits }[] {
  const seen = new Set<string>();
  return cs.filter((c) => {
    const key = `${c.ixt?.toFixed(4)}:${c.ity?.toFixed(4)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The legend of the layers: each layer's marker and short label, a button that picks the layer. */
export function LayerMarkerLegend(props: {
  trajectories: PlaneTrajectory[];
  highlight: string | null;
  onPick(t: PlaneTrajectory): void;
}): JSX.Element {
  return (
    <div class="class-legend ip-layer-legend" role="group" aria-label="Layers of the information plane: click one to pick it">
      {props.trajectories.map((t) => (
        <button
          key={t.key}
          type="button"
          class={`legend-item${props.highlight === t.key ? ' highlighted' : ''}`}
          data-layer={t.layer}
          aria-pressed={props.highlight === t.key}
          onClick={() => props.onPick(t)}
        >
          <svg width={14} height={14} aria-hidden="true" class="ip-marker">
            <path transform="translate(7,7)" d={markerPath(t.symbol, 60)} style={t.colour ? { fill: t.colour } : undefined} />
          </svg>
          {t.label}
        </button>
      ))}
    </div>
  );
}

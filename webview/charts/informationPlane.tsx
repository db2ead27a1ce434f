// The information plane (Shwartz-Ziv & Tishby; docs/estimators.md "The information plane"): every
// layer a trajectory of points (I(X;T), I(T;Y)), one point per recorded epoch from epoch 0 to the
// last. In a run's Information view the points are coloured by epoch on one sequential scale and the
// layers told apart by their marker shape and their short label; in the run comparison each run has
// its colour and the points grow with the epoch. The axes fit the points; the ceilings (log2 N and
// H(Y) for the binned estimator, the capacity ceiling and H(S) for the pairwise one) are drawn as
// labelled lines when near the data and named in an inset note when off the scale, and a
// saturated point (binned: every input its own symbol, so it sits on its ceilings) gets a dashed ring
// and is named in words under the chart, never by colour alone.
import type { JSX } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { axisBottom, axisLeft } from 'd3-axis';
import type { Axis } from 'd3-axis';
import { scaleSequential } from 'd3-scale';
import { interpolateViridis } from 'd3-scale-chromatic';
import { select } from 'd3-selection';
import type { Bits, InformationPlaneAnswer, InformationPlanePoint } from '../../src/contract/queries';
import { useTooltip } from './primitives';
import { CeilingLines, EpochLegend, PointTip, TrajectoryMark } from './informationPlaneMarks';
import type { PlaneTrajectory } from './informationPlaneMarks';
import { labelPositions, M, markerPath, planeScales } from './informationPlaneGeometry';
import { ceilingLayout } from './informationPlaneCeilings';
import type { CeilingRun } from './informationPlaneCeilings';
import { runColour, runLetter } from '../compare';
import type { LayerMatch } from '../compare';

/** An estimator of the plane, as the answers name it. */
export type InformationEstimator = InformationPlaneAnswer['estimator'];

/** The names of an estimator's axes and ceilings, as the chart and its notes say them. */
export const ESTIMATOR_TEXT: Record<InformationEstimator, { name: string; ixtCeiling: string; ityCeiling: string; about: string }> = {
  pairwise: {
    name: 'pairwise',
    ixtCeiling: 'capacity ceiling',
    ityCeiling: 'H(S)',
    about:
      'Pairwise estimator: I(X;T) is the layer-level capacity between the input and the layer; I(T;Y) is I_pair(T;Y) from the distances between pairs of inputs and whether they share a label, at most H(S), the entropy of “same label or not” over the pairs of probe inputs (the dashed line and its value).',
  },
  binned: {
    name: 'binned',
    ixtCeiling: 'log2 N',
    ityCeiling: 'H(Y)',
    about:
      'Binned estimator (Shwartz-Ziv & Tishby): each input’s tuple of binned units is one symbol; I(X;T) = H(T) ≤ log2 N and I(T;Y) ≤ H(Y). A saturated point has every input as its own symbol and sits on both ceilings: it says nothing about learning.',
  },
};

const ESTIMATORS = Object.keys(ESTIMATOR_TEXT) as InformationEstimator[];

/** The estimator switch of the information plane (a segmented pair of toggles), with an optional caption before it. */
export function EstimatorPicker(props: {
  value: InformationEstimator;
  onChange: (e: InformationEstimator) => void;
  caption?: string;
}): JSX.Element {
  return (
    <span class="segmented" role="group" aria-label="Estimator of the information plane">
      {props.caption && <span class="muted">{props.caption}</span>}
      {ESTIMATORS.map((e) => (
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

/**
 * The run comparison's plane (InformationPlaneComparisonCard): every run's trajectories in its
 * colour, each labelled with its run's letter and the comparison's name of the layer (its row's, so
 * one label never names two layers) and marked by its row (the same layer has the same marker in
 * every run); every run's ceilings named with its letter, in its colour; the epochs of all runs.
 */
export function comparisonPlane(
  answers: readonly (InformationPlaneAnswer | undefined)[],
  matches: readonly LayerMatch[],
): Pick<InformationPlaneProps, 'trajectories' | 'ceilings' | 'epochs'> {
  const trajectories = answers.flatMap((a, r) =>
    (a?.layers ?? []).map((l): PlaneTrajectory => {
      const match = matches.find((m) => m.indices[r] === l.layer);
      return {
        key: `run-${r}-${l.layer}`,
        layer: l.layer,
        run: r,
        label: `${runLetter(r)} ${match?.names[r] ?? `layer ${l.layer}`}`,
        points: l.points,
        symbol: match?.index ?? l.layer,
        colour: runColour(r),
      };
    }),
  );
  const ceilings = answers.flatMap((a, r) => (a ? [{ ...a.ceilings, name: runLetter(r), colour: runColour(r) }] : []));
  const epochs = [...new Set(answers.flatMap((a) => a?.epochs ?? []))].sort((x, y) => x - y);
  return { trajectories, ceilings, epochs };
}

function AxisG(props: { axis: Axis<number>; transform: string }): JSX.Element {
  const ref = useRef<SVGGElement>(null);
  useLayoutEffect(() => {
    if (ref.current) select(ref.current).call(props.axis);
  });
  return <g ref={ref} class="axis" transform={props.transform} />;
}

export interface InformationPlaneProps {
  trajectories: PlaneTrajectory[];
  estimator: InformationEstimator;
  /**
   * The ceilings of each run (one entry in a run's view); equal ones are drawn once. In a
   * comparison each entry names its run and gives its colour, for the ceilings that are one run's.
   */
  ceilings: ({ ixt: Bits; ity: Bits } & CeilingRun)[];
  /** Every recorded epoch (the colour scale's domain). */
  epochs: number[];
  /** The shared epoch: its points are drawn larger. */
  selectedEpoch?: number;
  /** The key of the emphasised trajectory; the others fade. */
  highlight: string | null;
  onPick?: (t: PlaneTrajectory, p: InformationPlanePoint) => void;
  width: number;
  height?: number;
  label: string;
}

export function InformationPlaneChart(props: InformationPlaneProps): JSX.Element {
  const tooltip = useTooltip();
  const width = Math.max(280, props.width);
  const height = props.height ?? Math.round(Math.min(420, Math.max(280, width * 0.62)));
  const colour = epochColourScale(props.epochs);
  const text = ESTIMATOR_TEXT[props.estimator];
  const { x, y, ixt, ity } = planeScales(props.trajectories, props.ceilings, width, height);
  const ceilings = { ixt, ity };
  const epochIndex = new Map(props.epochs.map((e, i) => [e, i]));
  const comparison = props.trajectories.some((t) => t.colour !== undefined);
  const radius = (e: number) => (comparison ? 40 + 60 * ((epochIndex.get(e) ?? 0) / Math.max(1, props.epochs.length - 1)) : 70);
  const show = (ev: MouseEvent, t: PlaneTrajectory, p: InformationPlanePoint) =>
    tooltip.show(ev.clientX, ev.clientY, <PointTip label={t.label} point={p} estimator={text.name} />);
  const named = ceilingLayout(ceilings, x, y, width, props.ceilings, text);
  const plotBox = { x: M.left, y: M.top - 14, width: width - M.left - M.right + 18, height: height - M.bottom - M.top + 14 };
  const labelAt = labelPositions(props.trajectories, x, y, plotBox, named.boxes, props.highlight ?? undefined);
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
      data-labelled={labelAt.size}
      data-x-max={x.domain()[1]}
      data-y-max={y.domain()[1]}
    >
      <AxisG axis={axisBottom<number>(x).ticks(Math.max(3, Math.floor(width / 90)))} transform={`translate(0,${height - M.bottom})`} />
      <AxisG axis={axisLeft<number>(y).ticks(6)} transform={`translate(${M.left},0)`} />
      <text class="axis-title" x={(M.left + width - M.right) / 2} y={height - 6} text-anchor="middle">
        I(X;T) (bits)
      </text>
      <text class="axis-title" transform={`translate(13,${(M.top + height - M.bottom) / 2}) rotate(-90)`} text-anchor="middle">
        I(T;Y) (bits)
      </text>
      <CeilingLines layout={named} x={x} y={y} width={width} height={height} />
      {props.trajectories.map((t) => (
        <TrajectoryMark
          key={t.key}
          trajectory={t}
          x={x}
          y={y}
          highlight={props.highlight}
          selectedEpoch={props.selectedEpoch}
          labelAt={labelAt.get(t.key)}
          fill={(p) => t.colour ?? colour(p.epoch)}
          radius={radius}
          onPick={props.onPick}
          onHover={(ev, p) => show(ev, t, p)}
          onLeave={() => tooltip.hide()}
        />
      ))}
      {!comparison && first !== undefined && last !== undefined && (
        <EpochLegend x={M.left} y={4} first={first} last={last} colour={colour} />
      )}
    </svg>
  );
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
